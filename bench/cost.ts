/**
 * Measurement 7: cost per million check runs, from `estimateMonthlyCost` (shared/cost) with what the
 * bench measured in place of assumptions: the billed size of a result item and the EMF log line of a
 * real HTTPS probe result, and the evaluator's writes per outage.
 */
import { join } from 'node:path';
import { sizeProbe } from '../cdk/sizing.ts';
import { loadConfigFile } from '../shared/config/load.ts';
import { dynamoItemBytes, estimateMonthlyCost, type CostAssumptions, type CostEstimate } from '../shared/cost/index.ts';
import { probeResultEmfLine } from '../shared/metrics/emf.ts';
import type { ProbeResult } from '../shared/probe/types.ts';
import { toResultItem } from '../shared/store/items.ts';

export interface CostCase {
  name: string;
  config: string;
  estimate: CostEstimate;
}

export interface CostResult {
  measured: { resultItemBytes?: number; emfLineBytes?: number; writesPerIncident?: number };
  cases: CostCase[];
  notes: string[];
}

/** A real result re-labelled as each check of the config would store it, averaged. */
function measuredSizes(sample: ProbeResult, checks: ReturnType<typeof loadConfigFile>['checks']): { item: number; emf: number } {
  let item = 0;
  let emf = 0;
  let n = 0;
  for (const c of checks) {
    for (const location of c.locations) {
      const r: ProbeResult = { ...sample, checkId: c.id, location, target: c.kind === 'http' ? c.http.url : sample.target };
      item += dynamoItemBytes(toResultItem(r) as unknown as Record<string, unknown>);
      emf += Buffer.byteLength(probeResultEmfLine(r));
      n++;
    }
  }
  return { item: item / n, emf: emf / n };
}

export function measureCost(opts: { root: string; sample?: ProbeResult; writesPerIncident?: number }): CostResult {
  const notes: string[] = [];
  const measured: CostResult['measured'] = {};
  const cases: CostCase[] = [];
  for (const [name, file] of [['reference: 20 HTTPS checks, 1 min, 3 regions', 'bench/reference-checks.yaml'], ['demo: 3 checks, 5 s, 3 locations', 'examples/demo.yaml']] as const) {
    const cfg = loadConfigFile(join(opts.root, file));
    const overrides: Partial<CostAssumptions> = { probeMemoryFor: (checks) => sizeProbe(checks).memoryMb };
    let itemBytes: number | undefined;
    if (opts.sample) {
      const sizes = measuredSizes(opts.sample, cfg.checks);
      itemBytes = sizes.item;
      overrides.logBytesPerResult = sizes.emf;
      if (measured.resultItemBytes === undefined) {
        measured.resultItemBytes = sizes.item;
        measured.emfLineBytes = sizes.emf;
      }
    }
    if (opts.writesPerIncident !== undefined) {
      overrides.writesPerIncident = opts.writesPerIncident;
      measured.writesPerIncident = opts.writesPerIncident;
    }
    cases.push({ name, config: file, estimate: estimateMonthlyCost(cfg, itemBytes, overrides) });
  }
  if (!opts.sample) notes.push('item and log sizes are estimated from the store codec, not from a measured probe result');
  return { measured, cases, notes };
}

/**
 * Measurement 7: cost per million check runs, from `estimateMonthlyCost` (shared/cost) with what the
 * bench measured in place of assumptions: the billed size of a result item and the EMF log line of a
 * real HTTPS probe result, and the evaluator's writes per outage.
 *
 * The issue's target is all-in: every line of the estimate, per-run and fixed, over the reference
 * config's runs. The fixed part (custom metrics, alarms, the dashboard, KMS keys) is billed per
 * resource and month, so its share per million depends on the interval; the report says so beside the
 * verdict instead of dividing it away.
 */
import { join } from 'node:path';
import { sizeProbe } from '../shared/usecases/cost/sizing.ts';
import { formatDuration } from '../shared/config/duration.ts';
import { loadConfigFile, type LoadedConfig } from '../shared/config/load.ts';
import { dynamoItemBytes, estimateMonthlyCost, PRICES, type CostAssumptions, type CostEstimate, type CostLine } from '../shared/usecases/cost/index.ts';
import { probeResultEmfLine } from '../shared/metrics/emf.ts';
import type { ProbeResult } from '../shared/probe/types.ts';
import { toResultItem } from '../shared/store/items.ts';
import { table, type Target } from './report.ts';

export interface CostCase {
  name: string;
  config: string;
  estimate: CostEstimate;
}

export interface CostResult {
  measured: { resultItemBytes?: number; emfLineBytes?: number; writesPerIncident?: number };
  /** The first is the reference config as deployed by default, which the target is judged on. */
  cases: CostCase[];
  notes: string[];
}

/** The issue's goal: all-in cost per million check runs, in dollars. */
export const TARGET_PER_MILLION_USD = 2;

/** A real result re-labelled as each check of the config would store and log it, averaged. */
function measuredSizes(sample: ProbeResult, checks: LoadedConfig['checks'], phaseMetrics: boolean): { item: number; emf: number } {
  let item = 0;
  let emf = 0;
  let n = 0;
  for (const c of checks) {
    for (const location of c.locations) {
      const r: ProbeResult = { ...sample, checkId: c.id, location, target: c.kind === 'http' ? c.http.url : sample.target };
      item += dynamoItemBytes(toResultItem(r) as unknown as Record<string, unknown>);
      emf += Buffer.byteLength(probeResultEmfLine(r, location, { phaseMetrics }));
      n++;
    }
  }
  return { item: item / n, emf: emf / n };
}

const CASES = [
  { name: 'reference: 20 HTTPS checks, 1 min, 3 regions', file: 'bench/reference-checks.yaml' },
  { name: 'reference, phases as metrics too (deployment.metrics.phases)', file: 'bench/reference-checks.yaml', phaseMetrics: true },
  { name: 'demo: 3 checks, 5 s, 3 locations', file: 'examples/demo.yaml' },
] as const;

export function measureCost(opts: { root: string; sample?: ProbeResult; writesPerIncident?: number }): CostResult {
  const notes: string[] = [];
  const measured: CostResult['measured'] = {};
  const cases: CostCase[] = [];
  for (const c of CASES) {
    const cfg = loadConfigFile(join(opts.root, c.file));
    const phaseMetrics = ('phaseMetrics' in c && c.phaseMetrics) || (cfg.deployment?.metrics.phases ?? false);
    const overrides: Partial<CostAssumptions> = { probeMemoryFor: (checks) => sizeProbe(checks).memoryMb, phaseMetrics };
    let itemBytes: number | undefined;
    if (opts.sample) {
      const sizes = measuredSizes(opts.sample, cfg.checks.filter((x) => x.enabled), phaseMetrics);
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
    cases.push({ name: c.name, config: c.file, estimate: estimateMonthlyCost(cfg, itemBytes, overrides) });
  }
  if (!opts.sample) notes.push('cost: item and EMF line sizes are estimated from the store codec and a representative result, not from a measured probe result');
  return { measured, cases, notes };
}

const usd = (v: number) => (v >= 100 ? `$${Math.round(v).toLocaleString('en-US')}` : `$${v.toFixed(2)}`);
const int = (v: number) => Math.round(v).toLocaleString('en-US');

function sumOf(lines: CostLine[], service: CostLine['service']): { usd: number; n: number } {
  const of = lines.filter((l) => l.service === service);
  return { usd: of.reduce((s, l) => s + l.usd, 0), n: of.reduce((s, l) => s + l.quantity, 0) };
}

/** What the fixed part is made of: `123 custom metrics $36.90, 6 alarms $0.60, ...`. */
function fixedParts(e: CostEstimate): string {
  const parts: Array<[CostLine['service'], string]> = [['CloudWatch metrics', 'custom metrics'], ['CloudWatch alarms', 'alarms'], ['SQS', 'idle delivery-queue polls'], ['CloudWatch dashboards', 'dashboard'], ['KMS', 'KMS keys']];
  const fixedLines = e.lines.filter((l) => !l.perRun);
  return parts.map(([service, label]) => ({ label, ...sumOf(fixedLines, service) })).filter((p) => p.n > 0).map((p) => `${int(p.n)} ${p.label} ${usd(p.usd)}`).join(', ');
}

function perRunServices(e: CostEstimate): string {
  return [...new Set(e.lines.filter((l) => l.perRun).map((l) => l.service))].join(', ');
}

/** The verdict on the issue's target, judged on the all-in figure of the reference config. */
export function costTarget(cost: CostResult | undefined, skipped?: string): Target {
  const name = 'All-in cost per million check runs (reference config)';
  const goal = `≤ $${TARGET_PER_MILLION_USD}`;
  const ref = cost?.cases[0];
  if (!ref) return { name, goal, measured: '-', verdict: 'not measured', why: skipped ?? '' };
  const e = ref.estimate;
  return {
    name, goal,
    measured: `${usd(e.perMillionRunsUsd)} (per-run costs ${usd(e.perMillionRunsPerRunOnlyUsd)} + fixed monthly ${usd(e.perMillionRunsUsd - e.perMillionRunsPerRunOnlyUsd)})`,
    verdict: e.perMillionRunsUsd <= TARGET_PER_MILLION_USD ? 'met' : 'not met',
  };
}

/** Why the reference config's all-in figure is what it is: what is counted, and what the fixed part does per run. */
function verdictNotes(e: CostEstimate): string[] {
  const met = e.perMillionRunsUsd <= TARGET_PER_MILLION_USD;
  const pair = e.fixedPer['check × location'].eachUsd;
  const intervals = e.fixedAtIntervals.map((f) => `at ${formatDuration(f.intervalMs)} a check × location runs ${int(f.runsPerCheckLocation)} times a month, so its ${usd(pair)} of metrics alone is ${usd(f.perMillionRunsUsd)} per million of its runs`).join('; ');
  // Runs a month at which one check × location's metrics fit in what the per-run costs leave of the target.
  const runsForTarget = pair / (TARGET_PER_MILLION_USD - e.perMillionRunsPerRunOnlyUsd) * 1e6;
  return [
    `   target ${usd(TARGET_PER_MILLION_USD)} per million check runs, all-in: ${met ? 'met' : 'not met'} at ${usd(e.perMillionRunsUsd)}.`,
    `   counted: every line of the estimate over the reference config's ${int(e.checkRunsPerMonth)} runs a month: per-run costs ${usd(e.perRunUsd)} a month (${perRunServices(e)}) and fixed monthly costs ${usd(e.fixedUsd)} (${fixedParts(e)}). Free tiers not applied.`,
    `   why: the fixed costs are billed per resource and month, not per run: ${usd(pair)} per check × location, ${usd(e.fixedPer.deployment.eachUsd)} per deployment; ${intervals}. Each location adds its own usage (the scheduled invocation, continuations, heartbeats, queue polling): ${e.perLocation.map((l) => `${l.location} ${usd(l.usd)}`).join(', ')} a month.`,
    `   per-run costs alone are ${usd(e.perMillionRunsPerRunOnlyUsd)} per million${e.perMillionRunsPerRunOnlyUsd <= TARGET_PER_MILLION_USD && pair > 0
      ? `, within the target; the metrics of one check × location fit in the other ${usd(TARGET_PER_MILLION_USD - e.perMillionRunsPerRunOnlyUsd)} only from ${int(runsForTarget)} runs a month (every ${(PRICES.SECONDS_PER_MONTH / runsForTarget).toFixed(1)} s), and sub-minute intervals raise the per-run Lambda cost (the invocation is billed while it waits between rounds; see the demo case)`
      : e.perMillionRunsPerRunOnlyUsd <= TARGET_PER_MILLION_USD ? ', within the target' : ', above the target by themselves'}.`,
  ];
}

/** Section 7 of the report. */
export function costSection(cost: CostResult): string {
  const rows = cost.cases.map((c) => {
    const e = c.estimate;
    return [c.name, int(e.checkRunsPerMonth), int(e.customMetrics), usd(e.perRunUsd), usd(e.fixedUsd), usd(e.totalUsd), usd(e.perMillionRunsPerRunOnlyUsd), usd(e.perMillionRunsUsd), usd(e.synthetics.perMillionRunsUsd)];
  });
  const m = cost.measured;
  const ref = cost.cases[0]?.estimate;
  const notes = [
    `   per-run: ${ref ? perRunServices(ref) : 'Lambda, DynamoDB, SNS, EventBridge, CloudWatch Logs'}; fixed: custom metrics, alarms, the delivery queue's idle polling, the dashboard, KMS keys (first-year price)`,
    `   measured inputs: result item ${m.resultItemBytes === undefined ? 'estimated' : `${m.resultItemBytes.toFixed(0)} B`}, EMF line ${m.emfLineBytes === undefined ? 'estimated' : `${m.emfLineBytes.toFixed(0)} B`}, ${m.writesPerIncident === undefined ? 'writes per outage assumed' : `${m.writesPerIncident.toFixed(1)} state/incident writes per outage`}`,
    ...(ref ? verdictNotes(ref) : []),
  ];
  return [
    '7. Cost (us-east-1 on-demand list prices as constants in shared/usecases/cost/prices.ts; NOT re-verified online from this machine; free tiers not applied)',
    table(['config', 'runs/month', 'metrics', 'per-run USD/mo', 'fixed USD/mo', 'total USD/mo', 'per 1M, per-run only', 'per 1M, all-in', 'Synthetics per 1M'], rows),
    notes.join('\n'),
  ].join('\n\n');
}

import { loadConfigFile } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { sizeProbe } from '../../cdk/sizing.ts';
import { estimateMonthlyCost, type CostAssumptions, type CostEstimate } from '../../shared/cost/index.ts';
import { parse, UsageError } from '../args.ts';
import { EXIT, type Command } from '../io.ts';

const HELP = `usage: vantage cost --config FILE [options] [--json]

Estimates what a checks config costs a month on AWS (us-east-1 on-demand list prices, free tiers not
applied), and what the same check runs would cost on CloudWatch Synthetics ($0.0012 per canary run).
  --probe-memory MB      probe function memory (default: what cdk/sizing.ts deploys per location, 512 MB or more)
  --evaluator-memory MB  evaluator function memory (default 512, as cdk/constructs/evaluator.ts deploys)
  --probe-ms MS          wall time of one probe against a real endpoint (default 250)
  --item-bytes N         billed size of one result item (default: sized per check from a representative result)
  --no-metrics           leave out the CloudWatch custom metrics that the EMF lines create
  --json                 the whole estimate as JSON
The prices are constants in shared/cost/prices.ts, each with its source page and date.
`;

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number`);
  return n;
}

function usd(v: number): string {
  if (v === 0) return '$0.00';
  if (v < 0.01) return `$${v.toFixed(4)}`;
  return `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function qty(v: number): string {
  if (v === 0) return '0';
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

export function formatEstimate(e: CostEstimate, source: string): string {
  const rows = e.lines.map((l) => [l.service, l.item, `${qty(l.quantity)} ${l.unit}`, usd(l.usd)]);
  const header = ['SERVICE', 'ITEM', 'QUANTITY / MONTH', 'USD / MONTH'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const a = e.assumptions;
  return [
    `${source}: ${e.checks} check(s) in ${e.locations} location(s), ${Math.round(e.checkRunsPerMonth).toLocaleString('en-US')} check runs a month`,
    '',
    fmt(header),
    ...rows.map(fmt),
    '',
    `Total                          ${usd(e.totalUsd)} a month (${usd(e.perRunUsd)} grows with runs, ${usd(e.fixedUsd)} fixed per check and location)`,
    `Per million check runs         ${usd(e.perMillionRunsUsd)} all-in, ${usd(e.perMillionRunsExcludingMetricsUsd)} without custom metrics`,
    `CloudWatch Synthetics          ${usd(e.synthetics.usd)} a month for the same runs (${usd(e.synthetics.perMillionRunsUsd)} per million; canary Lambda, S3 and logs extra)`,
    '',
    `Assumptions: probe ${e.probeMemoryMb.join('/')} MB arm64, ${a.probeMs} ms per probe, ${a.probeConcurrency} in flight; evaluator ${a.evaluatorMemoryMb} MB; ` +
      `result item ${Math.round(e.resultItemBytes)} B, ${a.resultTtlDays}-day TTL; ${a.incidentsPerCheckMonth} outage(s) per check a month; ${(a.failureRate * 100).toFixed(0)}% of runs retested.`,
    `Prices: ${e.note}.`,
    '',
  ].join('\n');
}

export const cost: Command = async (argv, io) => {
  let values;
  let overrides: Partial<CostAssumptions> = {};
  let itemBytes: number | undefined;
  try {
    ({ values } = parse(argv, {
      config: { type: 'string', short: 'c' },
      'probe-memory': { type: 'string' },
      'evaluator-memory': { type: 'string' },
      'probe-ms': { type: 'string' },
      'item-bytes': { type: 'string' },
      'no-metrics': { type: 'boolean' },
      json: { type: 'boolean' },
    }));
    const probeMemoryMb = positive('probe-memory', values['probe-memory']);
    const evaluatorMemoryMb = positive('evaluator-memory', values['evaluator-memory']);
    const probeMs = positive('probe-ms', values['probe-ms']);
    itemBytes = positive('item-bytes', values['item-bytes']);
    overrides = {
      probeMemoryFor: (checks) => sizeProbe(checks).memoryMb,
      ...(probeMemoryMb !== undefined && { probeMemoryMb }),
      ...(evaluatorMemoryMb !== undefined && { evaluatorMemoryMb }),
      ...(probeMs !== undefined && { probeMs }),
      ...(values['no-metrics'] && { includeMetrics: false }),
    };
  } catch (err) {
    if (err instanceof UsageError) { io.stderr(`vantage cost: ${err.message}\n\n${HELP}`); return EXIT.USAGE; }
    throw err;
  }
  if (values.help) { io.stdout(HELP); return EXIT.OK; }
  if (!values.config) { io.stderr(`vantage cost: --config is required\n\n${HELP}`); return EXIT.USAGE; }
  let cfg;
  try {
    cfg = loadConfigFile(values.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`${err.message}\n`);
    return EXIT.USAGE;
  }
  const estimate = estimateMonthlyCost(cfg, itemBytes, overrides);
  io.stdout(values.json ? `${JSON.stringify(estimate, null, 2)}\n` : formatEstimate(estimate, values.config));
  return EXIT.OK;
};

import { formatDuration } from '../../shared/config/duration.ts';
import { sizeProbe } from '../../shared/usecases/cost/sizing.ts';
import { estimateMonthlyCost, type CostAssumptions, type CostEstimate, type CostLine, type FixedScope } from '../../shared/usecases/cost/index.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { configFromArgs } from '../config-arg.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage cost [--config FILE] [options] [--json]

Estimates what a checks config costs a month on AWS (us-east-1 on-demand list prices, free tiers not
applied), and what the same check runs would cost on CloudWatch Synthetics ($0.0012 per canary run).
Costs are split into per-run costs (Lambda, DynamoDB, SNS, EventBridge, CloudWatch Logs), which grow
with check runs, and fixed monthly costs (custom metrics, alarms, the dashboard, KMS keys), which do
not; the cost per million check runs is given both ways. Then what each location costs by being there
(its functions' requests, the billed wait until its staggered round, heartbeats, memory reads), and
what one outage of a check adds (rechecks, confirmations from the other locations, memory updates).
An agent location (deployment.agentLocations) has no function: its instances' DynamoDB requests
(beats, beat reads, inbox polls, DEFINITIONS reads) are lines of their own, and its results count as
anywhere else.
  --probe-memory MB      probe function memory (default: what shared/usecases/cost/sizing.ts deploys per location, 512 MB or more)
  --evaluator-memory MB  evaluator function memory (default 512, as cdk/constructs/evaluator.ts deploys)
  --probe-ms MS          wall time of one probe against a real endpoint (default 250)
  --item-bytes N         billed size of one result item (default: sized per check from a representative result)
  --phase-metrics        count the five phases as custom metrics too (default: the config's deployment.metrics.phases)
  --no-metrics           leave out the CloudWatch custom metrics that the EMF lines create
  --json                 the whole estimate as JSON
The prices are constants in shared/usecases/cost/prices.ts, each with its source page and date.
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
  if (Number.isInteger(v) || v >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

const int = (v: number) => Math.round(v).toLocaleString('en-US');

/** `Lambda $0.55, DynamoDB $2.56, ...`: the lines' cost by service, in the order they appear. */
function byService(lines: CostLine[]): string {
  const sums = new Map<string, number>();
  for (const l of lines) sums.set(l.service, (sums.get(l.service) ?? 0) + l.usd);
  return [...sums].map(([service, v]) => `${service} ${usd(v)}`).join(', ');
}

/** `custom metrics $36.90 (123)`: fixed lines summed by service, with their quantity. */
function fixedSummary(lines: CostLine[]): string {
  const sums = new Map<string, { usd: number; n: number }>();
  for (const l of lines) {
    const name = { 'CloudWatch metrics': 'custom metrics', 'CloudWatch alarms': 'alarms', 'CloudWatch dashboards': 'dashboard', KMS: 'KMS keys' }[l.service as string] ?? l.service;
    const s = sums.get(name) ?? { usd: 0, n: 0 };
    sums.set(name, { usd: s.usd + l.usd, n: s.n + l.quantity });
  }
  return [...sums].map(([name, v]) => `${name} ${usd(v.usd)} (${qty(v.n)})`).join(', ');
}

/** One line per location: functions, invocations a minute, billed wait and duration a minute, and its monthly cost. */
function perLocationSection(e: CostEstimate): string[] {
  if (e.perLocation.length === 0) return [];
  const name = Math.max(...e.perLocation.map((l) => l.location.length));
  const cost = Math.max(...e.perLocation.map((l) => usd(l.usd).length));
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(6);
  return [
    '',
    'Fixed cost per location        what each location costs a month by being deployed, whatever its checks (usage-billed, in the lines above):',
    ...e.perLocation.map((l) => (l.agentInstances !== undefined
      ? `  ${l.location.padEnd(name)}  ${`${l.agentInstances} agent(s)`.padEnd(11)}  ${usd(l.usd).padStart(cost)}  no Lambda: beats, beat reads, inbox polls, DEFINITIONS reads, the location heartbeat and probe memory reads`
      : `  ${l.location.padEnd(name)}  ${(l.functions === 1 ? '1 function' : `${l.functions} instances`).padEnd(11)}  ${usd(l.usd).padStart(cost)}` +
        `  ${l.invocationsPerMinute.toFixed(1)} invocation(s) a minute per function, billed ${seconds(l.billedMs)} a minute of which ${seconds(l.waitMs)} waiting${l.waitUsd >= 0.005 ? ` (${usd(l.waitUsd)})` : ''}`)),
    '',
  ];
}

/** The agent locations' part of the assumptions, empty without any. */
function agentAssumptions(e: CostEstimate): string {
  if (e.agents.length === 0) return '';
  const a = e.assumptions;
  const beat = Math.max(...e.agents.map((x) => x.beatItemBytes));
  return ` Agent locations: each instance writes a ${beat} B beat and Queries all its location's beats every ${a.agentBeatMs / 1000} s, polls its inbox every ${a.agentInboxPollMs / 1000} s ` +
    'and reads DEFINITIONS every minute, all strongly consistent (1 RRU per 4 KB, at least 1 per request); it writes results, the location heartbeat once a minute and reads ' +
    'the probe memory each round like a function; no Lambda, SQS or EventBridge, and its log lines stay on its host (no CloudWatch Logs, so no custom metrics from them); the hosts are not priced.';
}

export function formatEstimate(e: CostEstimate, source: string): string {
  const header = ['SERVICE', 'ITEM', 'QUANTITY / MONTH', 'USD / MONTH'];
  const row = (l: CostLine) => [l.service, l.item, `${qty(l.quantity)} ${l.unit}`, usd(l.usd)];
  const perRun = e.lines.filter((l) => l.perRun);
  const fixed = e.lines.filter((l) => !l.perRun);
  const rows = [...perRun, ...fixed].map(row);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const a = e.assumptions;
  const pmWidth = Math.max(usd(e.perMillionRunsPerRunOnlyUsd).length, usd(e.perMillionRunsUsd).length);
  const pm = (v: number) => usd(v).padStart(pmWidth);
  const scopes: Array<[FixedScope, string]> = [['check × location', 'per check × location'], ['location', 'per location'], ['deployment', 'for the deployment']];
  const split = scopes.filter(([scope]) => e.fixedPer[scope].units > 0 && e.fixedPer[scope].eachUsd > 0)
    .map(([scope, label]) => `${usd(e.fixedPer[scope].eachUsd)} ${label}${scope === 'deployment' ? '' : ` × ${int(e.fixedPer[scope].units)}`}`).join(' + ');
  const atIntervals = e.fixedAtIntervals.map((f) => `  at ${formatDuration(f.intervalMs)} (${int(f.checkLocations)} check × location) each runs ${int(f.runsPerCheckLocation)} times a month, so its ${usd(e.fixedPer['check × location'].eachUsd)} adds ${usd(f.perMillionRunsUsd)} per million of its runs`);
  return [
    `${source}: ${e.checks} check(s) in ${e.locations} location(s) (${e.checkLocations} check × location), ${int(e.checkRunsPerMonth)} check runs a month`,
    '',
    fmt(header),
    ...perRun.map((l) => fmt(row(l))),
    ...(fixed.length ? ['', ...fixed.map((l) => fmt(row(l)))] : []),
    '',
    `Per-run costs                  ${usd(e.perRunUsd)} a month, growing with check runs: ${byService(perRun)}`,
    `Fixed costs                    ${usd(e.fixedUsd)} a month, whatever the interval${fixed.length ? `: ${fixedSummary(fixed)}` : ''}`,
    ...(split ? [`                               = ${split}`] : []),
    `Total                          ${usd(e.totalUsd)} a month`,
    '',
    'Per million check runs',
    `  per-run costs only           ${pm(e.perMillionRunsPerRunOnlyUsd)}  the usage-billed lines only, over this config's runs`,
    `  all-in                       ${pm(e.perMillionRunsUsd)}  fixed costs included, spread over this config's ${int(e.checkRunsPerMonth)} runs`,
    ...(atIntervals.length && e.fixedPer['check × location'].eachUsd > 0 ? [
      '  The all-in figure holds for these intervals only: the fixed costs are billed per resource and month, not per run.',
      ...atIntervals,
    ] : []),
    ...perLocationSection(e),
    ...(e.checks > 0 ? [
      `Per outage of a check          ${usd(e.perOutage.usd)}: ${qty(e.perOutage.rechecksPerLocation)} recheck(s) per location, ${qty(e.perOutage.confirmations)} confirmation request(s), memory updates, DOWN and RESOLVED (in the lines above × ${a.incidentsPerCheckMonth} a month)`,
    ] : []),
    // The SLO accounting of one check (shared/usecases/cost/slo-usage.ts), one entry per distinct figure.
    ...(e.slo.length > 0 ? [`SLO accounting per check       ${[...new Set(e.slo.map((s) => `${usd(s.usd.total)} a month ${s.burnRru > 0 ? 'with' : 'without'} an slo (rollup write ${usd(s.usd.rollupWrite)}, sample Query ${usd(s.usd.sampleQuery)}, burn reads ${usd(s.usd.burnReads)}, storage ${usd(s.usd.storage)})`))].join('; ')}; in the lines above`] : []),
    `CloudWatch Synthetics          ${usd(e.synthetics.usd)} a month for the same runs (${usd(e.synthetics.perMillionRunsUsd)} per million; canary Lambda, S3 and logs extra)`,
    '',
    `Assumptions: probe ${e.probeMemoryMb.length > 0 ? `${e.probeMemoryMb.join('/')} MB arm64` : 'functions none (agents only)'}, ${a.probeMs} ms per probe, ${a.probeConcurrency} in flight; evaluator ${a.evaluatorMemoryMb} MB; ` +
      `result item ${Math.round(e.resultItemBytes)} B, EMF line ${e.emfLineBytes > 0 ? `${Math.round(e.emfLineBytes)} B` : 'none (agents log on their hosts)'}, ${a.resultTtlDays}-day TTL; ${a.incidentsPerCheckMonth} outage(s) per check a month; ${(a.failureRate * 100).toFixed(0)}% of runs retested; ` +
      `a confirmation or instance retest is one request and ${a.confirmationMs ?? a.probeMs + a.probeOverheadMs} ms at the other function; ` +
      `a private location's instances each live until the location's last round; sweep ${a.sweepMsPerInvocation} ms + ${a.sweepMsPerItem} ms per item read; ` +
      `phases ${e.phaseMetrics ? 'as custom metrics (deployment.metrics.phases)' : 'as log fields, not metrics'}; KMS keys at their first-year price.` +
      agentAssumptions(e),
    `Prices: ${e.note}.`,
    '',
  ].join('\n');
}

export const cost = defineCommand('cost', HELP, async (argv, io) => {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    'probe-memory': { type: 'string' },
    'evaluator-memory': { type: 'string' },
    'probe-ms': { type: 'string' },
    'item-bytes': { type: 'string' },
    'phase-metrics': { type: 'boolean' },
    'no-metrics': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const probeMemoryMb = positive('probe-memory', values['probe-memory']);
  const evaluatorMemoryMb = positive('evaluator-memory', values['evaluator-memory']);
  const probeMs = positive('probe-ms', values['probe-ms']);
  const itemBytes = positive('item-bytes', values['item-bytes']);
  const overrides: Partial<CostAssumptions> = {
    probeMemoryFor: (checks) => sizeProbe(checks).memoryMb,
    ...(probeMemoryMb !== undefined && { probeMemoryMb }),
    ...(evaluatorMemoryMb !== undefined && { evaluatorMemoryMb }),
    ...(probeMs !== undefined && { probeMs }),
    ...(values['phase-metrics'] && { phaseMetrics: true }),
    ...(values['no-metrics'] && { includeMetrics: false }),
  };
  const { config, path: file } = await configFromArgs(values.config, io);
  const estimate = estimateMonthlyCost(config, itemBytes, overrides);
  io.stdout(values.json ? `${JSON.stringify(estimate, null, 2)}\n` : formatEstimate(estimate, file));
  return EXIT.OK;
});

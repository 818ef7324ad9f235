/**
 * What a checks config costs a month on AWS at list prices, and what the same check runs would cost
 * on CloudWatch Synthetics. Pure: the prices are constants (./prices.ts), the workload comes from the
 * config, and everything that cannot be read from a config is an explicit, overridable assumption.
 *
 * The model follows the data flow of ../../shared/design.md: an EventBridge `rate(1 minute)` rule per
 * location invokes that location's probe function, which runs the due checks (sub-minute intervals as
 * rounds inside the invocation), writes one result item per run and a heartbeat per invocation; the
 * table's stream invokes the evaluator, which reads state per check and writes only on transitions.
 *
 * Two kinds of cost, kept apart because they scale differently:
 * - per run: billed by use (requests, GB-s, write units, bytes), so they grow with check runs;
 * - fixed: billed per resource per month (custom metrics, alarms, the dashboard, KMS keys), whatever
 *   the interval. A custom metric costs the same written once an hour or once a second, so the fixed
 *   part per million runs falls as the interval shortens and a single per-million figure is only true
 *   for the config's own intervals.
 */
import { declaredLocations, type DeploymentConfig } from '../../config/deployment.ts';
import type { LoadedConfig } from '../../config/load.ts';
import type { Check } from '../../config/schema.ts';
import { declaredMetrics, heartbeatEmf, probeResultEmf, probeResultEmfLine } from '../../metrics/emf.ts';
import type { Phases, ProbeResult } from '../../probe/types.ts';
import { toResultItem } from '../../store/items.ts';
import { dynamoItemBytes, writeUnits } from './item-size.ts';
import * as P from './prices.ts';
import { dashboardCount } from '../../deploy/dashboard-pages.ts';

export interface CostAssumptions {
  /**
   * Probe function memory, the same for every location. @default `probeMemoryFor` of the location's
   * checks when given (the CLI passes shared/usecases/cost/sizing.ts), else 512 (the floor the CDK app deploys)
   */
  probeMemoryMb?: number;
  /** Memory for one location's probe function from the checks it runs (shared/usecases/cost/sizing.ts `sizeProbe`). */
  probeMemoryFor?: (checks: readonly Check[]) => number;
  /** Evaluator function memory. @default 512 (cdk/constructs/evaluator.ts) */
  evaluatorMemoryMb: number;
  /**
   * Wall time of one probe from a Lambda to a real endpoint (DNS, TCP, TLS, first byte, body). Loopback
   * figures from the bench are far lower; internet targets are not. @default 250
   */
  probeMs: number;
  /** Probes in flight at once inside one invocation. @default 32 (shared/usecases/probe-cycle.ts) */
  probeConcurrency: number;
  /** Per-invocation work besides probing: handler, BatchWriteItem, heartbeat PutItem, EMF. @default 60 */
  probeOverheadMs: number;
  /** Evaluator time per invocation, plus per check in the batch (one GetItem each). @default 40 and 8 */
  evaluatorMsPerInvocation: number;
  evaluatorMsPerCheck: number;
  /** Size of one result item as DynamoDB bills it. @default measured from a representative result per check */
  resultItemBytes?: number;
  /** Results expire after this many days (the store's default TTL). @default 30 */
  resultTtlDays: number;
  /** CloudWatch Logs bytes per result: its EMF line. @default the EMF line of a representative result of each check, measured */
  logBytesPerResult?: number;
  /** Per probe invocation: START/END/REPORT, the cycle summary line and the heartbeat EMF line. @default 700 */
  logBytesPerInvocation: number;
  /** Days the log groups keep events. @default 30 */
  logRetentionDays: number;
  /** Share of runs that fail and are retested (`retries`). @default 0.01 */
  failureRate: number;
  /** Outages per check per month; each sends DOWN and RESOLVED and writes state and incident items. @default 1 */
  incidentsPerCheckMonth: number;
  /** State and incident writes per outage (measured by the bench's evaluator section). @default 12 */
  writesPerIncident: number;
  /** Count the CloudWatch custom metrics that the EMF lines create. @default true */
  includeMetrics: boolean;
  /** The phases are metrics too (`deployment.metrics.phases`). @default the config's setting, else false */
  phaseMetrics?: boolean;
}

/** Used when neither probeMemoryMb nor probeMemoryFor is given: shared/usecases/cost/sizing.ts never goes below it. */
const PROBE_MEMORY_FLOOR_MB = 512;

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  evaluatorMemoryMb: 512,
  probeMs: 250,
  probeConcurrency: 32,
  probeOverheadMs: 60,
  evaluatorMsPerInvocation: 40,
  evaluatorMsPerCheck: 8,
  resultTtlDays: 30,
  logBytesPerInvocation: 700,
  logRetentionDays: 30,
  failureRate: 0.01,
  incidentsPerCheckMonth: 1,
  writesPerIncident: 12,
  includeMetrics: true,
};

export type CostService = 'Lambda' | 'DynamoDB' | 'SNS' | 'EventBridge' | 'CloudWatch Logs' | 'CloudWatch metrics' | 'CloudWatch alarms' | 'CloudWatch dashboards' | 'KMS';

/** What one unit of a fixed cost comes with. */
export type FixedScope = 'check × location' | 'location' | 'deployment';

export interface CostLine {
  service: CostService;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
  /** Grows with check runs (true), or a fixed monthly cost per resource (false). */
  perRun: boolean;
  /** For a fixed line: each unit comes with every check × location, every location, or once. */
  per?: FixedScope;
}

/** What a fixed cost of one check × location adds per million of its runs, at one interval. */
export interface FixedAtInterval {
  intervalMs: number;
  /** Enabled check × location pairs at this interval. */
  checkLocations: number;
  /** Runs of one check × location a month. */
  runsPerCheckLocation: number;
  /** The average fixed cost of one of these pairs, spread over its runs. */
  perMillionRunsUsd: number;
}

/**
 * What the CDK app creates that bills by the month (cdk/vantage.ts and the constructs named below).
 * test/cdk/app.test.ts counts the same resources in a synthesized app.
 */
export const DEPLOYED = {
  /** cdk/constructs/evaluator-alarms.ts: errors, iterator age, dead letters, in the home stack. */
  evaluatorAlarms: 3,
  /** cdk/constructs/heartbeat-alarm.ts, one in each probe stack. */
  alarmsPerLocation: 1,
  /** cdk/constructs/secure-topic.ts: the alert topic's and the home ops topic's keys. */
  homeKmsKeys: 2,
  /** The key of each probe stack's ops topic. */
  kmsKeysPerLocation: 1,
} as const;

export interface CostEstimate {
  checks: number;
  locations: number;
  /** Enabled check × location pairs: each has its own custom metrics. */
  checkLocations: number;
  checkRunsPerMonth: number;
  lines: CostLine[];
  totalUsd: number;
  /** Cost of the lines that grow with runs: Lambda, DynamoDB, SNS, EventBridge, CloudWatch Logs. */
  perRunUsd: number;
  /** Cost of the lines that do not: custom metrics, alarms, the dashboard, KMS keys. */
  fixedUsd: number;
  /** The fixed cost by what it comes with: the sum over one unit's lines, and how many units there are. */
  fixedPer: Record<FixedScope, { units: number; eachUsd: number }>;
  /** Custom metrics the deployment's EMF lines declare (0 with `includeMetrics: false`). */
  customMetrics: number;
  /** All-in: every line, over this config's runs. True only at this config's intervals. */
  perMillionRunsUsd: number;
  /** The per-run lines only: what running more checks at these intervals costs per million runs. */
  perMillionRunsPerRunOnlyUsd: number;
  /** For each interval of the config, what the fixed cost of one check × location adds per million of its runs. */
  fixedAtIntervals: FixedAtInterval[];
  phaseMetrics: boolean;
  resultItemBytes: number;
  /** The EMF line of one result, averaged over runs: what a run adds to log ingestion. */
  emfLineBytes: number;
  /** The probe functions' memory, per location. */
  probeMemoryMb: number[];
  synthetics: { usd: number; perMillionRunsUsd: number };
  assumptions: CostAssumptions;
  note: string;
}

const DAYS_PER_MONTH = P.HOURS_PER_MONTH / 24;
const GIB = 1024 ** 3;
const MINUTE_MS = 60_000;
const INVOCATIONS_PER_LOCATION = P.SECONDS_PER_MONTH / 60;

/** Phases each kind reports, hence the PhaseX fields its EMF line carries (see shared/metrics/emf.ts). */
function phasesOf(check: Check): Array<keyof Phases> {
  switch (check.kind) {
    case 'http': return check.http.url.startsWith('https:') ? ['dns', 'connect', 'tls', 'ttfb', 'transfer'] : ['dns', 'connect', 'ttfb', 'transfer'];
    case 'tcp': return check.tcp.tls ? ['dns', 'connect', 'tls'] : ['dns', 'connect'];
    case 'tls': return ['dns', 'connect', 'tls'];
    case 'grpc': return check.grpc.tls ? ['dns', 'connect', 'tls', 'ttfb'] : ['dns', 'connect', 'ttfb'];
    case 'dns': return [];
  }
}

/** A plausible passing result for a check, reaching every phase its kind has: sizes its stored item and EMF line, and counts its metrics. */
export function representativeResult(check: Check, location: string): ProbeResult {
  const phases: Phases = { total: 123.4 };
  for (const p of phasesOf(check)) phases[p] = 12.3;
  return {
    checkId: check.id,
    kind: check.kind,
    target: '',
    location,
    startedAt: '2026-11-03T10:15:00.000Z',
    ok: true,
    status: 'up',
    phases,
    retries: 0,
    ...(check.kind === 'http' && { http: { status: 200, version: 'HTTP/1.1', redirects: 0, bodyBytes: 1234 } }),
    ...((check.kind === 'tls' || (check.kind === 'http' && check.http.url.startsWith('https:'))) && {
      tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', certExpiresAt: '2027-01-31T23:59:59.000Z' },
    }),
    assertions: [],
  };
}

export function resultItemBytesOf(check: Check, location: string, ttlDays: number): number {
  return dynamoItemBytes(toResultItem(representativeResult(check, location), { ttlDays }) as unknown as Record<string, unknown>);
}

function line(service: CostService, item: string, quantity: number, unit: string, unitPrice: number): CostLine {
  return { service, item, quantity, unit, usd: quantity * unitPrice, perRun: true };
}

function fixed(service: CostService, item: string, quantity: number, unit: string, unitPrice: number, per: FixedScope): CostLine {
  return { service, item, quantity, unit, usd: quantity * unitPrice, perRun: false, per };
}

/**
 * Every location that gets a probe stack: with a deployment block, each one it declares (a location
 * with no checks still runs, heartbeats and is alarmed on); without one, those the enabled checks name.
 */
function probeLocations(checks: readonly Check[], deployment: DeploymentConfig | undefined): string[] {
  const named = checks.flatMap((c) => c.locations);
  return [...new Set([...(deployment ? declaredLocations(deployment) : []), ...named])];
}

/**
 * Monthly cost of running `config` on AWS. `measuredItemBytes` replaces the per-check estimate of a
 * result item's billed size (the bench measures it from real results).
 */
export function estimateMonthlyCost(
  config: Pick<LoadedConfig, 'checks' | 'channels' | 'deployment'>,
  measuredItemBytes?: number,
  overrides: Partial<CostAssumptions> = {},
): CostEstimate {
  const a: CostAssumptions = { ...DEFAULT_ASSUMPTIONS, ...overrides, ...(measuredItemBytes !== undefined && { resultItemBytes: measuredItemBytes }) };
  const phaseMetrics = a.phaseMetrics ?? config.deployment?.metrics.phases ?? false;
  const checks = config.checks.filter((c) => c.enabled);

  // Per location: the checks it runs, and from them the rounds and probes of one invocation.
  const byLocation = new Map<string, Check[]>(probeLocations(checks, config.deployment).map((l) => [l, []]));
  for (const c of checks) for (const loc of c.locations) byLocation.get(loc)!.push(c);

  let runs = 0;
  let resultWru = 0;
  let storedBytes = 0;
  let probeGbSeconds = 0;
  let probeInvocations = 0;
  let evaluatorInvocations = 0;
  let evaluatorGbSeconds = 0;
  let stateReads = 0;
  let pairMetrics = 0;
  let pairs = 0;
  let heartbeatMetrics = 0;
  let itemBytesWeighted = 0;
  let resultLogBytes = 0;
  const pairsAt = new Map<number, number>();
  const probeMemory = new Set<number>();
  const retainedFraction = a.resultTtlDays / DAYS_PER_MONTH;

  for (const [location, here] of byLocation) {
    probeInvocations += INVOCATIONS_PER_LOCATION;
    heartbeatMetrics += declaredMetrics(heartbeatEmf(location, 0));
    if (here.length === 0) {
      // Nothing to probe: the function still starts every minute, writes its heartbeat and logs.
      const memoryMb = a.probeMemoryMb ?? a.probeMemoryFor?.(here) ?? PROBE_MEMORY_FLOOR_MB;
      probeMemory.add(memoryMb);
      probeGbSeconds += INVOCATIONS_PER_LOCATION * (a.probeOverheadMs / 1000) * (memoryMb / 1024);
      continue;
    }
    const minInterval = Math.min(...here.map((c) => c.interval));
    // Sub-minute checks run as rounds inside the one-minute invocation, which is billed while it waits.
    const rounds = minInterval < MINUTE_MS ? Math.floor(MINUTE_MS / minInterval) : 1;
    const probesPerInvocation = here.reduce((sum, c) => sum + MINUTE_MS / c.interval, 0);
    const perRound = probesPerInvocation / rounds;
    // Below one probe per round, the figure is the share of invocations that have anything to run.
    const waves = perRound < 1 ? perRound : Math.ceil(perRound / a.probeConcurrency);
    const retestMs = a.failureRate * here.reduce((sum, c) => sum + (MINUTE_MS / c.interval) * c.retries, 0) * a.probeMs / rounds;
    const billedMs = a.probeOverheadMs + (rounds - 1) * minInterval + waves * a.probeMs + retestMs;
    const memoryMb = a.probeMemoryMb ?? a.probeMemoryFor?.(here) ?? PROBE_MEMORY_FLOOR_MB;
    probeMemory.add(memoryMb);
    probeGbSeconds += INVOCATIONS_PER_LOCATION * (billedMs / 1000) * (memoryMb / 1024);

    // Every round's BatchWriteItem reaches the evaluator as (at least) one stream batch.
    const batches = INVOCATIONS_PER_LOCATION * rounds;
    evaluatorInvocations += batches;
    const checksPerBatch = Math.max(perRound, 0);
    evaluatorGbSeconds += batches * ((a.evaluatorMsPerInvocation + a.evaluatorMsPerCheck * checksPerBatch) / 1000) * (a.evaluatorMemoryMb / 1024);
    stateReads += batches * checksPerBatch;

    for (const c of here) {
      const r = P.SECONDS_PER_MONTH / (c.interval / 1000);
      runs += r;
      const bytes = a.resultItemBytes ?? resultItemBytesOf(c, location, a.resultTtlDays);
      itemBytesWeighted += bytes * r;
      resultWru += r * writeUnits(bytes);
      storedBytes += r * retainedFraction * (bytes + P.DDB_STORAGE_OVERHEAD_BYTES);
      // Counted from what the EMF writer declares for a passing run, which reaches every phase.
      const result = representativeResult(c, location);
      pairMetrics += declaredMetrics(probeResultEmf(result, location, { phaseMetrics }));
      resultLogBytes += r * (a.logBytesPerResult ?? Buffer.byteLength(probeResultEmfLine(result, location, { phaseMetrics })));
      pairs += 1;
      pairsAt.set(c.interval, (pairsAt.get(c.interval) ?? 0) + 1);
    }
  }
  const locations = byLocation.size;

  const heartbeatWru = probeInvocations;
  const incidents = checks.length * a.incidentsPerCheckMonth;
  const incidentWru = incidents * a.writesPerIncident;
  const publishes = incidents * 2;
  let emailDeliveries = 0;
  let httpDeliveries = 0;
  for (const c of checks) {
    for (const name of c.alerting.channels) {
      const ch = Object.hasOwn(config.channels, name) ? config.channels[name] : undefined;
      if (!ch) continue;
      emailDeliveries += a.incidentsPerCheckMonth * 2 * ch.email.length;
      httpDeliveries += a.incidentsPerCheckMonth * 2 * ch.webhook.length;
    }
  }
  const logBytes = resultLogBytes + runs * P.LOGS_EVENT_OVERHEAD_BYTES
    + probeInvocations * (a.logBytesPerInvocation + 4 * P.LOGS_EVENT_OVERHEAD_BYTES)
    + evaluatorInvocations * (400 + 3 * P.LOGS_EVENT_OVERHEAD_BYTES);
  const logGb = logBytes / GIB;

  const arch = config.deployment?.architecture ?? 'arm64';
  const perGbSecond = arch === 'x86_64' ? P.LAMBDA_X86_PER_GB_SECOND : P.LAMBDA_ARM_PER_GB_SECOND;
  const lines: CostLine[] = [
    line('Lambda', 'probe requests', probeInvocations, 'requests', P.LAMBDA_PER_REQUEST),
    line('Lambda', `probe duration (${arch}, ${[...probeMemory].sort((x, y) => x - y).join('/') || PROBE_MEMORY_FLOOR_MB} MB)`, probeGbSeconds, 'GB-s', perGbSecond),
    line('Lambda', 'evaluator requests', evaluatorInvocations, 'requests', P.LAMBDA_PER_REQUEST),
    line('Lambda', `evaluator duration (${arch}, ${a.evaluatorMemoryMb} MB)`, evaluatorGbSeconds, 'GB-s', perGbSecond),
    line('DynamoDB', 'result writes', resultWru, 'WRU', P.DDB_PER_WRU),
    line('DynamoDB', 'heartbeat writes', heartbeatWru, 'WRU', P.DDB_PER_WRU),
    line('DynamoDB', 'state reads (strongly consistent)', stateReads, 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', 'state and incident writes (outages only)', incidentWru, 'WRU', P.DDB_PER_WRU),
    line('DynamoDB', `result storage (${a.resultTtlDays}-day TTL)`, storedBytes / GIB, 'GB-month', P.DDB_STORAGE_PER_GB_MONTH),
    line('DynamoDB', 'point-in-time recovery of the results', storedBytes / GIB, 'GB-month', P.DDB_PITR_PER_GB_MONTH),
    line('SNS', 'publishes', publishes, 'publishes', P.SNS_PER_PUBLISH),
    line('SNS', 'email deliveries', emailDeliveries, 'emails', P.SNS_PER_EMAIL_DELIVERY),
    line('SNS', 'webhook deliveries', httpDeliveries, 'deliveries', P.SNS_PER_HTTP_DELIVERY),
    line('EventBridge', 'scheduled rule invocations', probeInvocations, 'events', P.EVENTBRIDGE_PER_SCHEDULED_RULE_INVOCATION),
    line('CloudWatch Logs', 'ingestion', logGb, 'GB', P.LOGS_PER_GB_INGESTED),
    line('CloudWatch Logs', `storage (${a.logRetentionDays} days, uncompressed upper bound)`, logGb * (a.logRetentionDays / DAYS_PER_MONTH), 'GB-month', P.LOGS_PER_GB_MONTH_STORED),
  ];
  if (a.includeMetrics) {
    const what = phaseMetrics ? 'Success, Latency and phases' : 'Success and Latency';
    lines.push(
      fixed('CloudWatch metrics', `custom metrics: ${what} per check × location`, pairMetrics, 'metrics', P.CW_PER_CUSTOM_METRIC_MONTH, 'check × location'),
      fixed('CloudWatch metrics', 'custom metrics: Heartbeat per location', heartbeatMetrics, 'metrics', P.CW_PER_CUSTOM_METRIC_MONTH, 'location'),
    );
  }
  if (locations > 0) {
    lines.push(
      fixed('CloudWatch alarms', 'missing-heartbeat alarm per location', locations * DEPLOYED.alarmsPerLocation, 'alarms', P.CW_PER_STANDARD_ALARM_MONTH, 'location'),
      fixed('CloudWatch alarms', 'evaluator alarms (errors, iterator age, dead letters)', DEPLOYED.evaluatorAlarms, 'alarms', P.CW_PER_STANDARD_ALARM_MONTH, 'deployment'),
      // cdk/constructs/dashboard.ts pages the checks over as many dashboards as CloudWatch's limits need.
      fixed('CloudWatch dashboards', 'home dashboards (500 widgets each)', dashboardCount(checks), 'dashboard', P.CW_PER_DASHBOARD_MONTH, 'deployment'),
      fixed('KMS', 'key of each probe location\'s ops topic', locations * DEPLOYED.kmsKeysPerLocation, 'keys', P.KMS_PER_KEY_MONTH, 'location'),
      fixed('KMS', 'keys of the alert and home ops topics', DEPLOYED.homeKmsKeys, 'keys', P.KMS_PER_KEY_MONTH, 'deployment'),
    );
  }

  const totalUsd = lines.reduce((s, l) => s + l.usd, 0);
  const fixedUsd = lines.filter((l) => !l.perRun).reduce((s, l) => s + l.usd, 0);
  const perRunUsd = lines.filter((l) => l.perRun).reduce((s, l) => s + l.usd, 0);
  const perMillion = (usd: number) => (runs > 0 ? (usd / runs) * 1e6 : 0);
  const units: Record<FixedScope, number> = { 'check × location': pairs, location: locations, deployment: locations > 0 ? 1 : 0 };
  const fixedPer = Object.fromEntries((Object.keys(units) as FixedScope[]).map((scope) => {
    const usd = lines.filter((l) => l.per === scope).reduce((s, l) => s + l.usd, 0);
    return [scope, { units: units[scope], eachUsd: units[scope] > 0 ? usd / units[scope] : 0 }];
  })) as CostEstimate['fixedPer'];
  const fixedAtIntervals = [...pairsAt].sort(([x], [y]) => x - y).map(([intervalMs, n]): FixedAtInterval => {
    const runsPerCheckLocation = P.SECONDS_PER_MONTH / (intervalMs / 1000);
    return { intervalMs, checkLocations: n, runsPerCheckLocation, perMillionRunsUsd: (fixedPer['check × location'].eachUsd / runsPerCheckLocation) * 1e6 };
  });
  const syntheticsUsd = runs * P.SYNTHETICS_PER_CANARY_RUN;
  return {
    checks: checks.length,
    locations,
    checkLocations: pairs,
    checkRunsPerMonth: runs,
    lines,
    totalUsd,
    perRunUsd,
    fixedUsd,
    fixedPer,
    customMetrics: a.includeMetrics ? pairMetrics + heartbeatMetrics : 0,
    perMillionRunsUsd: perMillion(totalUsd),
    perMillionRunsPerRunOnlyUsd: perMillion(perRunUsd),
    fixedAtIntervals,
    phaseMetrics,
    resultItemBytes: runs > 0 ? itemBytesWeighted / runs : 0,
    emfLineBytes: runs > 0 ? resultLogBytes / runs : 0,
    probeMemoryMb: [...probeMemory].sort((x, y) => x - y),
    synthetics: { usd: syntheticsUsd, perMillionRunsUsd: perMillion(syntheticsUsd) },
    assumptions: a,
    note: P.PRICE_NOTE,
  };
}

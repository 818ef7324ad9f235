/**
 * What a checks config costs a month on AWS at list prices, and what the same check runs would cost
 * on CloudWatch Synthetics. Pure: the prices are constants (./prices.ts), the workload comes from the
 * config, and everything that cannot be read from a config is an explicit, overridable assumption.
 *
 * The model follows the data flow of ../../shared/design.md: an EventBridge `rate(1 minute)` rule per
 * probe function (one per region, one per instance of a private location) starts it at the top of
 * the minute; it waits for its staggered rounds, handing a gap over 5 s (DEFER_AFTER_MS) to a continuation on its
 * SQS round queue (./probe-usage.ts reads them from the probe's own plan), reads its memory once per round, writes one result item per run and its heartbeats per
 * invocation; the table's stream invokes the evaluator, which reads state per check and writes only on
 * transitions; and a second rule runs the evaluator every minute as the sweep, which reads every state
 * and heartbeat. Outages add rechecks, confirmations from the other locations and memory updates.
 *
 * Two kinds of cost, kept apart because they scale differently:
 * - per run: billed by use (requests, GB-s, write units, bytes), so they grow with check runs;
 * - fixed: billed per resource per month (custom metrics, alarms, the dashboard, KMS keys), whatever
 *   the interval. A custom metric costs the same written once an hour or once a second, so the fixed
 *   part per million runs falls as the interval shortens and a single per-million figure is only true
 *   for the config's own intervals.
 * And one view across them: what each location costs by being there (`perLocation`), mostly billed
 * by use but set by the schedule rather than by the number of checks.
 */
import { declaredLocations, type DeploymentConfig } from '../../config/deployment.ts';
import { toDefinitions } from '../../config/definitions.ts';
import type { LoadedConfig } from '../../config/load.ts';
import type { Check } from '../../config/schema.ts';
import { declaredMetrics, probeResultEmf, probeResultEmfLine } from '../../metrics/emf.ts';
import type { Phases, ProbeResult } from '../../probe/types.ts';
import { definitionsItem } from '../../store/agents.ts';
import { toResultItem } from '../../store/items.ts';
import { DEFAULT_BEAT_MS } from '../agent/membership.ts';
import { DEFAULT_INBOX_POLL_MS, DEFAULT_REPLY_POLL_MS } from '../agent/inbox.ts';
import { agentUsage, consistentReadUnits, type AgentUsage } from './agent-usage.ts';
import { dynamoItemBytes, writeUnits } from './item-size.ts';
import * as P from './prices.ts';
import { planUsage } from './probe-usage.ts';
import { DEFER_AFTER_MS } from '../probe-cycle.ts';
import { dashboardCount } from '../../deploy/dashboard-pages.ts';
import { sloUsage, sloUsd, type SloCheckUsage } from './slo-usage.ts';
import { S3_PER_PUT, statusPageCost, type StatusPageUsage } from './status-page.ts';

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
  /** Per-invocation work besides probing and waiting for its rounds: handler, BatchWriteItem, heartbeat PutItem, memory GetItem, EMF. @default 60 */
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
  /** Per probe invocation: START/END/REPORT and the cycle summary line. @default 600 */
  logBytesPerInvocation: number;
  /** Sweep time per invocation, plus per state or heartbeat item it reads and judges. @default 100 and 1 */
  sweepMsPerInvocation: number;
  sweepMsPerItem: number;
  /** Per sweep: START/END/REPORT and its EMF line (shared/metrics/emf.ts `METRICS.sweep`). @default 500 */
  logBytesPerSweep: number;
  /**
   * Wall time of a probe function invoked for one confirmation (async Invoke from another location)
   * or one retest on another instance (RequestResponse): the probe plus handler overhead, on a warm
   * function. @default probeMs + probeOverheadMs
   */
  confirmationMs?: number;
  /**
   * ReceiveMessage calls a minute by one probe's SQS event source mapping on its (mostly empty) round
   * queue. Lambda long-polls an SQS source (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html);
   * assumed: the standard mapping's 5 pollers at the 20 s long-poll maximum
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html),
   * 15 a minute, not a documented figure. @default 15
   */
  sqsPollsPerMinute: number;
  /** Days the log groups keep events. @default 30 */
  logRetentionDays: number;
  /**
   * Share of runs that fail and are retested (`retries`); at a private location with more than one
   * instance the retest runs on another instance (a Lambda request and a short invocation there). @default 0.01
   */
  failureRate: number;
  /**
   * Outages per check per month, seen from every location of the check. Each sends DOWN and RESOLVED
   * and writes state and incident items; and at each location it is rechecked until the failure and
   * then the recovery are decided, updates the location's probe memory, and (with `alerting.confirm`)
   * asks every other location to confirm once as it starts failing and once as it recovers. @default 1
   */
  incidentsPerCheckMonth: number;
  /** State and incident writes per outage (measured by the bench's evaluator section). @default 12 */
  writesPerIncident: number;
  /** Notifier function memory. @default 256 (cdk/constructs/notifier.ts) */
  notifierMemoryMb: number;
  /**
   * Wall time of one delivery by the notifier: the ledger read, the POST to a webhook, Slack, Teams or
   * PagerDuty across the internet, the ledger writes. @default 300
   */
  notifierMsPerDelivery: number;
  /** Count the CloudWatch custom metrics that the EMF lines create. @default true */
  includeMetrics: boolean;
  /** An agent instance's beat: it writes its beat and reads all the location's beats this often (`vantage agent --heartbeat`). @default 10 s (DEFAULT_BEAT_MS) */
  agentBeatMs: number;
  /** An agent instance polls its inbox this often (one consistent Query). @default 1 s (DEFAULT_INBOX_POLL_MS) */
  agentInboxPollMs: number;
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
  logBytesPerInvocation: 600,
  sweepMsPerInvocation: 100,
  sweepMsPerItem: 1,
  logBytesPerSweep: 500,
  logRetentionDays: 30,
  failureRate: 0.01,
  incidentsPerCheckMonth: 1,
  writesPerIncident: 12,
  sqsPollsPerMinute: 15,
  notifierMemoryMb: 256,
  notifierMsPerDelivery: 300,
  includeMetrics: true,
  agentBeatMs: DEFAULT_BEAT_MS,
  agentInboxPollMs: DEFAULT_INBOX_POLL_MS,
};

/** An agent reads its location's DEFINITIONS item before every minute (../agent/agent.ts). */
const AGENT_DEFINITIONS_READ_MS = 60_000;

export type CostService = 'Lambda' | 'SQS' | 'DynamoDB' | 'SNS' | 'EventBridge' | 'CloudWatch Logs' | 'CloudWatch metrics' | 'CloudWatch alarms' | 'CloudWatch dashboards' | 'KMS' | 'S3';

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
 * test/cdk/app.test.ts counts the same resources in a synthesized app. Probe stacks create none:
 * silence is the sweep's to report, from the heartbeats in the table.
 */
export const DEPLOYED = {
  /** cdk/constructs/evaluator-alarms.ts: errors, iterator age, dead letters, in the home stack. */
  evaluatorAlarms: 3,
  /** cdk/constructs/sweep-schedule.ts: the sweep not running. */
  sweepAlarms: 1,
  /** cdk/constructs/sweep-schedule.ts: the sweep's rate(1 minute) rule. */
  sweepRules: 1,
  /** cdk/constructs/secure-topic.ts: the alert topic's and the home ops topic's keys. */
  homeKmsKeys: 2,
  /** cdk/constructs/notifier.ts: anything in the dead-letter queue, and the oldest delivery too old (a blocked group). */
  notifierAlarms: 2,
} as const;

/**
 * What one location costs a month by being deployed, whatever number of checks it runs: its
 * functions' requests and their billed time apart from probing (overhead per invocation,
 * continuations included, and the in-process waits), its round queues' requests, its heartbeats, its memory reads, the sweep's reads of its heartbeats and its
 * invocation log lines. These are usage-billed (inside `lines` already), gathered here per location.
 */
export interface LocationCost {
  location: string;
  /** Probe functions: 1 for a region, `instances` for a private location, none for an agent location. */
  functions: number;
  /** An agent location's instances (`vantage agent` processes); absent for a Lambda location. */
  agentInstances?: number;
  /** Invocations of one function a minute: the scheduled one and its continuations. */
  invocationsPerMinute: number;
  /** Billed in-process waiting of one function a minute (gaps up to DEFER_AFTER_MS, and each continuation's early arrival). */
  waitMs: number;
  /** Billed duration of one function a minute, all its invocations, probing included. */
  billedMs: number;
  /** Of `usd`, the billed wait alone. */
  waitUsd: number;
  usd: number;
}

/**
 * What one agent location's instances cost a month in the home table besides their results (in
 * `lines` already): beats, beat reads, inbox polls, DEFINITIONS reads, the sweep's Query of the beats.
 */
export interface AgentCost extends AgentUsage {
  location: string;
  usd: number;
}

/** What one outage of one check adds, averaged over the enabled checks (included in `lines` × incidentsPerCheckMonth). */
export interface OutageCost {
  /** Recheck runs per location until the failure, then the recovery, is decided. */
  rechecksPerLocation: number;
  /** Confirmation requests per outage (every location asks every other, as it fails and as it recovers). */
  confirmations: number;
  usd: number;
}

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
  /** The EMF line of one result, averaged over the runs of Lambda locations: what such a run adds to log ingestion. */
  emfLineBytes: number;
  /** The probe functions' memory, per location. */
  probeMemoryMb: number[];
  /** Each location's own cost, in declaration order (see LocationCost). */
  perLocation: LocationCost[];
  /** Each agent location's requests (see AgentCost); empty without deployment.agentLocations. */
  agents: AgentCost[];
  /** What one outage of a check adds: rechecks, confirmations, memory updates, their evaluations, the alerts. */
  perOutage: OutageCost;
  /** Sweeps a month (the evaluator every minute) and the state and heartbeat items each reads. */
  sweep: { invocations: number; itemsPerSweep: number };
  synthetics: { usd: number; perMillionRunsUsd: number };
  /** The SLO accounting of each enabled check (./slo-usage.ts), in the lines above: its rollup writes, sample Queries, burn reads and storage. */
  slo: Array<SloCheckUsage & { usd: ReturnType<typeof sloUsd> }>;
  assumptions: CostAssumptions;
  note: string;
}

const DAYS_PER_MONTH = P.HOURS_PER_MONTH / 24;
const GIB = 1024 ** 3;
const MINUTE_MS = 60_000;
/** Scheduled invocations of one probe function a month: every minute of AWS's 730-hour month. */
const INVOCATIONS_PER_FUNCTION = P.SECONDS_PER_MONTH / 60;
/** The sweep runs on the same rate(1 minute) schedule. */
const SWEEPS_PER_MONTH = P.SECONDS_PER_MONTH / 60;

/** Phases each kind reports, hence the PhaseX fields its EMF line carries (see shared/metrics/emf.ts). */
function phasesOf(check: Check): Array<keyof Phases> {
  switch (check.kind) {
    case 'http': return check.http.url.startsWith('https:') ? ['dns', 'connect', 'tls', 'ttfb', 'transfer'] : ['dns', 'connect', 'ttfb', 'transfer'];
    case 'tcp': return check.tcp.tls ? ['dns', 'connect', 'tls'] : ['dns', 'connect'];
    case 'tls': return ['dns', 'connect', 'tls'];
    case 'grpc': return check.grpc.tls ? ['dns', 'connect', 'tls', 'ttfb'] : ['dns', 'connect', 'ttfb'];
    case 'dns': return [];
    // The lookup of a host name; an address literal has none, and the upper bound is what sizes.
    case 'icmp': return ['dns'];
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
    ...(check.kind === 'icmp' && { icmp: { sent: 3, received: 3, errors: 0, lossPercent: 0, rtt: { min: 12.3, avg: 12.3, max: 12.3, mdev: 0.1 } } }),
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
 * with no checks still runs and heartbeats); without one, those the enabled checks name.
 */
function probeLocations(checks: readonly Check[], deployment: DeploymentConfig | undefined): string[] {
  const named = checks.flatMap((c) => c.locations);
  return [...new Set([...(deployment ? declaredLocations(deployment) : []), ...named])];
}

/** Probe functions at a location: a private location's `instances`, else one. */
function functionsAt(location: string, deployment: DeploymentConfig | undefined): number {
  return deployment?.privateLocations.find((p) => p.name === location)?.instances ?? 1;
}

/** An agent location's expected instances; undefined for a Lambda location. Read defensively: a deployment built in code may lack the list. */
function agentInstancesAt(location: string, deployment: DeploymentConfig | undefined): number | undefined {
  return (deployment?.agentLocations ?? []).find((l) => l.name === location)?.instances;
}

/** Billed size of an agent location's DEFINITIONS item, from the document the CDK app and `vantage dev` write. */
function definitionsItemBytes(config: Pick<LoadedConfig, 'checks' | 'channels' | 'deployment'>, location: string): number {
  // A location's document reads only the checks and the deployment; the rest is the evaluator's.
  const loaded: LoadedConfig = { defaults: {} as LoadedConfig['defaults'], maintenance: [], ...config };
  return dynamoItemBytes(definitionsItem(location, toDefinitions(loaded, location), new Date(0)));
}

/** Usage totals a month, in billing units, before prices. */
interface Usage {
  runs: number;
  resultWru: number;
  storedBytes: number;
  itemBytesWeighted: number;
  resultLogBytes: number;
  /** Probe invocations: scheduled ones and continuations. */
  probeRequests: number;
  /** Of them, the ones EventBridge starts. */
  scheduledInvocations: number;
  /** SendMessage and DeleteMessage per continuation, and the mappings' polling. */
  sqsRequests: number;
  probeGbSeconds: number;
  extraProbeRequests: number;
  extraProbeGbSeconds: number;
  extraResultWru: number;
  extraLogBytes: number;
  memoryRru: number;
  memoryWru: number;
  heartbeatWru: number;
  instanceHeartbeatWru: number;
  /** Runs at agent locations: their log lines stay on the agent's host, so CloudWatch Logs never sees them. */
  agentRuns: number;
  /** Retests on a sibling agent and confirmations to agents, through the inbox: requests, claims, replies, and the asker's reply polls. */
  agentInboxWru: number;
  agentInboxRru: number;
  evaluatorInvocations: number;
  evaluatorGbSeconds: number;
  stateReads: number;
  pairMetrics: number;
  pairs: number;
  pairsAt: Map<number, number>;
  probeMemory: Set<number>;
}

const zeroUsage = (): Usage => ({
  runs: 0, resultWru: 0, storedBytes: 0, itemBytesWeighted: 0, resultLogBytes: 0, probeRequests: 0, scheduledInvocations: 0, sqsRequests: 0, probeGbSeconds: 0,
  extraProbeRequests: 0, extraProbeGbSeconds: 0, extraResultWru: 0, extraLogBytes: 0, memoryRru: 0, memoryWru: 0,
  heartbeatWru: 0, instanceHeartbeatWru: 0, agentRuns: 0, agentInboxWru: 0, agentInboxRru: 0, evaluatorInvocations: 0, evaluatorGbSeconds: 0, stateReads: 0,
  pairMetrics: 0, pairs: 0, pairsAt: new Map(), probeMemory: new Set(),
});

/** An eventually consistent read of an item up to 4 KB: half a read unit (GetItem of the memory, BatchGetItem of heartbeats). */
const EVENTUAL_RRU = 0.5;

interface Context {
  a: CostAssumptions;
  phaseMetrics: boolean;
  deployment: DeploymentConfig | undefined;
  memoryOf: (location: string) => number;
  /** An agent location's instances; undefined for a Lambda location. */
  agentsAt: (location: string) => number | undefined;
  /** Billed bytes of one result item of a check at a location. */
  itemBytes: (check: Check, location: string) => number;
  lineBytes: (check: Check, location: string) => number;
}

const gbSeconds = (ms: number, memoryMb: number) => (ms / 1000) * (memoryMb / 1024);

/** One location's scheduled work, as addLocation and addAgentLocation count it. */
type Located = Omit<LocationCost, 'usd' | 'waitUsd'> & { memoryMb: number; memoryRru: number; heartbeatWru: number; heartbeatItems: number; sqsRequests: number; agent?: AgentUsage };

/** One location's scheduled work: its functions, rounds, results, heartbeats and memory reads. */
function addLocation(u: Usage, ctx: Context, location: string, here: readonly Check[]): Located {
  const { a } = ctx;
  const n = functionsAt(location, ctx.deployment);
  const memoryMb = ctx.memoryOf(location);
  u.probeMemory.add(memoryMb);
  const plan = planUsage(here, location, { probeMs: a.probeMs, concurrency: a.probeConcurrency, instances: n });
  // The caller waits for its retests: the failed share of its runs, once per retry, spread over its rounds.
  const retestMs = a.failureRate * here.reduce((sum, c) => sum + (MINUTE_MS / c.interval) * c.retries, 0) * a.probeMs / Math.max(1, plan.roundsPerInvocation) / n;
  const invocationsPerMinute = 1 + plan.continuationsPerMinute;
  const billedMs = invocationsPerMinute * a.probeOverheadMs + plan.waitMs + plan.probingMs + retestMs;
  const scheduled = n * INVOCATIONS_PER_FUNCTION;
  const invocations = scheduled * invocationsPerMinute;
  u.scheduledInvocations += scheduled;
  u.probeRequests += invocations;
  u.probeGbSeconds += scheduled * gbSeconds(billedMs, memoryMb);
  // Each continuation is sent and deleted (the mapping deletes it after the invocation); its receive is one of the polls.
  const sqsRequests = scheduled * (2 * plan.continuationsPerMinute + a.sqsPollsPerMinute);
  u.sqsRequests += sqsRequests;
  const memoryRru = scheduled * plan.roundsPerInvocation * EVENTUAL_RRU;
  u.memoryRru += memoryRru;
  // Every function writes the location's heartbeat; an instance also writes its own.
  const isPrivate = ctx.deployment?.privateLocations.some((p) => p.name === location) ?? false;
  // Each invocation, continuations too, ends with a heartbeat.
  const heartbeatWru = invocations * (isPrivate ? 2 : 1);
  u.heartbeatWru += invocations;
  if (isPrivate) u.instanceHeartbeatWru += invocations;

  addEvaluations(u, a, plan);
  addResults(u, ctx, location, here, { logged: true });
  if (n > 1) {
    for (const c of here) {
      // A failure is retested on another instance: a synchronous Invoke there per retry.
      const retests = runsPerMonth(c) * a.failureRate * c.retries;
      u.extraProbeRequests += retests;
      u.extraProbeGbSeconds += retests * gbSeconds(confirmationMs(a), memoryMb);
    }
  }
  // The items the sweep reads for this location: its heartbeat, and each instance's.
  return { location, functions: n, invocationsPerMinute, waitMs: plan.waitMs, billedMs, memoryMb, memoryRru, heartbeatWru, heartbeatItems: 1 + (isPrivate ? n : 0), sqsRequests };
}

const runsPerMonth = (c: Check) => P.SECONDS_PER_MONTH / (c.interval / 1000);

/** Every round's BatchWriteItem reaches the evaluator as (at least) one stream batch. */
function addEvaluations(u: Usage, a: CostAssumptions, plan: ReturnType<typeof planUsage>): void {
  const batches = INVOCATIONS_PER_FUNCTION * plan.roundsPerInvocation;
  const checksPerBatch = plan.roundsPerInvocation > 0 ? plan.probesPerMinute / plan.roundsPerInvocation : 0;
  u.evaluatorInvocations += batches;
  u.evaluatorGbSeconds += batches * gbSeconds(a.evaluatorMsPerInvocation + a.evaluatorMsPerCheck * checksPerBatch, a.evaluatorMemoryMb);
  u.stateReads += batches * checksPerBatch;
}

/**
 * The location's results: written, stored, and (`logged`: a Lambda's EMF line in CloudWatch Logs)
 * logged and turned into custom metrics. An agent's lines go to its host's log, not CloudWatch.
 */
function addResults(u: Usage, ctx: Context, location: string, here: readonly Check[], opts: { logged: boolean }): void {
  const retainedFraction = ctx.a.resultTtlDays / DAYS_PER_MONTH;
  for (const c of here) {
    const r = runsPerMonth(c);
    u.runs += r;
    if (!opts.logged) u.agentRuns += r;
    const bytes = ctx.itemBytes(c, location);
    u.itemBytesWeighted += bytes * r;
    u.resultWru += r * writeUnits(bytes);
    u.storedBytes += r * retainedFraction * (bytes + P.DDB_STORAGE_OVERHEAD_BYTES);
    u.pairs += 1;
    u.pairsAt.set(c.interval, (u.pairsAt.get(c.interval) ?? 0) + 1);
    if (!opts.logged) continue;
    // Counted from what the EMF writer declares for a passing run, which reaches every phase.
    u.pairMetrics += declaredMetrics(probeResultEmf(representativeResult(c, location), location, { phaseMetrics: ctx.phaseMetrics }));
    u.resultLogBytes += r * ctx.lineBytes(c, location);
  }
}

/** Billed reads of the asker's reply polls for one retest on a sibling agent: every DEFAULT_REPLY_POLL_MS while the sibling probes, and the one that finds it. */
const replyPolls = (a: CostAssumptions) => Math.ceil(a.probeMs / DEFAULT_REPLY_POLL_MS) + 1;

/**
 * An agent location: `n` long-running instances share its rounds (each reads the probe memory once a
 * round and writes the location's heartbeat once a minute, as the cycle does), write their results
 * like any location, and pay their membership, inbox and DEFINITIONS requests (./agent-usage.ts).
 * No Lambda, no SQS, no EventBridge. A failure is retested on a sibling through the inbox: the
 * request, its claim, the reply and its removal (writes), and the asker's reply polls (reads).
 */
function addAgentLocation(u: Usage, ctx: Context, location: string, here: readonly Check[], n: number, definitionsBytes: number): Located {
  const { a } = ctx;
  const plan = planUsage(here, location, { probeMs: a.probeMs, concurrency: a.probeConcurrency, instances: n });
  const memoryRru = n * INVOCATIONS_PER_FUNCTION * plan.roundsPerInvocation * EVENTUAL_RRU;
  u.memoryRru += memoryRru;
  const heartbeatWru = n * INVOCATIONS_PER_FUNCTION;
  u.heartbeatWru += heartbeatWru;
  addEvaluations(u, a, plan);
  addResults(u, ctx, location, here, { logged: false });
  if (n > 1) {
    for (const c of here) {
      const retests = runsPerMonth(c) * a.failureRate * c.retries;
      u.agentInboxWru += retests * (3 + writeUnits(ctx.itemBytes(c, location)));
      u.agentInboxRru += retests * replyPolls(a) * consistentReadUnits(ctx.itemBytes(c, location));
    }
  }
  const agent = agentUsage(location, { instances: n, beatMs: a.agentBeatMs, inboxPollMs: a.agentInboxPollMs, definitionsReadMs: AGENT_DEFINITIONS_READ_MS, definitionsItemBytes: definitionsBytes });
  return { location, functions: 0, agentInstances: n, invocationsPerMinute: 0, waitMs: 0, billedMs: 0, memoryMb: 0, memoryRru, heartbeatWru, heartbeatItems: 1, sqsRequests: 0, agent };
}

const confirmationMs = (a: CostAssumptions) => a.confirmationMs ?? a.probeMs + a.probeOverheadMs;

/**
 * One outage of `check`, at every location: rechecks until the failure and then the recovery are
 * decided (each keeps the function alive a recheck interval longer, writes a result and is evaluated),
 * memory updates (set at the first failure, one per recheck, removed at rest), and with confirm, one
 * request from every location to every other as it starts failing and again as it recovers, each a
 * short invocation there that records one result. Added to `u` `times` times.
 */
function addOutage(u: Usage, ctx: Context, check: Check, times: number): { rechecks: number; confirmations: number } {
  const { a } = ctx;
  const locations = check.locations;
  const rechecks = Math.max(0, check.alerting.failureThreshold - 1) + Math.max(0, check.alerting.recoveryThreshold - 1);
  const confirmations = check.alerting.confirm && locations.length > 1 ? 2 * locations.length * (locations.length - 1) : 0;
  for (const location of locations) {
    const memoryMb = ctx.memoryOf(location);
    const bytes = ctx.itemBytes(check, location);
    const line = ctx.lineBytes(check, location);
    // Runs recorded here: this location's rechecks, and the confirmations it is asked for.
    const asked = confirmations / locations.length;
    const recorded = rechecks + asked;
    u.extraResultWru += times * recorded * writeUnits(bytes);
    if (ctx.agentsAt(location) !== undefined) {
      // An agent is running anyway: a confirmation costs its inbox item and the claim that deletes it.
      u.agentInboxWru += times * asked * 2;
    } else {
      u.extraProbeGbSeconds += times * (rechecks * gbSeconds(check.alerting.recheckIntervalMs + a.probeMs, memoryMb) + asked * gbSeconds(confirmationMs(a), memoryMb));
      u.extraProbeRequests += times * asked;
      u.extraLogBytes += times * recorded * (line + P.LOGS_EVENT_OVERHEAD_BYTES);
    }
    u.memoryWru += times * (rechecks + 2);
    u.evaluatorInvocations += times * recorded;
    u.evaluatorGbSeconds += times * recorded * gbSeconds(a.evaluatorMsPerInvocation + a.evaluatorMsPerCheck, a.evaluatorMemoryMb);
    u.stateReads += times * recorded;
  }
  return { rechecks, confirmations };
}

/** Prices one usage of everything an outage adds, so the per-outage figure comes from the same code as the lines. */
function outageUsd(u: Usage, perGbSecond: number, logUsdPerByte: number): number {
  return u.extraProbeRequests * P.LAMBDA_PER_REQUEST + u.extraProbeGbSeconds * perGbSecond + u.extraResultWru * P.DDB_PER_WRU + u.memoryWru * P.DDB_PER_WRU
    + u.agentInboxWru * P.DDB_PER_WRU + u.agentInboxRru * P.DDB_PER_RRU
    + u.evaluatorInvocations * P.LAMBDA_PER_REQUEST + u.evaluatorGbSeconds * perGbSecond + u.stateReads * P.DDB_PER_RRU
    + u.evaluatorInvocations * EVENTUAL_RRU * P.DDB_PER_RRU
    + (u.extraLogBytes + u.evaluatorInvocations * EVALUATOR_LOG_BYTES) * logUsdPerByte;
}

/** Per evaluator invocation: START/END/REPORT and a summary line, each with its 26 metered bytes. */
const EVALUATOR_LOG_BYTES = 400 + 3 * P.LOGS_EVENT_OVERHEAD_BYTES;

/**
 * DOWN and RESOLVED per outage: to each address of the check's channels (SNS email), and to each of
 * their other targets (a webhook, Slack, Teams, PagerDuty), which the notifier delivers one by one.
 */
function deliveriesOf(checks: readonly Check[], channels: LoadedConfig['channels'], incidentsPerCheckMonth: number) {
  let emailDeliveries = 0;
  let targetDeliveries = 0;
  for (const c of checks) {
    for (const name of c.alerting.channels) {
      const ch = Object.hasOwn(channels, name) ? channels[name] : undefined;
      if (!ch) continue;
      const targets = ch.webhook.length + [ch.slack, ch.teams, ch.pagerduty].filter((t) => t !== undefined).length;
      emailDeliveries += incidentsPerCheckMonth * 2 * ch.email.length;
      targetDeliveries += incidentsPerCheckMonth * 2 * targets;
    }
  }
  return { emailDeliveries, targetDeliveries };
}

/**
 * One delivery through the notifier: a FIFO queue message (sent, received, deleted), one invocation
 * (batch size 1), a ledger read and two writes (the delivery and its target's health). Retries are
 * left out: they are the failures of someone else's endpoint.
 */
function notifierLines(deliveries: number, a: CostAssumptions, perGbSecond: number): CostLine[] {
  if (deliveries === 0) return [];
  return [
    line('SQS', 'delivery queue (FIFO): send, receive and delete per delivery', 3 * deliveries, 'requests', P.SQS_FIFO_PER_REQUEST),
    line('Lambda', 'notifier requests (one per webhook, Slack, Teams or PagerDuty delivery)', deliveries, 'requests', P.LAMBDA_PER_REQUEST),
    line('Lambda', `notifier duration (${a.notifierMemoryMb} MB)`, deliveries * gbSeconds(a.notifierMsPerDelivery, a.notifierMemoryMb), 'GB-s', perGbSecond),
    line('DynamoDB', 'delivery ledger reads (already delivered?)', deliveries, 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', 'delivery ledger writes (the delivery and its target\'s health)', 2 * deliveries, 'WRU', P.DDB_PER_WRU),
  ];
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
  const deployment = config.deployment;
  const arch = deployment?.architecture ?? 'arm64';
  const perGbSecond = arch === 'x86_64' ? P.LAMBDA_X86_PER_GB_SECOND : P.LAMBDA_ARM_PER_GB_SECOND;

  // Per location: the checks it runs.
  const byLocation = new Map<string, Check[]>(probeLocations(checks, deployment).map((l) => [l, []]));
  for (const c of checks) for (const loc of c.locations) byLocation.get(loc)!.push(c);
  const ctx: Context = {
    a, phaseMetrics, deployment,
    memoryOf: (l) => a.probeMemoryMb ?? a.probeMemoryFor?.(byLocation.get(l) ?? []) ?? PROBE_MEMORY_FLOOR_MB,
    agentsAt: (l) => agentInstancesAt(l, deployment),
    itemBytes: (c, l) => a.resultItemBytes ?? resultItemBytesOf(c, l, a.resultTtlDays),
    lineBytes: (c, l) => (a.logBytesPerResult ?? Buffer.byteLength(probeResultEmfLine(representativeResult(c, l), l, { phaseMetrics }))),
  };

  // Usage: the schedule, then outages, then the sweep.
  const u = zeroUsage();
  const located = [...byLocation].map(([location, here]) => {
    const agents = ctx.agentsAt(location);
    return agents === undefined ? addLocation(u, ctx, location, here) : addAgentLocation(u, ctx, location, here, agents, definitionsItemBytes(config, location));
  });
  const agentLocated = located.filter((l): l is Located & { agent: AgentUsage } => l.agent !== undefined);
  const locations = byLocation.size;
  const oneOutage = zeroUsage();
  const shapes = checks.map((c) => addOutage(oneOutage, ctx, c, 1));
  for (const c of checks) addOutage(u, ctx, c, a.incidentsPerCheckMonth);
  const heartbeatItems = located.reduce((n, l) => n + l.heartbeatItems, 0);
  const sweep = locations > 0 ? { invocations: SWEEPS_PER_MONTH, itemsPerSweep: checks.length + heartbeatItems } : { invocations: 0, itemsPerSweep: 0 };
  // States strongly consistent (as the evaluator reads them), heartbeats eventually.
  const sweepRru = sweep.invocations * (checks.length + heartbeatItems * EVENTUAL_RRU);
  const sweepGbSeconds = sweep.invocations * gbSeconds(a.sweepMsPerInvocation + a.sweepMsPerItem * sweep.itemsPerSweep, a.evaluatorMemoryMb);
  // Every evaluator run, stream batch and sweep alike, queries the SILENCE partition once
  // (shared/store/keys.ts, pattern 13): half a read unit while the silences fit in 4 KB (a dozen or so).
  const silenceRru = (u.evaluatorInvocations + sweep.invocations) * EVENTUAL_RRU;

  const incidents = checks.length * a.incidentsPerCheckMonth;
  const incidentWru = incidents * a.writesPerIncident;
  const publishes = incidents * 2;
  const { emailDeliveries, targetDeliveries } = deliveriesOf(checks, config.channels, a.incidentsPerCheckMonth);
  const invocationLogBytes = a.logBytesPerInvocation + 4 * P.LOGS_EVENT_OVERHEAD_BYTES;
  const logBytes = u.resultLogBytes + (u.runs - u.agentRuns) * P.LOGS_EVENT_OVERHEAD_BYTES
    + u.probeRequests * invocationLogBytes
    + u.evaluatorInvocations * EVALUATOR_LOG_BYTES
    + sweep.invocations * (a.logBytesPerSweep + 4 * P.LOGS_EVENT_OVERHEAD_BYTES)
    + u.extraLogBytes;
  const logGb = logBytes / GIB;
  const logStoredFactor = a.logRetentionDays / DAYS_PER_MONTH;

  const slo = checks.map((c) => sloUsage(c, ctx.itemBytes));
  const memories = [...u.probeMemory].sort((x, y) => x - y);
  const agentSum = (f: (x: AgentUsage) => number) => agentLocated.reduce((s, l) => s + f(l.agent), 0);
  const lines: CostLine[] = [
    line('Lambda', 'probe requests', u.probeRequests, 'requests', P.LAMBDA_PER_REQUEST),
    line('Lambda', `probe duration (${arch}, ${memories.join('/') || PROBE_MEMORY_FLOOR_MB} MB; rounds over ${DEFER_AFTER_MS / 1000} s apart in continuations)`, u.probeGbSeconds, 'GB-s', perGbSecond),
    line('SQS', 'round queues: continuations sent and deleted, event source polling', u.sqsRequests, 'requests', P.SQS_PER_REQUEST),
    line('Lambda', 'confirmation (outages only) and instance-retest requests', u.extraProbeRequests, 'requests', P.LAMBDA_PER_REQUEST),
    line('Lambda', 'probe duration of rechecks, confirmations and instance retests', u.extraProbeGbSeconds, 'GB-s', perGbSecond),
    line('Lambda', 'evaluator requests', u.evaluatorInvocations, 'requests', P.LAMBDA_PER_REQUEST),
    line('Lambda', `evaluator duration (${arch}, ${a.evaluatorMemoryMb} MB)`, u.evaluatorGbSeconds, 'GB-s', perGbSecond),
    line('Lambda', 'sweep requests (the evaluator every minute)', sweep.invocations, 'requests', P.LAMBDA_PER_REQUEST),
    line('Lambda', `sweep duration (${arch}, ${a.evaluatorMemoryMb} MB)`, sweepGbSeconds, 'GB-s', perGbSecond),
    line('DynamoDB', 'result writes', u.resultWru, 'WRU', P.DDB_PER_WRU),
    line('DynamoDB', 'recheck and confirmation result writes (outages only)', u.extraResultWru, 'WRU', P.DDB_PER_WRU),
    line('DynamoDB', 'heartbeat writes', u.heartbeatWru, 'WRU', P.DDB_PER_WRU),
    ...(u.instanceHeartbeatWru > 0 ? [line('DynamoDB', 'instance heartbeat writes', u.instanceHeartbeatWru, 'WRU', P.DDB_PER_WRU)] : []),
    line('DynamoDB', 'probe memory reads (one GetItem per round)', u.memoryRru, 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', 'probe memory updates (outages only)', u.memoryWru, 'WRU', P.DDB_PER_WRU),
    line('DynamoDB', 'state reads (strongly consistent)', u.stateReads, 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', 'sweep reads (every state and heartbeat, every minute)', sweepRru, 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', 'silence reads (one Query per evaluator run and sweep)', silenceRru, 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', 'state and incident writes (outages only)', incidentWru, 'WRU', P.DDB_PER_WRU),
    ...agentLines(agentLocated.map((l) => l.agent), agentSum, u, sweep.invocations, a),
    ...sloLines(slo),
    ...statusPageLines(config.deployment?.statusPage?.enabled === true ? statusPageCost(checks) : undefined),
    line('DynamoDB', `result storage (${a.resultTtlDays}-day TTL)`, u.storedBytes / GIB, 'GB-month', P.DDB_STORAGE_PER_GB_MONTH),
    line('DynamoDB', 'point-in-time recovery of the results', u.storedBytes / GIB, 'GB-month', P.DDB_PITR_PER_GB_MONTH),
    line('SNS', 'publishes', publishes, 'publishes', P.SNS_PER_PUBLISH),
    line('SNS', 'email deliveries', emailDeliveries, 'emails', P.SNS_PER_EMAIL_DELIVERY),
    ...notifierLines(targetDeliveries, a, perGbSecond),
    line('EventBridge', 'scheduled rule invocations', u.scheduledInvocations + sweep.invocations, 'events', P.EVENTBRIDGE_PER_SCHEDULED_RULE_INVOCATION),
    line('CloudWatch Logs', 'ingestion', logGb, 'GB', P.LOGS_PER_GB_INGESTED),
    line('CloudWatch Logs', `storage (${a.logRetentionDays} days, uncompressed upper bound)`, logGb * logStoredFactor, 'GB-month', P.LOGS_PER_GB_MONTH_STORED),
  ];
  const sweepMetrics = a.includeMetrics && locations > 0 ? 1 : 0;
  if (a.includeMetrics) {
    const what = phaseMetrics ? 'Success, Latency and phases' : 'Success and Latency';
    lines.push(fixed('CloudWatch metrics', `custom metrics: ${what} per check × location`, u.pairMetrics, 'metrics', P.CW_PER_CUSTOM_METRIC_MONTH, 'check × location'));
    if (sweepMetrics > 0) lines.push(fixed('CloudWatch metrics', 'custom metric: Sweep (its alarm)', sweepMetrics, 'metrics', P.CW_PER_CUSTOM_METRIC_MONTH, 'deployment'));
  }
  if (locations > 0) {
    lines.push(
      fixed('CloudWatch alarms', 'evaluator alarms (errors, iterator age, dead letters)', DEPLOYED.evaluatorAlarms, 'alarms', P.CW_PER_STANDARD_ALARM_MONTH, 'deployment'),
      fixed('CloudWatch alarms', 'sweep-not-running alarm', DEPLOYED.sweepAlarms, 'alarms', P.CW_PER_STANDARD_ALARM_MONTH, 'deployment'),
      fixed('CloudWatch alarms', 'delivery alarms (notifier dead letters, oldest delivery waiting)', DEPLOYED.notifierAlarms, 'alarms', P.CW_PER_STANDARD_ALARM_MONTH, 'deployment'),
      // The notifier's event source mapping polls its FIFO queue all month, deliveries or not (the same
      // 5 pollers at 20 s as the round queues' mappings, sqsPollsPerMinute).
      fixed('SQS', 'delivery queue (FIFO): event source polling', a.sqsPollsPerMinute * P.HOURS_PER_MONTH * 60, 'requests', P.SQS_FIFO_PER_REQUEST, 'deployment'),
      // cdk/constructs/dashboard.ts pages the checks over as many dashboards as CloudWatch's limits need.
      fixed('CloudWatch dashboards', 'home dashboards (500 widgets each)', dashboardCount(checks), 'dashboard', P.CW_PER_DASHBOARD_MONTH, 'deployment'),
      fixed('KMS', 'keys of the alert and ops topics', DEPLOYED.homeKmsKeys, 'keys', P.KMS_PER_KEY_MONTH, 'deployment'),
    );
  }

  // What each location costs by being there, from the same usage: requests, billed time apart from
  // probing, heartbeats, memory reads, the sweep's reads of its heartbeats, and its invocation log lines.
  const logUsdPerByte = (P.LOGS_PER_GB_INGESTED + logStoredFactor * P.LOGS_PER_GB_MONTH_STORED) / GIB;
  const perLocation: LocationCost[] = located.map((l) => {
    const scheduled = l.functions * INVOCATIONS_PER_FUNCTION;
    const invocations = scheduled * l.invocationsPerMinute;
    const waitUsd = scheduled * gbSeconds(l.waitMs, l.memoryMb) * perGbSecond;
    const usd = invocations * P.LAMBDA_PER_REQUEST + invocations * gbSeconds(a.probeOverheadMs, l.memoryMb) * perGbSecond + waitUsd + l.sqsRequests * P.SQS_PER_REQUEST
      + l.heartbeatWru * P.DDB_PER_WRU + l.memoryRru * P.DDB_PER_RRU + sweep.invocations * l.heartbeatItems * EVENTUAL_RRU * P.DDB_PER_RRU
      + invocations * invocationLogBytes * logUsdPerByte + (l.agent ? agentUsd(l.agent, sweep.invocations) : 0);
    return {
      location: l.location, functions: l.functions, ...(l.agentInstances !== undefined && { agentInstances: l.agentInstances }),
      invocationsPerMinute: l.invocationsPerMinute, waitMs: l.waitMs, billedMs: l.billedMs, waitUsd, usd,
    };
  });
  const agents: AgentCost[] = agentLocated.map((l) => ({ location: l.location, ...l.agent, usd: agentUsd(l.agent, sweep.invocations) }));
  const perOutage: OutageCost = {
    rechecksPerLocation: checks.length > 0 ? shapes.reduce((s, x) => s + x.rechecks, 0) / checks.length : 0,
    confirmations: checks.length > 0 ? shapes.reduce((s, x) => s + x.confirmations, 0) / checks.length : 0,
    usd: checks.length > 0 ? (outageUsd(oneOutage, perGbSecond, logUsdPerByte) + a.writesPerIncident * P.DDB_PER_WRU + 2 * P.SNS_PER_PUBLISH) / checks.length : 0,
  };
  return { ...totals(lines, u, { checks, locations, a, phaseMetrics, perLocation, agents, perOutage, sweep, memories }), slo: slo.map((x) => ({ ...x, usd: sloUsd(x) })) };
}

/**
 * The deployed status page's (deployment.statusPage) lines: its render reads and S3 PUTs, upper
 * bounds (./status-page.ts). CloudFront's viewer traffic depends on readers and sits in its free tier
 * for a status page, so the footnote, not a line, carries it.
 */
function statusPageLines(page: StatusPageUsage | undefined): CostLine[] {
  if (!page) return [];
  return [
    // Whatever the interval: the renders are on the sweep's clock, not the checks'.
    fixed('DynamoDB', 'status page render reads (hour rollups, at most one render per 5 min)', page.readRru, 'RRU', P.DDB_PER_RRU, 'deployment'),
    fixed('S3', 'status page PUTs (index.html, only when it changed)', page.renders, 'requests', S3_PER_PUT, 'deployment'),
  ];
}

/** The SLO accounting's lines (formulas in ./slo-usage.ts); the burn line only when some check has an `slo`. */
function sloLines(each: readonly SloCheckUsage[]): CostLine[] {
  if (each.length === 0) return [];
  const sum = (f: (x: SloCheckUsage) => number) => each.reduce((s, x) => s + f(x), 0);
  const burning = each.filter((x) => x.burnRru > 0).length;
  return [
    line('DynamoDB', 'SLO rollup writes (one UpdateItem per check-minute)', sum((x) => x.rollupWru), 'WRU', P.DDB_PER_WRU),
    line('DynamoDB', 'SLO sample reads (one Query of each check-minute\'s results)', sum((x) => x.sampleRru), 'RRU', P.DDB_PER_RRU),
    ...(burning > 0 ? [line('DynamoDB', `SLO burn-rate reads (${burning} check(s) with an slo, longest window every 5 min)`, sum((x) => x.burnRru), 'RRU', P.DDB_PER_RRU)] : []),
    line('DynamoDB', 'SLO rollup storage and its point-in-time recovery (400-day TTL, once full)', sum((x) => x.storedBytes) / GIB, 'GB-month', P.DDB_STORAGE_PER_GB_MONTH + P.DDB_PITR_PER_GB_MONTH),
  ];
}

/** One agent location's own requests a month: its instances' beats, beat reads, inbox polls and DEFINITIONS reads, and the sweep's Query of its beats. */
function agentUsd(x: AgentUsage, sweeps: number): number {
  return x.beatWru * P.DDB_PER_WRU + (x.beatReadRru + x.inboxPollRru + x.definitionsRru + sweeps * x.sweepQueryRru) * P.DDB_PER_RRU;
}

/** The agent locations' own lines (none without agent locations): every instance's requests, and the sweep's Query of each location's beats. */
function agentLines(each: readonly AgentUsage[], sum: (f: (x: AgentUsage) => number) => number, u: Usage, sweeps: number, a: CostAssumptions): CostLine[] {
  if (each.length === 0) return [];
  const instances = sum((x) => x.instances);
  const defBytes = each.map((x) => x.definitionsItemBytes);
  const defs = Math.min(...defBytes) === Math.max(...defBytes) ? `${defBytes[0]} B` : `${Math.min(...defBytes)}–${Math.max(...defBytes)} B`;
  const s = (ms: number) => `${ms / 1000} s`;
  return [
    line('DynamoDB', `agent beat writes (${instances} instance(s), each every ${s(a.agentBeatMs)})`, sum((x) => x.beatWru), 'WRU', P.DDB_PER_WRU),
    line('DynamoDB', `agent beat reads (each instance Queries its location's beats every ${s(a.agentBeatMs)}, consistent)`, sum((x) => x.beatReadRru), 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', `agent inbox polls (each instance, a consistent Query every ${s(a.agentInboxPollMs)})`, sum((x) => x.inboxPollRru), 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', `agent DEFINITIONS reads (each instance every minute, ${defs} item)`, sum((x) => x.definitionsRru), 'RRU', P.DDB_PER_RRU),
    line('DynamoDB', 'sweep reads of agent beats (one Query per agent location a minute)', sweeps * sum((x) => x.sweepQueryRru), 'RRU', P.DDB_PER_RRU),
    ...(u.agentInboxWru > 0 ? [line('DynamoDB', 'agent inbox: retests on a sibling and confirmations (request, claim, reply)', u.agentInboxWru, 'WRU', P.DDB_PER_WRU)] : []),
    ...(u.agentInboxRru > 0 ? [line('DynamoDB', 'agent inbox: reply polls of retests on a sibling', u.agentInboxRru, 'RRU', P.DDB_PER_RRU)] : []),
  ];
}

/** Sums, splits and per-million figures from the priced lines. */
function totals(lines: CostLine[], u: Usage, x: {
  checks: readonly Check[]; locations: number; a: CostAssumptions; phaseMetrics: boolean; perLocation: LocationCost[]; agents: AgentCost[]; perOutage: OutageCost;
  sweep: CostEstimate['sweep']; memories: number[];
}): Omit<CostEstimate, 'slo'> {
  const totalUsd = lines.reduce((s, l) => s + l.usd, 0);
  const fixedUsd = lines.filter((l) => !l.perRun).reduce((s, l) => s + l.usd, 0);
  const perRunUsd = lines.filter((l) => l.perRun).reduce((s, l) => s + l.usd, 0);
  const perMillion = (usd: number) => (u.runs > 0 ? (usd / u.runs) * 1e6 : 0);
  const units: Record<FixedScope, number> = { 'check × location': u.pairs, location: x.locations, deployment: x.locations > 0 ? 1 : 0 };
  const fixedPer = Object.fromEntries((Object.keys(units) as FixedScope[]).map((scope) => {
    const usd = lines.filter((l) => l.per === scope).reduce((s, l) => s + l.usd, 0);
    return [scope, { units: units[scope], eachUsd: units[scope] > 0 ? usd / units[scope] : 0 }];
  })) as CostEstimate['fixedPer'];
  const fixedAtIntervals = [...u.pairsAt].sort(([p], [q]) => p - q).map(([intervalMs, n]): FixedAtInterval => {
    const runsPerCheckLocation = P.SECONDS_PER_MONTH / (intervalMs / 1000);
    return { intervalMs, checkLocations: n, runsPerCheckLocation, perMillionRunsUsd: (fixedPer['check × location'].eachUsd / runsPerCheckLocation) * 1e6 };
  });
  const syntheticsUsd = u.runs * P.SYNTHETICS_PER_CANARY_RUN;
  const sweepMetrics = lines.filter((l) => l.service === 'CloudWatch metrics' && l.per === 'deployment').reduce((s, l) => s + l.quantity, 0);
  return {
    checks: x.checks.length,
    locations: x.locations,
    checkLocations: u.pairs,
    checkRunsPerMonth: u.runs,
    lines,
    totalUsd,
    perRunUsd,
    fixedUsd,
    fixedPer,
    customMetrics: x.a.includeMetrics ? u.pairMetrics + sweepMetrics : 0,
    perMillionRunsUsd: perMillion(totalUsd),
    perMillionRunsPerRunOnlyUsd: perMillion(perRunUsd),
    fixedAtIntervals,
    phaseMetrics: x.phaseMetrics,
    resultItemBytes: u.runs > 0 ? u.itemBytesWeighted / u.runs : 0,
    // Over the runs that log to CloudWatch: an agent's lines stay on its host.
    emfLineBytes: u.runs > u.agentRuns ? u.resultLogBytes / (u.runs - u.agentRuns) : 0,
    probeMemoryMb: x.memories,
    perLocation: x.perLocation,
    agents: x.agents,
    perOutage: x.perOutage,
    sweep: x.sweep,
    synthetics: { usd: syntheticsUsd, perMillionRunsUsd: perMillion(syntheticsUsd) },
    assumptions: x.a,
    note: P.PRICE_NOTE,
  };
}

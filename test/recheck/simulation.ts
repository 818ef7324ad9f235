/**
 * A simulation of one check probed from three locations, for the recheck and confirmation tests. It
 * runs the real probe cycle (shared/usecases/probe-cycle.ts `runProbeCycle`: staggered schedule,
 * retests, rechecks, the memory, confirmations) and feeds every written result, in write order, to the
 * real evaluator (shared/evaluate `evaluate`). What is simulated:
 *
 * - Time: a virtual clock. Every wait (the cycle's sleep, a probe's duration, the delay of an
 *   EventBridge start or an async Invoke) is a timer on it; the driver jumps to the next timer once
 *   every task is idle. Nothing waits in real time, so hours run in milliseconds.
 * - The target: up or down as a function of virtual time and location. A probe attempt sees the state
 *   at its start and takes ATTEMPT_MS.
 * - EventBridge: each location's cycle is started every minute, `startDelayMs` late, with the
 *   scheduled minute as its time (invocations may overlap at the boundary, as in Lambda).
 * - Confirmation requests: `deps.confirm` of a location starts a confirmation cycle of the other
 *   location INVOKE_MS later, built as the probe handler builds it (its checks filtered to the request,
 *   a per-location `lastRunAt`); a location in `deaf` accepts the request and never runs it.
 * - Continuations: `deps.defer` starts a continuation cycle of the same location when SQS would
 *   deliver it (../../shared/aws/sqs-defer.ts: DelaySeconds one second early, rounded down, plus
 *   SQS_LATENCY_MS for the event source mapping), the request round-tripped through JSON; so every wait
 *   over DEFER_AFTER_MS crosses an invocation, as deployed. `defer: false` waits in-process instead.
 * - The store: an in-memory fake (results, per-location memory, heartbeats). The DynamoDB store's
 *   memory and result writes are covered on DynamoDB Local in test/store and test/probe-handler; here
 *   only the order and timing of writes matter, and a real table would make the runs real-time.
 *
 * The handler itself is not used because its prober stamps results with the real clock; the cycle is
 * everything the handler adds to a probe besides parsing the event and writing log lines.
 */
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { evaluate, policyFor, toResultRecord, type CheckState, type Notification } from '../../shared/evaluate/index.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import type { MemoryEntries } from '../../shared/store/dynamo.ts';
import { runProbeCycle, type CycleStore } from '../../shared/usecases/probe-cycle.ts';
import { delaySeconds } from '../../shared/aws/sqs-defer.ts';
import type { ConfirmRequest, ContinueRequest } from '../../shared/usecases/probe-requests.ts';

export const LOCATIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'] as const;
export const MINUTE = 60_000;
/** One probe attempt on a healthy network. */
export const ATTEMPT_MS = 200;
/** An async Invoke's delivery to the other region's function. */
export const INVOKE_MS = 150;
/** An SQS event source mapping's delivery once a delayed message becomes visible (long polling). */
export const SQS_LATENCY_MS = 300;

/**
 * With one location deaf to confirmations, that location counts only through its own runs: its next
 * scheduled run comes at most (n − 1)/n of an interval after the first probe that saw the change, and
 * its recheck recheckInterval after that run (plus the attempts' and the Invoke's time). So DOWN and
 * RESOLVED come within 40 s + 10 s + 2 s here, instead of 30 s. (DOWN is rarely delayed at all: the
 * location that saw it first and the one that still answers make the quorum of 2.)
 */
export const DEAF_BOUND_MS = (2 / 3) * MINUTE + 10_000 + 2_000;

/**
 * RESOLVED with a deaf location: the evaluator holds a resolution until every live location has
 * reported after the last recovery began (shared/evaluate/event-time.ts), and the deaf location
 * reports only at its scheduled runs, one interval apart (plus up to 3 s of late start). So RESOLVED
 * comes within an interval of the failing locations' recovery, itself within DEAF_BOUND_MS.
 */
export const DEAF_RESOLVED_BOUND_MS = MINUTE + 3_000 + DEAF_BOUND_MS;

/** Up (true) or down at virtual time `t` (ms since the start) as seen from `location`. */
export type Target = (t: number, location: string) => boolean;

export interface SimulationOptions {
  target: Target;
  /** How long to run, from t = 0 (a minute boundary). */
  durationMs: number;
  /** How late each scheduled invocation starts (EventBridge and a cold start). @default () => 1_000 */
  startDelayMs?: (location: string, minute: number) => number;
  /** Locations that accept confirmation requests but never act on them. */
  deaf?: readonly string[];
  /** @default the figures: 60 s, failureThreshold 2, recoveryThreshold 2, quorum 2, recheck 10 s */
  alerting?: Record<string, unknown>;
  interval?: string;
  /** Hand waits over DEFER_AFTER_MS to continuations, as the deployed probe does. @default true */
  defer?: boolean;
}

export interface Attempt { location: string; at: number; up: boolean }
export interface Written { at: number; result: ProbeResult }
export interface Sent { at: number; from: string; to: string; checkIds: string[] }
export interface Paged { writtenAt: number; notification: Notification }

export interface SimulationOutcome {
  check: Check;
  attempts: Attempt[];
  written: Written[];
  sent: Sent[];
  notifications: Paged[];
  /** Continuations queued (0 with `defer: false`). */
  continuations: number;
  /** Requests made by cycles that were themselves confirmations, or their continuations (must stay 0). */
  sentByConfirmCycles: number;
  /** Virtual times of memory reads and writes (UpdateItem calls). */
  memoryReads: number[];
  memoryWrites: number[];
}

/** Epoch of the simulation: t = 0 is this minute boundary. */
export const T0 = Date.parse('2026-11-03T10:00:00.000Z');

class VirtualTime {
  t = T0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fire: () => void }> = [];

  now = () => new Date(this.t);

  at(at: number, fire: () => void): void {
    this.timers.push({ at: Math.max(at, this.t), seq: this.seq++, fire });
  }

  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.at(this.t + Math.max(0, ms), resolve));

  spawn(task: () => Promise<unknown>): void {
    void task();
  }

  /** Fires timers in time order until none is left before `end`; between two, every task settles. */
  async run(end: number): Promise<void> {
    for (;;) {
      // Nothing here uses real timers or I/O, so one macrotask turn drains every continuation.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) return;
      this.timers.shift();
      this.t = next.at;
      next.fire();
    }
  }
}

export function simulationCheck(opts: Pick<SimulationOptions, 'alerting' | 'interval'> = {}): Check {
  return loadConfigObject({
    checks: [{
      id: 'api',
      interval: opts.interval ?? '60s',
      timeout: '5s',
      locations: [...LOCATIONS],
      alerting: { failureThreshold: 2, recoveryThreshold: 2, quorum: 2, recheckInterval: '10s', ...opts.alerting },
      http: { url: 'http://127.0.0.1:1/health' },
    }],
  }).checks[0]!;
}

export async function simulate(opts: SimulationOptions): Promise<SimulationOutcome> {
  const vt = new VirtualTime();
  const check = simulationCheck(opts);
  const policy = policyFor(check);
  const out: SimulationOutcome = { check, attempts: [], written: [], sent: [], notifications: [], continuations: 0, sentByConfirmCycles: 0, memoryReads: [], memoryWrites: [] };
  const memory = new Map<string, MemoryEntries>();
  const lastRunAt = new Map(LOCATIONS.map((l) => [l as string, new Map<string, number>()]));
  let state: CheckState | undefined;

  const store: CycleStore = {
    putResults: async (results) => {
      for (const result of results) out.written.push({ at: vt.t - T0, result });
      const evaluation = evaluate(state, results.map(toResultRecord), policy, vt.t);
      state = evaluation.state;
      for (const n of evaluation.notifications) out.notifications.push({ writtenAt: vt.t - T0, notification: n });
      return { written: results.length, calls: 1 };
    },
    putHeartbeat: async () => {},
    getMemory: async (location) => {
      out.memoryReads.push(vt.t - T0);
      return structuredClone(memory.get(location) ?? {});
    },
    updateMemory: async (location, { set = {}, remove = [] }) => {
      out.memoryWrites.push(vt.t - T0);
      const m = memory.get(location) ?? {};
      Object.assign(m, structuredClone(set));
      for (const id of remove) delete m[id];
      memory.set(location, m);
    },
  };

  const probe = (location: string) => async (c: Check): Promise<ProbeResult> => {
    const at = vt.t;
    const up = opts.target(at - T0, location);
    out.attempts.push({ location, at: at - T0, up });
    await vt.sleep(ATTEMPT_MS);
    return {
      checkId: c.id, kind: c.kind, target: 'http://127.0.0.1:1/health', location, startedAt: new Date(at).toISOString(),
      ok: up, status: up ? 'up' : 'down', phases: { total: ATTEMPT_MS }, assertions: [],
      ...(!up && { failure: { reason: 'connect_refused' as const, message: 'refused' } }),
    };
  };

  const cycle = (location: string, scheduledAt: number, request?: ConfirmRequest, resume?: ContinueRequest) => vt.spawn(async () => {
    const confirm = async (to: string, req: ConfirmRequest) => {
      out.sent.push({ at: vt.t - T0, from: location, to, checkIds: req.checkIds });
      if (request || resume?.confirm) out.sentByConfirmCycles++;
      if (opts.deaf?.includes(to)) return;
      vt.at(vt.t + INVOKE_MS, () => cycle(to, vt.t, req));
    };
    const defer = async (req: ContinueRequest, delayMs: number) => {
      out.continuations++;
      const body = JSON.parse(JSON.stringify(req)) as ContinueRequest;
      vt.at(vt.t + delaySeconds(delayMs) * 1000 + SQS_LATENCY_MS, () => cycle(location, Date.parse(body.scheduledAt), undefined, body));
    };
    await runProbeCycle({
      checks: [check],
      location,
      scheduledAt: new Date(scheduledAt),
      probe: probe(location),
      ...(request && { confirmChecks: [check].filter((c) => request.checkIds.includes(c.id)) }),
      ...(resume && { resume: { runs: resume.runs, confirm: resume.confirm === true } }),
      ...(opts.defer !== false && { defer }),
      lastRunAt: lastRunAt.get(location)!,
      confirm,
      sleep: vt.sleep,
      store,
      signal: new AbortController().signal,
      now: vt.now,
      elapsed: () => vt.t,
    });
  });

  const delay = opts.startDelayMs ?? (() => 1_000);
  for (let minute = 0; minute * MINUTE < opts.durationMs; minute++) {
    for (const location of LOCATIONS) {
      const scheduled = T0 + minute * MINUTE;
      vt.at(scheduled + delay(location, minute), () => cycle(location, scheduled));
    }
  }
  // The last invocations' rechecks may run into the next minute.
  await vt.run(T0 + opts.durationMs + 2 * MINUTE);
  return out;
}

/** A target down everywhere (or at `only`) during [from, to). */
export function outage(from: number, to: number, only?: readonly string[]): Target {
  return (t, location) => !(t >= from && t < to && (!only || only.includes(location)));
}

export const events = (o: SimulationOutcome, event: string) => o.notifications.filter((n) => n.notification.event === event);

/** The first attempt at or after `from` that saw the target as `up` (or down). */
export function firstSeen(o: SimulationOutcome, from: number, up: boolean): Attempt | undefined {
  return o.attempts.find((a) => a.at >= from && a.up === up);
}

/**
 * The bound on confirmations: per sender and receiver, at most one request per direction (two in
 * all) in any window of one interval.
 */
export function maxRequestsPerInterval(o: SimulationOutcome): number {
  let worst = 0;
  for (const s of o.sent) {
    const within = o.sent.filter((x) => x.from === s.from && x.to === s.to && x.at >= s.at && x.at < s.at + o.check.interval);
    worst = Math.max(worst, within.length);
  }
  return worst;
}

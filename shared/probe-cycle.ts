/**
 * One location's minute of probing: plan the rounds (./schedule.ts), run them with an immediate
 * retest of each failure, write the results and a heartbeat. The Lambda probe handler runs one cycle
 * per invocation; the local pipeline runs one per minute.
 *
 * Everything stops when `signal` fires (the Lambda deadline): no new round or retest starts, running
 * probes are cancelled, and what was measured is still written. A probe cut short by the signal is
 * not a measurement of the target, so it is counted as `aborted` and not recorded: recording it as a
 * failure would let our own deadline page someone.
 */
import type { Check } from './config/schema.ts';
import type { ProbeResult } from './probe/types.ts';
import { planMinute } from './schedule.ts';
import type { Store } from './store/dynamo.ts';

export interface ProbeCycleOptions {
  checks: readonly Check[];
  location: string;
  /** When the invocation was scheduled; chooses the minute (and so which checks are due). */
  scheduledAt: Date;
  /** One attempt at one check. It must honour the signal. */
  probe: (check: Check, signal: AbortSignal) => Promise<ProbeResult>;
  /** Waits `ms`, returning early (not throwing) when the signal fires. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  store: Pick<Store, 'putResults' | 'putHeartbeat'>;
  signal: AbortSignal;
  /** Wall clock, for the heartbeat. @default () => new Date() */
  now?: () => Date;
  /** Monotonic milliseconds, for round offsets and the duration. @default performance.now */
  elapsed?: () => number;
  /** Probes in flight at once within a round. @default DEFAULT_CONCURRENCY */
  concurrency?: number;
}

export interface ProbeCycleSummary {
  location: string;
  scheduledAt: string;
  rounds: number;
  /** Check runs planned (a 15 s check counts four times a minute). */
  due: number;
  /** Results written. */
  recorded: number;
  /** Recorded results that were failures after their retests. */
  failed: number;
  /** Recorded results that needed a retest (passed or not). */
  retested: number;
  /** Runs cut short by the signal and not recorded. */
  aborted: number;
  /** Planned runs that never started because the signal had fired. */
  skipped: number;
  stoppedEarly: boolean;
  durationMs: number;
  /** Ids of the checks that failed, for the log line; ids are config, never secrets. */
  failedChecks: string[];
}

export interface ProbeCycleOutcome {
  summary: ProbeCycleSummary;
  results: ProbeResult[];
}

/** Probes in flight at once; cdk/sizing.ts sizes the function's memory and timeout for 64. */
export const DEFAULT_CONCURRENCY = 64;

const isAborted = (r: ProbeResult) => r.failure?.reason === 'aborted';

/**
 * After the signal, a prober gets this long to wind down before the cycle stops waiting for it. Probers
 * honour the signal; this only keeps one that does not from using the time reserved for writing.
 */
export const ABORT_GRACE_MS = 250;

function boundedBySignal(check: Check, probe: ProbeCycleOptions['probe'], signal: AbortSignal): Promise<ProbeResult> {
  const startedAt = new Date().toISOString();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cutOff = new Promise<ProbeResult>((resolve) => {
    onAbort = () => {
      timer = setTimeout(() => resolve({
        checkId: check.id, kind: check.kind, target: '', startedAt, ok: false, status: 'down', phases: { total: 0 }, assertions: [],
        failure: { reason: 'aborted', message: 'the prober did not stop when the invocation was cancelled' },
      }), ABORT_GRACE_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([probe(check, signal), cutOff]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  });
}

/** `check.retries` immediate retests while it keeps failing. The newest completed attempt is recorded. */
async function probeWithRetests(check: Check, probe: ProbeCycleOptions['probe'], signal: AbortSignal): Promise<ProbeResult> {
  let result = await boundedBySignal(check, probe, signal);
  let retries = 0;
  while (!result.ok && !isAborted(result) && retries < check.retries && !signal.aborted) {
    const retest = await boundedBySignal(check, probe, signal);
    // A retest cut short tells nothing; the failure before it is still a real observation.
    if (isAborted(retest)) break;
    result = retest;
    retries++;
  }
  return { ...result, retries };
}

async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/**
 * Runs the cycle. Throws only when the results cannot be written (a StoreError); the heartbeat is then
 * not written either, because a location whose results do not arrive should look silent.
 */
export async function runProbeCycle(opts: ProbeCycleOptions): Promise<ProbeCycleOutcome> {
  const now = opts.now ?? (() => new Date());
  const elapsed = opts.elapsed ?? (() => performance.now());
  const { signal } = opts;
  const start = elapsed();
  const rounds = planMinute(opts.checks, opts.location, opts.scheduledAt);

  const recorded: ProbeResult[] = [];
  let aborted = 0;
  let skipped = 0;
  for (const round of rounds) {
    const wait = start + round.offsetMs - elapsed();
    if (wait > 0 && !signal.aborted) await opts.sleep(wait, signal);
    if (signal.aborted) {
      skipped += round.checks.length;
      continue;
    }
    const results = await pool(round.checks, opts.concurrency ?? DEFAULT_CONCURRENCY, (check) => probeWithRetests(check, opts.probe, signal));
    for (const r of results) {
      if (isAborted(r)) aborted++;
      else recorded.push(r);
    }
  }

  if (recorded.length > 0) await opts.store.putResults(recorded);
  const failed = recorded.filter((r) => !r.ok);
  const durationMs = Math.round(elapsed() - start);
  await opts.store.putHeartbeat(opts.location, { lastSeen: now().toISOString(), checksRun: recorded.length, failures: failed.length, durationMs });

  return {
    results: recorded,
    summary: {
      location: opts.location,
      scheduledAt: opts.scheduledAt.toISOString(),
      rounds: rounds.length,
      due: rounds.reduce((n, r) => n + r.checks.length, 0),
      recorded: recorded.length,
      failed: failed.length,
      retested: recorded.filter((r) => (r.retries ?? 0) > 0).length,
      aborted,
      skipped,
      stoppedEarly: signal.aborted,
      durationMs,
      failedChecks: [...new Set(failed.map((r) => r.checkId ?? '?'))],
    },
  };
}

/** Re-exported for the handler and the local ticker, which wait between rounds with it. */
export { abortableSleep } from './sleep.ts';

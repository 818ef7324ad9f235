/**
 * One location's minute of probing: plan the rounds (./schedule.ts), run them with an immediate
 * retest of each failure (./retest.ts), write the results and a heartbeat. The Lambda probe handler
 * runs one cycle per invocation; the local pipeline runs one per minute.
 *
 * Everything stops when `signal` fires (the Lambda deadline): no new round or retest starts, running
 * probes are cancelled, and what was measured is still written. A probe cut short by the signal is
 * not a measurement of the target, so it is counted as `aborted` and not recorded: recording it as a
 * failure would let our own deadline page someone.
 */
import type { Check } from '../config/schema.ts';
import type { ProbeResult } from '../probe/types.ts';
import { isAborted, probeAllWithRetests, type ProbeAttempt } from './retest.ts';
import { planMinute } from '../schedule.ts';
import type { Store } from '../store/dynamo.ts';

export interface ProbeCycleOptions {
  checks: readonly Check[];
  location: string;
  /** When the invocation was scheduled; chooses the minute (and so which checks are due). */
  scheduledAt: Date;
  /** One attempt at one check. It must honour the signal. Failures are retested (./retest.ts). */
  probe: ProbeAttempt;
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

/** Probes in flight at once; shared/usecases/cost/sizing.ts sizes the function's memory and timeout for 64. */
export const DEFAULT_CONCURRENCY = 64;

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
    const results = await probeAllWithRetests(round.checks, opts.probe, { signal, concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY });
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
export { abortableSleep } from '../sleep.ts';

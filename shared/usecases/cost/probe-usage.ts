/**
 * What one location's probe functions do in an average minute, read from the same plan the probe
 * runs (shared/schedule.ts `planMinute`), so the cost model follows the schedule rather than a copy of
 * it. Pure.
 *
 * Why the plan matters for cost: EventBridge starts every location's function at the top of the
 * minute, and a staggered location's rounds come later (the k-th of n locations of a 60 s check at
 * k × 20 s for n = 3). Lambda bills waiting like work (https://aws.amazon.com/lambda/pricing/), so
 * the probe waits in-process only for a gap up to DEFER_AFTER_MS; a longer one is handed to a
 * continuation through the function's SQS delay queue (../probe-cycle.ts), which arrives a second or
 * two early (../../aws/sqs-defer.ts `delaySeconds`) and waits only that. Each continuation is one
 * more invocation, one SendMessage, and its own per-invocation overhead.
 */
import type { Check } from '../../config/schema.ts';
import { delaySeconds } from '../../aws/sqs-defer.ts';
import { MINUTE_MS, periodMinutes, planMinute } from '../../schedule.ts';
import { DEFER_AFTER_MS } from '../probe-cycle.ts';

/** The minutes averaged over: one full cycle of every interval, up to a day. */
const MAX_MINUTES = 24 * 60;

export interface PlanUsageOptions {
  /** Wall time of one probe. */
  readonly probeMs: number;
  /** Probes in flight at once in one invocation. */
  readonly concurrency: number;
  /**
   * Functions sharing the checks (a private location's instances). Each is assumed to run every
   * round with its share of the probes: an upper bound on its rounds and on how long it lives.
   */
  readonly instances: number;
}

export interface PlanUsage {
  /** Minutes the average is taken over. */
  readonly minutes: number;
  /** Rounds one function runs per invocation (each reads the probe memory once). */
  readonly roundsPerInvocation: number;
  /** Probes of the location per minute (all instances together). */
  readonly probesPerMinute: number;
  /** Continuations per minute of one function (each one more invocation and one SendMessage). */
  readonly continuationsPerMinute: number;
  /** Average in-process wait per minute of one function, over all its invocations: what Lambda bills for waiting. */
  readonly waitMs: number;
  /** Average time of all the minute's rounds' probes (waves × probeMs each). */
  readonly probingMs: number;
}

/** The billed wait for a gap of `gapMs` before a round: all of it, or a continuation's early arrival. */
export function billedWaitMs(gapMs: number): { waitMs: number; continuations: number } {
  if (gapMs <= 0) return { waitMs: 0, continuations: 0 };
  if (gapMs <= DEFER_AFTER_MS) return { waitMs: gapMs, continuations: 0 };
  // The mapping's polling latency only shortens this; it is left out (an upper bound).
  return { waitMs: gapMs - delaySeconds(gapMs) * 1000, continuations: 1 };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function planUsage(checks: readonly Check[], location: string, opts: PlanUsageOptions): PlanUsage {
  const enabled = checks.filter((c) => c.enabled && c.locations.includes(location));
  const minutes = Math.min(MAX_MINUTES, enabled.reduce((m, c) => {
    const p = periodMinutes(c.interval);
    return (m * p) / gcd(m, p);
  }, 1));
  let rounds = 0;
  let probes = 0;
  let wait = 0;
  let probing = 0;
  let continuations = 0;
  for (let m = 0; m < minutes; m++) {
    const plan = planMinute(enabled, location, m * MINUTE_MS);
    rounds += plan.length;
    // The invocation starts at the minute; each round starts at its offset or when the previous ends.
    let t = 0;
    for (const round of plan) {
      probes += round.checks.length;
      const gap = billedWaitMs(round.offsetMs - t);
      wait += gap.waitMs;
      continuations += gap.continuations;
      const roundMs = Math.ceil(round.checks.length / opts.instances / opts.concurrency) * opts.probeMs;
      probing += roundMs;
      t = Math.max(t, round.offsetMs) + roundMs;
    }
  }
  return {
    minutes, roundsPerInvocation: rounds / minutes, probesPerMinute: probes / minutes,
    continuationsPerMinute: continuations / minutes, waitMs: wait / minutes, probingMs: probing / minutes,
  };
}

/** One check's minute, as the sweep (or replay) accounts it. */
import type { CheckState, Observations, PolicyInput, ResultRecord } from '../types.ts';
import { accountedMinute, classifyMinute } from './classify.ts';
import { noSamples, samplesOf } from './samples.ts';
import type { MinuteRecord } from './types.ts';

/**
 * The minute that ended before `now`, classified from the state evaluated at `now`, with the
 * check's samples among `results`. A maintenance minute carries no samples, so every sum built from
 * minutes (rollups, the latency SLI, percentiles) leaves maintenance out without knowing about it.
 */
export function accountMinute(
  evaluated: CheckState | undefined, policy: PolicyInput, now: number, results: readonly ResultRecord[], observations: Observations = {},
): MinuteRecord {
  const start = accountedMinute(now);
  const verdict = classifyMinute(evaluated, policy, now, observations);
  // As in evaluate: results of other checks, or of locations the check no longer runs in, are not its.
  const own = results.filter((r) => r.checkId === policy.checkId && policy.locations.includes(r.location));
  const samples = verdict.class === 'maintenance' ? noSamples() : samplesOf(own, start, policy.slo);
  return { start, class: verdict.class, failing: verdict.failing, ...samples };
}

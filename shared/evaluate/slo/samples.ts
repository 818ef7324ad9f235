/**
 * A minute's samples: the check's scheduled results in it. A run's retests are inside its one result;
 * rechecks and confirmations (`trigger`) are extra looks at an outage already being counted, so counting
 * them would weigh a failure by how hard Vantage looked at it.
 */
import type { Slo } from '../../config/slo.ts';
import type { ResultRecord } from '../types.ts';
import { LATENCY_BUCKETS_MS, MINUTE_MS, type MinuteRecord } from './types.ts';

export type MinuteSamples = Pick<MinuteRecord, 'samples' | 'ok' | 'fast' | 'buckets' | 'latencySumMs'>;

/** The histogram slot of a latency: the first bucket whose upper bound is at or above it, or the last slot. */
export function bucketOf(latencyMs: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

export function noSamples(): MinuteSamples {
  return { samples: 0, ok: 0, fast: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), latencySumMs: 0 };
}

/** Passing at or under the threshold; without one, passing. A result without a latency cannot show it was fast. */
function isFast(r: ResultRecord, thresholdMs: number | undefined): boolean {
  return r.ok && (thresholdMs === undefined || (r.latencyMs !== undefined && r.latencyMs <= thresholdMs));
}

/** Results with ts in `[minuteStart, minuteStart + 60 s)` and no trigger; the caller picks the check's. */
export function samplesOf(results: readonly ResultRecord[], minuteStart: number, slo?: Slo): MinuteSamples {
  const out = noSamples();
  for (const r of results) {
    if (r.ts < minuteStart || r.ts >= minuteStart + MINUTE_MS || r.trigger !== undefined) continue;
    out.samples += 1;
    if (r.ok) out.ok += 1;
    if (isFast(r, slo?.latencyThresholdMs)) out.fast += 1;
    if (typeof r.latencyMs === 'number' && Number.isFinite(r.latencyMs)) {
      out.buckets[bucketOf(r.latencyMs)]! += 1;
      out.latencySumMs += r.latencyMs;
    }
  }
  return out;
}

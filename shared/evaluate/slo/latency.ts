/** Percentiles from the rollups' histogram (LATENCY_BUCKETS_MS). */
import { LATENCY_BUCKETS_MS } from './types.ts';

/**
 * The q-quantile (0..1) as Prometheus's histogram_quantile estimates it
 * (https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile): the bucket
 * holding rank q × count, interpolated linearly inside it, the first bucket starting at 0; in the
 * slot above the last bound, that bound. Within one bucket's width of the exact value. Undefined
 * without samples, or for q outside 0..1.
 */
export function latencyQuantile(buckets: readonly number[], q: number): number | undefined {
  if (!(q >= 0 && q <= 1)) return undefined;
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.length; i += 1) {
    const count = buckets[i] ?? 0;
    if (count > 0 && below + count >= rank) {
      if (i >= LATENCY_BUCKETS_MS.length) return LATENCY_BUCKETS_MS.at(-1);
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      const upper = LATENCY_BUCKETS_MS[i]!;
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return LATENCY_BUCKETS_MS.at(-1);
}

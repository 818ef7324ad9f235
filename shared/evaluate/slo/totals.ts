/**
 * Sums over a range, from hour rollups: whole hours by their sums, the hours at the edges by their
 * minute codes. A range is read in whole minutes (from and to rounded down to the minute), so
 * `[a, b)` and `[b, c)` add up to `[a, c)` and every minute is in exactly one of them.
 */
import { countsDowntime, zeroBuckets, zeroSeconds } from './rollup.ts';
import { HOUR_MS, MINUTE_MS, type HourRollup, type MinuteCode, type Totals } from './types.ts';

const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
const SECONDS = MINUTE_MS / 1000;

function addDown(into: Record<string, number>, location: string, seconds: number): void {
  into[location] = (Object.hasOwn(into, location) ? into[location]! : 0) + seconds;
}

function addWhole(t: Totals, h: HourRollup): void {
  for (const c of Object.keys(t.seconds) as Array<keyof Totals['seconds']>) t.seconds[c] += h.seconds[c] ?? 0;
  t.samples += h.samples;
  t.ok += h.ok;
  t.fast += h.fast;
  t.buckets = t.buckets.map((n, i) => n + (h.buckets[i] ?? 0));
  for (const [location, seconds] of Object.entries(h.locationDown)) addDown(t.locationDown, location, seconds);
}

function addCode(t: Totals, code: MinuteCode): void {
  t.seconds[code.class] += SECONDS;
  t.samples += code.samples;
  t.ok += code.ok;
  t.fast += code.fast;
  if (countsDowntime(code.class)) for (const l of code.failing) addDown(t.locationDown, l, SECONDS);
}

/**
 * `hours` are one check's, in any order; an hour given twice counts once. Edge hours add no latency
 * buckets (minute codes have none), so percentiles are of the whole hours in the range.
 * `seconds.nodata` is the range less every minute accounted otherwise: a minute nobody accounted
 * (no sweep, the check absent or disabled) is no data, as an explicit one is.
 */
export function totalsOver(hours: readonly HourRollup[], from: number, to: number): Totals {
  const start = floorMinute(from);
  const end = Math.max(start, floorMinute(to));
  const t: Totals = { from: start, to: end, seconds: zeroSeconds(), samples: 0, ok: 0, fast: 0, buckets: zeroBuckets(), locationDown: {} };
  const seen = new Set<number>();
  for (const h of hours) {
    if (seen.has(h.hour) || h.hour + HOUR_MS <= start || h.hour >= end) continue;
    seen.add(h.hour);
    if (h.hour >= start && h.hour + HOUR_MS <= end) {
      addWhole(t, h);
      continue;
    }
    for (const [index, code] of Object.entries(h.minutes)) {
      const at = h.hour + Number(index) * MINUTE_MS;
      if (at >= start && at < end) addCode(t, code);
    }
  }
  const { up, down, partial, maintenance } = t.seconds;
  t.seconds.nodata = (end - start) / 1000 - (up + down + partial + maintenance);
  return t;
}

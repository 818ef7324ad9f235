/**
 * Keeps a check's settled hour rollups between renders, so a render reads only the last few hours
 * from the table instead of all 2,160 of the page's 90 days. Without it, one render costs about 190
 * RRU per check (a Query of about 1.5 MB), and at 12 renders an hour that is about $0.20 per check a
 * month, eight times the check's rollup writes (../cost/status-page.ts).
 *
 * An hour is settled once nothing writes it any more: the sweep accounts the minute that just ended,
 * so an hour's last minute is written within a minute or two of its end (../slo/). SETTLED_AFTER_MS
 * leaves room for a late or retried sweep.
 *
 * Settled hours are kept without their minute codes, which only the edges of a range need
 * (totalsOver reads whole hours by their sums, shared/evaluate/slo/), and a settled hour is whole
 * inside its UTC day: about half a kilobyte each, 1 MB per check for the 90 days.
 */
import { HOUR_MS, MINUTE_MS, type HourRollup } from '../../evaluate/slo/index.ts';
import type { RollupStore } from '../../store/rollups.ts';

/** After its end, an hour is no longer written. */
export const SETTLED_AFTER_MS = 15 * MINUTE_MS;

type HourReader = Pick<RollupStore, 'hours'>;

/** Invariant: `hours` holds every stored hour overlapping [start, end), oldest first, end hour-aligned, none written after `end + SETTLED_AFTER_MS`. */
interface Settled { start: number; end: number; hours: HourRollup[] }

const withoutMinutes = (h: HourRollup): HourRollup => ({ ...h, minutes: {} });

/** `rollups.hours`, reading from the table only what may still change since the last call for that check. */
export function cacheSettledHours(rollups: HourReader): HourReader {
  const settled = new Map<string, Settled>();
  return {
    async hours(checkId, from, to) {
      const known = settled.get(checkId);
      const base: Settled = known && known.start <= from && known.end <= to ? known : { start: from, end: from, hours: [] };
      const fresh = await rollups.hours(checkId, base.end, to);
      const kept = base.hours.filter((h) => h.hour + HOUR_MS > from);
      const end = Math.max(base.end, Math.floor((to - SETTLED_AFTER_MS) / HOUR_MS) * HOUR_MS);
      settled.set(checkId, { start: from, end, hours: [...kept, ...fresh.filter((h) => h.hour + HOUR_MS <= end).map(withoutMinutes)] });
      return [...kept, ...fresh];
    },
  };
}

/**
 * Hour rollups kept in memory, for what accounts from results without a table: replay, `vantage
 * report --results`, the status page in tests. The same addMinute as the store's item, so the figures agree.
 */
import { addMinute, emptyHour, hourOf } from './rollup.ts';
import { HOUR_MS, type HourRollup, type MinuteRecord } from './types.ts';

export class RollupBook {
  readonly #byCheck = new Map<string, Map<number, HourRollup>>();

  /** False when the minute was already accounted (it is then left as first accounted). */
  add(checkId: string, minute: MinuteRecord): boolean {
    const hours = this.#byCheck.get(checkId) ?? new Map<number, HourRollup>();
    this.#byCheck.set(checkId, hours);
    const hour = hourOf(minute.start);
    const before = hours.get(hour) ?? emptyHour(checkId, hour);
    const after = addMinute(before, minute);
    hours.set(hour, after);
    return after !== before;
  }

  /** Every hour of the check overlapping `[from, to)`, oldest first. */
  hours(checkId: string, from: number, to: number): HourRollup[] {
    const hours = [...(this.#byCheck.get(checkId)?.values() ?? [])];
    return hours.filter((h) => h.hour < to && h.hour + HOUR_MS > from).sort((a, b) => a.hour - b.hour);
  }

  /** The checks with any accounted minute, sorted. */
  checks(): string[] {
    return [...this.#byCheck.keys()].sort();
  }
}

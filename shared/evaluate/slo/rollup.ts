/** Minutes into hours: the rollup a 30-day SLI is read from in 720 items instead of 43 200 results. */
import { VantageError } from '../../errors.ts';
import { HOUR_MS, LATENCY_BUCKETS_MS, MINUTE_CLASSES, MINUTE_MS, type HourRollup, type MinuteClass, type MinuteCode, type MinuteRecord } from './types.ts';

/** A minute that is not on a minute boundary, or not inside the hour it is added to: a caller's bug. */
export class SloMinuteError extends VantageError {
  constructor(message: string) {
    super('SLO_MINUTE_INVALID', message);
  }
}

export const zeroSeconds = (): Record<MinuteClass, number> => Object.fromEntries(MINUTE_CLASSES.map((c) => [c, 0])) as Record<MinuteClass, number>;
export const zeroBuckets = (): number[] => new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);

/** Only a minute that was up, down or partial says a location was down; maintenance and no data say nothing. */
export const countsDowntime = (c: MinuteClass) => c === 'down' || c === 'partial';

export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

export function emptyHour(checkId: string, hour: number): HourRollup {
  return { checkId, hour, seconds: zeroSeconds(), samples: 0, ok: 0, fast: 0, buckets: zeroBuckets(), latencySumMs: 0, locationDown: {}, minutes: {} };
}

export function minuteCode(m: MinuteRecord): MinuteCode {
  return { class: m.class, samples: m.samples, ok: m.ok, fast: m.fast, failing: [...m.failing] };
}

/** Minute of the hour (0..59) of `minute`, or a SloMinuteError. */
export function minuteIndex(hour: HourRollup, minute: MinuteRecord): number {
  const index = (minute.start - hour.hour) / MINUTE_MS;
  if (!Number.isInteger(index) || index < 0 || index >= HOUR_MS / MINUTE_MS) {
    throw new SloMinuteError(`minute ${new Date(minute.start).toISOString()} is not a minute of the hour ${new Date(hour.hour).toISOString()}`);
  }
  return index;
}

/**
 * Pure. A minute already in the hour gives back the same object: a retried sweep adds nothing, and
 * the first account of a minute stands (as the store's attribute_not_exists condition keeps it).
 */
export function addMinute(hour: HourRollup, minute: MinuteRecord): HourRollup {
  const index = minuteIndex(hour, minute);
  if (Object.hasOwn(hour.minutes, index)) return hour;
  const locationDown = { ...hour.locationDown };
  if (countsDowntime(minute.class)) {
    for (const l of minute.failing) locationDown[l] = (Object.hasOwn(locationDown, l) ? locationDown[l]! : 0) + MINUTE_MS / 1000;
  }
  return {
    ...hour,
    seconds: { ...hour.seconds, [minute.class]: hour.seconds[minute.class] + MINUTE_MS / 1000 },
    samples: hour.samples + minute.samples,
    ok: hour.ok + minute.ok,
    fast: hour.fast + minute.fast,
    buckets: hour.buckets.map((n, i) => n + (minute.buckets[i] ?? 0)),
    latencySumMs: hour.latencySumMs + minute.latencySumMs,
    locationDown,
    minutes: { ...hour.minutes, [index]: minuteCode(minute) },
  };
}

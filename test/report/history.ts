/**
 * A known two-day history, built by hand (not through the core's addMinute, so the report is checked
 * against figures worked out here, not against the code under test):
 *
 *   range [2026-11-01T00:00Z, 2026-11-03T00:00Z) = 2 days = 172 800 s, three locations eu, us, ap
 *   - DOWN 43 min, 10:40–11:23 on Nov 1, across the 11:00 hour boundary (20 min in hour 10, 23 in
 *     hour 11): eu and us failing all along, ap from 10:45 to 11:05 (20 min)             →  2 580 s down
 *   - maintenance 14:00–14:30 on Nov 1 (ap failing inside it: maintenance is nobody's downtime)
 *                                                                                         →  1 800 s
 *   - no data 03:00–05:00 on Nov 2: hour 03 has no item at all (nobody accounted it), hour 04
 *     has every minute accounted as nodata                                                  →  7 200 s
 *   - PARTIAL 08:00–08:15 on Nov 2, ap failing                                              →    900 s
 *   - up: the rest, 172 800 − 2 580 − 1 800 − 7 200 − 900                                  → 160 320 s
 *   - 3 samples (one per location) in every accounted minute but the nodata and maintenance ones
 *     (a maintenance minute carries none), all 80 ms: (2 880 − 120 − 30) minutes × 3       →  8 190 samples
 *   - downtime by location: eu 2 580, us 2 580, ap 1 200 (the outage) + 900 (the partial) = 2 100
 */
import { HOUR_MS, LATENCY_BUCKETS_MS, MINUTE_MS, type HourRollup, type MinuteClass, type MinuteCode } from '../../shared/evaluate/slo/types.ts';
import type { StoredIncident } from '../../shared/store/items.ts';

export const FROM = Date.UTC(2026, 10, 1);
export const TO = Date.UTC(2026, 10, 3);
export const LOCATIONS = ['eu', 'us', 'ap'];
const at = (day: number, h: number, m: number) => Date.UTC(2026, 10, day, h, m);

/** What the history says minute `t` was. */
export function minuteAt(t: number): { class: MinuteClass; failing: string[] } | undefined {
  if (t >= at(2, 3, 0) && t < at(2, 4, 0)) return undefined; // never accounted
  if (t >= at(2, 4, 0) && t < at(2, 5, 0)) return { class: 'nodata', failing: [] };
  if (t >= at(1, 10, 40) && t < at(1, 11, 23)) {
    return { class: 'down', failing: t >= at(1, 10, 45) && t < at(1, 11, 5) ? ['ap', 'eu', 'us'] : ['eu', 'us'] };
  }
  if (t >= at(1, 14, 0) && t < at(1, 14, 30)) return { class: 'maintenance', failing: [] };
  if (t >= at(2, 8, 0) && t < at(2, 8, 15)) return { class: 'partial', failing: ['ap'] };
  return { class: 'up', failing: [] };
}

/** Bucket of 80 ms: (50, 100]. */
const BUCKET_80 = LATENCY_BUCKETS_MS.findIndex((b) => b >= 80);

/** One hour's rollup, summed here from minuteAt; undefined for an hour nobody accounted. */
export function hourRollup(checkId: string, hour: number): HourRollup | undefined {
  const h: HourRollup = {
    checkId, hour, seconds: { up: 0, down: 0, partial: 0, maintenance: 0, nodata: 0 }, samples: 0, ok: 0, fast: 0,
    buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), latencySumMs: 0, locationDown: {}, minutes: {},
  };
  let accounted = 0;
  for (let m = 0; m < 60; m++) {
    const minute = minuteAt(hour + m * MINUTE_MS);
    if (!minute) continue;
    accounted++;
    const samples = minute.class === 'nodata' || minute.class === 'maintenance' ? 0 : LOCATIONS.length;
    const ok = samples === 0 ? 0 : samples - minute.failing.length;
    const code: MinuteCode = { class: minute.class, samples, ok, fast: ok, failing: minute.failing };
    h.minutes[m] = code;
    h.seconds[minute.class] += 60;
    h.samples += samples;
    h.ok += ok;
    h.fast += ok;
    h.buckets[BUCKET_80]! += samples;
    h.latencySumMs += 80 * samples;
    if (minute.class !== 'maintenance') for (const l of minute.failing) h.locationDown[l] = (h.locationDown[l] ?? 0) + 60;
  }
  return accounted > 0 ? h : undefined;
}

export function historyHours(checkId: string, from = FROM, to = TO): HourRollup[] {
  const hours: HourRollup[] = [];
  for (let hour = Math.floor(from / HOUR_MS) * HOUR_MS; hour < to; hour += HOUR_MS) {
    const h = hourRollup(checkId, hour);
    if (h) hours.push(h);
  }
  return hours;
}

export function historyIncidents(checkId: string): StoredIncident[] {
  return [
    // Before the range: never reported.
    { checkId, incidentId: `${checkId}:2026-10-30T09:00:00.000Z`, startedAt: '2026-10-30T09:00:00.000Z', endedAt: '2026-10-30T09:10:00.000Z', locations: ['eu', 'us'], firstReason: 'dns' },
    { checkId, incidentId: `${checkId}:2026-11-01T10:40:00.000Z`, startedAt: '2026-11-01T10:40:00.000Z', endedAt: '2026-11-01T11:23:00.000Z', locations: ['eu', 'us', 'ap'], firstReason: 'connect_timeout', firstMessage: 'no answer in 5s' },
  ];
}

/**
 * Which checks run in a given minute at a given location. EventBridge invokes each location's probe
 * function once a minute, so a minute is the unit of scheduling:
 *
 * - An interval of 60 s or more runs in one minute out of every `interval / 60 s` (rounded to whole
 *   minutes, at least 1). Which one is chosen by a stable hash of the check id, so a fleet of 5-minute
 *   checks spreads over the five minutes instead of all firing at :00, and a given check always runs
 *   in the same minute of its cycle (its results stay evenly spaced across deploys and cold starts).
 * - An interval under 60 s runs as rounds inside the invocation, at offsets 0, interval, 2 × interval,
 *   … below 60 s (15 s: 0, 15, 30, 45 s; 30 s: 0, 30 s). The grid restarts every minute, so an
 *   interval that does not divide 60 s (25 s: 0, 25, 50) has one shorter gap per minute.
 *
 *
 * Locations are staggered: location k (its index in `check.locations`) of n probes at phase
 * k × cycle / n within the check's cycle (whole ms; the cycle is the interval, or for 60 s and more the
 * whole minutes it is rounded to). Three locations at 60 s probe at :00, :20 and :40, so some location
 * sees an outage within 20 s instead of up to a minute. A phase of a minute or more moves the location
 * into a later minute of the cycle (5 minutes, 3 locations: minute 0 at 0 s, minute 1 at 40 s, minute 3
 * at 20 s, 100 s apart); under a minute, the location's grid inside each minute is shifted by its phase.
 * The phase depends only on the check, so the spread is the same every minute.
 *
 * Pure functions: the minute is passed in, never read from a clock.
 */

export const MINUTE_MS = 60_000;

/** What scheduling needs from a check (a `Check` has all of it). */
export interface Schedulable {
  id: string;
  /** Milliseconds. */
  interval: number;
  locations: readonly string[];
  enabled?: boolean;
}

export interface Round<C extends Schedulable> {
  /** Milliseconds after the start of the minute. */
  offsetMs: number;
  checks: C[];
}

/** 32-bit FNV-1a over the UTF-8 bytes: stable across processes and Node versions, unlike anything seeded. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** How many minutes one cycle of a ≥ 60 s interval spans: 300 s → 5, 90 s → 2. */
export function periodMinutes(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / MINUTE_MS));
}

/** Minutes since the epoch; the scheduling clock. */
export function minuteIndex(at: Date | number): number {
  return Math.floor((typeof at === 'number' ? at : at.getTime()) / MINUTE_MS);
}

/** Whether a check with an interval of 60 s or more is due in this minute. */
export function isDueInMinute(check: Pick<Schedulable, 'id' | 'interval'>, minute: number): boolean {
  const period = periodMinutes(check.interval);
  return ((minute % period) + period) % period === stableHash(check.id) % period;
}

/** Offsets inside a minute for a sub-minute interval: 15 s → [0, 15 000, 30 000, 45 000]; with a phase, each later by it. */
export function subMinuteOffsets(intervalMs: number, phaseMs = 0): number[] {
  const offsets: number[] = [];
  for (let at = phaseMs % intervalMs; at < MINUTE_MS; at += intervalMs) offsets.push(at);
  return offsets;
}

/** What repeats: the interval under a minute, else the whole minutes it runs every. */
export function cycleMs(intervalMs: number): number {
  return intervalMs < MINUTE_MS ? intervalMs : periodMinutes(intervalMs) * MINUTE_MS;
}

/** Where in its cycle `location` probes the check (ms): k × cycle / n for the k-th of n locations; 0 for a location it does not have. */
export function phaseMs(check: Pick<Schedulable, 'interval' | 'locations'>, location: string): number {
  const k = check.locations.indexOf(location);
  if (k <= 0) return 0;
  return Math.floor((k * cycleMs(check.interval)) / check.locations.length);
}

/** The offsets in minute `minute` at which `location` probes the check (none when it is not due then). */
export function offsetsInMinute(check: Schedulable, location: string, minute: number): number[] {
  const phase = phaseMs(check, location);
  if (check.interval < MINUTE_MS) return subMinuteOffsets(check.interval, phase);
  return isDueInMinute(check, minute - Math.floor(phase / MINUTE_MS)) ? [phase % MINUTE_MS] : [];
}

/**
 * The first time (epoch ms) at or after `after` when `location` is scheduled to probe the check; the
 * probe cycle uses it to let a scheduled run replace a recheck that would come later.
 */
export function nextScheduledAt(check: Schedulable, location: string, after: number): number {
  const first = minuteIndex(after);
  // One whole cycle plus the minute `after` falls in always holds a run.
  for (let minute = first; minute <= first + periodMinutes(check.interval) + 1; minute++) {
    for (const offset of offsetsInMinute(check, location, minute)) {
      const at = minute * MINUTE_MS + offset;
      if (at >= after) return at;
    }
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * The rounds to run in the minute containing `at`, for `location`: ordered by offset, each with the
 * checks due then, in config order. A minute with nothing due gives no rounds.
 */
export function planMinute<C extends Schedulable>(checks: readonly C[], location: string, at: Date | number): Round<C>[] {
  const minute = minuteIndex(at);
  const byOffset = new Map<number, C[]>();
  const add = (offsetMs: number, check: C) => {
    const list = byOffset.get(offsetMs);
    if (list) list.push(check);
    else byOffset.set(offsetMs, [check]);
  };
  for (const check of checks) {
    if (check.enabled === false || !check.locations.includes(location)) continue;
    for (const offset of offsetsInMinute(check, location, minute)) add(offset, check);
  }
  return [...byOffset.entries()].sort(([a], [b]) => a - b).map(([offsetMs, due]) => ({ offsetMs, checks: due }));
}

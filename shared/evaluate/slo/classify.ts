/**
 * What one minute of a check was, from its state as the sweep evaluated it. The order is the
 * accounting's (README "SLOs"): a mute first, since planned or acknowledged downtime is nobody's
 * budget; then no evidence, since a check nobody can see is neither up nor down; then the overall state.
 */
import { entryOf } from '../location.ts';
import { isStale, overallOf } from '../tick.ts';
import type { CheckState, Observations, Overall, PolicyInput } from '../types.ts';
import { MINUTE_MS, type MinuteClass } from './types.ts';

const CLASS_OF: Record<Overall, MinuteClass> = { UP: 'up', DEGRADED: 'up', PARTIAL: 'partial', DOWN: 'down' };

export interface MinuteVerdict {
  class: MinuteClass;
  /** Locations failing in the evaluated state, sorted; [] for maintenance and nodata. */
  failing: string[];
}

/** The minute the sweep at `now` accounts: the one that ended last, `[start, start + 60 s)`. */
export function accountedMinute(now: number): number {
  return Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
}

/**
 * `evaluated` is the state `evaluate(state, [], policy, now, observations)` returned. The overall
 * state is read from its locations (overallOf), not from `overall`: while a resolution is held for a
 * lagging location (./event-time.ts) `overall` keeps the last non-UP value to order the
 * notifications, but every location is up by what is known, and so is the minute.
 */
export function classifyMinute(evaluated: CheckState | undefined, policy: PolicyInput, now: number, observations: Observations = {}): MinuteVerdict {
  if (evaluated?.mute) return { class: 'maintenance', failing: [] };
  if (!evaluated || policy.locations.every((l) => isStale(evaluated, l, policy, now, observations.lastSeen))) return { class: 'nodata', failing: [] };
  const failing = policy.locations.filter((l) => entryOf(evaluated.locations, l)?.failing === true).sort();
  return { class: CLASS_OF[overallOf(evaluated, policy)], failing };
}

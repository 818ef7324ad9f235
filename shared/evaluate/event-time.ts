/**
 * Late results, exactly once. One location's results may reach the evaluator up to an interval
 * behind the others' (a slow stream shard, a probe that writes late), so the order the evaluator
 * sees is not the order things happened in. Two rules make the decisions those of the event-time
 * (ts) order anyway, for every outage whose locations' failing spells really overlapped:
 * - A spell that ended during the incident is remembered (Incident.ended), and the quorum is also
 *   counted at each spell's start in event time. So a lagging location whose crossing arrives after
 *   another location has already recovered still makes the DOWN the two spells made in reality.
 * - The incident is not resolved when the check looks UP, but once every live location has reported
 *   at or after the latest recovery began (the hold point). A location that has not may still
 *   deliver a failure from before it, which belongs to this incident, not to a new one.
 */
import { entryOf } from './location.ts';
import type { CheckState, FailingSpell, Incident, PolicyInput } from './types.ts';

interface Span {
  location: string;
  since: number;
  until: number;
}

/** Current spells run until a result ends them: a location is failing until it says otherwise. */
function spans(state: CheckState, policy: PolicyInput): Span[] {
  const out: Span[] = [];
  for (const location of policy.locations) {
    const loc = entryOf(state.locations, location);
    if (loc?.failing) out.push({ location, since: loc.failingSince ?? -Infinity, until: Infinity });
    const ended = state.incident?.ended && entryOf(state.incident.ended, location);
    if (ended) out.push({ location, since: ended.since, until: ended.until });
  }
  return out;
}

/**
 * The most locations failing at one event time, over the current spells and those that ended in the
 * open incident. The maximum of overlapping intervals is reached at one of their starts. In ts order
 * this is the count of failing locations at the newest crossing, so it changes nothing then.
 */
export function eventPeak(state: CheckState, policy: PolicyInput): number {
  const all = spans(state, policy);
  let peak = 0;
  for (const { since: at } of all) {
    const failing = new Set(all.filter((s) => s.since <= at && at < s.until).map((s) => s.location));
    peak = Math.max(peak, failing.size);
  }
  return peak;
}

export function recordEnded(incident: Incident | undefined, location: string, spell: FailingSpell): void {
  if (!incident) return;
  incident.ended = { ...incident.ended, [location]: spell };
}

/** The event time the last recovery began, or undefined when nothing failed in the incident. */
function holdPoint(incident: Incident): number | undefined {
  const ended = Object.values(incident.ended ?? {});
  return ended.length === 0 ? undefined : Math.max(...ended.map((s) => s.recoveringFrom));
}

/** The event time the incident ended: its last recovery result, or `at` when nothing failed. */
export function endOf(incident: Incident, at: number): number {
  const ended = Object.values(incident.ended ?? {});
  return ended.length === 0 ? at : Math.max(...ended.map((s) => s.until));
}

/** Up to which ts a resting location's lastTs may lag in the stored state while this incident is open. */
export function horizonOf(incident: Incident, location: string): number {
  const own = incident.knownAtBy ? entryOf(incident.knownAtBy, location) : undefined;
  return own ?? incident.knownAt ?? -Infinity;
}

/**
 * Whether a check that looks UP may resolve. Every live location must have reported at or after the
 * hold point; a stale one is not waited for (its silence is reported on its own). A resting
 * location's lastTs up to Incident.knownAt may lag in the stored state, so only a newer one counts:
 * a decision must not depend on how lazily the state was written.
 */
export function mayResolve(state: CheckState, incident: Incident, policy: PolicyInput): boolean {
  const from = holdPoint(incident);
  if (from === undefined) return true;
  return policy.locations.every((location) => {
    const loc = entryOf(state.locations, location);
    if (loc?.silentAfter !== undefined) return true;
    return loc !== undefined && loc.lastTs >= from && loc.lastTs > horizonOf(incident, location);
  });
}

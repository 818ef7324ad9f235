/**
 * Whether an evaluation needs writing. Steady state must write nothing (issue 3), so a location's
 * volatile fields (lastTs, lastLatencyMs, lastPhases) are left out of the comparison while it is at
 * rest; see LocationState for why the lag this allows is harmless. The exception: while an incident
 * is open, a resting location's lastTs beyond the incident's knownAt is written, because a held
 * resolution is released on it (./event-time.ts); up to knownAt it stays volatile, since results
 * applied before the incident opened may not have been written, and nothing reads them.
 */
import { horizonOf } from './event-time.ts';
import { isAtRest } from './location.ts';
import type { CheckState, LocationState } from './types.ts';

const VOLATILE_AT_REST = new Set<string>(['lastTs', 'lastLatencyMs', 'lastPhases']);

/** Up to which ts a resting location's lastTs is volatile: always without an incident. */
function horizonIn(s: CheckState, location: string): number {
  return s.incident ? horizonOf(s.incident, location) : Infinity;
}

function definedKeys(o: object, skip?: ReadonlySet<string>): string[] {
  return Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined && !skip?.has(k));
}

/** Structural equality of JSON-like values; an undefined member equals a missing one, and key order does not matter (a store may return keys in any order). */
function same(a: unknown, b: unknown, skip?: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  const ka = definedKeys(a, skip);
  const kb = definedKeys(b, skip);
  return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function sameLocation(a: LocationState | undefined, b: LocationState | undefined, horizon: number): boolean {
  if (!a || !b) return a === b;
  if (!isAtRest(a) || !isAtRest(b)) return same(a, b);
  const significantTs = (ts: number) => (ts > horizon ? ts : undefined);
  return significantTs(a.lastTs) === significantTs(b.lastTs) && same(a, b, VOLATILE_AT_REST);
}

/** Whether two states decide alike: equal except for the volatile fields of resting locations. */
export function sameSignificantState(a: CheckState, b: CheckState): boolean {
  // Either state without an incident: the incidents differ, and that alone is significant.
  const names = new Set([...Object.keys(a.locations), ...Object.keys(b.locations)]);
  for (const name of names) {
    const horizon = Math.max(horizonIn(a, name), horizonIn(b, name));
    if (!sameLocation(a.locations[name], b.locations[name], horizon)) return false;
  }
  return same(a, b, new Set(['locations']));
}

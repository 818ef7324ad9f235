/**
 * Whether an evaluation needs writing. Steady state must write nothing (issue 3), so a location's
 * volatile fields (lastTs, lastLatencyMs, lastPhases) are left out of the comparison while it is at
 * rest; see LocationState for why the lag this allows is harmless.
 */
import { isAtRest } from './location.ts';
import type { CheckState, LocationState } from './types.ts';

const VOLATILE_AT_REST = new Set<string>(['lastTs', 'lastLatencyMs', 'lastPhases']);

/** JSON with sorted keys and no undefined members, so two states compare equal whatever their key order (a store may return keys in any order). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function significantLocation(loc: LocationState): unknown {
  if (!isAtRest(loc)) return loc;
  return Object.fromEntries(Object.entries(loc).filter(([k]) => !VOLATILE_AT_REST.has(k)));
}

/** The state as it matters for the next decision; two states with the same projection decide alike. */
export function significant(state: CheckState): string {
  const locations = Object.fromEntries(Object.entries(state.locations).map(([name, loc]) => [name, significantLocation(loc)]));
  return canonical({ ...state, locations });
}

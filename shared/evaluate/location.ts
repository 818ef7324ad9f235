/**
 * One location's run counting, in the manner of gatus `watchdog/alerting.go`: failures and successes
 * in a row against thresholds are all the state a location needs.
 */
import type { FailingSpell, LocationState, PolicyInput, ResultRecord } from './types.ts';

/** A location's entry, own keys only: a location may be named `constructor`. */
export function entryOf<T>(map: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined;
}

export function freshLocation(): LocationState {
  return { lastTs: 0, consecutiveFailures: 0, consecutiveSuccesses: 0, failing: false };
}

/** Up with every counter at zero: the form a location keeps in steady state (see LocationState). */
export function isAtRest(loc: LocationState): boolean {
  return !loc.failing
    && loc.consecutiveFailures === 0
    && loc.consecutiveSuccesses === 0
    && !loc.degraded
    && !loc.degradedStreak
    && !loc.recent
    && loc.silentAfter === undefined;
}

type Thresholds = Pick<PolicyInput, 'failureThreshold' | 'forMs' | 'recoveryThreshold' | 'window'>;

/** Set bits: failed runs among the last `window` (LocationState.recent). */
export function failuresIn(recent: number | undefined): number {
  let n = 0;
  for (let bits = recent ?? 0; bits !== 0; bits >>>= 1) n += bits & 1;
  return n;
}

/** `recent` after one more run: shifted, the newest run in bit 0, only `window` runs kept. */
function shifted(recent: number | undefined, failed: boolean, window: number): number {
  return (((recent ?? 0) << 1) | (failed ? 1 : 0)) & ((1 << window) - 1);
}

/**
 * With `for` set, the run's length in time decides, as in Prometheus, and failureThreshold is not
 * used. With `window`, failures among the last runs decide, in a row or not: a load-balanced target
 * with one bad backend fails now and then, and a counter of failures in a row keeps resetting.
 * Only results count as evidence: a run with no newer result does not become failing merely
 * because time passes (the location goes stale instead).
 */
function crossed(loc: LocationState, ts: number, p: Thresholds): boolean {
  if (p.forMs !== undefined) return ts - (loc.firstFailureTs ?? ts) >= p.forMs;
  if (p.window !== undefined) return failuresIn(loc.recent) >= p.failureThreshold;
  return loc.consecutiveFailures >= p.failureThreshold;
}

function clearFailureRun(loc: LocationState): void {
  delete loc.firstFailureTs;
  delete loc.lastFailure;
}

/**
 * Slow is tracked on passing runs only and debounced with the same thresholds as failing, so one
 * slow run is not news. A failed run breaks any streak: "in a row" means in a row.
 */
function trackSlowness(loc: LocationState, r: ResultRecord, p: Thresholds): void {
  if (!r.ok) {
    delete loc.degradedStreak;
    return;
  }
  const slow = r.status === 'degraded';
  if (slow === !!loc.degraded) {
    delete loc.degradedStreak;
    return;
  }
  const streak = (loc.degradedStreak ?? 0) + 1;
  if (streak >= (slow ? p.failureThreshold : p.recoveryThreshold)) {
    if (slow) loc.degraded = true;
    else delete loc.degraded;
    delete loc.degradedStreak;
  } else {
    loc.degradedStreak = streak;
  }
}

/**
 * Applies one result that is newer than `loc.lastTs` (the caller drops the others) and returns the
 * location's next state. The input is not modified.
 */
export function applyResult(prev: LocationState, r: ResultRecord, p: Thresholds): LocationState {
  const loc: LocationState = { ...prev, lastTs: r.ts };
  delete loc.silentAfter;
  if (r.latencyMs !== undefined) loc.lastLatencyMs = r.latencyMs;
  else delete loc.lastLatencyMs;
  if (r.phases !== undefined) loc.lastPhases = { ...r.phases };
  else delete loc.lastPhases;
  if (p.window !== undefined) {
    const recent = shifted(loc.recent, !r.ok, p.window);
    if (recent !== 0) loc.recent = recent;
    else delete loc.recent;
  } else {
    delete loc.recent;
  }

  if (r.ok) {
    loc.consecutiveFailures = 0;
    if (loc.failing) {
      loc.consecutiveSuccesses += 1;
      loc.recoveringSince ??= r.ts;
      if (loc.consecutiveSuccesses >= p.recoveryThreshold) {
        loc.failing = false;
        loc.consecutiveSuccesses = 0;
        delete loc.failingSince;
        delete loc.recoveringSince;
        // A recovered location starts a clean window: the failures before its recovery would
        // otherwise make it failing again on the first failure after it.
        delete loc.recent;
        clearFailureRun(loc);
      }
    } else if (loc.recent === undefined) {
      // With a window, the run of failures lasts while any failure is still among the last runs.
      clearFailureRun(loc);
    }
  } else {
    loc.consecutiveFailures += 1;
    loc.consecutiveSuccesses = 0;
    delete loc.recoveringSince;
    loc.firstFailureTs ??= r.ts;
    loc.lastFailure = r.failure ? { reason: r.failure.reason, message: r.failure.message } : { reason: 'unknown', message: `status ${r.status}` };
    if (!loc.failing && crossed(loc, r.ts, p)) {
      loc.failing = true;
      loc.failingSince = r.ts;
    }
  }
  trackSlowness(loc, r, p);
  return loc;
}

/** The spell a result ended, when it completed `prev`'s recovery (see Incident.ended). */
export function endedSpell(prev: LocationState | undefined, next: LocationState, r: ResultRecord): FailingSpell | undefined {
  if (!prev?.failing || next.failing) return undefined;
  return { since: prev.failingSince ?? r.ts, recoveringFrom: prev.recoveringSince ?? r.ts, until: r.ts };
}

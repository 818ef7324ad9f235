/**
 * The alert policy: previous state, results, policy and the current time in; next state and
 * notifications out. Pure: no I/O, no clock, no randomness, and the inputs are not modified.
 * Semantics: ../shared/design.md "Evaluation semantics" and ./README.md.
 */
import { budgetBurn } from './budget.ts';
import { certWarning } from './cert.ts';
import { recordEnded } from './event-time.ts';
import { applyResult, endedSpell, entryOf, freshLocation, isAtRest } from './location.ts';
import { mutesOf } from './mute.ts';
import { sameSignificantState } from './persistence.ts';
import { tick, type Draft, type TickContext } from './tick.ts';
import type { CheckState, Evaluate, Evaluation, Notification, Observations, PolicyInput, ResultRecord } from './types.ts';

function newState(checkId: string, since: number): CheckState {
  return { schemaVersion: 1, checkId, version: 0, since, overall: 'UP', locations: {}, outbox: [] };
}

/** A copy deep enough that tick() may change the incident and the outbox in place. */
function draftOf(state: CheckState): Draft {
  const draft: Draft = { ...state, locations: { ...state.locations }, outbox: [...state.outbox] };
  if (state.incident) draft.incident = { ...state.incident, locations: [...state.incident.locations], sent: { ...state.incident.sent } };
  return draft;
}

export const evaluate: Evaluate = (
  state: CheckState | undefined,
  results: readonly ResultRecord[],
  policy: PolicyInput,
  now: number,
  observations: Observations = {},
): Evaluation => {
  // Results of other checks, or of locations the check no longer runs in, are not evidence for it.
  const ordered = results
    .filter((r) => r.checkId === policy.checkId && policy.locations.includes(r.location))
    .sort((a, b) => a.ts - b.ts);
  const draft = state ? draftOf(state) : newState(policy.checkId, ordered[0]?.ts ?? now);
  // Ticks run from the first result's ts to `now`, and an incident opened now starts at its
  // locations' first failure: the mutes that can cover any of these.
  const firstFailure = Math.min(...Object.values(draft.locations).map((l) => l.firstFailureTs ?? Infinity));
  const from = Math.min(ordered[0]?.ts ?? now, now, firstFailure);
  const to = Math.max(ordered.at(-1)?.ts ?? now, now);
  const ctx: TickContext = { policy, lastSeen: observations.lastSeen ?? {}, mutes: mutesOf(policy, observations, from, to), suppressed: [] };
  const notifications: Notification[] = [];
  let applied = 0;
  // Set when a result moved a location away from rest (or found it away): such a result must be
  // persisted so that a replay of it is recognised as a duplicate. See LocationState.
  let mustPersist = false;
  let clock = -Infinity;

  for (const r of ordered) {
    const prev = entryOf(draft.locations, r.location);
    const fresh = !prev || r.ts > prev.lastTs;
    if (fresh) {
      const next = applyResult(prev ?? freshLocation(), r, policy);
      draft.locations[r.location] = next;
      const ended = endedSpell(prev, next, r);
      if (ended) recordEnded(draft.incident, r.location, ended);
      applied += 1;
      if (!prev || !isAtRest(prev) || !isAtRest(next)) mustPersist = true;
    }
    // Every result is a tick, applied or not: which results a stored state still has to apply depends
    // on how lazily it was written, and the decisions must not. A duplicate's ts is no later than a
    // previous call's `now`, so its tick decides nothing new.
    clock = Math.max(clock, r.ts);
    tick(draft, clock, ctx, notifications);
    // Only an applied result is evidence of the certificate. A lazily stored state may re-apply a
    // success it has seen, but that decides nothing new: the warning it could give was sent and
    // stored (certWarnedExpiry) the first time.
    if (fresh) certWarning(draft, r, ctx, notifications);
  }
  tick(draft, Math.max(clock, now), ctx, notifications);
  // After the last tick, so the mute that covers `now` is the one that holds a burn alert back.
  budgetBurn(draft, observations.burn, ctx, notifications);
  draft.outbox.push(...notifications);

  const changed = state === undefined
    ? applied > 0 || notifications.length > 0
    : mustPersist || notifications.length > 0 || !sameSignificantState(state, draft);
  return { state: draft, notifications, changed, suppressed: ctx.suppressed };
};

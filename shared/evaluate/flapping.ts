/**
 * Flap damping (`alerting.flapping: { changes, within }`). A *change* is a page about the check's
 * state: an incident's first notification (DOWN, PARTIAL or DEGRADED; counted once per incident,
 * also when flapping holds it back) and its RESOLVED. So one outage counts two however its locations
 * cross, and a blip that never notified counts nothing. When `changes` of them fall within `within`,
 * the check is FLAPPING: one FLAPPING notification, then incidents open and close without notifying,
 * until no change has come for `within`; then one notification with the real state (the held
 * incident's DOWN, PARTIAL or DEGRADED, or the episode's RESOLVED when the check is UP).
 *
 * A RESOLVED of an incident that did notify is never held back: whoever was paged must hear the end
 * (a PagerDuty incident would otherwise stay open). Changes decided while muted (maintenance, a
 * silence) do not count: a deploy inside its window is expected to flap.
 */
import { SEVERITY } from '../events.ts';
import { restartUnsent } from './mute.ts';
import type { CheckState, Notification, PolicyInput } from './types.ts';

export function flappingIncidentId(checkId: string, since: number): string {
  return `${checkId}:flapping:${new Date(since).toISOString()}`;
}

export function isFlapping(draft: CheckState): boolean {
  return draft.flap?.since !== undefined;
}

/** The skeleton of an episode's notification; the caller adds what describes the check. */
function episodeNote(draft: CheckState, event: 'FLAPPING' | 'RESOLVED', at: number, since: number, policy: PolicyInput): Omit<Notification, 'locations'> {
  const incidentId = flappingIncidentId(draft.checkId, since);
  return {
    event, checkId: draft.checkId, at, incidentId, dedupeKey: `${incidentId}:${event}:1`, severity: SEVERITY[event],
    since, overall: draft.overall, previous: draft.overall, channels: [...policy.channels],
    ...(event === 'RESOLVED' && { durationMs: at - since }),
  };
}

/**
 * Records one change at `at`. Returns the FLAPPING notification (without locations) when this change
 * starts an episode.
 */
export function recordChange(draft: CheckState, at: number, policy: PolicyInput): Omit<Notification, 'locations'> | undefined {
  const rule = policy.flapping;
  if (!rule) return undefined;
  // Only the changes within the span matter, and only the newest `changes` of them.
  const changes = [...(draft.flap?.changes ?? []).filter((c) => c > at - rule.withinMs && c <= at), at].slice(-rule.changes);
  draft.flap = { ...draft.flap, changes };
  if (draft.flap.since !== undefined || changes.length < rule.changes) return undefined;
  draft.flap.since = at;
  return episodeNote(draft, 'FLAPPING', at, at, policy);
}

/**
 * Ends the episode once no change has come for `within`. Returns the episode's RESOLVED (without
 * locations) when the check is UP; otherwise the open incident, which sent nothing during the
 * episode, restarts now and notifies by the usual rules.
 */
export function endFlapping(draft: CheckState, at: number, policy: PolicyInput): Omit<Notification, 'locations'> | undefined {
  const rule = policy.flapping;
  const flap = draft.flap;
  if (flap?.since === undefined) return undefined;
  const last = flap.changes.at(-1) ?? flap.since;
  // A policy that no longer flap-damps ends the episode at once.
  if (rule && at - last < rule.withinMs) return undefined;
  const since = flap.since;
  delete draft.flap;
  if (draft.incident) {
    restartUnsent(draft, at);
    return undefined;
  }
  return episodeNote(draft, 'RESOLVED', at, since, policy);
}

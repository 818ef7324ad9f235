/**
 * Maintenance windows and silences: spans in which results are recorded and counted but nothing is
 * sent for the check. Both become `Mute`s: the windows from the policy (their occurrences near the
 * evaluation), the silences from the observations (the store holds them). See ./README.md "Mutes".
 */
import { occurrences } from '../config/maintenance.ts';
import type { CheckState, Incident, Mute, Observations, PolicyInput } from './types.ts';

/** Every mute that can cover a tick in [from, to]: the windows' occurrences there, and the silences given. */
export function mutesOf(policy: PolicyInput, observations: Observations, from: number, to: number): Mute[] {
  const windows = (policy.maintenance ?? []).flatMap((w) => occurrences(w, from, to + 1)
    .map(({ start, end }): Mute => ({ kind: 'maintenance', name: w.name, start, end })));
  return [...windows, ...(observations.mutes ?? [])];
}

/** The mute covering `at`; when several do, the one that ends last. */
export function activeMute(mutes: readonly Mute[], at: number): Mute | undefined {
  let found: Mute | undefined;
  for (const m of mutes) if (m.start <= at && at < m.end && (!found || m.end > found.end)) found = m;
  return found;
}

const sameMute = (a: Mute, b: Mute) => a.kind === b.kind && a.name === b.name && a.start === b.start;

/**
 * Where the check's current mute ends now: a silence expired early ends at its expiry, and a window
 * or silence that is gone (removed from the config, deleted) ends at once.
 */
function currentEnd(was: Mute, mutes: readonly Mute[], at: number): number {
  const now = mutes.find((m) => sameMute(m, was));
  return now ? now.end : Math.min(was.end, at);
}

/**
 * The mute that covers the tick at `at`, and the state's `mute` brought up to date. Once the state
 * has entered a mute, it lasts until a tick at or after that mute's end: a late result whose ts is
 * before the window's start must not end the window (and page during it). Returns `ended`, the
 * instant a mute ended at this tick, when one did and no other covers the tick.
 */
export function updateMute(draft: CheckState, mutes: readonly Mute[], at: number): { mute?: Mute; ended?: number } {
  const was = draft.mute;
  const wasEnd = was && currentEnd(was, mutes, at);
  const found = activeMute(mutes, at) ?? (was && wasEnd !== undefined && at < wasEnd ? { ...was, end: wasEnd } : undefined);
  if (found) {
    if (!was || !sameMute(was, found) || was.end !== found.end) draft.mute = { ...found };
    return { mute: draft.mute };
  }
  if (!was) return {};
  delete draft.mute;
  return { ended: Math.min(wasEnd ?? at, at) };
}

/**
 * A mute or a flapping episode ended while an incident that has sent nothing is open: it becomes a
 * new incident starting at that end, so the DOWN it would have sent goes out now, with the outage
 * counted from the end of the maintenance (a RESOLVED's duration then measures what users saw after it).
 */
export function restartUnsent(draft: CheckState, end: number): void {
  const incident = draft.incident;
  if (!incident || Object.keys(incident.sent).length > 0) return;
  const startedAt = Math.max(incident.startedAt, end);
  if (startedAt === incident.startedAt) return;
  const restarted: Incident = { ...incident, id: `${draft.checkId}:${new Date(startedAt).toISOString()}`, startedAt, overallSince: Math.max(incident.overallSince, end) };
  // Spells that ended before the restart belong to the muted part: they must not make a DOWN of a
  // check that is only PARTIAL now (the event-time quorum, ./event-time.ts), nor hold its resolution.
  const ended = Object.entries(incident.ended ?? {}).filter(([, spell]) => spell.until > startedAt);
  if (ended.length > 0) restarted.ended = Object.fromEntries(ended);
  else delete restarted.ended;
  draft.incident = restarted;
}

/**
 * The check-level decision at one instant: which locations are stale, what the check's overall state
 * is, and which notifications that transition sends. Runs after every applied result (at its ts) and
 * once more at `now`, so a batch decides the same as feeding its results one at a time.
 */
import { SEVERITY } from '../events.ts';
import { endOf, eventPeak, mayResolve } from './event-time.ts';
import { entryOf, freshLocation, isAtRest } from './location.ts';
import type { CheckState, Incident, LocationState, Notification, NotificationEvent, NotificationLocation, Overall, PolicyInput } from './types.ts';

/** design.md: "Locations with no result for 3 × interval are stale". */
export const STALE_AFTER_INTERVALS = 3;

export { SEVERITY };

export interface TickContext {
  policy: PolicyInput;
  lastSeen: Readonly<Record<string, number>>;
}

/** A mutable copy of the state that evaluate owns; location entries are replaced, never mutated. */
export type Draft = CheckState;

export const iso = (ms: number) => new Date(ms).toISOString();

/** The newest evidence that the location is alive: its newest result, its heartbeat, or the state's creation. */
function evidence(draft: Draft, location: string, lastSeen: TickContext['lastSeen']): number {
  return Math.max(entryOf(draft.locations, location)?.lastTs ?? 0, entryOf(lastSeen, location) ?? 0, draft.since);
}

export function describe(location: string, loc: LocationState | undefined): NotificationLocation {
  const entry: NotificationLocation = { location, failing: loc?.failing ?? false };
  if (!loc) return entry;
  if (loc.lastFailure && loc.firstFailureTs !== undefined) {
    entry.reason = loc.lastFailure.reason;
    entry.message = loc.lastFailure.message;
    entry.since = loc.firstFailureTs;
  }
  // Latency is volatile at rest (may lag in the stored state) and old for a silent location, so it is
  // reported only where it is known to come from the newest result.
  if (!isAtRest(loc) && loc.silentAfter === undefined) {
    if (loc.lastLatencyMs !== undefined) entry.latencyMs = loc.lastLatencyMs;
    if (loc.lastPhases !== undefined) entry.phases = { ...loc.lastPhases };
  }
  if (loc.degraded) entry.degraded = true;
  if (loc.silentAfter !== undefined) entry.silent = true;
  return entry;
}

/** Flags locations that went stale (one LOCATION_SILENT each) and unflags those heard from again. */
function updateSilence(draft: Draft, at: number, ctx: TickContext, out: Notification[]): void {
  const staleAfter = STALE_AFTER_INTERVALS * ctx.policy.intervalMs;
  for (const location of ctx.policy.locations) {
    const seen = evidence(draft, location, ctx.lastSeen);
    let loc = entryOf(draft.locations, location);
    if (loc?.silentAfter !== undefined) {
      if (seen <= loc.silentAfter) continue;
      loc = { ...loc };
      delete loc.silentAfter;
      draft.locations[location] = loc;
    }
    if (at - seen <= staleAfter) continue;
    loc = { ...(loc ?? freshLocation()), silentAfter: seen };
    draft.locations[location] = loc;
    const incidentId = `${draft.checkId}:${location}:silent:${iso(seen)}`;
    out.push({
      event: 'LOCATION_SILENT', checkId: draft.checkId, at, incidentId, dedupeKey: `${incidentId}:LOCATION_SILENT:1`,
      severity: SEVERITY.LOCATION_SILENT, locations: [describe(location, loc)],
      overall: draft.overall, previous: draft.overall, channels: [...ctx.policy.channels],
    });
  }
}

function failingLocations(draft: Draft, policy: PolicyInput): Array<[string, LocationState]> {
  const failing: Array<[string, LocationState]> = [];
  for (const location of policy.locations) {
    const loc = entryOf(draft.locations, location);
    if (loc?.failing) failing.push([location, loc]);
  }
  return failing;
}

/**
 * Every location counts as it last reported, stale ones too: silence is no evidence of recovery
 * (the fault that cut a region off from the target may cut its probe off too), so a failing
 * location stays failing until a result says otherwise, and a silent one never starts failing,
 * since only results move a location. LOCATION_SILENT says why a check stays as it was. Slow needs
 * a quorum too: one far region being slow is expected latency, not a degraded service.
 */
export function overallOf(draft: Draft, policy: PolicyInput): Overall {
  let failing = 0;
  let slow = 0;
  for (const location of policy.locations) {
    const loc = entryOf(draft.locations, location);
    if (!loc) continue;
    if (loc.failing) failing += 1;
    else if (loc.degraded) slow += 1;
  }
  if (failing >= policy.quorum) return 'DOWN';
  if (failing > 0) return 'PARTIAL';
  if (slow >= policy.quorum) return 'DEGRADED';
  return 'UP';
}

function openIncident(draft: Draft, at: number, ctx: TickContext): Incident {
  const failing = failingLocations(draft, ctx.policy);
  let startedAt = failing.length > 0 ? Math.min(...failing.map(([, loc]) => loc.firstFailureTs ?? at)) : at;
  // A pending run that began before the last incident's end (and crossed after it) starts this one later.
  if (draft.lastResolvedAt !== undefined && startedAt <= draft.lastResolvedAt) startedAt = draft.lastResolvedAt + 1;
  return { id: `${draft.checkId}:${iso(startedAt)}`, startedAt, overallSince: at, locations: [], sent: {}, knownAt: knownAt(draft, at, ctx), knownAtBy: knownAtBy(draft, ctx) };
}

/**
 * No earlier than every result applied so far. A lazily written state's lastTs may lag, so the
 * heartbeats (written after each round's results) stand in for them; where they do not cover a
 * result, the stored knownAt is earlier and a held resolution waits one result longer, never less.
 * The evaluation's `now` is not used, so a batch decides as its results one at a time.
 */
function knownAt(draft: Draft, at: number, ctx: TickContext): number {
  let known = at;
  for (const location of ctx.policy.locations) {
    known = Math.max(known, entryOf(draft.locations, location)?.lastTs ?? 0, entryOf(ctx.lastSeen, location) ?? 0);
  }
  return known;
}

/** Each location's own horizon (Incident.knownAtBy): its newest lastTs or heartbeat when the incident opened. */
function knownAtBy(draft: Draft, ctx: TickContext): Record<string, number> {
  const by: Record<string, number> = {};
  for (const location of ctx.policy.locations) {
    by[location] = Math.max(entryOf(draft.locations, location)?.lastTs ?? 0, entryOf(ctx.lastSeen, location) ?? 0);
  }
  return by;
}

function joinFailing(incident: Incident, draft: Draft, policy: PolicyInput): void {
  const failing = failingLocations(draft, policy)
    .sort(([, a], [, b]) => (a.firstFailureTs ?? 0) - (b.firstFailureTs ?? 0));
  for (const [location, loc] of failing) {
    if (!incident.locations.includes(location)) incident.locations.push(location);
    if (incident.firstReason === undefined && loc.lastFailure) incident.firstReason = loc.lastFailure.reason;
  }
}

function notify(draft: Draft, incident: Incident, event: NotificationEvent, at: number, previous: Overall, next: Overall, ctx: TickContext, end?: number): Notification {
  const n = (incident.sent[event] ?? 0) + 1;
  incident.sent[event] = n;
  const note: Notification = {
    event, checkId: draft.checkId, at, incidentId: incident.id, dedupeKey: `${incident.id}:${event}:${n}`,
    severity: SEVERITY[event], locations: ctx.policy.locations.map((l) => describe(l, entryOf(draft.locations, l))),
    since: incident.startedAt, overall: next, previous, channels: [...ctx.policy.channels],
  };
  if (end !== undefined) note.durationMs = Math.max(0, end - incident.startedAt);
  return note;
}

/** Notifications only escalate within an incident: each is sent at most once, and never after a graver one. */
const RANK: Record<Overall, number> = { UP: 0, DEGRADED: 1, PARTIAL: 2, DOWN: 3 };

function gravestSent(incident: Incident): number {
  return Math.max(0, ...(['DEGRADED', 'PARTIAL', 'DOWN'] as const).filter((e) => incident.sent[e]).map((e) => RANK[e]));
}

/** Closes an incident whose check looks UP, unless its resolution is held (see ./event-time.ts). */
function resolve(draft: Draft, incident: Incident, at: number, ctx: TickContext, out: Notification[]): void {
  if (!mayResolve(draft, incident, ctx.policy)) return;
  const end = endOf(incident, at);
  // A release can come at the tick of a lagging location's older result; it is never before the recovery.
  if (Object.keys(incident.sent).length > 0) out.push(notify(draft, incident, 'RESOLVED', Math.max(at, end), draft.overall, 'UP', ctx, end));
  delete draft.incident;
  delete draft.lastReminderAt;
  draft.overall = 'UP';
  draft.lastResolvedAt = end;
}

/**
 * One instant's decision.
 * - An incident's notifications only escalate (DEGRADED, PARTIAL, DOWN), each at most once: an
 *   incident that wavers, or improves from DOWN to PARTIAL, pages nobody again.
 * - PARTIAL is sent once the check has been PARTIAL for one interval, so the first region to cross
 *   the threshold in a global outage does not send a PARTIAL seconds before the DOWN.
 * - RESOLVED is sent on the return to UP for every incident that sent anything; one that sent
 *   nothing (a PARTIAL shorter than an interval) closes silently. Either waits for the hold point.
 * - DOWN is also sent when a quorum was failing at one event time, though not at once in the order
 *   the results arrived (a lagging location); the check's overall state stays what is known now.
 */
export function tick(draft: Draft, at: number, ctx: TickContext, out: Notification[]): void {
  updateSilence(draft, at, ctx, out);
  const previous = draft.overall;
  const next = overallOf(draft, ctx.policy);
  if (next === 'UP') {
    if (draft.incident) resolve(draft, draft.incident, at, ctx, out);
    return;
  }
  const incident = (draft.incident ??= openIncident(draft, at, ctx));
  draft.overall = next;
  joinFailing(incident, draft, ctx.policy);
  if (next !== previous) incident.overallSince = at;
  const worst: Overall = next !== 'DOWN' && eventPeak(draft, ctx.policy) >= ctx.policy.quorum ? 'DOWN' : next;
  const settled = worst !== 'PARTIAL' || at - incident.overallSince >= ctx.policy.intervalMs;
  if (RANK[worst] > gravestSent(incident) && settled) {
    out.push(notify(draft, incident, worst, at, previous, worst, ctx));
    if (worst === 'DOWN') draft.lastReminderAt = at;
  }
  const repeat = ctx.policy.repeatIntervalMs;
  if (next === 'DOWN' && repeat !== undefined && draft.lastReminderAt !== undefined && at - draft.lastReminderAt >= repeat) {
    out.push(notify(draft, incident, 'REMINDER', at, previous, next, ctx));
    draft.lastReminderAt = at;
  }
}

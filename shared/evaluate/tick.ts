/**
 * The check-level decision at one instant: which locations are stale, what the check's overall state
 * is, and which notifications that transition sends. Runs after every applied result (at its ts) and
 * once more at `now`, so a batch decides the same as feeding its results one at a time.
 */
import { SEVERITY } from '../events.ts';
import { endOf, eventPeak, mayResolve } from './event-time.ts';
import { endFlapping, flappingIncidentId, isFlapping, recordChange } from './flapping.ts';
import { entryOf, freshLocation, isAtRest } from './location.ts';
import { restartUnsent, updateMute } from './mute.ts';
import type {
  CheckState, Evaluation, Incident, LocationState, Mute, Notification, NotificationEvent, NotificationLocation, Overall, PolicyInput, Suppression,
} from './types.ts';

/** design.md: "Locations with no result for 3 × interval are stale". */
export const STALE_AFTER_INTERVALS = 3;

export { SEVERITY };

export interface TickContext {
  policy: PolicyInput;
  lastSeen: Readonly<Record<string, number>>;
  /** The maintenance occurrences and silences near this evaluation (./mute.ts). */
  mutes: readonly Mute[];
  /** The mute covering the current tick; set by tick(). */
  mute?: Mute;
  /** What was decided and held back, with why. */
  suppressed: Evaluation['suppressed'];
}

/**
 * Why `event` is not sent now, or undefined to send it. A RESOLVED always goes: it is only decided
 * for an incident that notified, and whoever heard the DOWN must hear the end. While muted nothing
 * else goes. While flapping, the check's state pages are held; a silent location, an expiring
 * certificate and a burning budget are not state and still go.
 */
export function holdBack(draft: Draft, event: NotificationEvent, ctx: TickContext): Suppression | undefined {
  if (event === 'RESOLVED') return undefined;
  if (ctx.mute) return { kind: ctx.mute.kind, name: ctx.mute.name, until: ctx.mute.end };
  if (draft.flap?.since !== undefined && event !== 'LOCATION_SILENT' && event !== 'CERT_EXPIRING' && event !== 'BUDGET_BURN') {
    return { kind: 'flapping', name: flappingIncidentId(draft.checkId, draft.flap.since) };
  }
  return undefined;
}

/** Sends `note`, or records it as held back; true when sent. */
export function send(draft: Draft, note: Notification, ctx: TickContext, out: Notification[]): boolean {
  const by = holdBack(draft, note.event, ctx);
  if (by) ctx.suppressed.push({ notification: note, by });
  else out.push(note);
  return by === undefined;
}

const describeAll = (draft: Draft, policy: PolicyInput) => policy.locations.map((l) => describe(l, entryOf(draft.locations, l)));

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

/** Stale: no evidence of life (`evidence`) for more than STALE_AFTER_INTERVALS × interval before `at`. The SLO accounting reads it too. */
export function isStale(state: CheckState, location: string, policy: PolicyInput, at: number, lastSeen: Readonly<Record<string, number>> = {}): boolean {
  return at - evidence(state, location, lastSeen) > STALE_AFTER_INTERVALS * policy.intervalMs;
}

/** Flags locations that went stale (one LOCATION_SILENT each) and unflags those heard from again. */
function updateSilence(draft: Draft, at: number, ctx: TickContext, out: Notification[]): void {
  for (const location of ctx.policy.locations) {
    const seen = evidence(draft, location, ctx.lastSeen);
    let loc = entryOf(draft.locations, location);
    if (loc?.silentAfter !== undefined) {
      if (seen <= loc.silentAfter) continue;
      loc = { ...loc };
      delete loc.silentAfter;
      draft.locations[location] = loc;
    }
    if (!isStale(draft, location, ctx.policy, at, ctx.lastSeen)) continue;
    loc = { ...(loc ?? freshLocation()), silentAfter: seen };
    draft.locations[location] = loc;
    if (!send(draft, silentNote(draft, location, loc, at, ctx), ctx, out)) draft.locations[location] = { ...loc, silentUnsent: true };
  }
}

function silentNote(draft: Draft, location: string, loc: LocationState, at: number, ctx: TickContext): Notification {
  const incidentId = `${draft.checkId}:${location}:silent:${iso(loc.silentAfter ?? at)}`;
  return {
    event: 'LOCATION_SILENT', checkId: draft.checkId, at, incidentId, dedupeKey: `${incidentId}:LOCATION_SILENT:1`,
    severity: SEVERITY.LOCATION_SILENT, locations: [describe(location, loc)],
    overall: draft.overall, previous: draft.overall, channels: [...ctx.policy.channels],
  };
}

/** After a mute: the LOCATION_SILENT held back during it, for each location still silent. */
function sendHeldSilences(draft: Draft, at: number, ctx: TickContext, out: Notification[]): void {
  if (ctx.mute) return;
  for (const location of ctx.policy.locations) {
    const loc = entryOf(draft.locations, location);
    if (!loc?.silentUnsent) continue;
    const next = { ...loc };
    delete next.silentUnsent;
    draft.locations[location] = next;
    if (next.silentAfter !== undefined) send(draft, silentNote(draft, location, next, at, ctx), ctx, out);
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
  // Nor does an incident start inside a mute that has ended: its outage, for the people told, begins
  // when the maintenance does (as for one that opened during the mute, ./mute.ts restartUnsent).
  for (let moved = true; moved;) {
    moved = false;
    for (const m of ctx.mutes) {
      if (m.start <= startedAt && startedAt < m.end && m.end <= at) {
        startedAt = m.end;
        moved = true;
      }
    }
  }
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

interface NoteExtras {
  /** RESOLVED: the incident's end in event time. */
  end?: number;
  /** ESCALATION: the level (1-based) and its channels. */
  level?: number;
  channels?: readonly string[];
}

/**
 * Decides one of the incident's notifications: sent (counted in `incident.sent`, which numbers the
 * dedupe keys) or held back (./mute.ts, ./flapping.ts), in which case nothing counts it, so it is
 * decided again, and sent, once nothing holds it. True when sent.
 */
function notify(draft: Draft, incident: Incident, event: NotificationEvent, at: number, previous: Overall, next: Overall, ctx: TickContext, out: Notification[], extras: NoteExtras = {}): boolean {
  const n = (incident.sent[event] ?? 0) + 1;
  const note: Notification = {
    event, checkId: draft.checkId, at, incidentId: incident.id, dedupeKey: `${incident.id}:${event}:${n}`,
    severity: SEVERITY[event], locations: describeAll(draft, ctx.policy),
    since: incident.startedAt, overall: next, previous, channels: [...(extras.channels ?? ctx.policy.channels)],
  };
  if (extras.end !== undefined) note.durationMs = Math.max(0, extras.end - incident.startedAt);
  if (extras.level !== undefined) note.level = extras.level;
  if (!send(draft, note, ctx, out)) return false;
  incident.sent[event] = n;
  return true;
}

/** A change for flap detection (./flapping.ts); FLAPPING goes out when it starts an episode. */
function changed(draft: Draft, at: number, ctx: TickContext, out: Notification[]): void {
  if (ctx.mute) return;
  const flapping = recordChange(draft, at, ctx.policy);
  if (flapping) out.push({ ...flapping, locations: describeAll(draft, ctx.policy) });
}

/** An incident's first notification is a change, counted once, also when flapping holds it back. */
function countOpening(draft: Draft, incident: Incident, at: number, ctx: TickContext, out: Notification[]): void {
  if (!ctx.policy.flapping || ctx.mute || incident.flapCounted || Object.keys(incident.sent).length > 0) return;
  incident.flapCounted = true;
  changed(draft, at, ctx, out);
}

/**
 * `alerting.escalate`: while DOWN, each level is sent once its delay after the DOWN has passed, to
 * its own channels. A late evaluation sends every level that fell due (each names other people).
 * A mute stops it for the incident (see tick); nothing is escalated while one is on.
 */
function escalate(draft: Draft, incident: Incident, at: number, previous: Overall, ctx: TickContext, out: Notification[]): void {
  const levels = ctx.policy.escalate;
  if (!levels || incident.downAt === undefined || incident.escalationStopped) return;
  for (let level = incident.sent.ESCALATION ?? 0; level < levels.length; level = incident.sent.ESCALATION ?? 0) {
    const { afterMs, channels } = levels[level]!;
    if (at - incident.downAt < afterMs) return;
    if (!notify(draft, incident, 'ESCALATION', at, previous, 'DOWN', ctx, out, { level: level + 1, channels })) return;
  }
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
  const notified = Object.keys(incident.sent).length > 0;
  // A release can come at the tick of a lagging location's older result; it is never before the recovery.
  if (notified) notify(draft, incident, 'RESOLVED', Math.max(at, end), draft.overall, 'UP', ctx, out, { end });
  delete draft.incident;
  delete draft.lastReminderAt;
  draft.overall = 'UP';
  draft.lastResolvedAt = end;
  if (notified || incident.flapCounted) changed(draft, at, ctx, out);
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
  const { mute, ended } = updateMute(draft, ctx.mutes, at);
  ctx.mute = mute;
  if (ended !== undefined) restartUnsent(draft, ended);
  // "Escalation stops at RESOLVED or when a silence starts": whoever silenced it is on it.
  if (mute && ctx.policy.escalate && draft.incident?.downAt !== undefined && !draft.incident.escalationStopped) {
    draft.incident = { ...draft.incident, escalationStopped: true };
  }
  const episodeEnd = isFlapping(draft) ? endFlapping(draft, at, ctx.policy) : undefined;
  if (episodeEnd) out.push({ ...episodeEnd, locations: describeAll(draft, ctx.policy) });
  sendHeldSilences(draft, at, ctx, out);
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
    countOpening(draft, incident, at, ctx, out);
    if (notify(draft, incident, worst, at, previous, worst, ctx, out) && worst === 'DOWN') {
      draft.lastReminderAt = at;
      incident.downAt = at;
    }
  }
  const repeat = ctx.policy.repeatIntervalMs;
  if (next === 'DOWN' && repeat !== undefined && draft.lastReminderAt !== undefined && at - draft.lastReminderAt >= repeat) {
    if (notify(draft, incident, 'REMINDER', at, previous, next, ctx, out)) draft.lastReminderAt = at;
  }
  if (next === 'DOWN') escalate(draft, incident, at, previous, ctx, out);
}

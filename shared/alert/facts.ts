/**
 * The evaluator's Notification in the terms an alert shows. A notification lists every location of
 * the check; an alert names only the ones the event is about.
 */
import type { Check } from '../config/schema.ts';
import type { Notification, NotificationLocation } from '../evaluate/index.ts';
import type { AlertFacts, AlertLocation } from './message.ts';

const ABOUT: Record<Notification['event'], (l: NotificationLocation) => boolean> = {
  DOWN: (l) => l.failing,
  PARTIAL: (l) => l.failing,
  REMINDER: (l) => l.failing,
  // Every location is up again; the outage window is the news.
  RESOLVED: (l) => l.failing,
  DEGRADED: (l) => l.degraded === true,
  LOCATION_SILENT: (l) => l.silent === true,
  // The evaluator names only the location whose result presented the certificate.
  CERT_EXPIRING: () => true,
  ESCALATION: (l) => l.failing,
  // Where it fails at the moment flapping was decided; it may be none, the check may be UP right then.
  FLAPPING: (l) => l.failing,
  // Where it fails as the budget burns; none when the burn came from failures that have since healed.
  BUDGET_BURN: (l) => l.failing,
};

/** The event-specific facts: an escalation's level and its own channels, the flapping rule that tripped. */
function eventFacts(n: Notification, check: Check): Partial<AlertFacts> {
  if (n.event === 'ESCALATION') return { ...(n.level !== undefined && { level: n.level }), channels: [...n.channels] };
  if (n.event === 'FLAPPING') {
    const rule = check.alerting.flapping;
    return { overall: n.overall, ...(rule && { flapping: { changes: rule.changes, withinMs: rule.withinMs } }) };
  }
  if (n.event === 'BUDGET_BURN' && n.burn) return { burn: { ...n.burn } };
  return {};
}

function alertLocation(l: NotificationLocation): AlertLocation {
  return {
    location: l.location,
    ...(l.reason !== undefined && { reason: l.reason }),
    ...(l.message !== undefined && { message: l.message }),
    ...(l.phases !== undefined && { phases: { ...l.phases, total: l.phases.total ?? l.latencyMs ?? 0 } }),
    ...(l.since !== undefined && { since: l.since }),
  };
}

export function factsOf(n: Notification, check: Check): AlertFacts {
  return {
    event: n.event,
    checkId: n.checkId,
    incidentId: n.incidentId,
    dedupeKey: n.dedupeKey,
    at: n.at,
    severity: n.severity,
    // A burn alert sent when its episode starts has since = at, which says nothing; one held by a mute keeps its start.
    ...(n.since !== undefined && !(n.event === 'BUDGET_BURN' && n.since >= n.at) && { since: n.since }),
    ...(n.durationMs !== undefined && { durationMs: n.durationMs }),
    ...(n.certDaysLeft !== undefined && { certDaysLeft: n.certDaysLeft }),
    ...(n.certExpiresAt !== undefined && { certExpiresAt: n.certExpiresAt }),
    locations: n.locations.filter(ABOUT[n.event]).map(alertLocation),
    locationCount: check.locations.length,
    ...eventFacts(n, check),
  };
}

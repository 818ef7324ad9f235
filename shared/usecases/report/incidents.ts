/**
 * Incidents from a backtest's notifications, as the evaluator stores them from the same decisions
 * (shared/usecases/evaluate-batch/incidents.ts): a sent DOWN opens one, the RESOLVED with its incident
 * id ends it. So a report from a results file lists what the table would hold after the same results.
 */
import type { Notification } from '../../evaluate/index.ts';
import type { FailureReason } from '../../probe/types.ts';
import type { StoredIncident } from '../../store/items.ts';
import { MINUTE_MS, type HourRollup } from '../../evaluate/slo/types.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The reason of the failing location whose run failed first (the incident's firstReason). */
function firstFailing(n: Notification) {
  const failing = n.locations.filter((l) => l.failing);
  return [...failing].sort((a, b) => (a.since ?? n.at) - (b.since ?? n.at))[0];
}

export function incidentsFromNotifications(notifications: readonly Notification[]): StoredIncident[] {
  const open = new Map<string, StoredIncident>();
  const out: StoredIncident[] = [];
  for (const n of [...notifications].sort((a, b) => a.at - b.at)) {
    const known = open.get(n.incidentId);
    if (n.event === 'DOWN' && !known) {
      const first = firstFailing(n);
      const incident: StoredIncident = {
        checkId: n.checkId,
        incidentId: n.incidentId,
        startedAt: iso(n.since ?? n.at),
        locations: n.locations.filter((l) => l.failing).map((l) => l.location),
        // Reasons come from probe results, so they are FailureReasons; the evaluator keeps them as strings.
        ...(first?.reason !== undefined && { firstReason: first.reason as FailureReason }),
        ...(first?.message !== undefined && { firstMessage: first.message }),
      };
      open.set(n.incidentId, incident);
      out.push(incident);
    } else if (known && (n.event === 'REMINDER' || n.event === 'ESCALATION' || n.event === 'RESOLVED')) {
      for (const l of n.locations) if (l.failing && !known.locations.includes(l.location)) known.locations.push(l.location);
      if (n.event === 'RESOLVED') {
        known.endedAt = iso(n.at);
        open.delete(n.incidentId);
      }
    }
  }
  return out;
}

/**
 * A notification names the locations failing when it was sent, so one that joined after the DOWN
 * (and before any REMINDER) is in none; the evaluator's incident has it. The minutes accounted during
 * the incident say who was failing, so they complete the list, in the order the locations joined.
 */
export function withMinuteLocations(incidents: readonly StoredIncident[], hoursOf: (checkId: string, from: number, to: number) => readonly HourRollup[], until: number): StoredIncident[] {
  return incidents.map((incident) => {
    const start = Date.parse(incident.startedAt);
    const end = incident.endedAt !== undefined ? Date.parse(incident.endedAt) : until;
    const locations = [...incident.locations];
    for (const hour of [...hoursOf(incident.checkId, start, end)].sort((a, b) => a.hour - b.hour)) {
      for (const [index, code] of Object.entries(hour.minutes).sort(([a], [b]) => Number(a) - Number(b))) {
        const at = hour.hour + Number(index) * MINUTE_MS;
        if (at + MINUTE_MS <= start || at >= end) continue;
        for (const l of code.failing) if (!locations.includes(l)) locations.push(l);
      }
    }
    return { ...incident, locations };
  });
}

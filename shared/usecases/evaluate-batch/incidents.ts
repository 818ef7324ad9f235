/**
 * INCIDENT items for the DOWN and RESOLVED an evaluation decided. Both write the same key (the
 * incident's start and id), so RESOLVED completes the item DOWN opened, and a retried write rewrites
 * the same item.
 */
import type { CheckState, Evaluation, Incident, Notification } from '../../evaluate/index.ts';
import type { StoredIncident } from '../../store/items.ts';
import type { FailureReason } from '../../probe/types.ts';

const failingOf = (n: Notification | undefined) => n?.locations.filter((l) => l.failing) ?? [];

export function incidentsToRecord(previous: CheckState | undefined, evaluation: Evaluation): StoredIncident[] {
  const known = [evaluation.state.incident, previous?.incident].filter((i): i is Incident => i !== undefined);
  return evaluation.notifications
    .filter((n) => n.event === 'DOWN' || n.event === 'RESOLVED')
    .map((n) => {
      const incident = known.find((i) => i.id === n.incidentId);
      // An incident that opened and closed within one batch is in neither state; its DOWN still says who failed.
      const down = evaluation.notifications.find((d) => d.event === 'DOWN' && d.incidentId === n.incidentId);
      const failing = failingOf(down);
      const locations = incident?.locations ?? failing.map((l) => l.location);
      const first = [...failingOf(n), ...failing].find((l) => l.location === locations[0]);
      const reason = incident?.firstReason ?? first?.reason;
      return {
        checkId: n.checkId,
        incidentId: n.incidentId,
        startedAt: new Date(n.since ?? incident?.startedAt ?? n.at).toISOString(),
        ...(n.event === 'RESOLVED' && { endedAt: new Date(n.at).toISOString() }),
        locations: [...locations],
        // Reasons come from probe results, so they are FailureReasons; the evaluator keeps them as strings.
        ...(reason !== undefined && { firstReason: reason as FailureReason }),
        ...(first?.message !== undefined && { firstMessage: first.message }),
      };
    });
}

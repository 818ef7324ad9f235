/**
 * Incidents from a backtest's notifications (the `--results` path): what the evaluator would have
 * stored from the same decisions, one per DOWN, ended by its RESOLVED, with every location that
 * failed during it.
 */
import { describe, expect, it } from 'vitest';
import type { Notification, NotificationLocation } from '../../shared/evaluate/index.ts';
import { incidentsFromNotifications, withMinuteLocations } from '../../shared/usecases/report/index.ts';
import { hourRollup } from './history.ts';

const T = Date.UTC(2026, 11, 1, 10, 0);
const loc = (location: string, failing: boolean, reason?: string, since?: number): NotificationLocation => ({ location, failing, ...(reason && { reason, message: `${reason} message` }), ...(since !== undefined && { since }) });

function note(event: Notification['event'], at: number, incidentId: string, locations: NotificationLocation[], since?: number): Notification {
  return { event, checkId: 'api', at, incidentId, dedupeKey: `${incidentId}:${event}:1`, severity: 'critical', locations, ...(since !== undefined && { since }), overall: event === 'RESOLVED' ? 'UP' : 'DOWN', previous: 'UP', channels: [] };
}

describe('incidentsFromNotifications', () => {
  const first = 'api:2026-12-01T10:00:00.000Z';
  const second = 'api:2026-12-01T12:00:00.000Z';
  const notes = [
    // us failed first (since 09:59:30), so its reason is the incident's first reason.
    note('DOWN', T + 60_000, first, [loc('eu', true, 'timeout', T), loc('us', true, 'dns', T - 30_000), loc('ap', false)], T - 30_000),
    note('REMINDER', T + 600_000, first, [loc('eu', true, 'timeout'), loc('us', true, 'dns'), loc('ap', true, 'timeout')], T - 30_000),
    note('BUDGET_BURN', T + 700_000, `api:burn:page-1h:x`, []),
    note('RESOLVED', T + 900_000, first, [loc('eu', false), loc('us', false), loc('ap', false)], T - 30_000),
    note('DOWN', T + 7_200_000, second, [loc('eu', true, 'status_code', T + 7_100_000), loc('us', true, 'status_code', T + 7_150_000)], T + 7_100_000),
  ];

  it('opens one per DOWN, ends it at its RESOLVED, and keeps the first-failing location\'s reason', () => {
    // Given out of order: they are taken in time order.
    expect(incidentsFromNotifications([...notes].reverse())).toEqual([
      { checkId: 'api', incidentId: first, startedAt: '2026-12-01T09:59:30.000Z', endedAt: '2026-12-01T10:15:00.000Z', locations: ['eu', 'us', 'ap'], firstReason: 'dns', firstMessage: 'dns message' },
      { checkId: 'api', incidentId: second, startedAt: '2026-12-01T11:58:20.000Z', locations: ['eu', 'us'], firstReason: 'status_code', firstMessage: 'status_code message' },
    ]);
  });

  it('adds locations that failed only between notifications, from the minutes accounted during the incident', () => {
    // In the known history, ap joins eu and us at 10:45 on Nov 1, 5 minutes into the outage.
    const hours = [hourRollup('api', Date.UTC(2026, 10, 1, 10))!, hourRollup('api', Date.UTC(2026, 10, 1, 11))!];
    const incident = { checkId: 'api', incidentId: 'api:x', startedAt: '2026-11-01T10:40:00.000Z', endedAt: '2026-11-01T11:23:00.000Z', locations: ['eu', 'us'] };
    expect(withMinuteLocations([incident], () => hours, Date.UTC(2026, 10, 2))[0]!.locations).toEqual(['eu', 'us', 'ap']);
    // Minutes outside the incident do not count: ap failed again only in the partial of Nov 2.
    const before = { ...incident, endedAt: '2026-11-01T10:45:00.000Z' };
    expect(withMinuteLocations([before], () => hours, Date.UTC(2026, 10, 2))[0]!.locations).toEqual(['eu', 'us']);
  });
});

import { describe, expect, it } from 'vitest';
import { incidentsToRecord } from '../../shared/usecases/evaluate-batch/incidents.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { evaluate, policyFor, type ResultRecord } from '../../shared/evaluate/index.ts';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const MIN = 60_000;
const [check] = loadConfigObject({
  defaults: { locations: ['a', 'b', 'c'] },
  checks: [{ id: 'api', http: { url: 'https://api.example.com/' } }],
}).checks;
const policy = policyFor(check!);

/** One round: a result per location, `failing` ones with a connect_refused. */
function round(minute: number, failing: string[]): ResultRecord[] {
  return ['a', 'b', 'c'].map((location, i) => ({
    checkId: 'api', location, ts: T0 + minute * MIN + i * 1000, status: failing.includes(location) ? 'down' : 'up', ok: !failing.includes(location),
    ...(failing.includes(location) && { failure: { reason: 'connect_refused', message: `refused at ${location}` } }),
  }));
}

describe('incidentsToRecord', () => {
  it('opens the incident on DOWN with its locations and first failure', () => {
    const before = evaluate(undefined, [...round(0, []), ...round(1, ['b', 'c'])], policy, T0 + 1 * MIN + 5000);
    const evaluation = evaluate(before.state, round(2, ['b', 'c']), policy, T0 + 2 * MIN + 5000);

    expect(evaluation.notifications.map((n) => n.event)).toEqual(['DOWN']);
    expect(incidentsToRecord(before.state, evaluation)).toEqual([{
      checkId: 'api',
      incidentId: evaluation.notifications[0]!.incidentId,
      startedAt: new Date(T0 + 1 * MIN + 1000).toISOString(),
      locations: ['b', 'c'],
      firstReason: 'connect_refused',
      firstMessage: 'refused at b',
    }]);
  });

  it('closes it on RESOLVED under the same key', () => {
    const down = evaluate(undefined, [...round(0, []), ...round(1, ['b', 'c']), ...round(2, ['b', 'c'])], policy, T0 + 2 * MIN + 5000);
    const resolved = evaluate(down.state, [...round(3, []), ...round(4, [])], policy, T0 + 4 * MIN + 5000);

    const [record] = incidentsToRecord(down.state, resolved);
    expect(record).toMatchObject({
      incidentId: down.notifications[0]!.incidentId,
      startedAt: new Date(T0 + 1 * MIN + 1000).toISOString(),
      endedAt: new Date(resolved.notifications[0]!.at).toISOString(),
      locations: ['b', 'c'],
      firstReason: 'connect_refused',
    });
  });

  it('records an incident that opened and closed within one evaluation from its DOWN', () => {
    const history = [...round(0, []), ...round(1, ['a', 'b']), ...round(2, ['a', 'b']), ...round(3, []), ...round(4, [])];
    const evaluation = evaluate(undefined, history, policy, T0 + 4 * MIN + 5000);

    expect(evaluation.notifications.map((n) => n.event)).toEqual(['DOWN', 'RESOLVED']);
    const [opened, closed] = incidentsToRecord(undefined, evaluation);
    expect(opened?.endedAt).toBeUndefined();
    expect(closed).toMatchObject({ incidentId: opened?.incidentId, startedAt: opened?.startedAt, locations: ['a', 'b'], firstReason: 'connect_refused', firstMessage: 'refused at a' });
    expect(closed?.endedAt).toBeDefined();
  });

  it('records nothing for other events', () => {
    const evaluation = evaluate(undefined, [...round(0, []), ...round(1, ['a']), ...round(2, ['a']), ...round(3, ['a'])], policy, T0 + 3 * MIN + 5000);
    expect(evaluation.notifications.every((n) => n.event !== 'DOWN' && n.event !== 'RESOLVED')).toBe(true);
    expect(incidentsToRecord(undefined, evaluation)).toEqual([]);
  });
});

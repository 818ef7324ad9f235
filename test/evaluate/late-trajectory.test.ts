/**
 * Trajectories with a lagging location and with silence, one result (or one sweep) at a time, in the
 * manner of gatus watchdog/alerting_test.go. Times are seconds after T0; `lag` is how much later than
 * its ts a result reaches the evaluator (the evaluation's `now`). The steps are listed in delivery order.
 * Both lag cases failed on the evaluator before the hold and the event-time quorum (checked by running
 * this file against a copy of the old shared/evaluate): the first paged twice, the second not at all.
 */
import { describe, expect, it } from 'vitest';
import type { Overall } from '../../shared/evaluate/index.ts';
import { Feed, MIN, policy, result, T0 } from './support.ts';

const SEC = 1_000;

interface LagStep {
  loc: string;
  /** Seconds after T0: the result's ts. */
  s: number;
  o: 'ok' | 'fail';
  /** Seconds between the result's ts and its delivery. */
  lag?: number;
  overall: Overall;
  events?: string[];
  /** The stepped location's [consecutiveFailures, consecutiveSuccesses, failing]. */
  counters?: [number, number, boolean];
}

function play(feed: Feed, steps: LagStep[]): void {
  steps.forEach((step, i) => {
    const r = { ...result(step.loc, 0, step.o), ts: T0 + step.s * SEC };
    const { notifications } = feed.send(r, r.ts + (step.lag ?? 0) * SEC);
    const where = `step ${i} (${step.loc} at ${step.s}s ${step.o}, delivered ${step.lag ?? 0}s late)`;
    expect(notifications.map((n) => n.event), where).toEqual(step.events ?? []);
    expect(feed.state?.overall, where).toBe(step.overall);
    if (step.counters) {
      const loc = feed.loc(step.loc);
      expect([loc?.consecutiveFailures, loc?.consecutiveSuccesses, loc?.failing], where).toEqual(step.counters);
    }
  });
}

/**
 * eu and us fail together from 0:10 (rechecks every 10 s), crossing failureThreshold 2 at 0:20 and
 * 0:25, and recover at 0:30 and 0:35 (recoveryThreshold 1): both failing from 0:25 to 0:30. ap stays
 * up. us's results arrive 60 s late, so eu's recovery arrives before us's crossing.
 */
const LAG = 60;
const baseline: LagStep[] = [
  { loc: 'eu', s: 0, o: 'ok', overall: 'UP' },
  { loc: 'ap', s: 5, o: 'ok', overall: 'UP' },
  { loc: 'eu', s: 10, o: 'fail', overall: 'UP', counters: [1, 0, false] },
];

describe('a location whose results arrive an interval late', () => {
  it('pages once, not once per spell, when its crossing arrives after the others recovered (quorum 1)', () => {
    const feed = new Feed(policy({ quorum: 1, recoveryThreshold: 1 }));
    play(feed, [
      { loc: 'us', s: -60, o: 'ok', overall: 'UP' },
      ...baseline,
      { loc: 'eu', s: 20, o: 'fail', overall: 'DOWN', events: ['DOWN'], counters: [2, 0, true] },
      // eu is up again: what is known says UP, but us has not reported since before eu began to recover
      { loc: 'eu', s: 30, o: 'ok', overall: 'DOWN', events: [], counters: [0, 0, false] },
      { loc: 'ap', s: 40, o: 'ok', overall: 'DOWN', events: [] },
      { loc: 'us', s: 0, o: 'ok', lag: LAG, overall: 'DOWN', events: [] },
      { loc: 'eu', s: 60, o: 'ok', overall: 'DOWN', events: [] },
      { loc: 'ap', s: 65, o: 'ok', overall: 'DOWN', events: [] },
      { loc: 'us', s: 15, o: 'fail', lag: LAG, overall: 'DOWN', events: [], counters: [1, 0, false] },
      // the old evaluator had resolved at 0:30 and paged DOWN a second time here
      { loc: 'us', s: 25, o: 'fail', lag: LAG, overall: 'DOWN', events: [], counters: [2, 0, true] },
      { loc: 'us', s: 35, o: 'ok', lag: LAG, overall: 'UP', events: ['RESOLVED'], counters: [0, 0, false] },
      { loc: 'eu', s: 120, o: 'ok', overall: 'UP', events: [] },
    ]);
    expect(feed.events()).toEqual(['DOWN', 'RESOLVED']);
    const [down, resolved] = feed.sent;
    expect(resolved).toMatchObject({ incidentId: down?.incidentId, since: T0 + 10 * SEC, durationMs: 25 * SEC, previous: 'DOWN' });
    expect(feed.state?.incident).toBeUndefined();
  });

  it('pages DOWN when the spells overlapped in event time though they arrive disjoint (quorum 2)', () => {
    const feed = new Feed(policy({ quorum: 2, recoveryThreshold: 1 }));
    play(feed, [
      { loc: 'us', s: -60, o: 'ok', overall: 'UP' },
      ...baseline,
      { loc: 'eu', s: 20, o: 'fail', overall: 'PARTIAL', events: [], counters: [2, 0, true] },
      // the old evaluator closed the PARTIAL silently here and never paged
      { loc: 'eu', s: 30, o: 'ok', overall: 'PARTIAL', events: [], counters: [0, 0, false] },
      { loc: 'ap', s: 40, o: 'ok', overall: 'PARTIAL', events: [] },
      { loc: 'us', s: 0, o: 'ok', lag: LAG, overall: 'PARTIAL', events: [] },
      { loc: 'eu', s: 60, o: 'ok', overall: 'PARTIAL', events: [] },
      { loc: 'ap', s: 65, o: 'ok', overall: 'PARTIAL', events: [] },
      { loc: 'us', s: 15, o: 'fail', lag: LAG, overall: 'PARTIAL', events: [], counters: [1, 0, false] },
      // at 0:25 eu (failing 0:20 to 0:30) and us were failing at once: a quorum, in event time
      { loc: 'us', s: 25, o: 'fail', lag: LAG, overall: 'PARTIAL', events: ['DOWN'], counters: [2, 0, true] },
      { loc: 'us', s: 35, o: 'ok', lag: LAG, overall: 'UP', events: ['RESOLVED'], counters: [0, 0, false] },
    ]);
    const [down, resolved] = feed.sent;
    expect(down).toMatchObject({ overall: 'DOWN', previous: 'PARTIAL', since: T0 + 10 * SEC, at: T0 + 25 * SEC });
    expect(down?.locations.filter((l) => l.failing).map((l) => l.location)).toEqual(['us']);
    expect(resolved).toMatchObject({ incidentId: down?.incidentId, durationMs: 25 * SEC });
  });

  it('holds the resolution only for live locations: one that went silent is not waited for', () => {
    const feed = new Feed(policy({ locations: ['eu', 'us'], quorum: 1, recoveryThreshold: 1 }));
    play(feed, [
      { loc: 'us', s: 0, o: 'ok', overall: 'UP' },
      { loc: 'eu', s: 1, o: 'fail', overall: 'UP' },
      { loc: 'eu', s: 11, o: 'fail', overall: 'DOWN', events: ['DOWN'] },
      { loc: 'eu', s: 60, o: 'ok', overall: 'DOWN', events: [] },
      { loc: 'eu', s: 120, o: 'ok', overall: 'DOWN', events: [] },
    ]);
    // us's last word is from 0:00; 3 intervals later it is silent and no longer holds the resolution
    expect(feed.send([], T0 + 3 * MIN + SEC).notifications.map((n) => n.event)).toEqual(['LOCATION_SILENT', 'RESOLVED']);
    expect(feed.sent.at(-1)?.durationMs).toBe(59 * SEC);
  });
});

describe('every location of a DOWN check goes silent', () => {
  it('stays DOWN with a REMINDER every repeatInterval from the sweep, one LOCATION_SILENT each, and one RESOLVED on recovery', () => {
    const feed = new Feed(policy({ repeatIntervalMs: 5 * MIN }));
    for (const min of [0, 1, 2]) feed.round(min, { eu: min === 0 ? 'ok' : 'fail', us: min === 0 ? 'ok' : 'fail', ap: min === 0 ? 'ok' : 'fail' });
    expect(feed.events()).toEqual(['DOWN']); // at 2:01, us's second failure
    const sweeps: Array<[number, string[]]> = [];
    // the sweep evaluates with no results every minute; nothing arrives from 2:02 to 20:00
    for (let min = 3; min <= 19; min++) {
      const ev = feed.send([], T0 + min * MIN);
      sweeps.push([min, ev.notifications.map((n) => n.event)]);
      expect(feed.state?.overall, `sweep at ${min}:00`).toBe('DOWN');
    }
    expect(sweeps.filter(([, events]) => events.length > 0)).toEqual([
      [6, ['LOCATION_SILENT', 'LOCATION_SILENT', 'LOCATION_SILENT']],
      [8, ['REMINDER']], // 5 minutes after the DOWN at 2:01, at the first sweep after it
      [13, ['REMINDER']],
      [18, ['REMINDER']],
    ]);
    expect(feed.state?.locations.eu).toMatchObject({ failing: true, silentAfter: expect.any(Number) });
    const reminder = feed.sent.find((n) => n.event === 'REMINDER');
    expect(reminder?.locations.every((l) => l.failing && l.silent)).toBe(true);

    // recovery evidence, and only that, resolves it
    const recovery: Array<[string[], number]> = [];
    for (const min of [20, 21]) for (const loc of ['eu', 'us', 'ap']) recovery.push([feed.send(result(loc, min, 'ok')).notifications.map((n) => n.event), min]);
    expect(recovery.flatMap(([events]) => events)).toEqual(['RESOLVED']);
    expect(feed.sent.at(-1)).toMatchObject({ event: 'RESOLVED', at: T0 + 21 * MIN + 2 * SEC, previous: 'PARTIAL' });
    expect(feed.state?.overall).toBe('UP');
    expect(Object.values(feed.state!.locations).every((l) => l.silentAfter === undefined)).toBe(true);
    expect(feed.send([], T0 + 23 * MIN).notifications).toEqual([]);
  });
});

/**
 * Trajectories of the alert policy, one result at a time, in the manner of gatus
 * watchdog/alerting_test.go: after each result, the stepped location's counters, the check's overall
 * state and the events decided. Three locations (eu, us, ap), failureThreshold 2, recoveryThreshold
 * 2, quorum 2, one-minute interval, unless a case says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { Feed, LOCATIONS, MIN, okSteps, play, policy, quietRound, result, T0, tsOf, type Step } from './support.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('a one-run blip', () => {
  it('in one location counts one failure and pages nobody', () => {
    const feed = new Feed(policy());
    play(feed, [
      ...quietRound(0, 'ok'),
      { loc: 'eu', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'us', min: 1, o: 'ok', overall: 'UP', counters: [0, 0, false] },
      { loc: 'ap', min: 1, o: 'ok', overall: 'UP' },
      { loc: 'eu', min: 2, o: 'ok', overall: 'UP', counters: [0, 0, false] },
    ]);
    expect(feed.sent).toEqual([]);
    expect(feed.loc('eu')?.firstFailureTs).toBeUndefined();
  });

  it('everywhere at once still pages nobody: one failed run is below failureThreshold', () => {
    const feed = new Feed(policy());
    play(feed, [
      ...quietRound(0, 'ok'),
      { loc: 'eu', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'us', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'ap', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'eu', min: 2, o: 'ok', overall: 'UP', counters: [0, 0, false] },
      { loc: 'us', min: 2, o: 'ok', overall: 'UP', counters: [0, 0, false] },
      { loc: 'ap', min: 2, o: 'ok', overall: 'UP', counters: [0, 0, false] },
    ]);
    expect(feed.sent).toEqual([]);
  });
});

describe('one region partitioned', () => {
  it('is PARTIAL once it has held for an interval, never DOWN, and resolves with its duration', () => {
    const feed = new Feed(policy());
    play(feed, [
      ...quietRound(0, 'ok'),
      { loc: 'eu', min: 1, o: 'ok', overall: 'UP' },
      { loc: 'us', min: 1, o: 'ok', overall: 'UP' },
      { loc: 'ap', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'eu', min: 2, o: 'ok', overall: 'UP' },
      { loc: 'us', min: 2, o: 'ok', overall: 'UP' },
      // ap crosses the threshold: PARTIAL, but not announced until it has held for an interval
      { loc: 'ap', min: 2, o: 'fail', overall: 'PARTIAL', events: [], counters: [2, 0, true] },
      { loc: 'eu', min: 3, o: 'ok', overall: 'PARTIAL', events: [] },
      { loc: 'us', min: 3, o: 'ok', overall: 'PARTIAL', events: [] },
      { loc: 'ap', min: 3, o: 'fail', overall: 'PARTIAL', events: ['PARTIAL'], counters: [3, 0, true] },
      ...okSteps(4, 'PARTIAL', 'eu', 'us'),
      { loc: 'ap', min: 4, o: 'fail', overall: 'PARTIAL', events: [], counters: [4, 0, true] },
      ...okSteps(5, 'PARTIAL', 'eu', 'us'),
      { loc: 'ap', min: 5, o: 'fail', overall: 'PARTIAL', events: [], counters: [5, 0, true] },
      ...okSteps(6, 'PARTIAL', 'eu', 'us'),
      { loc: 'ap', min: 6, o: 'ok', overall: 'PARTIAL', events: [], counters: [0, 1, true] },
      ...okSteps(7, 'PARTIAL', 'eu', 'us'),
      { loc: 'ap', min: 7, o: 'ok', overall: 'UP', events: ['RESOLVED'], counters: [0, 0, false] },
    ]);
    const [partial, resolved] = feed.sent;
    expect(partial).toMatchObject({ severity: 'warning', previous: 'PARTIAL', overall: 'PARTIAL', since: tsOf('ap', 1), channels: ['ops'] });
    expect(partial?.locations.find((l) => l.location === 'ap')).toEqual({
      location: 'ap', failing: true, reason: 'connect_timeout', message: 'no answer from ap', since: tsOf('ap', 1), latencyMs: 120, phases: { connect: 10, total: 120 },
    });
    // a resting location reports no latency: its stored value may lag (see LocationState)
    expect(partial?.locations.find((l) => l.location === 'eu')).toEqual({ location: 'eu', failing: false });
    expect(resolved).toMatchObject({ severity: 'info', previous: 'PARTIAL', overall: 'UP', incidentId: partial?.incidentId, durationMs: 6 * MIN });
    expect(feed.state?.incident).toBeUndefined();
  });

  it('that heals within the interval closes silently, once the others have reported after the recovery', () => {
    const feed = new Feed(policy({ recoveryThreshold: 1 }));
    play(feed, [
      ...quietRound(0, 'ok'),
      ...okSteps(1, 'UP', 'eu', 'us'),
      { loc: 'ap', min: 1, o: 'fail', overall: 'UP' },
      ...okSteps(2, 'UP', 'eu', 'us'),
      { loc: 'ap', min: 2, o: 'fail', overall: 'PARTIAL', events: [], counters: [2, 0, true] },
      ...okSteps(3, 'PARTIAL', 'eu', 'us'),
      // eu and us last reported before ap recovered: a late failure of theirs would still belong here
      { loc: 'ap', min: 3, o: 'ok', overall: 'PARTIAL', events: [], counters: [0, 0, false] },
      { loc: 'eu', min: 4, o: 'ok', overall: 'PARTIAL', events: [] },
      { loc: 'us', min: 4, o: 'ok', overall: 'UP', events: [] },
    ]);
    expect(feed.sent).toEqual([]);
    expect(feed.state?.incident).toBeUndefined();
  });
});

describe('a global outage', () => {
  it('sends one DOWN when the quorum fails and one RESOLVED with the outage length', () => {
    const feed = new Feed(policy());
    play(feed, [
      ...quietRound(0, 'ok'),
      { loc: 'eu', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'us', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'ap', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'eu', min: 2, o: 'fail', overall: 'PARTIAL', events: [], counters: [2, 0, true] },
      { loc: 'us', min: 2, o: 'fail', overall: 'DOWN', events: ['DOWN'], counters: [2, 0, true] },
      { loc: 'ap', min: 2, o: 'fail', overall: 'DOWN', events: [], counters: [2, 0, true] },
      ...quietRound(3, 'fail', 'DOWN'),
      ...quietRound(4, 'fail', 'DOWN'),
      { loc: 'eu', min: 5, o: 'ok', overall: 'DOWN', counters: [0, 1, true] },
      { loc: 'us', min: 5, o: 'ok', overall: 'DOWN', counters: [0, 1, true] },
      { loc: 'ap', min: 5, o: 'ok', overall: 'DOWN', counters: [0, 1, true] },
      { loc: 'eu', min: 6, o: 'ok', overall: 'DOWN', counters: [0, 0, false] },
      // improving from DOWN to PARTIAL pages nobody
      { loc: 'us', min: 6, o: 'ok', overall: 'PARTIAL', events: [], counters: [0, 0, false] },
      { loc: 'ap', min: 6, o: 'ok', overall: 'UP', events: ['RESOLVED'], counters: [0, 0, false] },
      ...quietRound(7, 'ok'),
    ]);
    expect(feed.events()).toEqual(['DOWN', 'RESOLVED']);
    const [down, resolved] = feed.sent;
    const incidentId = `api:${iso(tsOf('eu', 1))}`;
    expect(down).toMatchObject({ severity: 'critical', previous: 'PARTIAL', overall: 'DOWN', incidentId, dedupeKey: `${incidentId}:DOWN:1`, at: tsOf('us', 2), since: tsOf('eu', 1) });
    expect(down?.locations.map((l) => [l.location, l.failing])).toEqual([['eu', true], ['us', true], ['ap', false]]);
    expect(resolved).toMatchObject({ incidentId, dedupeKey: `${incidentId}:RESOLVED:1`, at: tsOf('ap', 6), durationMs: tsOf('ap', 6) - tsOf('eu', 1) });
  });

  it('records the incident: start, the failing locations in the order they failed, the first reason', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    feed.round(1, { eu: 'fail', us: 'fail', ap: 'fail' });
    feed.round(2, { ap: 'fail', us: 'fail', eu: 'fail' });
    // ap crossed first, so the incident opened on ap's run; its id is fixed from then on
    expect(feed.state?.incident).toMatchObject({ id: `api:${iso(tsOf('ap', 1))}`, startedAt: tsOf('ap', 1), locations: ['ap', 'us', 'eu'], firstReason: 'connect_timeout', sent: { DOWN: 1 } });
  });
});

describe('flapping', () => {
  it('alternating failures never reach the threshold', () => {
    const feed = new Feed(policy());
    const steps: Step[] = [...quietRound(0, 'ok')];
    for (let min = 1; min <= 8; min++) {
      const o = min % 2 === 1 ? 'fail' : 'ok';
      for (const loc of LOCATIONS) steps.push({ loc, min, o, overall: 'UP', counters: [o === 'fail' ? 1 : 0, 0, false] });
    }
    play(feed, steps);
    expect(feed.sent).toEqual([]);
  });

  it('one success in the middle of an outage neither resolves it nor pages again', () => {
    const feed = new Feed(policy());
    play(feed, [
      ...quietRound(0, 'ok'),
      ...quietRound(1, 'fail'),
      { loc: 'eu', min: 2, o: 'fail', overall: 'PARTIAL' },
      { loc: 'us', min: 2, o: 'fail', overall: 'DOWN', events: ['DOWN'] },
      { loc: 'ap', min: 2, o: 'fail', overall: 'DOWN' },
      { loc: 'eu', min: 3, o: 'ok', overall: 'DOWN', counters: [0, 1, true] },
      { loc: 'us', min: 3, o: 'ok', overall: 'DOWN', counters: [0, 1, true] },
      { loc: 'ap', min: 3, o: 'ok', overall: 'DOWN', counters: [0, 1, true] },
      // the recovery is interrupted: the failure run goes on, it does not restart
      { loc: 'eu', min: 4, o: 'fail', overall: 'DOWN', events: [], counters: [1, 0, true] },
      { loc: 'us', min: 4, o: 'fail', overall: 'DOWN', events: [], counters: [1, 0, true] },
      { loc: 'ap', min: 4, o: 'fail', overall: 'DOWN', events: [], counters: [1, 0, true] },
      ...quietRound(5, 'ok', 'DOWN'),
      { loc: 'eu', min: 6, o: 'ok', overall: 'DOWN' },
      { loc: 'us', min: 6, o: 'ok', overall: 'PARTIAL' },
      { loc: 'ap', min: 6, o: 'ok', overall: 'UP', events: ['RESOLVED'] },
    ]);
    expect(feed.events()).toEqual(['DOWN', 'RESOLVED']);
    expect(feed.sent[1]?.durationMs).toBe(tsOf('ap', 6) - tsOf('eu', 1));
    expect(feed.loc('eu')?.firstFailureTs).toBeUndefined();
  });

  it('wavering between DOWN and PARTIAL inside one incident pages once', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    for (const min of [1, 2, 3]) feed.round(min, { eu: 'fail', us: 'fail', ap: 'ok' });
    expect(feed.state?.overall).toBe('DOWN');
    feed.round(4, { eu: 'fail', us: 'ok', ap: 'ok' });
    feed.round(5, { eu: 'fail', us: 'ok', ap: 'ok' });
    expect(feed.state?.overall).toBe('PARTIAL');
    feed.round(6, { eu: 'fail', us: 'ok', ap: 'ok' });
    feed.round(7, { eu: 'fail', us: 'fail', ap: 'ok' });
    feed.round(8, { eu: 'fail', us: 'fail', ap: 'ok' });
    expect(feed.state?.overall).toBe('DOWN');
    for (const min of [9, 10]) feed.round(min, { eu: 'ok', us: 'ok', ap: 'ok' });
    expect(feed.events()).toEqual(['DOWN', 'RESOLVED']);
  });

  it('an outage, a full recovery and a new outage are two incidents with their own ids', () => {
    const feed = new Feed(policy());
    const all = (o: 'ok' | 'fail') => ({ eu: o, us: o, ap: o });
    for (const [min, o] of [[0, 'ok'], [1, 'fail'], [2, 'fail'], [3, 'ok'], [4, 'ok'], [5, 'fail'], [6, 'fail'], [7, 'ok'], [8, 'ok']] as const) feed.round(min, all(o));
    expect(feed.events()).toEqual(['DOWN', 'RESOLVED', 'DOWN', 'RESOLVED']);
    const ids = feed.sent.map((n) => n.incidentId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).toBe(ids[3]);
    expect(ids[0]).not.toBe(ids[2]);
    expect(ids[2]).toBe(`api:${iso(tsOf('eu', 5))}`);
  });
});

describe('reminders', () => {
  it('repeat every repeatInterval while DOWN, including while recovery is unconfirmed, and stop at RESOLVED', () => {
    const feed = new Feed(policy({ repeatIntervalMs: 3 * MIN }));
    const steps: Step[] = [...quietRound(0, 'ok'), ...quietRound(1, 'fail')];
    steps.push(
      { loc: 'eu', min: 2, o: 'fail', overall: 'PARTIAL' },
      { loc: 'us', min: 2, o: 'fail', overall: 'DOWN', events: ['DOWN'] }, // at 2:01
      { loc: 'ap', min: 2, o: 'fail', overall: 'DOWN' },
      ...quietRound(3, 'fail', 'DOWN'),
      ...quietRound(4, 'fail', 'DOWN'),
      { loc: 'eu', min: 5, o: 'fail', overall: 'DOWN', events: [] }, // 2:59 after the DOWN
      { loc: 'us', min: 5, o: 'fail', overall: 'DOWN', events: ['REMINDER'] }, // 3:00 after
      { loc: 'ap', min: 5, o: 'fail', overall: 'DOWN', events: [] },
      ...quietRound(6, 'fail', 'DOWN'),
      ...quietRound(7, 'fail', 'DOWN'),
      // recovery has begun but is not confirmed when the next reminder falls due: it is still down
      { loc: 'eu', min: 8, o: 'ok', overall: 'DOWN', events: [], counters: [0, 1, true] },
      { loc: 'us', min: 8, o: 'ok', overall: 'DOWN', events: ['REMINDER'], counters: [0, 1, true] },
      { loc: 'ap', min: 8, o: 'ok', overall: 'DOWN', events: [] },
      { loc: 'eu', min: 9, o: 'ok', overall: 'DOWN' },
      { loc: 'us', min: 9, o: 'ok', overall: 'PARTIAL' },
      { loc: 'ap', min: 9, o: 'ok', overall: 'UP', events: ['RESOLVED'] },
    );
    for (let min = 10; min <= 20; min++) steps.push(...quietRound(min, 'ok'));
    play(feed, steps);
    expect(feed.events()).toEqual(['DOWN', 'REMINDER', 'REMINDER', 'RESOLVED']);
    const incidentId = feed.sent[0]?.incidentId;
    expect(feed.sent.map((n) => n.dedupeKey)).toEqual([`${incidentId}:DOWN:1`, `${incidentId}:REMINDER:1`, `${incidentId}:REMINDER:2`, `${incidentId}:RESOLVED:1`]);
    expect(feed.state?.lastReminderAt).toBeUndefined();
  });

  it('fall due with no results at all when evaluated on a schedule', () => {
    const feed = new Feed(policy({ repeatIntervalMs: 2 * MIN, locations: ['eu'], quorum: 1 }));
    feed.send(result('eu', 0, 'fail'));
    feed.send(result('eu', 1, 'fail'));
    expect(feed.events()).toEqual(['DOWN']);
    // no newer result, yet time passes: the evaluator is called with none and a later now
    expect(feed.send([], T0 + 2.5 * MIN).notifications).toEqual([]);
    expect(feed.send([], T0 + 3 * MIN).notifications.map((n) => n.event)).toEqual(['REMINDER']);
    expect(feed.send([], T0 + 3 * MIN).notifications).toEqual([]);
    // later still, eu itself has gone quiet: silence is no evidence of recovery, so it stays DOWN
    expect(feed.send([], T0 + 4.5 * MIN).notifications.map((n) => n.event)).toEqual(['LOCATION_SILENT']);
    expect(feed.state?.overall).toBe('DOWN');
  });
});

describe('a location going silent', () => {
  it('sends one LOCATION_SILENT after 3 intervals without a result, and nothing when it is back', () => {
    const feed = new Feed(policy());
    const steps: Step[] = [...quietRound(0, 'ok'), ...quietRound(1, 'ok')];
    for (let min = 2; min <= 4; min++) steps.push({ loc: 'eu', min, o: 'ok', overall: 'UP' }, { loc: 'us', min, o: 'ok', overall: 'UP', events: [] });
    // ap's newest result is 1:02; at 5:00 that is more than 3 minutes ago
    steps.push({ loc: 'eu', min: 5, o: 'ok', overall: 'UP', events: ['LOCATION_SILENT'] }, { loc: 'us', min: 5, o: 'ok', overall: 'UP', events: [] });
    for (let min = 6; min <= 9; min++) steps.push({ loc: 'eu', min, o: 'ok', overall: 'UP', events: [] }, { loc: 'us', min, o: 'ok', overall: 'UP', events: [] });
    steps.push({ loc: 'ap', min: 10, o: 'ok', overall: 'UP', events: [] });
    play(feed, steps);
    const [silent] = feed.sent;
    const incidentId = `api:ap:silent:${iso(tsOf('ap', 1))}`;
    expect(silent).toMatchObject({ event: 'LOCATION_SILENT', severity: 'warning', at: tsOf('eu', 5), incidentId, dedupeKey: `${incidentId}:LOCATION_SILENT:1` });
    expect(silent?.locations).toEqual([{ location: 'ap', failing: false, silent: true }]);
    expect(feed.loc('ap')?.silentAfter).toBeUndefined();
  });

  it('while up never starts counting as failing: with too few live locations the check is PARTIAL at worst', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    for (let min = 1; min <= 4; min++) feed.round(min, { eu: 'ok' });
    expect(feed.events()).toEqual(['LOCATION_SILENT', 'LOCATION_SILENT']);
    for (let min = 5; min <= 9; min++) feed.round(min, { eu: 'fail' });
    expect(feed.state?.overall).toBe('PARTIAL');
    expect(feed.events()).toEqual(['LOCATION_SILENT', 'LOCATION_SILENT', 'PARTIAL']);
  });

  it('a failing location that goes silent keeps counting as failing until a result says it recovered', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    for (let min = 1; min <= 3; min++) feed.round(min, { eu: 'ok', us: 'ok', ap: 'fail' });
    expect(feed.events()).toEqual(['PARTIAL']);
    for (let min = 4; min <= 9; min++) feed.round(min, { eu: 'ok', us: 'ok' });
    // the only failing location is no longer heard from: no evidence of recovery, so still PARTIAL
    expect(feed.events()).toEqual(['PARTIAL', 'LOCATION_SILENT']);
    expect(feed.state?.overall).toBe('PARTIAL');
    expect(feed.sent[1]?.locations).toEqual([expect.objectContaining({ location: 'ap', failing: true, silent: true })]);
    for (const min of [10, 11]) feed.round(min, { eu: 'ok', us: 'ok', ap: 'ok' });
    expect(feed.events()).toEqual(['PARTIAL', 'LOCATION_SILENT', 'RESOLVED']);
    expect(feed.sent[2]?.durationMs).toBe(tsOf('ap', 11) - tsOf('ap', 1));
  });

  it('a location that never reported is silent 3 intervals after the check\'s first result', () => {
    const feed = new Feed(policy());
    for (let min = 0; min <= 2; min++) feed.round(min, { eu: 'ok', us: 'ok' });
    expect(feed.send(result('eu', 3, 'ok')).notifications).toEqual([]);
    expect(feed.send(result('us', 3, 'ok')).notifications.map((n) => n.incidentId)).toEqual([`api:ap:silent:${iso(T0)}`]);
  });

  it('is judged on heartbeats when the state comes from a store that skipped steady-state writes', () => {
    const p = policy();
    const stored = new Feed(p);
    const heartbeats: Record<string, number> = {};
    const persist = (r: ReturnType<typeof result>) => {
      heartbeats[r.location] = r.ts;
      const before = stored.state;
      const ev = stored.send(r, r.ts, { lastSeen: heartbeats });
      if (!ev.changed) stored.state = before;
      return ev;
    };
    for (let min = 0; min <= 1; min++) for (const loc of LOCATIONS) persist(result(loc, min, 'ok'));
    for (let min = 2; min <= 10; min++) for (const loc of LOCATIONS) expect(persist(result(loc, min, 'ok')).changed).toBe(false);
    expect(stored.sent).toEqual([]);
    // the stored lastTs lags (minute 0); without the heartbeats every location would look silent
    expect(stored.state?.locations.eu?.lastTs).toBe(tsOf('eu', 0));
    const blind = new Feed(p, stored.state).send(result('eu', 11, 'ok'));
    expect(blind.notifications.map((n) => n.event)).toEqual(['LOCATION_SILENT', 'LOCATION_SILENT']);
  });
});

describe('the for: duration variant', () => {
  it('fails once a run has lasted `for`, whatever failureThreshold says, and a success restarts the clock', () => {
    const feed = new Feed(policy({ locations: ['eu'], quorum: 1, failureThreshold: 1, forMs: 2 * MIN }));
    play(feed, [
      { loc: 'eu', min: 0, o: 'ok', overall: 'UP' },
      { loc: 'eu', min: 1, o: 'fail', overall: 'UP', counters: [1, 0, false] },
      { loc: 'eu', min: 2, o: 'fail', overall: 'UP', counters: [2, 0, false] },
      { loc: 'eu', min: 3, o: 'fail', overall: 'DOWN', events: ['DOWN'], counters: [3, 0, true] },
      { loc: 'eu', min: 4, o: 'ok', overall: 'DOWN', counters: [0, 1, true] },
      { loc: 'eu', min: 5, o: 'ok', overall: 'UP', events: ['RESOLVED'], counters: [0, 0, false] },
      { loc: 'eu', min: 7, o: 'fail', overall: 'UP' },
      { loc: 'eu', min: 8, o: 'fail', overall: 'UP' },
      { loc: 'eu', min: 9, o: 'ok', overall: 'UP', counters: [0, 0, false] },
      { loc: 'eu', min: 10, o: 'fail', overall: 'UP' },
      { loc: 'eu', min: 11, o: 'fail', overall: 'UP', counters: [2, 0, false] },
      { loc: 'eu', min: 12, o: 'fail', overall: 'DOWN', events: ['DOWN'] },
    ]);
    expect(feed.sent[1]?.durationMs).toBe(4 * MIN);
  });
});

describe('quorum 1 of 3', () => {
  it('pages DOWN on one failing location, without a PARTIAL first', () => {
    const feed = new Feed(policy({ quorum: 1 }));
    play(feed, [
      ...quietRound(0, 'ok'),
      { loc: 'eu', min: 1, o: 'ok', overall: 'UP' },
      { loc: 'ap', min: 1, o: 'fail', overall: 'UP' },
      { loc: 'us', min: 1, o: 'ok', overall: 'UP' },
      ...okSteps(2, 'UP', 'eu', 'us'),
      { loc: 'ap', min: 2, o: 'fail', overall: 'DOWN', events: ['DOWN'] },
      ...okSteps(3, 'DOWN', 'eu', 'us'),
      { loc: 'ap', min: 3, o: 'ok', overall: 'DOWN' },
      ...okSteps(4, 'DOWN', 'eu', 'us'),
      { loc: 'ap', min: 4, o: 'ok', overall: 'UP', events: ['RESOLVED'] },
    ]);
  });
});

describe('slow but passing', () => {
  it('is DEGRADED when a quorum is slow for failureThreshold runs, and resolves when they are fast again', () => {
    const feed = new Feed(policy());
    play(feed, [
      ...quietRound(0, 'ok'),
      { loc: 'eu', min: 1, o: 'slow', overall: 'UP' },
      { loc: 'us', min: 1, o: 'slow', overall: 'UP' },
      { loc: 'ap', min: 1, o: 'ok', overall: 'UP' },
      { loc: 'eu', min: 2, o: 'slow', overall: 'UP' },
      { loc: 'us', min: 2, o: 'slow', overall: 'DEGRADED', events: ['DEGRADED'] },
      { loc: 'ap', min: 2, o: 'ok', overall: 'DEGRADED' },
      ...okSteps(3, 'DEGRADED', 'eu', 'us', 'ap'),
      { loc: 'eu', min: 4, o: 'ok', overall: 'UP', events: ['RESOLVED'] },
    ]);
    expect(feed.sent[0]).toMatchObject({ severity: 'warning', previous: 'UP' });
    expect(feed.sent[0]?.locations.find((l) => l.location === 'us')).toMatchObject({ degraded: true, latencyMs: 2_500 });
  });

  it('in one region only is expected latency, not news', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    for (let min = 1; min <= 6; min++) feed.round(min, { eu: 'ok', us: 'ok', ap: 'slow' });
    expect(feed.loc('ap')?.degraded).toBe(true);
    expect(feed.sent).toEqual([]);
  });

  it('escalates to PARTIAL and DOWN but never back down to DEGRADED within the incident', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    for (const min of [1, 2]) feed.round(min, { eu: 'slow', us: 'slow', ap: 'ok' });
    for (const min of [3, 4, 5]) feed.round(min, { eu: 'fail', us: 'slow', ap: 'ok' });
    for (const min of [6, 7]) feed.round(min, { eu: 'fail', us: 'fail', ap: 'ok' });
    for (const min of [8, 9]) feed.round(min, { eu: 'slow', us: 'slow', ap: 'ok' });
    expect(feed.state?.overall).toBe('DEGRADED');
    for (const min of [10, 11]) feed.round(min, { eu: 'ok', us: 'ok', ap: 'ok' });
    expect(feed.events()).toEqual(['DEGRADED', 'PARTIAL', 'DOWN', 'RESOLVED']);
    expect(new Set(feed.sent.map((n) => n.incidentId)).size).toBe(1);
  });
});

describe('duplicates and out-of-order results', () => {
  it('a result no newer than the location\'s latest changes nothing', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    feed.send(result('eu', 1, 'fail'));
    const before = feed.state;
    for (const stale of [result('eu', 1, 'fail'), result('eu', 0, 'ok'), result('eu', 1, 'ok')]) {
      const ev = feed.send(stale, tsOf('eu', 1));
      expect(ev).toMatchObject({ changed: false, notifications: [] });
      expect(ev.state).toEqual(before);
    }
    expect(feed.loc('eu')?.consecutiveFailures).toBe(1);
  });

  it('a failure delivered late, after a newer success, is dropped and cannot combine with a later one', () => {
    const feed = new Feed(policy({ quorum: 1 }));
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    feed.send(result('eu', 2, 'ok'));
    feed.send(result('eu', 1, 'fail'));
    feed.send(result('eu', 3, 'fail'));
    expect(feed.loc('eu')).toMatchObject({ consecutiveFailures: 1, failing: false });
    expect(feed.sent).toEqual([]);
  });

  it('a batch is applied in ts order, and a batch of duplicates is a no-op', () => {
    const feed = new Feed(policy());
    feed.send([result('ap', 0, 'ok'), result('us', 0, 'ok'), result('eu', 0, 'ok')]);
    const batch = [result('us', 2, 'fail'), result('eu', 2, 'fail'), result('us', 1, 'fail'), result('eu', 1, 'fail'), result('eu', 1, 'fail')];
    expect(feed.send(batch).notifications.map((n) => n.event)).toEqual(['DOWN']);
    expect(feed.loc('eu')?.consecutiveFailures).toBe(2);
    const again = feed.send(batch);
    expect(again).toMatchObject({ changed: false, notifications: [] });
  });
});

describe('what needs writing', () => {
  it('steady state writes nothing', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    for (let min = 1; min <= 5; min++) {
      for (const loc of LOCATIONS) expect(feed.send(result(loc, min, 'ok')).changed, `${loc} ${min}`).toBe(false);
    }
  });

  it('the first result, and any result that moves a counter, must be written', () => {
    const feed = new Feed(policy());
    expect(feed.send(result('eu', 0, 'ok')).changed).toBe(true);
    expect(feed.send(result('eu', 1, 'fail')).changed).toBe(true);
    expect(feed.send(result('eu', 2, 'ok')).changed).toBe(true);
    expect(feed.send(result('eu', 3, 'ok')).changed).toBe(false);
  });

  it('a failure and a success in one batch are written, so a late replay of the failure is recognised', () => {
    const feed = new Feed(policy());
    feed.round(0, { eu: 'ok', us: 'ok', ap: 'ok' });
    const ev = feed.send([result('eu', 1, 'fail'), result('eu', 2, 'ok')]);
    expect(ev.changed).toBe(true);
    expect(ev.state.locations.eu?.consecutiveFailures).toBe(0);
  });

  it('version is the store\'s: evaluate never changes it', () => {
    const feed = new Feed(policy());
    feed.send(result('eu', 0, 'ok'));
    expect(feed.state?.version).toBe(0);
    const stored = { ...feed.state!, version: 7 };
    expect(new Feed(policy(), stored).send(result('eu', 1, 'fail')).state.version).toBe(7);
  });
});

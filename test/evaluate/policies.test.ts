/**
 * Trajectories of the policies beyond consecutive counts (issue 12): maintenance windows, silences,
 * `window`, `flapping` and `escalate`. Three locations (eu, us, ap) one second apart each minute,
 * failureThreshold 2, recoveryThreshold 2, quorum 2, one-minute interval, and a sweep (evaluate with
 * no results) half a minute into every minute, as the deployed sweep runs, unless a case says otherwise.
 */
import { describe, expect, it } from 'vitest';
import type { Mute, Notification, Observations, PolicyInput } from '../../shared/evaluate/index.ts';
import { Feed, LOCATIONS, MIN, policy, result, T0, type Outcome } from './support.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const at = (minute: number, seconds = 0) => T0 + minute * MIN + seconds * 1_000;

type Pattern = (location: string, minute: number) => Outcome;

/** Every location's result each minute in [from, to), and a sweep at :30 of each. */
function drive(feed: Feed, from: number, to: number, pattern: Pattern, observations?: (now: number) => Observations): void {
  for (let m = from; m < to; m++) {
    for (const loc of feed.policy.locations) feed.send(result(loc, m, pattern(loc, m)), undefined, observations?.(at(m, 2)));
    feed.send([], at(m, 30), observations?.(at(m, 30)));
  }
}

const down = (from: number, to: number): Pattern => (_loc, m) => (m >= from && m < to ? 'fail' : 'ok');
const events = (sent: readonly Notification[]) => sent.map((n) => `${n.event}@${iso(n.at).slice(11, 19)}`);
const oneOff = (name: string, start: number, end: number) => ({ name, start, end, timezone: 'UTC' });
const silence = (name: string, start: number, end: number): Mute => ({ kind: 'silence', name, start, end });

function feedWith(over: Partial<PolicyInput> = {}): Feed {
  return new Feed(policy(over));
}

describe('a maintenance window', () => {
  it('that starts during a DOWN keeps it, pauses its REMINDERs, and sends its RESOLVED', () => {
    const feed = feedWith({ repeatIntervalMs: 2 * MIN, maintenance: [oneOff('deploy', at(5), at(15))] });
    drive(feed, 0, 20, down(2, 12));
    // DOWN at the second failed round (minute 3); reminders at 5 would be inside the window.
    // The last location (ap, two seconds into the minute) confirms the recovery at 12:13:02.
    expect(events(feed.sent)).toEqual(['DOWN@12:03:01', 'RESOLVED@12:13:02']);
    expect(feed.sent[1]!.incidentId).toBe(feed.sent[0]!.incidentId);
  });

  it('holds everything for an outage that heals inside it, and sends nothing after it', () => {
    const feed = feedWith({ maintenance: [oneOff('deploy', at(2), at(10))] });
    const suppressed: string[] = [];
    for (let m = 0; m < 14; m++) {
      for (const loc of LOCATIONS) suppressed.push(...feed.send(result(loc, m, down(3, 7)(loc, m))).suppressed.map((s) => s.notification.event));
      suppressed.push(...feed.send([], at(m, 30)).suppressed.map((s) => s.notification.event));
      if (m >= 2 && m < 10) expect(feed.state?.mute).toMatchObject({ kind: 'maintenance', name: 'deploy', end: at(10) });
    }
    expect(feed.sent).toEqual([]);
    expect(suppressed).toContain('DOWN');
    expect(feed.state?.mute).toBeUndefined();
    expect(feed.state?.overall).toBe('UP');
  });

  it('pages at its end for a check still failing, as a new incident starting at the end', () => {
    const feed = feedWith({ maintenance: [oneOff('migration', at(2), at(8))] });
    drive(feed, 0, 16, down(3, 12));
    expect(events(feed.sent)).toEqual(['DOWN@12:08:00', 'RESOLVED@12:13:02']);
    const [downNote, resolved] = feed.sent as [Notification, Notification];
    expect(downNote.incidentId).toBe(`api:${iso(at(8))}`);
    expect(downNote.since).toBe(at(8));
    // Counted from the end of the window to the run that confirmed the recovery.
    expect(resolved.durationMs).toBe(at(13, 2) - at(8));
  });

  it('ending while the outage is clearing pages nothing for what was DOWN inside it: only the state after the end counts', () => {
    // DOWN everywhere inside the window; at its end eu and us have recovered and ap is recovering
    // (one good run of two). The check is PARTIAL at the end, not DOWN, and up before that PARTIAL
    // has held for an interval. Before the fix the spells that ended inside the window made a DOWN.
    const feed = feedWith({ maintenance: [oneOff('deploy', at(1), at(8, 10))] });
    drive(feed, 0, 14, (loc, m) => (m >= 2 && m < (loc === 'ap' ? 8 : 6) ? 'fail' : 'ok'));
    expect(feed.sent).toEqual([]);
    // Still failing past an interval after the end: a PARTIAL, never a DOWN.
    const longer = feedWith({ maintenance: [oneOff('deploy', at(1), at(8, 10))] });
    drive(longer, 0, 14, (loc, m) => (m >= 2 && m < (loc === 'ap' ? 9 : 6) ? 'fail' : 'ok'));
    expect(events(longer.sent)).toEqual(['PARTIAL@12:09:30', 'RESOLVED@12:10:02']);
  });

  it('reports the check as in maintenance while the counting goes on', () => {
    const feed = feedWith({ maintenance: [oneOff('migration', at(2), at(8))] });
    drive(feed, 0, 6, down(3, 12));
    expect(feed.state?.mute).toEqual({ kind: 'maintenance', name: 'migration', start: at(2), end: at(8) });
    expect(feed.state?.overall).toBe('DOWN');
    expect(feed.loc('eu')?.failing).toBe(true);
  });

  it('holds LOCATION_SILENT and CERT_EXPIRING, and sends them after it when still true', () => {
    const feed = feedWith({ maintenance: [oneOff('deploy', at(2), at(10))] });
    const soon = at(0) + 5 * 86_400_000;
    for (let m = 0; m < 14; m++) {
      for (const loc of ['eu', 'us']) feed.send({ ...result(loc, m, 'ok'), ...(m >= 3 && { certExpiresAt: soon }) });
      if (m < 1) feed.send(result('ap', m, 'ok'));
      feed.send([], at(m, 30));
    }
    expect(events(feed.sent)).toEqual(['LOCATION_SILENT@12:10:00', 'CERT_EXPIRING@12:10:00']);
  });
});

describe('a silence', () => {
  it('that expires early behaves like the end of a window: the DOWN follows at the expiry', () => {
    const feed = feedWith();
    let mute = silence('s-1234abcd', at(1), at(60));
    drive(feed, 0, 6, down(2, 20), () => ({ mutes: [mute] }));
    expect(feed.sent).toEqual([]);
    expect(feed.state?.mute?.kind).toBe('silence');
    // `vantage silence expire` at 12:06:10 sets its end to the expiry.
    mute = { ...mute, end: at(6, 10) };
    drive(feed, 6, 8, down(2, 20), () => ({ mutes: [mute] }));
    // At the first tick after the expiry (the sweep at :30), as a new incident starting at the expiry.
    expect(events(feed.sent)).toEqual(['DOWN@12:06:30']);
    expect(feed.sent[0]!.incidentId).toBe(`api:${iso(at(6, 10))}`);
  });

  it('stops an escalation that has begun; the RESOLVED still goes', () => {
    const feed = feedWith({ escalate: [{ afterMs: 3 * MIN, channels: ['lead'] }, { afterMs: 6 * MIN, channels: ['manager'] }] });
    const mute = silence('s-00000001', at(8), at(30));
    drive(feed, 0, 16, down(2, 12), () => ({ mutes: [mute] }));
    expect(events(feed.sent)).toEqual(['DOWN@12:03:01', 'ESCALATION@12:06:01', 'RESOLVED@12:13:02']);
    expect(feed.sent[1]).toMatchObject({ level: 1, channels: ['lead'] });
  });
});

describe('escalation', () => {
  const levels = [{ afterMs: 5 * MIN, channels: ['lead'] }, { afterMs: 15 * MIN, channels: ['manager'] }];

  it('sends each level once its delay after the DOWN has passed, to that level\'s channels', () => {
    const feed = feedWith({ escalate: levels });
    drive(feed, 0, 30, down(2, 25));
    expect(events(feed.sent)).toEqual(['DOWN@12:03:01', 'ESCALATION@12:08:01', 'ESCALATION@12:18:01', 'RESOLVED@12:26:02']);
    expect(feed.sent.map((n) => [n.level, n.channels])).toEqual([[undefined, ['ops']], [1, ['lead']], [2, ['manager']], [undefined, ['ops']]]);
    expect(feed.sent[2]!.dedupeKey).toBe(`${feed.sent[0]!.incidentId}:ESCALATION:2`);
  });

  it('stops at RESOLVED: an outage shorter than the second delay never reaches it', () => {
    const feed = feedWith({ escalate: levels });
    drive(feed, 0, 30, down(2, 10));
    expect(events(feed.sent)).toEqual(['DOWN@12:03:01', 'ESCALATION@12:08:01', 'RESOLVED@12:11:02']);
  });

  it('sends every level that fell due when the evaluator was away', () => {
    const feed = feedWith({ escalate: levels });
    drive(feed, 0, 4, down(2, 60));
    // The probes ran (their heartbeats are fresh); only the evaluator was away.
    feed.send([], at(40), { lastSeen: { eu: at(40), us: at(40), ap: at(40) } });
    expect(events(feed.sent)).toEqual(['DOWN@12:03:01', 'ESCALATION@12:40:00', 'ESCALATION@12:40:00']);
  });
});

describe('window: failures among the last runs', () => {
  /** A load balancer's round robin over three backends, one of them broken: every third run fails. */
  const oneInThree: Pattern = (_loc, m) => (m % 3 === 0 ? 'fail' : 'ok');

  it('3 of 5 does not fire for a one-in-three failing server: no 5 runs in a row hold 3 failures', () => {
    const feed = feedWith({ window: 5, failureThreshold: 3 });
    drive(feed, 0, 30, oneInThree);
    expect(feed.sent).toEqual([]);
  });

  it('2 of 5 catches the one-in-three failing server, where failures in a row never do', () => {
    const consecutive = feedWith({ failureThreshold: 2 });
    drive(consecutive, 0, 30, oneInThree);
    expect(consecutive.sent).toEqual([]);
    // recoveryThreshold 3: more successes in a row than the server's good runs between failures, so
    // the outage is one incident until the server is fixed.
    const windowed = feedWith({ window: 5, failureThreshold: 2, recoveryThreshold: 3 });
    drive(windowed, 0, 30, (loc, m) => (m < 20 ? oneInThree(loc, m) : 'ok'));
    // The last failure is at minute 18; three good runs later (19, 20, 21) it is over.
    expect(events(windowed.sent)).toEqual(['DOWN@12:03:01', 'RESOLVED@12:21:02']);
    expect(windowed.sent[0]!.incidentId).toBe(`api:${iso(at(0))}`);
  });

  it('with recoveryThreshold 2, the same server pages again after each pair of good runs: the README says to raise it', () => {
    const windowed = feedWith({ window: 5, failureThreshold: 2 });
    drive(windowed, 0, 20, oneInThree);
    expect(windowed.sent.filter((n) => n.event === 'DOWN').length).toBeGreaterThan(1);
  });

  it('3 of 5 fires on the third failure of five however they are spread, and recovers after recoveryThreshold successes in a row', () => {
    const feed = feedWith({ window: 5, failureThreshold: 3, locations: ['eu'], quorum: 1 });
    const runs: Outcome[] = ['fail', 'ok', 'fail', 'ok', 'fail', 'ok', 'ok', 'fail', 'ok'];
    const seen = runs.map((o, m) => {
      feed.send(result('eu', m, o));
      return [feed.loc('eu')?.failing, feed.loc('eu')?.recent];
    });
    expect(seen.map(([failing]) => failing)).toEqual([false, false, false, false, true, true, false, false, false]);
    // After the recovery the window starts clean: one failure is one of five again.
    expect(seen[7]).toEqual([false, 0b1]);
    expect(events(feed.sent)).toEqual(['DOWN@12:04:00', 'RESOLVED@12:06:00']);
  });
});

describe('flapping', () => {
  const damped = { flapping: { changes: 4, withinMs: 30 * MIN } };
  /** Down for two rounds, up for three, again and again. */
  const bouncing = (from: number, to: number): Pattern => (_loc, m) => (m >= from && m < to && (m - from) % 5 < 2 ? 'fail' : 'ok');

  it('is one FLAPPING after the changes, quiet until stable for the span, then one notification with the real state', () => {
    const feed = feedWith(damped);
    drive(feed, 0, 80, bouncing(2, 40));
    const names = feed.sent.map((n) => n.event);
    // DOWN, RESOLVED, DOWN, RESOLVED: the fourth change starts the episode.
    expect(names.slice(0, 5)).toEqual(['DOWN', 'RESOLVED', 'DOWN', 'RESOLVED', 'FLAPPING']);
    const flapping = feed.sent[4]!;
    expect(flapping.incidentId).toBe(`api:flapping:${iso(flapping.at)}`);
    expect(names.slice(5)).toEqual(['RESOLVED']);
    const end = feed.sent[5]!;
    expect(end.incidentId).toBe(flapping.incidentId);
    // The last bounce ends at minute 39 (recovered at 40); stable for 30 minutes after the last change.
    expect(end.at).toBeGreaterThanOrEqual(at(40) + 30 * MIN);
    expect(end.at).toBeLessThanOrEqual(at(40) + 31 * MIN + 2_000);
  });

  it('ends with the DOWN of the outage it settled into', () => {
    const feed = feedWith(damped);
    const settles: Pattern = (loc, m) => (m >= 40 ? 'fail' : bouncing(2, 40)(loc, m));
    drive(feed, 0, 90, settles);
    const names = feed.sent.map((n) => n.event);
    expect(names).toEqual(['DOWN', 'RESOLVED', 'DOWN', 'RESOLVED', 'FLAPPING', 'DOWN']);
    const last = feed.sent[5]!;
    // The last bounce (failing from minute 37) never recovered: its opening at 12:38:01 is the last change.
    expect(last.at).toBe(at(38, 1) + 30 * MIN);
    expect(last.since).toBe(last.at);
  });

  it('does not count a blip that never notified, nor one outage however its locations cross', () => {
    const feed = feedWith(damped);
    // One location at a time fails for two rounds: PARTIAL shorter than... it is PARTIAL after an interval.
    const staggered: Pattern = (loc, m) => ((loc === 'eu' && m >= 2 && m < 8) || (loc === 'us' && m >= 4 && m < 10) || (loc === 'ap' && m >= 6 && m < 12) ? 'fail' : 'ok');
    drive(feed, 0, 20, staggered);
    expect(feed.sent.map((n) => n.event)).not.toContain('FLAPPING');
  });
});

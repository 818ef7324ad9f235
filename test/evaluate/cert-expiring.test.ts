/**
 * CERT_EXPIRING, one result at a time (gatus alerting_test style), then named edge cases. Three
 * locations, certExpiringDays 10, results a day apart, and an interval of 40 days so that a gap of
 * weeks between them does not make a location silent (LOCATION_SILENT is not the subject here).
 */
import { describe, expect, it } from 'vitest';
import { evaluate, type CheckState, type Evaluation, type Notification, type ResultRecord } from '../../shared/evaluate/index.ts';
import { Feed, LOCATIONS, policy, T0 } from './support.ts';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const OFFSET: Record<string, number> = { eu: 0, us: 1_000, ap: 2_000 };
const certPolicy = (over = {}) => policy({ intervalMs: 40 * DAY, certExpiringDays: 10, ...over });

/** Certificates by their notAfter: A expires 30 days after T0, B is its renewal, 90 days after A's rollout. */
const A = T0 + 30 * DAY;
const B = T0 + 26 * DAY + 90 * DAY;

function res(loc: string, day: number, cert: number | undefined, ok = true, extraMs = 0): ResultRecord {
  const r: ResultRecord = { checkId: 'api', location: loc, ts: T0 + day * DAY + (OFFSET[loc] ?? 0) + extraMs, ok, status: ok ? 'up' : 'down', latencyMs: 80 };
  if (!ok) r.failure = { reason: 'status_code', message: 'HTTP 503' };
  if (cert !== undefined) r.certExpiresAt = cert;
  return r;
}

/** Sends every location's result for `day`, one call each; returns what each call decided. */
function day(feed: Feed, d: number, cert: number | undefined): Evaluation[] {
  return LOCATIONS.map((loc) => feed.send(res(loc, d, cert)));
}

const certEvents = (ns: readonly Notification[]) => ns.filter((n) => n.event === 'CERT_EXPIRING');

describe('a certificate approaching expiry', () => {
  it('warns once at certExpiringDays, never again for it, again for its renewal, and steady state writes nothing', () => {
    const feed = new Feed(certPolicy());
    const writes: string[] = [];
    const step = (d: number, cert: number) => day(feed, d, cert).forEach((ev, i) => {
      const where = `day ${d} ${LOCATIONS[i]}`;
      if (ev.changed) writes.push(where);
      const warned = certEvents(ev.notifications);
      expect(ev.notifications.length, where).toBe(warned.length);
      if (warned.length > 0) writes.push(`${where}: CERT_EXPIRING ${warned[0]!.certDaysLeft}`);
    });

    // 30 days left down to 11: nothing. Only each location's first result is written.
    for (let d = 0; d <= 19; d++) step(d, A);
    expect(feed.sent).toEqual([]);
    expect(writes).toEqual(['day 0 eu', 'day 0 us', 'day 0 ap']);

    // 10 days left: the first location to see it warns, the others do not.
    step(20, A);
    expect(writes.slice(3)).toEqual(['day 20 eu', 'day 20 eu: CERT_EXPIRING 10']);
    const [warning, ...more] = feed.sent;
    expect(more).toEqual([]);
    expect(warning).toEqual({
      event: 'CERT_EXPIRING', checkId: 'api', at: T0 + 20 * DAY, severity: 'warning',
      incidentId: `api:cert:${iso(A)}`, dedupeKey: `api:cert:${iso(A)}:CERT_EXPIRING:1`,
      certExpiresAt: A, certDaysLeft: 10, locations: [{ location: 'eu', failing: false }],
      overall: 'UP', previous: 'UP', channels: ['ops'],
    });
    expect(feed.state?.certWarnedExpiry).toBe(A);
    expect(feed.state?.outbox).toEqual([warning]);

    // The same certificate for its last days: nothing, and nothing written.
    for (let d = 21; d <= 25; d++) step(d, A);
    expect(feed.sent).toHaveLength(1);
    expect(writes).toHaveLength(5);

    // Renewed (B, 90 days): nothing until B in turn has 10 days left, then one more.
    for (let d = 26; d <= 105; d++) step(d, B);
    expect(feed.sent).toHaveLength(1);
    expect(writes).toHaveLength(5);
    step(106, B);
    expect(writes.slice(5)).toEqual(['day 106 eu', 'day 106 eu: CERT_EXPIRING 10']);
    expect(feed.sent.map((n) => n.dedupeKey)).toEqual([`api:cert:${iso(A)}:CERT_EXPIRING:1`, `api:cert:${iso(B)}:CERT_EXPIRING:1`]);
    for (let d = 107; d <= 110; d++) step(d, B);
    expect(feed.sent).toHaveLength(2);
    expect(writes).toHaveLength(7);
  });

  it('a duplicate or a replayed batch of the warning result changes nothing', () => {
    const feed = new Feed(certPolicy());
    day(feed, 19, A);
    const warningBatch = LOCATIONS.map((loc) => res(loc, 20, A));
    expect(certEvents(feed.send(warningBatch).notifications)).toHaveLength(1);
    const stored = feed.state!;

    for (const again of [[warningBatch[0]!], warningBatch, [...warningBatch, ...warningBatch]]) {
      const ev = evaluate(stored, again, feed.policy, T0 + 20 * DAY + 5_000);
      expect(ev.notifications).toEqual([]);
      expect(ev.changed).toBe(false);
    }
    // A state that lags (steady-state writes were skipped) re-applies the results, and still decides nothing.
    const lagging: CheckState = { ...stored, locations: Object.fromEntries(LOCATIONS.map((l) => [l, { ...stored.locations[l]!, lastTs: T0 }])) };
    const ev = evaluate(lagging, warningBatch, feed.policy, T0 + 20 * DAY + 5_000);
    expect(ev.notifications).toEqual([]);
    expect(ev.changed).toBe(false);
  });

  it('warns from a batch exactly as from its results one at a time', () => {
    const results = [10, 19, 20, 21, 106].flatMap((d) => LOCATIONS.map((loc) => res(loc, d, d < 26 ? A : B)));
    const one = new Feed(certPolicy());
    for (const r of results) one.send(r);
    const all = evaluate(undefined, [...results].reverse(), certPolicy(), results.at(-1)!.ts);
    expect(all.notifications).toEqual(one.sent);
    expect(all.state).toEqual(one.state);
    expect(one.sent.map((n) => [n.certDaysLeft, iso(n.at)])).toEqual([[10, iso(T0 + 20 * DAY)], [10, iso(T0 + 106 * DAY)]]);
  });
});

describe('edge cases', () => {
  it('warns at exactly certExpiringDays left, not a millisecond before', () => {
    const feed = new Feed(certPolicy());
    expect(feed.send(res('eu', 0, T0 + 10 * DAY + 1)).notifications).toEqual([]);
    expect(feed.send(res('eu', 0, T0 + 10 * DAY, true, 1)).notifications.map((n) => [n.event, n.certDaysLeft])).toEqual([['CERT_EXPIRING', 9]]);
  });

  it('a failed run does not warn, even with the certificate inside the window; the next passing run does', () => {
    const feed = new Feed(certPolicy());
    day(feed, 0, A);
    expect(feed.send(res('eu', 25, A, false)).notifications).toEqual([]);
    expect(feed.send(res('us', 25, A, false)).notifications).toEqual([]);
    expect(feed.state?.certWarnedExpiry).toBeUndefined();
    expect(certEvents(feed.send(res('ap', 25, A)).notifications).map((n) => n.locations)).toEqual([[{ location: 'ap', failing: false }]]);
  });

  it('warns while the check is PARTIAL, outside the incident, which resolves as usual', () => {
    const feed = new Feed(certPolicy({ intervalMs: 60_000 }));
    const at = (loc: string, min: number, ok: boolean) => ({ ...res(loc, 25, A, ok), ts: T0 + 25 * DAY + min * 60_000 + (OFFSET[loc] ?? 0) });
    const events: string[] = [];
    for (let min = 0; min < 6; min++) {
      for (const loc of LOCATIONS) events.push(...feed.send(at(loc, min, !(loc === 'ap' && min >= 1 && min <= 3))).notifications.map((n) => n.event));
    }
    expect(events).toEqual(['CERT_EXPIRING', 'PARTIAL', 'RESOLVED']);
    const [cert, partial] = feed.sent;
    expect(cert!.incidentId).not.toBe(partial!.incidentId);
    expect(feed.state?.incident).toBeUndefined();
  });

  it('results without a certificate (no TLS) never warn', () => {
    const feed = new Feed(certPolicy());
    for (let d = 0; d < 5; d++) day(feed, d, undefined);
    expect(feed.sent).toEqual([]);
    expect(feed.state?.certWarnedExpiry).toBeUndefined();
  });

  it('an expired certificate on a passing run (verification off) warns once, with negative days', () => {
    const feed = new Feed(certPolicy());
    day(feed, 32, A);
    expect(feed.sent.map((n) => [n.event, n.certDaysLeft, n.locations[0]!.location])).toEqual([['CERT_EXPIRING', -2, 'eu']]);
  });

  it('two edges serving different certificates alternately warn once each, however often they alternate', () => {
    const C = A + 2 * DAY;
    const feed = new Feed(certPolicy());
    for (let d = 20; d <= 28; d++) {
      feed.send(res('eu', d, d % 2 === 0 ? A : C));
      feed.send(res('us', d, d % 2 === 0 ? C : A));
      feed.send(res('ap', d, A));
    }
    expect(feed.sent.map((n) => [n.certExpiresAt, n.locations[0]!.location, n.at])).toEqual([[A, 'eu', T0 + 20 * DAY], [C, 'us', T0 + 22 * DAY + 1_000]]);
  });

  it('an edge still serving the old certificate after the renewal warned does not warn again', () => {
    const feed = new Feed(certPolicy());
    day(feed, 20, A);
    day(feed, 106, B);
    expect(feed.sent.map((n) => n.certExpiresAt)).toEqual([A, B]);
    feed.send(res('ap', 107, A));
    expect(feed.sent).toHaveLength(2);
  });

  it('a late result carrying a certificate is dropped with the rest of it', () => {
    const feed = new Feed(certPolicy());
    day(feed, 5, A);
    const late = feed.send(res('eu', 4, T0 + 5 * DAY));
    expect(late.notifications).toEqual([]);
    expect(late.changed).toBe(false);
  });

  it('results of locations the check does not run in are not evidence', () => {
    const feed = new Feed(certPolicy());
    feed.send(res('eu', 0, A));
    expect(feed.send(res('mars', 25, A)).notifications).toEqual([]);
  });
});

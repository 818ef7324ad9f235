/**
 * The SLO accounting's units, by hand: classifyMinute's precedence (maintenance over no data over
 * down over partial over up), samples, hours, totals over ranges, the SLI and the budget, quantiles.
 */
import { describe, expect, it } from 'vitest';
import type { Slo } from '../../../shared/config/slo.ts';
import { evaluate, type CheckState, type PolicyInput, type ResultRecord } from '../../../shared/evaluate/index.ts';
import {
  accountMinute, accountedMinute, addMinute, classifyMinute, emptyHour, errorRateOf, HOUR_MS, latencyQuantile, MINUTE_MS, RollupBook,
  samplesOf, SloMinuteError, sliOf, totalsOver, type MinuteRecord, type Totals,
} from '../../../shared/evaluate/slo/index.ts';

const MIN = MINUTE_MS;
const T0 = Date.UTC(2026, 10, 3, 12, 0, 0);
const LOCS = ['eu', 'us', 'ap'];

function policy(over: Partial<PolicyInput> = {}): PolicyInput {
  return { checkId: 'api', locations: [...LOCS], failureThreshold: 1, recoveryThreshold: 1, quorum: 2, intervalMs: MIN, channels: [], certExpiringDays: 21, recheckIntervalMs: 10_000, confirm: false, ...over };
}

function r(location: string, ts: number, ok: boolean, over: Partial<ResultRecord> = {}): ResultRecord {
  return { checkId: 'api', location, ts, ok, status: ok ? 'up' : 'down', latencyMs: 100, ...(ok ? {} : { failure: { reason: 'connect_timeout', message: 'x' } }), ...over };
}

/** The state after one round at T0 with these outcomes, evaluated at `now`. */
function stateAfter(outcomes: Record<string, boolean>, now: number, p = policy(), observations = {}): CheckState {
  const results = Object.entries(outcomes).map(([l, ok], i) => r(l, T0 + i * 1000, ok));
  return evaluate(undefined, results, p, now, observations).state;
}

const slo = (over: Partial<Slo> = {}): Slo => ({ objective: 99, windowMs: 30 * 24 * HOUR_MS, sli: 'availability', countPartial: false, burnRates: [], ...over });

describe('classifyMinute', () => {
  const now = T0 + 30_000;

  it('a quorum failing is down, fewer is partial, none is up', () => {
    expect(classifyMinute(stateAfter({ eu: false, us: false, ap: true }, now), policy(), now)).toEqual({ class: 'down', failing: ['eu', 'us'] });
    expect(classifyMinute(stateAfter({ eu: true, us: false, ap: true }, now), policy(), now)).toEqual({ class: 'partial', failing: ['us'] });
    expect(classifyMinute(stateAfter({ eu: true, us: true, ap: true }, now), policy(), now)).toEqual({ class: 'up', failing: [] });
  });

  it('DEGRADED is up', () => {
    const slow = (l: string, i: number) => r(l, T0 + i * 1000, true, { status: 'degraded', latencyMs: 3000 });
    const state = evaluate(undefined, LOCS.map(slow), policy(), now).state;
    expect(state.overall).toBe('DEGRADED');
    expect(classifyMinute(state, policy(), now).class).toBe('up');
  });

  it('maintenance wins over every other class, and keeps no failing locations', () => {
    const windowed = policy({ maintenance: [{ name: 'deploy', start: T0 - MIN, end: T0 + 10 * MIN }] });
    const down = stateAfter({ eu: false, us: false, ap: false }, now, windowed);
    expect(classifyMinute(down, windowed, now)).toEqual({ class: 'maintenance', failing: [] });
    // Stale too (no data) and still maintenance.
    const later = T0 + 5 * MIN;
    const stale = evaluate(down, [], windowed, later).state;
    expect(classifyMinute(stale, windowed, later).class).toBe('maintenance');
    // A silence is a mute like a window.
    const silence = { mutes: [{ kind: 'silence' as const, name: 's1', start: T0, end: T0 + HOUR_MS }] };
    const silenced = evaluate(undefined, [r('eu', T0, false), r('us', T0 + 1, false)], policy(), now, silence).state;
    expect(classifyMinute(silenced, policy(), now, silence).class).toBe('maintenance');
  });

  it('no state, or every location stale, is no data, over down', () => {
    expect(classifyMinute(undefined, policy(), now)).toEqual({ class: 'nodata', failing: [] });
    const down = stateAfter({ eu: false, us: false, ap: false }, now);
    // Stale after 3 × interval without evidence: at T0 + 2 s + 3 min it is not yet, a moment later it is.
    const edge = T0 + 2000 + 3 * MIN;
    expect(classifyMinute(evaluate(down, [], policy(), edge).state, policy(), edge).class).toBe('down');
    const after = edge + 1;
    expect(classifyMinute(evaluate(down, [], policy(), after).state, policy(), after)).toEqual({ class: 'nodata', failing: [] });
  });

  it('one live location is enough to account the minute; the stale ones count as they last reported', () => {
    const down = stateAfter({ eu: false, us: false, ap: true }, now);
    const later = T0 + 10 * MIN;
    const state = evaluate(down, [r('ap', later - 5000, true)], policy(), later).state;
    expect(classifyMinute(state, policy(), later)).toEqual({ class: 'down', failing: ['eu', 'us'] });
  });

  it('heartbeats keep a location live (the evaluator’s staleness rule, lastSeen included)', () => {
    const up = stateAfter({ eu: true, us: true, ap: true }, now);
    const later = T0 + 10 * MIN;
    const seen = { lastSeen: { eu: later - 1000 } };
    expect(classifyMinute(evaluate(up, [], policy(), later, seen).state, policy(), later, seen).class).toBe('up');
    expect(classifyMinute(evaluate(up, [], policy(), later).state, policy(), later).class).toBe('nodata');
  });

  it('a held resolution is up: every location recovered by what is known', () => {
    // eu and us fail, eu recovers; ap, not failing, has not reported since: the RESOLVED waits for it.
    const p = policy({ quorum: 1, locations: ['eu', 'ap'] });
    let state = evaluate(undefined, [r('ap', T0, true), r('eu', T0 + 1000, false)], p, T0 + 1000).state;
    state = evaluate(state, [r('eu', T0 + 2000, true)], p, T0 + 2000).state;
    expect(state.overall).not.toBe('UP');
    expect(classifyMinute(state, p, T0 + 2000).class).toBe('up');
  });
});

describe('samplesOf and accountMinute', () => {
  const start = T0;
  const results = [
    r('eu', start - 1, false), // the minute before
    r('eu', start, true, { latencyMs: 40 }),
    r('us', start + 10_000, true, { latencyMs: 600, status: 'degraded' }),
    r('ap', start + 20_000, false, { latencyMs: 5000 }),
    r('us', start + 30_000, false, { trigger: 'recheck' }),
    r('ap', start + 40_000, true, { trigger: 'confirm' }),
    r('eu', start + MIN, true), // the next minute
  ];

  it('counts scheduled results in the minute; rechecks and confirmations are not samples', () => {
    expect(samplesOf(results, start)).toEqual({ samples: 3, ok: 2, fast: 2, buckets: [1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0], latencySumMs: 5640 });
  });

  it('fast is passing at or under the threshold; degraded passing counts as ok', () => {
    expect(samplesOf(results, start, slo({ sli: 'latency', latencyThresholdMs: 600 }))).toMatchObject({ ok: 2, fast: 2 });
    expect(samplesOf(results, start, slo({ sli: 'latency', latencyThresholdMs: 599 }))).toMatchObject({ ok: 2, fast: 1 });
    expect(samplesOf([r('eu', start, true, { latencyMs: undefined })], start, slo({ latencyThresholdMs: 500 }))).toMatchObject({ samples: 1, ok: 1, fast: 0, latencySumMs: 0 });
  });

  it('accounts the minute that ended before now, with only the check’s own results', () => {
    const now = start + MIN + 15_000;
    expect(accountedMinute(now)).toBe(start);
    const state = evaluate(undefined, results.slice(1, 4), policy(), now).state;
    const other = [r('eu', start + 1, true, { checkId: 'web' }), r('sa', start + 2, true)];
    const minute = accountMinute(state, policy(), now, [...results, ...other]);
    expect(minute).toMatchObject({ start, class: 'partial', failing: ['ap'], samples: 3, ok: 2, fast: 2 });
  });

  it('a maintenance minute carries no samples', () => {
    const p = policy({ maintenance: [{ name: 'm', start: T0, end: T0 + HOUR_MS }] });
    const now = start + MIN + 1;
    const minute = accountMinute(evaluate(undefined, results, p, now).state, p, now, results);
    expect(minute).toMatchObject({ class: 'maintenance', failing: [], samples: 0, ok: 0, fast: 0, latencySumMs: 0 });
    expect(minute.buckets.every((n) => n === 0)).toBe(true);
  });
});

const minute = (start: number, cls: MinuteRecord['class'], over: Partial<MinuteRecord> = {}): MinuteRecord => ({
  start, class: cls, failing: [], samples: 1, ok: cls === 'down' ? 0 : 1, fast: cls === 'down' ? 0 : 1, buckets: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], latencySumMs: 30, ...over,
});

describe('addMinute and hours', () => {
  it('sums seconds, samples, buckets and per-location downtime, and keeps each minute’s code', () => {
    let h = emptyHour('api', T0);
    h = addMinute(h, minute(T0, 'down', { failing: ['eu', 'us'] }));
    h = addMinute(h, minute(T0 + 5 * MIN, 'partial', { failing: ['eu'] }));
    h = addMinute(h, minute(T0 + 6 * MIN, 'up'));
    expect(h.seconds).toEqual({ up: 60, down: 60, partial: 60, maintenance: 0, nodata: 0 });
    expect(h.locationDown).toEqual({ eu: 120, us: 60 });
    expect([h.samples, h.ok, h.fast, h.latencySumMs, h.buckets[0]]).toEqual([3, 2, 2, 90, 3]);
    expect(h.minutes[5]).toEqual({ class: 'partial', samples: 1, ok: 1, fast: 1, failing: ['eu'] });
  });

  it('a minute already there gives back the same hour; a minute of another hour is refused', () => {
    const h = addMinute(emptyHour('api', T0), minute(T0, 'up'));
    expect(addMinute(h, minute(T0, 'down'))).toBe(h);
    expect(() => addMinute(h, minute(T0 + HOUR_MS, 'up'))).toThrow(SloMinuteError);
    expect(() => addMinute(h, minute(T0 + 1, 'up'))).toThrow(SloMinuteError);
  });

  it('a location named like an Object.prototype key is counted as its own', () => {
    const h = addMinute(emptyHour('api', T0), minute(T0, 'down', { failing: ['constructor'] }));
    expect(h.locationDown).toEqual({ constructor: 60 });
  });

  it('RollupBook keeps hours per check, the first account of a minute, and lists overlapping hours', () => {
    const book = new RollupBook();
    expect(book.add('api', minute(T0 + 59 * MIN, 'up'))).toBe(true);
    expect(book.add('api', minute(T0 + 59 * MIN, 'down'))).toBe(false);
    book.add('api', minute(T0 + HOUR_MS, 'down'));
    book.add('web', minute(T0, 'up'));
    expect(book.checks()).toEqual(['api', 'web']);
    expect(book.hours('api', T0 + 30 * MIN, T0 + HOUR_MS).map((h) => h.hour)).toEqual([T0]);
    expect(book.hours('api', T0, T0 + HOUR_MS + 1).map((h) => h.seconds.up + h.seconds.down)).toEqual([60, 60]);
  });
});

describe('totalsOver', () => {
  const book = new RollupBook();
  book.add('api', minute(T0 + 10 * MIN, 'down', { failing: ['eu'] }));
  book.add('api', minute(T0 + 50 * MIN, 'maintenance', { samples: 0, ok: 0, fast: 0 }));
  for (let m = 0; m < 60; m += 1) book.add('api', minute(T0 + HOUR_MS + m * MIN, m < 30 ? 'up' : 'partial', m < 30 ? {} : { failing: ['us'] }));
  const hours = book.hours('api', T0, T0 + 3 * HOUR_MS);

  it('a whole hour by its sums, an edge by its minutes, the rest of the range no data', () => {
    const t = totalsOver(hours, T0 + 10 * MIN, T0 + 3 * HOUR_MS);
    expect(t.seconds).toEqual({ up: 1800, down: 60, partial: 1800, maintenance: 60, nodata: 170 * 60 - 3720 });
    expect(t.locationDown).toEqual({ eu: 60, us: 1800 });
    expect(t.samples).toBe(61);
    // Buckets only from the whole hour.
    expect(t.buckets[0]).toBe(60);
  });

  it('reads whole minutes: from and to are rounded down to the minute', () => {
    const t = totalsOver(hours, T0 + 10 * MIN + 59_999, T0 + 11 * MIN + 1);
    expect([t.from, t.to, t.seconds.down, t.seconds.nodata]).toEqual([T0 + 10 * MIN, T0 + 11 * MIN, 60, 0]);
    expect(totalsOver(hours, T0 + 5, T0 + 7).seconds).toEqual({ up: 0, down: 0, partial: 0, maintenance: 0, nodata: 0 });
  });

  it('an hour given twice counts once', () => {
    expect(totalsOver([...hours, ...hours], T0, T0 + 3 * HOUR_MS)).toEqual(totalsOver(hours, T0, T0 + 3 * HOUR_MS));
  });
});

describe('sliOf and errorRateOf', () => {
  const totals = (seconds: Partial<Totals['seconds']>, over: Partial<Totals> = {}): Totals => ({
    from: 0, to: 0, seconds: { up: 0, down: 0, partial: 0, maintenance: 0, nodata: 0, ...seconds }, samples: 0, ok: 0, fast: 0, buckets: [], locationDown: {}, ...over,
  });

  it('availability: down over eligible; partial good unless countPartial; maintenance and no data in neither', () => {
    const t = totals({ up: 9_000, down: 60, partial: 940, maintenance: 5_000, nodata: 7_000 });
    const a = sliOf(t, slo({ objective: 99 }));
    expect(a).toMatchObject({ good: 9_940, bad: 60, eligible: 10_000, sli: 0.994 });
    // allowed = 1% of 10 000 s = 100 s; 60 used.
    expect(a.budgetUsed).toBeCloseTo(0.6, 12);
    expect(a.budgetRemaining).toBeCloseTo(0.4, 12);
    const p = sliOf(t, slo({ objective: 99, countPartial: true }));
    expect(p).toMatchObject({ good: 9_000, bad: 1_000, eligible: 10_000, sli: 0.9 });
    expect(p.budgetUsed).toBeCloseTo(10, 12);
    expect(p.budgetRemaining).toBeCloseTo(-9, 12);
    expect(errorRateOf(t, slo())).toBeCloseTo(0.006, 12);
  });

  it('latency: fast over samples', () => {
    const s = sliOf(totals({ up: 60 }, { samples: 200, ok: 190, fast: 180 }), slo({ sli: 'latency', latencyThresholdMs: 300, objective: 95 }));
    expect(s).toMatchObject({ good: 180, bad: 20, eligible: 200, sli: 0.9 });
    expect(s.budgetUsed).toBeCloseTo(2, 12);
  });

  it('no eligible data is no SLI, never 100%', () => {
    const none = sliOf(totals({ maintenance: 600, nodata: 600 }), slo());
    expect(none).toEqual({ good: 0, bad: 0, eligible: 0 });
    expect(errorRateOf(totals({ nodata: 60 }), slo())).toBeUndefined();
  });
});

describe('latencyQuantile', () => {
  it('interpolates inside the bucket, as histogram_quantile does', () => {
    // 10 samples: 4 in (0, 50], 6 in (100, 200].
    const b = [4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(latencyQuantile(b, 0.2)).toBe(25);
    expect(latencyQuantile(b, 0.4)).toBe(50);
    expect(latencyQuantile(b, 0.7)).toBe(150);
    expect(latencyQuantile(b, 1)).toBe(200);
  });

  it('above the last bound is that bound; no samples or q outside 0..1 is undefined', () => {
    expect(latencyQuantile([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], 0.5)).toBe(10_000);
    expect(latencyQuantile(new Array(11).fill(0), 0.5)).toBeUndefined();
    expect(latencyQuantile([1], 1.5)).toBeUndefined();
    expect(latencyQuantile([1], Number.NaN)).toBeUndefined();
  });
});

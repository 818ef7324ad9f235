/**
 * The SLI from rollups equals the SLI computed directly from the results. Over generated histories
 * (2–4 locations one interval apart, a quorum, failures, regional and global outages, locations and
 * whole checks going silent, rechecks and confirmations carrying `trigger`, maintenance windows in the
 * policy, silences as observations.mutes, sweeps that are skipped or retried), the sweep is simulated
 * as deployed: at each `now` the new results are evaluated, accountMinute accounts the minute that
 * ended, and a RollupBook keeps the hours. For arbitrary ranges (not aligned to hours or minutes),
 * totalsOver and sliOf over the book must equal an oracle written here from the same results: a
 * per-minute model of the accounting rules (failureThreshold 1 and recoveryThreshold 1, so a location
 * is failing iff its newest result failed; quorum; mutes; staleness after 3 intervals) that never
 * calls the code under test.
 * Also: addMinute is idempotent, totals over [a, b) and [b, c) add up to [a, c), and latencyQuantile
 * is within one bucket's width of the exact quantile. Under CI a fixed seed (see ../properties.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow } from '../../../shared/config/schema.ts';
import type { Slo } from '../../../shared/config/slo.ts';
import { evaluate, type CheckState, type Mute, type PolicyInput, type ResultRecord } from '../../../shared/evaluate/index.ts';
import {
  accountMinute, addMinute, emptyHour, HOUR_MS, LATENCY_BUCKETS_MS, latencyQuantile, MINUTE_CLASSES, MINUTE_MS, RollupBook, sliOf, totalsOver,
  type MinuteClass, type MinuteRecord, type Totals,
} from '../../../shared/evaluate/slo/index.ts';

const FC_SEED = process.env.CI ? { seed: 20261202 } : {};
const MIN = MINUTE_MS;
const DAY0 = Date.UTC(2026, 10, 3, 0, 0, 0);
const THRESHOLD_MS = 500;
const MAX_MINUTES = 150;

type Kind = 'ok' | 'fail' | 'slow' | 'missing';
interface Run { kind: Kind; latency: number; extra?: { trigger: 'recheck' | 'confirm'; ok: boolean } }
interface Span { start: number; length: number }
interface History {
  locations: string[];
  quorum: number;
  intervalMs: number;
  /** Minute-aligned, not hour-aligned. */
  t0: number;
  minutes: number;
  offsets: number[];
  runs: Run[][];
  outages: Array<Span & { where: number }>;
  blackouts: Span[];
  silentSpells: Array<Span & { location: number }>;
  maintenance: MaintenanceWindow[];
  silences: Mute[];
  sweeps: Array<{ offset: number; skip: boolean; retry: boolean }>;
}

const runArb: fc.Arbitrary<Run> = fc.record({
  kind: fc.constantFrom<Kind>('ok', 'ok', 'ok', 'ok', 'fail', 'fail', 'slow', 'missing'),
  latency: fc.integer({ min: 1, max: 12_000 }),
  extra: fc.option(fc.record({ trigger: fc.constantFrom<'recheck' | 'confirm'>('recheck', 'confirm'), ok: fc.boolean() }), { freq: 5, nil: undefined }),
}, { requiredKeys: ['kind', 'latency'] });

const spanArb = (maxLength: number) => fc.record({ start: fc.integer({ min: -5, max: MAX_MINUTES }), length: fc.integer({ min: 1, max: maxLength }) });
/** A mute at any instant of the history, also between a minute's results and its sweep. */
const muteSpanArb = fc.record({ startMs: fc.integer({ min: -10 * MIN, max: MAX_MINUTES * MIN }), lengthMs: fc.integer({ min: 1_000, max: 40 * MIN }) });

const historyArb: fc.Arbitrary<History> = fc.record({
  n: fc.integer({ min: 2, max: 4 }),
  quorum: fc.integer({ min: 1, max: 4 }),
  intervalMs: fc.constantFrom(MIN, 2 * MIN),
  startMinute: fc.integer({ min: 0, max: 23 * 60 }),
  minutes: fc.integer({ min: 20, max: MAX_MINUTES }),
  offsets: fc.array(fc.integer({ min: 0, max: 40_000 }), { minLength: 4, maxLength: 4 }),
  runs: fc.array(fc.array(runArb, { minLength: MAX_MINUTES, maxLength: MAX_MINUTES }), { minLength: 4, maxLength: 4 }),
  outages: fc.array(fc.record({ start: fc.integer({ min: -5, max: MAX_MINUTES }), length: fc.integer({ min: 1, max: 30 }), where: fc.integer({ min: 1, max: 15 }) }), { maxLength: 3 }),
  blackouts: fc.array(spanArb(15), { maxLength: 2 }),
  silentSpells: fc.array(fc.record({ start: fc.integer({ min: -5, max: MAX_MINUTES }), length: fc.integer({ min: 1, max: 20 }), location: fc.integer({ min: 0, max: 3 }) }), { maxLength: 3 }),
  windows: fc.array(muteSpanArb, { maxLength: 2 }),
  silences: fc.array(muteSpanArb, { maxLength: 2 }),
  sweeps: fc.array(fc.record({ offset: fc.integer({ min: 0, max: MIN - 1 }), skip: fc.boolean(), retry: fc.boolean() }), { minLength: MAX_MINUTES + 8, maxLength: MAX_MINUTES + 8 }),
}).map((g) => {
  const t0 = DAY0 + g.startMinute * MIN;
  return {
    locations: ['eu', 'us', 'ap', 'sa'].slice(0, g.n),
    quorum: Math.min(g.quorum, g.n),
    intervalMs: g.intervalMs,
    t0,
    minutes: g.minutes,
    offsets: g.offsets,
    runs: g.runs,
    outages: g.outages,
    blackouts: g.blackouts,
    silentSpells: g.silentSpells,
    maintenance: g.windows.map((w, i) => ({ name: `w${i}`, start: t0 + w.startMs, end: t0 + w.startMs + w.lengthMs })),
    silences: g.silences.map((s, i): Mute => ({ kind: 'silence', name: `s${i}`, start: t0 + s.startMs, end: t0 + s.startMs + s.lengthMs })),
    // Skips and retries each a quarter of the sweeps (two booleans must agree).
    sweeps: g.sweeps.map((s, i) => ({ offset: s.offset, skip: s.skip && g.sweeps[(i + 1) % g.sweeps.length]!.skip, retry: s.retry && g.sweeps[(i + 2) % g.sweeps.length]!.retry })),
  };
});

const inSpan = (minute: number, s: Span) => minute >= s.start && minute < s.start + s.length;

/** Every result of the history, each location's in ts order: scheduled runs, and rechecks or confirmations after them. */
function resultsOf(h: History): ResultRecord[] {
  const out: ResultRecord[] = [];
  h.locations.forEach((location, li) => {
    for (let k = 0; k * h.intervalMs < h.minutes * MIN; k += 1) {
      const minute = Math.floor((k * h.intervalMs) / MIN);
      const run = h.runs[li]![k]!;
      const silent = run.kind === 'missing' || h.blackouts.some((b) => inSpan(minute, b)) || h.silentSpells.some((s) => s.location === li && inSpan(minute, s));
      if (silent) continue;
      const down = run.kind === 'fail' || h.outages.some((o) => inSpan(minute, o) && (o.where & (1 << li)) !== 0);
      const ts = h.t0 + k * h.intervalMs + h.offsets[li]!;
      out.push(record(location, ts, !down, run.kind === 'slow' && !down, run.latency));
      // Within the interval: the next run is at least 60 s - 40 s away.
      if (run.extra) out.push({ ...record(location, ts + 15_000, run.extra.ok, false, run.latency), trigger: run.extra.trigger });
    }
  });
  return out.sort((a, b) => a.ts - b.ts);
}

function record(location: string, ts: number, ok: boolean, slow: boolean, latencyMs: number): ResultRecord {
  return {
    checkId: 'api', location, ts, ok, status: !ok ? 'down' : slow ? 'degraded' : 'up', latencyMs,
    ...(!ok && { failure: { reason: 'connect_timeout', message: 'no answer' } }),
  };
}

function policyOf(h: History, slo?: Slo): PolicyInput {
  return {
    checkId: 'api', locations: [...h.locations], failureThreshold: 1, recoveryThreshold: 1, quorum: h.quorum, intervalMs: h.intervalMs, channels: [],
    certExpiringDays: 21, recheckIntervalMs: 10_000, confirm: false,
    ...(h.maintenance.length > 0 && { maintenance: h.maintenance }), ...(slo && { slo }),
  };
}

const LATENCY_SLO: Slo = { objective: 99, windowMs: 30 * 86_400_000, sli: 'latency', latencyThresholdMs: THRESHOLD_MS, countPartial: false, burnRates: [] };

interface Sweep { now: number; minute: number; first: boolean }

function sweepsOf(h: History): Sweep[] {
  const out: Sweep[] = [];
  h.sweeps.slice(0, h.minutes + 8).forEach((s, k) => {
    if (s.skip) return;
    const minute = h.t0 + k * MIN;
    const now = minute + MIN + s.offset;
    out.push({ now, minute, first: true });
    // A retried sweep, later in the same minute: it must add nothing.
    if (s.retry && s.offset < MIN - 1) out.push({ now: now + Math.ceil((MIN - 1 - s.offset) / 2), minute, first: false });
  });
  return out;
}

/** The system under test: the sweep as deployed, into a RollupBook. */
function simulate(h: History, results: readonly ResultRecord[], sweeps: readonly Sweep[]): RollupBook {
  const policy = policyOf(h, LATENCY_SLO);
  const observations = { mutes: h.silences };
  const book = new RollupBook();
  let state: CheckState | undefined;
  let delivered = 0;
  for (const { now } of sweeps) {
    const fresh: ResultRecord[] = [];
    while (delivered < results.length && results[delivered]!.ts <= now) fresh.push(results[delivered++]!);
    state = evaluate(state, fresh, policy, now, observations).state;
    book.add('api', accountMinute(state, policy, now, results.filter((r) => r.ts >= now - 3 * MIN && r.ts <= now), observations));
  }
  return book;
}

// ---- the oracle ------------------------------------------------------------------------------------

interface OracleMinute { cls: MinuteClass; failing: string[]; samples: number; ok: number; fast: number; buckets: number[] }

function bucketIndex(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i += 1) if (ms <= LATENCY_BUCKETS_MS[i]!) return i;
  return LATENCY_BUCKETS_MS.length;
}

/** Each accounted minute (start → what it was), by the rules as README states them. */
function oracle(h: History, results: readonly ResultRecord[], sweeps: readonly Sweep[]): Map<number, OracleMinute> {
  const minutes = new Map<number, OracleMinute>();
  const first = sweeps[0];
  if (!first) return minutes;
  // The state is created at the first sweep: from its earliest result, or at that sweep when it had none.
  const since = results[0] !== undefined && results[0].ts <= first.now ? results[0].ts : first.now;
  const mutes = [...h.maintenance.map((w) => ({ start: w.start!, end: w.end! })), ...h.silences];
  for (const { now, minute, first: isFirst } of sweeps) {
    if (!isFirst) continue;
    const known = results.filter((r) => r.ts <= now);
    const newest = (l: string) => known.filter((r) => r.location === l).at(-1);
    const stale = (l: string) => now - Math.max(newest(l)?.ts ?? 0, since) > 3 * h.intervalMs;
    const failing = h.locations.filter((l) => newest(l)?.ok === false).sort();
    let cls: MinuteClass;
    if (mutes.some((m) => m.start <= now && now < m.end)) cls = 'maintenance';
    else if (h.locations.every(stale)) cls = 'nodata';
    else cls = failing.length >= h.quorum ? 'down' : failing.length > 0 ? 'partial' : 'up';
    const samples = cls === 'maintenance' ? [] : results.filter((r) => r.ts >= minute && r.ts < minute + MIN && r.trigger === undefined);
    const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    for (const r of samples) buckets[bucketIndex(r.latencyMs!)]! += 1;
    minutes.set(minute, {
      cls, failing: cls === 'down' || cls === 'partial' ? failing : [], buckets,
      samples: samples.length, ok: samples.filter((r) => r.ok).length, fast: samples.filter((r) => r.ok && r.latencyMs! <= THRESHOLD_MS).length,
    });
  }
  return minutes;
}

function oracleTotals(minutes: Map<number, OracleMinute>, from: number, to: number): Totals {
  const start = Math.floor(from / MIN) * MIN;
  const end = Math.max(start, Math.floor(to / MIN) * MIN);
  const seconds = Object.fromEntries(MINUTE_CLASSES.map((c) => [c, 0])) as Record<MinuteClass, number>;
  const t: Totals = { from: start, to: end, seconds, samples: 0, ok: 0, fast: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), locationDown: {} };
  for (const [m, v] of minutes) {
    if (m < start || m >= end) continue;
    seconds[v.cls] += 60;
    t.samples += v.samples;
    t.ok += v.ok;
    t.fast += v.fast;
    for (const l of v.failing) t.locationDown[l] = (t.locationDown[l] ?? 0) + 60;
    const hour = Math.floor(m / HOUR_MS) * HOUR_MS;
    if (hour >= start && hour + HOUR_MS <= end) v.buckets.forEach((n, i) => { t.buckets[i]! += n; });
  }
  seconds.nodata = (end - start) / 1000 - (seconds.up + seconds.down + seconds.partial + seconds.maintenance);
  return t;
}

/** The SLI by the formula, from oracle totals. */
function oracleSli(t: Totals, slo: Slo) {
  const { up, down, partial } = t.seconds;
  const [good, bad] = slo.sli === 'latency' ? [t.fast, t.samples - t.fast] : slo.countPartial ? [up, down + partial] : [up + partial, down];
  const eligible = good + bad;
  if (eligible === 0) return { good, bad, eligible, sli: undefined, budgetUsed: undefined };
  return { good, bad, eligible, sli: good / eligible, budgetUsed: bad / ((1 - slo.objective / 100) * eligible) };
}

const SLOS: Slo[] = [
  { ...LATENCY_SLO, sli: 'availability', countPartial: false, objective: 99.9 },
  { ...LATENCY_SLO, sli: 'availability', countPartial: true, objective: 99.5 },
  LATENCY_SLO,
];

const rangeArb = fc.tuple(fc.integer({ min: -90 * MIN, max: (MAX_MINUTES + 90) * MIN }), fc.integer({ min: 0, max: (MAX_MINUTES + 180) * MIN }));

describe('SLO rollups against the results', () => {
  it('totals and the SLI over any range equal the oracle computed directly from the results', () => {
    let classesSeen = new Set<MinuteClass>();
    fc.assert(fc.property(historyArb, fc.array(rangeArb, { minLength: 1, maxLength: 6 }), (h, ranges) => {
      const results = resultsOf(h);
      const sweeps = sweepsOf(h);
      const book = simulate(h, results, sweeps);
      const minutes = oracle(h, results, sweeps);
      for (const m of minutes.values()) classesSeen.add(m.cls);
      // The whole history as one range too, and one across it by hours.
      const all: Array<[number, number]> = [[h.t0 - HOUR_MS, h.t0 + (h.minutes + 10) * MIN], ...ranges.map(([a, len]): [number, number] => [h.t0 + a, h.t0 + a + len])];
      for (const [from, to] of all) {
        const got = totalsOver(book.hours('api', from, to), from, to);
        const want = oracleTotals(minutes, from, to);
        expect(got).toEqual(want);
        for (const slo of SLOS) {
          const s = sliOf(got, slo);
          const o = oracleSli(want, slo);
          expect([s.good, s.bad, s.eligible]).toEqual([o.good, o.bad, o.eligible]);
          expect(s.sli).toBe(o.sli);
          expect(s.budgetUsed).toBe(o.budgetUsed);
        }
      }
    }), { numRuns: 120, ...FC_SEED });
    // The generator reaches every class, so the comparison covers each rule.
    expect([...classesSeen].sort()).toEqual([...MINUTE_CLASSES].sort());
    classesSeen = new Set();
  });
});

// ---- rollup algebra ----------------------------------------------------------------------------

const classArb = fc.constantFrom<MinuteClass>(...MINUTE_CLASSES);
const minuteArb = (hour: number): fc.Arbitrary<MinuteRecord> => fc.record({
  index: fc.integer({ min: 0, max: 59 }),
  cls: classArb,
  failing: fc.subarray(['eu', 'us', 'ap', 'constructor']),
  samples: fc.integer({ min: 0, max: 5 }),
  buckets: fc.array(fc.nat(3), { minLength: LATENCY_BUCKETS_MS.length + 1, maxLength: LATENCY_BUCKETS_MS.length + 1 }),
  latencySumMs: fc.nat(50_000),
}).map((m) => ({
  start: hour + m.index * MIN, class: m.cls, failing: m.cls === 'maintenance' || m.cls === 'nodata' ? [] : m.failing,
  samples: m.samples, ok: Math.min(m.samples, 3), fast: Math.min(m.samples, 2), buckets: m.buckets, latencySumMs: m.latencySumMs,
}));

const HOUR0 = DAY0 + 5 * HOUR_MS;

describe('rollup algebra', () => {
  it('addMinute is idempotent: a minute added twice is the hour with it once', () => {
    fc.assert(fc.property(fc.array(minuteArb(HOUR0), { maxLength: 30 }), minuteArb(HOUR0), (before, m) => {
      const h = before.reduce(addMinute, emptyHour('api', HOUR0));
      const once = addMinute(h, m);
      expect(addMinute(once, m)).toBe(once);
      expect(JSON.parse(JSON.stringify(addMinute(addMinute(h, m), m)))).toEqual(JSON.parse(JSON.stringify(once)));
    }), { numRuns: 200, ...FC_SEED });
  });

  it('totals over [a, b) and [b, c) add up to [a, c), at any instants', () => {
    const hours = [0, 1, 2, 3].map((i) => HOUR0 + i * HOUR_MS);
    fc.assert(fc.property(
      fc.array(fc.oneof(...hours.map((hour) => minuteArb(hour))), { maxLength: 120 }),
      fc.array(fc.integer({ min: -HOUR_MS, max: 5 * HOUR_MS }), { minLength: 3, maxLength: 3 }),
      (mins, cuts) => {
        const book = new RollupBook();
        for (const m of mins) book.add('api', m);
        const [a, b, c] = cuts.map((x) => HOUR0 + x).sort((x, y) => x - y) as [number, number, number];
        const t = (from: number, to: number) => totalsOver(book.hours('api', from, to), from, to);
        const [ab, bc, ac] = [t(a, b), t(b, c), t(a, c)];
        for (const cls of MINUTE_CLASSES) expect(ab.seconds[cls] + bc.seconds[cls]).toBe(ac.seconds[cls]);
        expect([ab.samples + bc.samples, ab.ok + bc.ok, ab.fast + bc.fast]).toEqual([ac.samples, ac.ok, ac.fast]);
        const down = { ...ab.locationDown };
        for (const [l, s] of Object.entries(bc.locationDown)) down[l] = (Object.hasOwn(down, l) ? down[l]! : 0) + s;
        expect(down).toEqual(ac.locationDown);
      },
    ), { numRuns: 300, ...FC_SEED });
  });

  it('latencyQuantile is within one bucket’s width of the exact quantile', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), (values, q) => {
      const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
      for (const v of values) buckets[bucketIndex(v)]! += 1;
      const sorted = [...values].sort((x, y) => x - y);
      // Nearest rank: the ceil(q × n)-th smallest (the smallest for q = 0).
      const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
      const i = bucketIndex(exact);
      const width = LATENCY_BUCKETS_MS[i]! - (i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!);
      const estimate = latencyQuantile(buckets, q)!;
      expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(width);
    }), { numRuns: 500, ...FC_SEED });
  });
});

/**
 * Generated histories for the property tests: a ground-truth outage schedule for three locations,
 * the results it produces, and a delivery of those results the way DynamoDB Streams and the
 * evaluator's partial batch responses can deliver them (interleaved across locations, duplicated,
 * whole batches replayed, suffixes of batches retried).
 */
import fc from 'fast-check';
import type { PolicyInput, ResultRecord } from '../../shared/evaluate/index.ts';
import { MIN, T0 } from './support.ts';

export const LOCS = ['eu', 'us', 'ap'] as const;
/** Jitter of a result's ts within its minute; below a quarter interval so `for:` maps exactly to a run count. */
const MAX_JITTER_MS = 14_000;

export interface OutageSpec {
  /** Which locations fail: a bit per location, 1..7. */
  mask: number;
  /** Rounds the outage lasts. */
  len: number;
  /** A sub-threshold run of failures on one location in the quiet gap before the outage. */
  blip?: { loc: number; len: number };
}

export interface Scenario {
  failureThreshold: number;
  recoveryThreshold: number;
  quorum: number;
  /** With it, `for` is set to forRounds intervals less half an interval. */
  forRounds?: number;
  repeatRounds?: number;
  outages: OutageSpec[];
  /** Drives jitter and the delivery schedule. */
  seed: number;
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  recoveryThreshold: fc.integer({ min: 1, max: 3 }),
  quorum: fc.integer({ min: 1, max: 3 }),
  forRounds: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  repeatRounds: fc.option(fc.integer({ min: 2, max: 4 }), { nil: undefined }),
  outages: fc.array(fc.record({
    mask: fc.integer({ min: 1, max: 7 }),
    len: fc.integer({ min: 1, max: 4 }),
    blip: fc.option(fc.record({ loc: fc.integer({ min: 0, max: 2 }), len: fc.integer({ min: 1, max: 3 }) }), { nil: undefined }),
  }), { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
}, { requiredKeys: ['failureThreshold', 'recoveryThreshold', 'quorum', 'outages', 'seed'] });

export function policyOf(s: Scenario): PolicyInput {
  const p: PolicyInput = {
    checkId: 'api', locations: [...LOCS], failureThreshold: s.failureThreshold, recoveryThreshold: s.recoveryThreshold,
    quorum: s.quorum, intervalMs: MIN, channels: ['ops'], certExpiringDays: 21, recheckIntervalMs: 10_000, confirm: true,
  };
  if (s.forRounds !== undefined) p.forMs = s.forRounds * MIN - MIN / 2;
  if (s.repeatRounds !== undefined) p.repeatIntervalMs = s.repeatRounds * MIN;
  return p;
}

/** Consecutive failed runs that make a location failing: `for` of n intervals (less half) needs n + 1 runs. */
export function runsToFail(s: Scenario): number {
  return s.forRounds !== undefined ? s.forRounds + 1 : s.failureThreshold;
}

/** mulberry32: a small deterministic PRNG, so a failing seed replays exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface OutageWindow {
  spec: OutageSpec;
  /** First failed round. */
  start: number;
  /** First round after it that passes everywhere. */
  end: number;
  failing: string[];
}

export interface History {
  /** Per location, its results in ts order. */
  byLocation: Record<string, ResultRecord[]>;
  outages: OutageWindow[];
  rounds: number;
}

/**
 * Quiet gaps are long enough that every location has recovered (recoveryThreshold passes) before a
 * blip, and a blip is fenced by passes on both sides, so it can neither page nor lengthen an outage.
 */
export function buildHistory(s: Scenario, opts: { quietExtra?: number } = {}): History {
  const rand = prng(s.seed);
  const fail = runsToFail(s);
  const rows: Array<Set<string>> = [];
  const quiet = (n: number) => { for (let i = 0; i < n; i++) rows.push(new Set()); };
  const outages: OutageWindow[] = [];
  quiet(2);
  for (const spec of s.outages) {
    quiet(s.recoveryThreshold);
    if (spec.blip && fail > 1) {
      quiet(1);
      const loc = LOCS[spec.blip.loc] as string;
      for (let i = 0; i < Math.min(spec.blip.len, fail - 1); i++) rows.push(new Set([loc]));
    }
    // two quiet rounds: the previous outage's reminders may run a skew's length past its recovery;
    // `quietExtra` more where a location lags (a held resolution waits for a result past the lagging
    // location's heartbeat horizon, which can take two rounds of skew: see late-results.test.ts)
    quiet(2 + (opts.quietExtra ?? 0));
    const failing = LOCS.filter((_, i) => spec.mask & (1 << i));
    const start = rows.length;
    for (let i = 0; i < spec.len; i++) rows.push(new Set(failing));
    outages.push({ spec, start, end: rows.length, failing });
  }
  quiet(s.recoveryThreshold + 3);

  const byLocation: Record<string, ResultRecord[]> = {};
  for (const loc of LOCS) {
    byLocation[loc] = rows.map((down, round) => {
      const ok = !down.has(loc);
      const r: ResultRecord = { checkId: 'api', location: loc, ts: T0 + round * MIN + Math.floor(rand() * MAX_JITTER_MS), ok, status: ok ? 'up' : 'down', latencyMs: 100 + Math.floor(rand() * 50) };
      if (!ok) r.failure = { reason: 'connect_refused', message: `refused in ${loc}` };
      return r;
    });
  }
  return { byLocation, outages, rounds: rows.length };
}

export interface Call {
  results: ResultRecord[];
  /** A re-delivery of results that were all applied before. */
  replay: boolean;
}

/**
 * First deliveries keep each location's order (one probe writes its results in order) but interleave
 * locations: a location's results may run ahead of another's by at most `skewRounds` rounds (0: any
 * order within a round; 1: a probe whose writes are a minute late), well short of the 3-interval
 * staleness. They are cut into batches. Around them: duplicates inside a batch, a retried suffix of
 * the previous batch (alone, or in front of the next batch), and replays of whole earlier batches.
 */
export function deliveries(h: History, seed: number, skewRounds: number): Call[] {
  const rand = prng(seed ^ 0x5bd1e995);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const next: Record<string, number> = Object.fromEntries(LOCS.map((l) => [l, 0]));
  const order: ResultRecord[] = [];
  for (;;) {
    const open = LOCS.filter((l) => next[l]! < h.byLocation[l]!.length);
    if (open.length === 0) break;
    const lowest = Math.min(...open.map((l) => next[l]!));
    const loc = pick(open.filter((l) => next[l]! <= lowest + skewRounds));
    order.push(h.byLocation[loc]![next[loc]!]!);
    next[loc]! += 1;
  }

  const calls: Call[] = [];
  const batches: ResultRecord[][] = [];
  let carry: ResultRecord[] = [];
  for (let i = 0; i < order.length;) {
    const size = 1 + Math.floor(rand() * 5);
    const batch = order.slice(i, i + size);
    i += size;
    const results = [...carry, ...batch];
    carry = [];
    if (rand() < 0.15) results.splice(Math.floor(rand() * (results.length + 1)), 0, pick(results));
    calls.push({ results, replay: false });
    batches.push(batch);
    const roll = rand();
    const suffix = batch.slice(Math.floor(rand() * batch.length));
    if (roll < 0.1) calls.push({ results: suffix, replay: true });
    else if (roll < 0.2) carry = suffix;
    else if (roll < 0.3) calls.push({ results: pick(batches), replay: true });
  }
  return calls;
}

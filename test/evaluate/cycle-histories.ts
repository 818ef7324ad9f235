/**
 * Generated histories shaped like the probe cycle produces them (issue 11): 2–5 locations at phases
 * spread across the interval (location k of n at k × interval / n), a recheck every 10 s while a
 * location's failure or recovery is undecided, and a confirmation run at the other locations 0.2–2 s
 * after one starts failing or recovering (at most one per location and direction per interval; a
 * confirmation run sends none). Ground truth: outages in which the target is down for every location
 * or for a quorum of them, long enough for each to cross its threshold, separated by healthy gaps,
 * with optional single-location noise that cannot page. Delivery: each location has a lag of
 * 0..interval, results arrive in order of ts + lag, some are delivered again later, and the sweep
 * evaluates with no results every minute.
 */
import fc from 'fast-check';
import type { PolicyInput, ResultRecord } from '../../shared/evaluate/index.ts';
import { applyResult, freshLocation } from '../../shared/evaluate/location.ts';
import type { LocationState } from '../../shared/evaluate/types.ts';
import { prng } from './histories.ts';
import { T0 } from './support.ts';

const SEC = 1_000;
const RECHECK_MS = 10 * SEC;
const SWEEP_MS = 60 * SEC;
const NAMES = ['eu', 'us', 'ap', 'sa', 'dc'] as const;

export interface CycleScenario {
  locations: number;
  /** 0: a majority; otherwise explicit, clamped to the location count. */
  quorum: number;
  intervalMs: number;
  failureThreshold: number;
  recoveryThreshold: number;
  repeatRounds?: number;
  outages: Array<{ mask: number; extraMs: number; gapMs: number; noise?: { loc: number; runs: number } }>;
  /** Per location, its lag as a fraction of the interval (0..1). */
  lags: number[];
  seed: number;
}

export const cycleScenarioArb: fc.Arbitrary<CycleScenario> = fc.record({
  locations: fc.integer({ min: 2, max: 5 }),
  quorum: fc.integer({ min: 0, max: 5 }),
  intervalMs: fc.constantFrom(60_000, 60_000, 60_000, 30_000, 120_000, 300_000),
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  recoveryThreshold: fc.integer({ min: 1, max: 3 }),
  repeatRounds: fc.option(fc.integer({ min: 2, max: 4 }), { nil: undefined }),
  outages: fc.array(fc.record({
    mask: fc.integer({ min: 1, max: 31 }),
    extraMs: fc.integer({ min: 0, max: 120_000 }),
    gapMs: fc.integer({ min: 0, max: 120_000 }),
    noise: fc.option(fc.record({ loc: fc.integer({ min: 0, max: 4 }), runs: fc.integer({ min: 1, max: 4 }) }), { nil: undefined }),
  }), { minLength: 1, maxLength: 3 }),
  lags: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
}, { requiredKeys: ['locations', 'quorum', 'intervalMs', 'failureThreshold', 'recoveryThreshold', 'outages', 'lags', 'seed'] });

export function cyclePolicy(s: CycleScenario): PolicyInput {
  const locations = NAMES.slice(0, s.locations) as string[];
  const quorum = s.quorum === 0 ? Math.floor(s.locations / 2) + 1 : Math.min(s.quorum, s.locations);
  const p: PolicyInput = {
    checkId: 'api', locations, failureThreshold: s.failureThreshold, recoveryThreshold: s.recoveryThreshold, quorum,
    intervalMs: s.intervalMs, channels: ['ops'], certExpiringDays: 21, recheckIntervalMs: RECHECK_MS, confirm: true,
  };
  if (s.repeatRounds !== undefined) p.repeatIntervalMs = s.repeatRounds * s.intervalMs;
  return p;
}

export interface Outage {
  /** The target is down for `affected` from `start` (inclusive) to `end` (exclusive). */
  start: number;
  end: number;
  affected: string[];
  /** Where this outage's notifications must fall: up to the next outage's start. */
  until: number;
}

export interface CycleHistory {
  policy: PolicyInput;
  outages: Outage[];
  /** Every run, in ts order. */
  results: ResultRecord[];
  lagMs: Record<string, number>;
  endMs: number;
}

interface Pending {
  at: number;
  loc: string;
  trigger?: 'recheck' | 'confirm';
}

/** Each location's own view, as the probe's memory keeps it, decides its rechecks and confirmations. */
function undecided(v: LocationState): boolean {
  return (!v.failing && v.consecutiveFailures > 0) || (v.failing && v.consecutiveSuccesses > 0);
}

/**
 * The affected set has at least `quorum` locations. Bounds, in intervals I: an affected location sees
 * the outage within I (its own schedule) and crosses within (failureThreshold - 1) rechecks more, so
 * the outage lasts I + 2 s + 11 s × failureThreshold at least; the gap after it is 4 I + 60 s at least:
 * the slowest recovery (I + 11 s × recoveryThreshold), every location's next report (I) and the
 * largest lag (I), with room for the rechecks. Noise sits in the middle of a gap, fenced the same way.
 */
function groundTruth(s: CycleScenario, p: PolicyInput, rand: () => number): { outages: Outage[]; noise: Array<{ loc: string; at: number; runs: number }>; endMs: number } {
  const I = s.intervalMs;
  const outages: Outage[] = [];
  const noise: Array<{ loc: string; at: number; runs: number }> = [];
  let t = T0 + 2 * I;
  for (const o of s.outages) {
    let affected = p.locations.filter((_, i) => o.mask & (1 << i));
    while (affected.length < p.quorum) {
      const missing = p.locations.filter((l) => !affected.includes(l));
      affected = [...affected, missing[Math.floor(rand() * missing.length)]!];
    }
    affected = p.locations.filter((l) => affected.includes(l));
    const minLen = I + 2 * SEC + 11 * SEC * s.failureThreshold + 5 * SEC;
    const start = t;
    const end = start + minLen + o.extraMs;
    outages.push({ start, end, affected, until: Infinity });
    t = end + 4 * I + 60 * SEC + o.gapMs;
    // noise pages nobody: with quorum 1 it stays below failureThreshold
    const runs = p.quorum >= 2 ? o.noise?.runs ?? 0 : Math.min(o.noise?.runs ?? 0, s.failureThreshold - 1);
    if (o.noise && runs > 0) {
      noise.push({ loc: p.locations[o.noise.loc % p.locations.length]!, at: t, runs });
      t += runs * I + I + 11 * SEC * s.recoveryThreshold + 4 * I + 60 * SEC;
    }
  }
  outages.forEach((o, i) => { o.until = outages[i + 1]?.start ?? Infinity; });
  return { outages, noise, endMs: t + 2 * I };
}

/** Runs the probe cycle against the ground truth: scheduled runs, rechecks and confirmations, in time order. */
export function buildCycleHistory(s: CycleScenario): CycleHistory {
  const rand = prng(s.seed);
  const p = cyclePolicy(s);
  const I = s.intervalMs;
  const { outages, noise, endMs } = groundTruth(s, p, rand);
  const down = (loc: string, t: number) => outages.some((o) => o.affected.includes(loc) && t >= o.start && t < o.end);
  const noiseLeft = noise.map((n) => ({ ...n }));

  const view: Record<string, LocationState> = Object.fromEntries(p.locations.map((l) => [l, freshLocation()]));
  const lastConfirm: Record<string, number> = {};
  const queue: Pending[] = [];
  p.locations.forEach((loc, k) => {
    for (let at = T0 + (k * I) / p.locations.length; at < endMs; at += I) queue.push({ at, loc });
  });
  const results: ResultRecord[] = [];
  const lastTs: Record<string, number> = {};
  while (queue.length > 0) {
    queue.sort((a, b) => a.at - b.at);
    const run = queue.shift()!;
    // a run's startedAt carries a little jitter, and one location's runs never share a ts
    const ts = Math.max(Math.round(run.at + rand() * 300), (lastTs[run.loc] ?? 0) + 1);
    lastTs[run.loc] = ts;
    const noisy = noiseLeft.find((n) => n.loc === run.loc && ts >= n.at && n.runs > 0);
    if (noisy) noisy.runs -= 1;
    const ok = !down(run.loc, ts) && !noisy;
    const r: ResultRecord = { checkId: 'api', location: run.loc, ts, ok, status: ok ? 'up' : 'down', latencyMs: 100 };
    if (!ok) r.failure = { reason: 'connect_refused', message: `refused in ${run.loc}` };
    results.push(r);

    const before = view[run.loc]!;
    const after = applyResult(before, r, p);
    view[run.loc] = after;
    if (undecided(after) && !queue.some((q) => q.loc === run.loc && q.trigger === 'recheck')) queue.push({ at: ts + RECHECK_MS, loc: run.loc, trigger: 'recheck' });
    const startsFailing = !before.failing && before.consecutiveFailures === 0 && !ok;
    const startsRecovering = before.failing && before.consecutiveSuccesses === 0 && ok;
    if (run.trigger !== 'confirm' && (startsFailing || startsRecovering)) {
      const direction = startsFailing ? 'fail' : 'recover';
      for (const other of p.locations) {
        const key = `${run.loc}>${other}:${direction}`;
        if (other === run.loc || ts - (lastConfirm[key] ?? -Infinity) < I) continue;
        lastConfirm[key] = ts;
        queue.push({ at: ts + 200 + rand() * 1_800, loc: other, trigger: 'confirm' });
      }
    }
  }
  const lagMs = Object.fromEntries(p.locations.map((l, i) => [l, Math.round((s.lags[i] ?? 0) * I)]));
  return { policy: p, outages, results, lagMs, endMs };
}

export interface CycleCall {
  results: ResultRecord[];
  now: number;
  /** Every result in it was delivered before. */
  replay: boolean;
}

/**
 * Results in order of ts + their location's lag (so one location's keep their order), each delivered
 * again at a random later time with probability 0.1, cut into batches of 1–5 deliveries, with a sweep
 * (no results) every minute. `now` is the delivery time of the batch's last result.
 */
export function cycleDeliveries(h: CycleHistory, seed: number): CycleCall[] {
  const rand = prng(seed ^ 0x5bd1e995);
  const I = h.policy.intervalMs;
  type Delivery = { at: number; r?: ResultRecord; again: boolean };
  const list: Delivery[] = [];
  for (const r of h.results) {
    const at = r.ts + h.lagMs[r.location]!;
    list.push({ at, r, again: false });
    // (not after the history ends, where every location would rightly look silent)
    const again = at + 1 + Math.floor(rand() * 3 * I);
    if (rand() < 0.1 && again <= h.endMs) list.push({ at: again, r, again: true });
  }
  for (let at = T0; at <= h.endMs + I; at += SWEEP_MS) list.push({ at, again: false });
  list.sort((a, b) => a.at - b.at || (a.r?.ts ?? 0) - (b.r?.ts ?? 0));

  const calls: CycleCall[] = [];
  for (let i = 0; i < list.length;) {
    if (!list[i]!.r) {
      calls.push({ results: [], now: list[i]!.at, replay: false });
      i += 1;
      continue;
    }
    const size = 1 + Math.floor(rand() * 5);
    const batch: Delivery[] = [];
    while (batch.length < size && i < list.length && list[i]!.r) batch.push(list[i++]!);
    calls.push({ results: batch.map((d) => d.r!), now: batch.at(-1)!.at, replay: batch.every((d) => d.again) });
  }
  return calls;
}

/**
 * CERT_EXPIRING over generated histories (./histories.ts) in which the target's certificate is renewed
 * a few times, sometimes with one location still served the old certificate for a round or two after
 * a renewal, delivered with duplicates, interleaving, batch replays and retried suffixes to an eager
 * store and to one that writes only when `changed` and publishes the outbox with failures and crashes.
 *
 * The window is one day and the rounds a minute apart, so a certificate's notAfter is placed a day
 * after the round from which it counts as expiring.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearPublished, evaluate, type CheckState, type Notification, type ResultRecord } from '../../shared/evaluate/index.ts';
import { buildHistory, deliveries, LOCS, policyOf, prng, scenarioArb, type History, type Scenario } from './histories.ts';
import { MIN, T0 } from './support.ts';

const DAY = 86_400_000;

class PropertyFailure extends Error {}
function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new PropertyFailure(message);
}

interface Cert {
  /** Epoch ms, strictly increasing with the index: each certificate renews the previous one. */
  notAfter: number;
  /** The first round whose results are within the one-day window. */
  entry: number;
}

interface CertPlan {
  certs: Cert[];
  /** Per round and location, the index of the certificate presented. */
  presented: Array<Record<string, number>>;
  laggards: number;
}

/** Renewals at random rounds, window entries at random rounds (before the rollout, during it, or never), and now and then a location that lags a renewal. */
function planCerts(h: History, seed: number): CertPlan {
  const rand = prng(seed ^ 0x1b873593);
  const int = (n: number) => Math.floor(rand() * n);
  const count = 1 + int(4);
  const rollouts = [0, ...Array.from({ length: count - 1 }, () => 1 + int(h.rounds - 1))].sort((a, b) => a - b);
  const certs: Cert[] = [];
  let entry = -3;
  for (let k = 0; k < count; k++) {
    entry = Math.max(entry + 1, rollouts[k]! - 2 + int((rollouts[k + 1] ?? h.rounds) - rollouts[k]! + 4));
    certs.push({ entry, notAfter: T0 + entry * MIN + DAY });
  }
  const presented: CertPlan['presented'] = [];
  for (let round = 0; round < h.rounds; round++) {
    const current = rollouts.filter((r) => r <= round).length - 1;
    presented.push(Object.fromEntries(LOCS.map((l) => [l, current])));
  }
  let laggards = 0;
  for (let k = 1; k < count; k++) {
    if (rand() >= 0.4) continue;
    const loc = LOCS[int(LOCS.length)]!;
    const rounds = 1 + int(2);
    for (let round = rollouts[k]!; round < Math.min(h.rounds, rollouts[k]! + rounds); round++) {
      const p = presented[round]!;
      if (p[loc] === k) {
        p[loc] = k - 1;
        laggards += 1;
      }
    }
  }
  return { certs, presented, laggards };
}

function withCerts(h: History, plan: CertPlan): void {
  for (const loc of LOCS) {
    h.byLocation[loc]!.forEach((r, round) => {
      r.certExpiresAt = plan.certs[plan.presented[round]![loc]!]!.notAfter;
    });
  }
}

interface Run {
  eager: Notification[];
  lazy: Notification[];
  published: string[];
  writes: number;
  calls: number;
}

function simulate(s: Scenario, h: History, skewRounds: number): Run {
  const policy = { ...policyOf(s), certExpiringDays: 1 };
  const faults = prng(s.seed ^ 0x68e31da4);
  let eagerState: CheckState | undefined;
  let stored: CheckState | undefined;
  const run: Run = { eager: [], lazy: [], published: [], writes: 0, calls: 0 };
  const heartbeats: Record<string, number> = {};
  let clock = 0;
  for (const call of deliveries(h, s.seed, skewRounds)) {
    run.calls += 1;
    for (const r of call.results) {
      heartbeats[r.location] = Math.max(heartbeats[r.location] ?? 0, r.ts);
      clock = Math.max(clock, r.ts);
    }
    const observations = { lastSeen: { ...heartbeats } };
    const e = evaluate(eagerState, call.results, policy, clock, observations);
    if (call.replay) check(!e.changed && e.notifications.length === 0, 'a replay changed the eager state or notified');
    run.eager.push(...e.notifications);
    eagerState = clearPublished(e.state, e.state.outbox.map((n) => n.dedupeKey));

    const l = evaluate(stored, call.results, policy, clock, observations);
    if (call.replay) check(!l.changed && l.notifications.length === 0, 'a replay changed the stored state or notified');
    run.lazy.push(...l.notifications);
    if (l.changed) {
      stored = l.state;
      run.writes += 1;
    }
    if (stored && stored.outbox.length > 0) {
      if (faults() < 0.2) continue; // SNS failed: the outbox waits for the next invocation
      const keys = stored.outbox.map((n) => n.dedupeKey);
      run.published.push(...keys);
      if (faults() < 0.1) continue; // crashed before clearing: published again next time
      stored = clearPublished(stored, keys);
      run.writes += 1;
    }
  }
  if (stored) run.published.push(...stored.outbox.map((n) => n.dedupeKey));
  return run;
}

function assertCerts(h: History, plan: CertPlan, run: Run, skewRounds: number): { warned: number; unwarned: number } {
  const warnings = run.lazy.filter((n) => n.event === 'CERT_EXPIRING');
  const keys = warnings.map((n) => n.dedupeKey);
  check(new Set(warnings.map((n) => n.certExpiresAt)).size === warnings.length, `a certificate warned twice: ${keys.join(' ')}`);
  const sent = new Set(run.published);
  check(keys.every((k) => sent.has(k)), 'a warning was lost');
  check(run.published.every((k) => run.lazy.some((n) => n.dedupeKey === k)), 'published something never decided');

  const results = Object.values(h.byLocation).flat();
  for (const n of warnings) {
    const r = results.find((x) => x.location === n.locations[0]?.location && x.ts === n.at);
    check(r !== undefined && r.ok && r.certExpiresAt === n.certExpiresAt, `warning at ${n.at} matches no passing result with that certificate`);
    check(r.certExpiresAt! - r.ts <= DAY && n.certDaysLeft === Math.floor((r.certExpiresAt! - r.ts) / DAY), 'warning outside the window, or with the wrong days left');
    check(n.severity === 'warning' && n.dedupeKey === `api:cert:${new Date(n.certExpiresAt!).toISOString()}:CERT_EXPIRING:1`, 'wrong severity or dedupe key');
  }

  // A certificate must warn when a passing run presented it inside the window before any later
  // certificate was presented anywhere (less the delivery skew, by which a location can run ahead).
  let unwarned = 0;
  plan.certs.forEach((cert, k) => {
    const rounds = plan.presented.map((p) => Object.values(p));
    const firstLater = rounds.findIndex((ps) => ps.some((i) => i > k));
    const limit = (firstLater < 0 ? Infinity : firstLater) - skewRounds;
    const due = LOCS.some((loc) => h.byLocation[loc]!.some((r: ResultRecord, round) => round < limit && round >= cert.entry && r.ok && plan.presented[round]![loc] === k));
    const warned = warnings.some((n) => n.certExpiresAt === cert.notAfter);
    if (due) check(warned, `certificate ${k} (window from round ${cert.entry}, later certificate from round ${firstLater}) never warned`);
    if (!warned) unwarned += 1;
  });
  return { warned: warnings.length, unwarned };
}

function runProperty(numRuns: number, skewRounds: number): void {
  const tally = { warned: 0, unwarned: 0, laggards: 0, renewedWarnings: 0, writes: 0, calls: 0 };
  fc.assert(fc.property(scenarioArb, (s) => {
    const h = buildHistory(s);
    const plan = planCerts(h, s.seed);
    withCerts(h, plan);
    const run = simulate(s, h, skewRounds);
    check(JSON.stringify(run.lazy) === JSON.stringify(run.eager), 'skipping steady-state writes changed a decision');
    const { warned, unwarned } = assertCerts(h, plan, run, skewRounds);
    tally.warned += warned;
    tally.unwarned += unwarned;
    tally.laggards += plan.laggards > 0 ? 1 : 0;
    tally.renewedWarnings += warned > 1 ? 1 : 0;
    tally.writes += run.writes;
    tally.calls += run.calls;
  }), { numRuns });
  // the generator must produce warnings, renewals that warn again, certificates that never warn, and laggards
  expect(tally.warned).toBeGreaterThan(numRuns);
  expect(tally.renewedWarnings).toBeGreaterThan(numRuns / 4);
  expect(tally.unwarned).toBeGreaterThan(numRuns / 10);
  expect(tally.laggards).toBeGreaterThan(numRuns / 4);
  expect(tally.writes).toBeLessThan(tally.calls * 0.8);
}

describe('CERT_EXPIRING over generated histories', () => {
  it('3,000 histories with renewals and lagging edges: each certificate warns at most once, a due warning is never missed or lost, replays send nothing, skipped writes decide the same', () => {
    runProperty(3_000, 0);
  });

  it('1,000 histories with a location a round late: the same, with the skew allowed for', () => {
    runProperty(1_000, 1);
  });
});

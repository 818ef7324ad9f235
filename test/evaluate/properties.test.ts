/**
 * Property tests of the alert policy over generated histories (see ./histories.ts): a ground-truth
 * outage schedule for three locations, delivered with duplicates, interleaving, whole-batch replays
 * and partial-batch retries, to two stores at once:
 * - an eager one that writes every state evaluate returns, and
 * - the real one, which writes only when `changed`, publishes the outbox (sometimes failing, sometimes
 *   crashing before it clears it) and passes heartbeats, as the evaluator handler does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearPublished, evaluate, type CheckState, type Notification, type PolicyInput } from '../../shared/evaluate/index.ts';
import { sameSignificantState } from '../../shared/evaluate/persistence.ts';
import { buildHistory, deliveries, policyOf, prng, runsToFail, scenarioArb, type History, type Scenario } from './histories.ts';
import { MIN, T0 } from './support.ts';

/** 10,000 histories in all, with the lagging-location ones. */
const HISTORIES = 8_000;
const LAGGING = 2_000;

/**
 * Under CI a fixed seed, so a landing never hangs on a rare case found by chance; locally a fresh
 * seed each run (fast-check prints it with any counterexample), so new cases keep being looked for.
 */
const FC_SEED = process.env.CI ? { seed: 20261201 } : {};

class PropertyFailure extends Error {}
function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new PropertyFailure(message);
}

interface Run {
  policy: PolicyInput;
  history: History;
  /** Decided by the eager store and by the real one, in order. */
  eager: Notification[];
  lazy: Notification[];
  /** Dedupe keys that reached SNS, with repeats. */
  published: string[];
  writes: number;
  calls: number;
}

function simulate(s: Scenario, skewRounds: number): Run {
  const policy = policyOf(s);
  const history = buildHistory(s, { quietExtra: 2 * skewRounds });
  const faults = prng(s.seed ^ 0x2545f491);
  let eagerState: CheckState | undefined;
  let stored: CheckState | undefined;
  const eager: Notification[] = [];
  const lazy: Notification[] = [];
  const published: string[] = [];
  const heartbeats: Record<string, number> = {};
  let clock = 0;
  let writes = 0;
  const calls = deliveries(history, s.seed, skewRounds);

  for (const call of calls) {
    for (const r of call.results) {
      heartbeats[r.location] = Math.max(heartbeats[r.location] ?? 0, r.ts);
      clock = Math.max(clock, r.ts);
    }
    const observations = { lastSeen: { ...heartbeats } };

    const e = evaluate(eagerState, call.results, policy, clock, observations);
    if (call.replay) {
      check(!e.changed && e.notifications.length === 0, `a replay changed the eager state or notified: ${JSON.stringify(e.notifications)}`);
      expect(e.state).toEqual(eagerState);
    }
    eager.push(...e.notifications);
    eagerState = clearPublished(e.state, e.state.outbox.map((n) => n.dedupeKey));

    const l = evaluate(stored, call.results, policy, clock, observations);
    if (call.replay) {
      check(!l.changed && l.notifications.length === 0, 'a replay changed the stored state or notified');
      check(sameSignificantState(l.state, stored!), 'a replay changed the stored state significantly');
    }
    lazy.push(...l.notifications);
    if (l.changed) {
      stored = l.state;
      writes += 1;
    }
    if (stored && stored.outbox.length > 0) {
      if (faults() < 0.2) continue; // SNS failed: nothing published, the outbox stays for the next invocation
      const keys = stored.outbox.map((n) => n.dedupeKey);
      published.push(...keys);
      if (faults() < 0.1) continue; // crashed after publishing, before clearing: they will go out again
      stored = clearPublished(stored, keys);
      writes += 1;
    }
  }
  if (stored) published.push(...stored.outbox.map((n) => n.dedupeKey));
  return { policy, history, eager, lazy, published, writes, calls: calls.length };
}

const roundOf = (ts: number) => Math.floor((ts - T0) / MIN);

function assertOutcome(s: Scenario, run: Run): void {
  const fail = runsToFail(s);
  const notes = run.lazy;
  const keys = notes.map((n) => n.dedupeKey);

  // every decision is made once, and every decision reaches SNS (a crash may send it twice)
  check(new Set(keys).size === keys.length, `a decision was repeated: ${keys.join(' ')}`);
  const sent = new Set(run.published);
  check(keys.every((k) => sent.has(k)), 'a notification was lost');
  check(run.published.every((k) => keys.includes(k)), 'something was published that was never decided');
  check(notes.every((n) => n.event !== 'LOCATION_SILENT'), 'a location looked silent though every location reported');

  // each notification belongs to an outage long enough to make a location fail: from its first failed
  // round until the next outage starts (the RESOLVED is held until every location has reported after
  // the recovery began, and after the incident opened: see Incident.knownAt)
  const outages = run.history.outages;
  const windowOf = (n: Notification) => outages.find((w, i) => roundOf(n.at) >= w.start && roundOf(n.at) < (outages[i + 1]?.start ?? Infinity));
  for (const n of notes) {
    const w = windowOf(n);
    check(w !== undefined && w.spec.len >= fail, `${n.event} at round ${roundOf(n.at)} outside any outage that reaches the threshold`);
  }

  for (const w of run.history.outages) {
    const inside = notes.filter((n) => windowOf(n) === w);
    const downs = inside.filter((n) => n.event === 'DOWN');
    const pages = w.spec.len >= fail && w.failing.length >= s.quorum;
    if (!pages) {
      check(downs.length === 0, `DOWN for an outage of ${w.failing.length} location(s) below quorum ${s.quorum} or shorter than the threshold`);
    } else {
      check(downs.length === 1, `expected exactly one DOWN for the outage at rounds ${w.start}..${w.end - 1}, got ${downs.length}`);
      const down = downs[0]!;
      check(roundOf(down.at) === w.start + fail - 1, `DOWN in round ${roundOf(down.at)}, expected ${w.start + fail - 1}`);
      check(new Set(inside.map((n) => n.incidentId)).size === 1, 'one outage split into several incidents');
      const resolved = inside.filter((n) => n.event === 'RESOLVED');
      check(resolved.length === 1, `expected one RESOLVED, got ${resolved.length}`);
      const r = resolved[0]!;
      // the recovery completes in round end + recoveryThreshold - 1, and the duration says so exactly
      const recovered = w.end + s.recoveryThreshold - 1;
      check(roundOf(r.at) >= recovered, `RESOLVED in round ${roundOf(r.at)}, before the recovery in round ${recovered}`);
      check(roundOf(r.since!) === w.start && roundOf(r.since! + r.durationMs!) === recovered, `RESOLVED duration ${r.durationMs} does not run from the outage's first failure to its recovery`);
    }
  }

  // per incident: escalating events at most once each, reminders only while paged, one RESOLVED at the end
  const incidents = new Map<string, Notification[]>();
  for (const n of notes) incidents.set(n.incidentId, [...(incidents.get(n.incidentId) ?? []), n]);
  for (const [id, list] of incidents) {
    const events = list.map((n) => n.event);
    for (const e of ['DEGRADED', 'PARTIAL', 'DOWN'] as const) check(events.filter((x) => x === e).length <= 1, `${id}: ${e} twice`);
    check(events.filter((e) => e === 'RESOLVED').length === 1 && events.at(-1) === 'RESOLVED', `${id}: not closed by exactly one RESOLVED: ${events.join(',')}`);
    const reminders = list.filter((n) => n.event === 'REMINDER');
    check(reminders.length === 0 || (s.repeatRounds !== undefined && events.indexOf('DOWN') >= 0 && events.indexOf('DOWN') < events.indexOf('REMINDER')), `${id}: REMINDER without a DOWN before it`);
    let last = list.find((n) => n.event === 'DOWN')?.at ?? 0;
    for (const rem of reminders) {
      check(rem.at - last >= s.repeatRounds! * MIN, `${id}: REMINDER ${rem.at - last} ms after the previous page`);
      last = rem.at;
    }
  }
}

function runProperty(numRuns: number, skewRounds: number) {
  const tally = { paged: 0, belowThreshold: 0, belowQuorum: 0, calls: 0, writes: 0 };
  fc.assert(fc.property(scenarioArb, (s) => {
    const run = simulate(s, skewRounds);
    check(JSON.stringify(run.lazy) === JSON.stringify(run.eager), 'skipping steady-state writes changed a decision');
    assertOutcome(s, run);
    tally.calls += run.calls;
    tally.writes += run.writes;
    for (const w of run.history.outages) {
      if (w.spec.len < runsToFail(s)) tally.belowThreshold += 1;
      else if (w.failing.length < s.quorum) tally.belowQuorum += 1;
      else tally.paged += 1;
    }
  }), { numRuns, ...FC_SEED });
  // the generator must produce every kind of outage in earnest, not only the easy ones
  expect(tally.paged).toBeGreaterThan(numRuns / 4);
  expect(tally.belowThreshold).toBeGreaterThan(numRuns / 10);
  expect(tally.belowQuorum).toBeGreaterThan(numRuns / 10);
  // and steady state must really skip writes
  expect(tally.writes).toBeLessThan(tally.calls * 0.8);
}

describe('generated histories', () => {
  it(`${HISTORIES} histories delivered with duplicates, reordering within a round, batch replays and retried suffixes: exactly one DOWN and one RESOLVED per real outage, none below threshold or quorum, nothing lost, replays change nothing, skipped writes decide the same`, () => {
    runProperty(HISTORIES, 0);
  });

  it(`${LAGGING} histories with a location whose results arrive a round late: the same, exactly (see ./late-results.test.ts for lags up to an interval)`, () => {
    runProperty(LAGGING, 1);
  });

  it('a batch decides the same as its results fed one at a time', () => {
    fc.assert(fc.property(scenarioArb, fc.integer({ min: 2, max: 12 }), (s, size) => {
      const policy = policyOf(s);
      const h = buildHistory(s);
      const ordered = Object.values(h.byLocation).flat().sort((a, b) => a.ts - b.ts);
      let one: CheckState | undefined;
      let many: CheckState | undefined;
      const single: Notification[] = [];
      const batched: Notification[] = [];
      for (const r of ordered) {
        const ev = evaluate(one, [r], policy, r.ts);
        one = ev.state;
        single.push(...ev.notifications);
      }
      for (let i = 0; i < ordered.length; i += size) {
        const batch = ordered.slice(i, i + size);
        const ev = evaluate(many, batch, policy, batch.at(-1)!.ts);
        many = ev.state;
        batched.push(...ev.notifications);
      }
      expect(batched).toEqual(single);
      expect(many).toEqual(one);
    }), { numRuns: 500 });
  });

  it('does not modify its inputs', () => {
    const deepFreeze = <T>(o: T): T => {
      if (o && typeof o === 'object') {
        for (const v of Object.values(o)) deepFreeze(v);
        Object.freeze(o);
      }
      return o;
    };
    fc.assert(fc.property(scenarioArb, (s) => {
      const policy = deepFreeze(policyOf(s));
      const ordered = Object.values(buildHistory(s).byLocation).flat().sort((a, b) => a.ts - b.ts);
      let state: CheckState | undefined;
      for (let i = 0; i < ordered.length; i += 4) {
        const batch = deepFreeze(ordered.slice(i, i + 4));
        state = deepFreeze(evaluate(state, batch, policy, batch.at(-1)!.ts).state);
      }
    }), { numRuns: 200 });
  });
});

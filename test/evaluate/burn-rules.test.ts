/**
 * Burn rates beyond the default rules' trajectories: a rule configured with its own factor and
 * windows, how the readings' windows end, and what the policy does with (and without) readings.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { DEFAULT_BURN_RULES } from '../../shared/config/slo.ts';
import { evaluate, policyFor } from '../../shared/evaluate/index.ts';
import { burnReadings, budgetRemainingOver, burnWindowEnd, isBurnReadingDue, RollupBook, BURN_EVERY_MS } from '../../shared/evaluate/slo/index.ts';
import { B0, BurnTrajectory, minute, sloWith } from './burn-harness.ts';
import { LOCATIONS, MIN, policy } from './support.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const lastSeen = (now: number) => Object.fromEntries(LOCATIONS.map((l) => [l, now]));

describe('a configured rule', () => {
  const config = loadConfigObject({
    defaults: { locations: [...LOCATIONS], alerting: { channels: ['ops'] } },
    channels: { ops: { email: ['ops@example.com'] } },
    checks: [{
      id: 'api', http: { url: 'https://api.example.com/health' },
      slo: { objective: 99, window: '7d', burnRates: [{ severity: 'ticket', factor: 2, long: '2h', short: '10m' }] },
    }],
  });
  const p = policyFor(config.checks[0]!);

  it('replaces the defaults, and is named by its severity and long window', () => {
    expect(p.slo?.burnRates).toEqual([{ name: 'ticket-2h', severity: 'ticket', factor: 2, longMs: 2 * 60 * MIN, shortMs: 10 * MIN }]);
  });

  it('fires on its own factor and windows, as a ticket (warning), with the rates worked out by hand', () => {
    const t = new BurnTrajectory(p.slo!, { ...p, locations: [...LOCATIONS] });
    t.run(120, 'up');
    const outage = t.clock;
    const sent = t.run(5, 'down');

    // 5 of 120 minutes down over the long window and 5 of 10 over the short; β = 0.01, factor 2.
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ severity: 'warning', incidentId: `api:burn:ticket-2h:${iso(outage + 5 * MIN)}` });
    expect(sent[0]!.burn!.longRate).toBeCloseTo(5 / 120 / 0.01, 9);
    expect(sent[0]!.burn!.shortRate).toBeCloseTo(5 / 10 / 0.01, 9);
    expect(sent[0]!.burn!.objective).toBe(99);
  });

  it('does not fire while the long window is under its factor: 2 of 120 minutes is 1.67×', () => {
    const t = new BurnTrajectory(p.slo!, { ...p, locations: [...LOCATIONS] });
    t.run(118, 'up');
    t.run(2, 'down');
    const reading = t.readings.at(-1)!.readings[0]!;

    expect(reading.long).toBeCloseTo(2 / 120 / 0.01, 9);
    expect(reading.short).toBeCloseTo(2 / 10 / 0.01, 9);
    expect(reading.firing).toBe(false);
    expect(t.sent).toEqual([]);
  });
});

describe('burnReadings', () => {
  const slo = sloWith(DEFAULT_BURN_RULES, 99.9);

  it('ends the windows at the newest accounted minute, not at now: the minute that just ended may not be in yet', () => {
    const book = new RollupBook();
    for (let m = 0; m < 60; m++) book.add('api', minute(B0 + m * MIN, m >= 55 ? 'down' : 'up'));
    // At B0 + 61 min the minute [60, 61) is not accounted: the windows end at 60 and see all five down minutes.
    const now = B0 + 61 * MIN;
    const hours = book.hours('api', now - 4 * 86_400_000, now);

    expect(burnWindowEnd(hours, now)).toBe(B0 + 60 * MIN);
    const [page1h] = burnReadings(hours, now, slo);
    expect(page1h!.short).toBeCloseTo(1 / 0.001, 6);
    expect(page1h!.long).toBeCloseTo(5 / 60 / 0.001, 6);
    // A minute accounted ahead of `now` is not read.
    expect(burnWindowEnd(hours, B0 + 30 * MIN)).toBe(B0 + 30 * MIN);
  });

  it('says nothing without eligible data: no rates, nothing firing (no data is never 0×)', () => {
    const book = new RollupBook();
    for (let m = 0; m < 10; m++) book.add('api', minute(B0 + m * MIN, 'maintenance'));
    const now = B0 + 10 * MIN;

    expect(burnReadings(book.hours('api', B0, now), now, slo).map((r) => [r.long, r.short, r.firing])).toEqual([[undefined, undefined, false], [undefined, undefined, false], [undefined, undefined, false]]);
    expect(burnReadings([], now, slo).every((r) => !r.firing && r.long === undefined)).toBe(true);
    expect(budgetRemainingOver([], now, slo)).toBeUndefined();
  });

  it('reads the budget left over the whole SLO window', () => {
    const book = new RollupBook();
    for (let m = 0; m < 1000; m++) book.add('api', minute(B0 + m * MIN, m < 1 ? 'down' : 'up'));
    const now = B0 + 1000 * MIN;
    // 1 bad minute of 1000 eligible against an allowance of 0.1 % of 1000 = 1 minute: all of it spent.
    expect(budgetRemainingOver(book.hours('api', B0, now), now, slo)).toBeCloseTo(0, 9);
  });

  it('is due on every 5-minute boundary', () => {
    expect(BURN_EVERY_MS).toBe(5 * MIN);
    expect([0, 1, 4, 5, 10, 11].map((m) => isBurnReadingDue(B0 + m * MIN + 30_000))).toEqual([true, false, false, true, true, false]);
  });
});

describe('the policy and burn readings', () => {
  const slo = sloWith([DEFAULT_BURN_RULES[0]!], 99.9);
  const p = policy({ slo });
  const firing = (at: number, yes = true) => ({ at, readings: [{ rule: DEFAULT_BURN_RULES[0]!, long: yes ? 20 : 2, short: yes ? 30 : 0, firing: yes }] });

  it('decides nothing without an observation: a firing rule is not taken to have stopped', () => {
    const first = evaluate(undefined, [], p, B0, { lastSeen: lastSeen(B0), burn: firing(B0) });
    expect(first.notifications.map((n) => n.event)).toEqual(['BUDGET_BURN']);
    expect(first.changed).toBe(true);

    const later = evaluate(first.state, [], p, B0 + MIN, { lastSeen: lastSeen(B0 + MIN) });
    expect(later.notifications).toEqual([]);
    expect(later.state.budget).toEqual({ firing: { 'page-1h': B0 } });
    expect(later.changed).toBe(false);
  });

  it('writes when the episode starts and ends, and nothing while it goes on', () => {
    const first = evaluate(undefined, [], p, B0, { lastSeen: lastSeen(B0), burn: firing(B0) });
    const same = evaluate(first.state, [], p, B0 + BURN_EVERY_MS, { lastSeen: lastSeen(B0 + BURN_EVERY_MS), burn: firing(B0 + BURN_EVERY_MS) });
    const ended = evaluate(same.state, [], p, B0 + 2 * BURN_EVERY_MS, { lastSeen: lastSeen(B0 + 2 * BURN_EVERY_MS), burn: firing(B0 + 2 * BURN_EVERY_MS, false) });

    expect([first.changed, same.changed, ended.changed]).toEqual([true, false, true]);
    expect(same.notifications).toEqual([]);
    expect(ended.notifications).toEqual([]);
    expect(ended.state.budget).toBeUndefined();
  });

  it('ends the episode of a rule the readings no longer have (removed from the config)', () => {
    const first = evaluate(undefined, [], p, B0, { lastSeen: lastSeen(B0), burn: firing(B0) });
    const next = evaluate(first.state, [], p, B0 + BURN_EVERY_MS, { lastSeen: lastSeen(B0 + BURN_EVERY_MS), burn: { at: B0 + BURN_EVERY_MS, readings: [] } });
    expect(next.state.budget).toBeUndefined();
  });

  it('ignores readings for a check without an slo', () => {
    const ev = evaluate(undefined, [], policy(), B0, { lastSeen: lastSeen(B0), burn: firing(B0) });
    expect(ev.notifications).toEqual([]);
    expect(ev.state.budget).toBeUndefined();
  });

  it('carries the budget left when the caller read it', () => {
    const ev = evaluate(undefined, [], p, B0, { lastSeen: lastSeen(B0), burn: { ...firing(B0), budgetRemaining: 0.625 } });
    expect(ev.notifications[0]!.burn).toEqual({
      rule: 'page-1h', severity: 'page', factor: 14.4, longWindowMs: 60 * MIN, shortWindowMs: 5 * MIN, longRate: 20, shortRate: 30, objective: 99.9, budgetRemaining: 0.625,
    });
  });

  it('is not held back by flapping: a budget burning while the state flaps is the news', () => {
    const flappingPolicy = policy({ slo, flapping: { changes: 2, withinMs: 60 * MIN } });
    const state = { ...evaluate(undefined, [], flappingPolicy, B0, { lastSeen: lastSeen(B0) }).state, flap: { changes: [B0 - MIN, B0], since: B0 } };
    const ev = evaluate(state, [], flappingPolicy, B0 + MIN, { lastSeen: lastSeen(B0 + MIN), burn: firing(B0 + MIN) });
    expect(ev.notifications.map((n) => n.event)).toContain('BUDGET_BURN');
    expect(ev.suppressed).toEqual([]);
  });
});

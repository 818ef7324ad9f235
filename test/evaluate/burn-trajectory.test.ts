/**
 * Burn-rate trajectories for each of the three default rules (SRE workbook: page 14.4× over 1h and
 * 5m, page 6× over 6h and 30m, ticket 1× over 3d and 6h). Every rule has its long window 12 times its
 * short one, so one scenario fits all three when the objective is chosen per rule: with
 * `objective = 100 × (1 − 0.3 / factor)` a window burns at ≥ factor exactly when 30 % or more of
 * its minutes are down. Minutes are accounted one at a time and the rules read every 5 minutes, as
 * the sweep does; each trajectory starts with a clean long window.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BURN_RULES, type BurnRule } from '../../shared/config/slo.ts';
import { B0, BurnTrajectory, sloWith } from './burn-harness.ts';
import { MIN } from './support.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const rule = (name: string) => DEFAULT_BURN_RULES.find((r) => r.name === name)!;

/**
 * Per rule, worked by hand: the outage starts right after a clean long window L; the first reading
 * with ≥ 30 % of L down is `firesAfter` minutes in (readings are every 5 minutes), when the long
 * window's error rate is firesAfter / L and the short window is all down (rate 1).
 */
const CASES = [
  // 18 of 60 minutes is 30 %: the reading at 20 sees 20/60; budget 0.3/14.4, so 14.4/0.9 = 16× and 1/β = 48×.
  { rule: 'page-1h', longMin: 60, shortMin: 5, firesAfter: 20, longRate: 16, shortRate: 48, severity: 'critical' },
  // 108 of 360 is 30 %: the reading at 110 sees 110/360; budget 0.05, so 6.111…× and 20×.
  { rule: 'page-6h', longMin: 360, shortMin: 30, firesAfter: 110, longRate: 110 / 360 / 0.05, shortRate: 20, severity: 'critical' },
  // 1296 of 4320 is 30 %: the reading at 1300 sees 1300/4320; budget 0.3, so 1.003…× and 3.333…×.
  { rule: 'ticket-3d', longMin: 4320, shortMin: 360, firesAfter: 1300, longRate: 1300 / 4320 / 0.3, shortRate: 1 / 0.3, severity: 'warning' },
] as const;

function trajectory(r: BurnRule): BurnTrajectory {
  const t = new BurnTrajectory(sloWith([r], 100 * (1 - 0.3 / r.factor)));
  t.run(r.longMs / MIN, 'up');
  return t;
}

describe.each(CASES)('burn rule $rule', (c) => {
  const r = rule(c.rule);

  it('is the default rule the case was worked out for', () => {
    expect([r.longMs / MIN, r.shortMs / MIN]).toEqual([c.longMin, c.shortMin]);
  });

  it('(a) sends nothing while only the long window burns', () => {
    const t = trajectory(r);
    // A fifth of L fully down: the short window burns but the long one stays under 30 %. Then one
    // minute down in every five (20 %): the long window climbs past 30 % while the short one stays at 20 %.
    const burst = Math.round(c.longMin / 5 / 5) * 5;
    t.run(burst, 'down');
    const start = t.minutes;
    t.run(c.longMin, (m) => ((m - start) % 5 === 0 ? 'down' : 'up'));

    expect(t.sent).toEqual([]);
    expect(t.state?.budget).toBeUndefined();
    const longOnly = t.readings.filter((x) => x.readings[0]!.long! >= r.factor && x.readings[0]!.short! < r.factor);
    const shortOnly = t.readings.filter((x) => x.readings[0]!.short! >= r.factor && x.readings[0]!.long! < r.factor);
    expect(longOnly.length).toBeGreaterThan(0);
    expect(shortOnly.length).toBeGreaterThan(0);
    expect(t.readings.every((x) => !x.readings[0]!.firing)).toBe(true);
  });

  it('(b) sends one BUDGET_BURN when both windows burn, with the rates worked out by hand', () => {
    const t = trajectory(r);
    const outage = t.clock;
    t.run(c.firesAfter - 5, 'down');
    expect(t.sent).toEqual([]);
    const sent = t.run(5, 'down');

    expect(sent).toHaveLength(1);
    const n = sent[0]!;
    const at = outage + c.firesAfter * MIN;
    expect(n).toMatchObject({
      event: 'BUDGET_BURN', checkId: 'api', at, since: at, severity: c.severity,
      incidentId: `api:burn:${c.rule}:${iso(at)}`, dedupeKey: `api:burn:${c.rule}:${iso(at)}:BUDGET_BURN:1`,
      channels: ['ops'],
    });
    expect(n.burn).toMatchObject({ rule: c.rule, severity: r.severity, factor: r.factor, longWindowMs: r.longMs, shortWindowMs: r.shortMs, objective: 100 * (1 - 0.3 / r.factor) });
    expect(n.burn!.longRate).toBeCloseTo(c.longRate, 9);
    expect(n.burn!.shortRate).toBeCloseTo(c.shortRate, 9);
    expect(t.state?.budget).toEqual({ firing: { [c.rule]: at } });
  });

  it('(c) sends no repeat while it keeps burning', () => {
    const t = trajectory(r);
    t.run(c.firesAfter, 'down');
    const episode = t.state?.budget;
    t.run(c.shortMin * 2, 'down');

    expect(t.sent).toHaveLength(1);
    expect(t.state?.budget).toEqual(episode);
    expect(t.readings.slice(-c.shortMin * 2 / 5).every((x) => x.readings[0]!.firing)).toBe(true);
  });

  it('(d) re-arms when the short window recovers, and a new burn sends a second BUDGET_BURN with a new key', () => {
    const t = trajectory(r);
    t.run(c.firesAfter + 30, 'down');
    // Up for the short window and one reading more: the short window is clean, the long still burns.
    t.run(c.shortMin + 5, 'up');
    const last = t.readings.at(-1)!.readings[0]!;
    expect(last.long).toBeGreaterThanOrEqual(r.factor);
    expect(last.short).toBe(0);
    expect(last.firing).toBe(false);
    expect(t.state?.budget).toBeUndefined();
    expect(t.sent).toHaveLength(1);

    // Down again: the short window burns once 30 % of it is down; the long window never stopped.
    const again = t.clock;
    t.run(c.shortMin, 'down');
    expect(t.sent).toHaveLength(2);
    const [first, second] = t.sent as [typeof t.sent[0], typeof t.sent[0]];
    const firesAgain = Math.ceil((0.3 * c.shortMin) / 5) * 5;
    expect(second.at).toBe(again + firesAgain * MIN);
    expect(second.dedupeKey).toBe(`api:burn:${c.rule}:${iso(second.at)}:BUDGET_BURN:1`);
    expect(second.dedupeKey).not.toBe(first.dedupeKey);
  });

  it('(e) is decided but suppressed while muted, and sent once the mute is over if it still burns', () => {
    const t = trajectory(r);
    const outage = t.clock;
    const firesAt = outage + c.firesAfter * MIN;
    // A silence from the reading that fires, for 10 minutes: its minutes are maintenance, as the sweep accounts them.
    const silence = { kind: 'silence' as const, name: 'sil-1', start: firesAt, end: firesAt + 10 * MIN };
    t.mutes = [silence];
    t.run(c.firesAfter + 30, (m) => (B0 + m * MIN >= silence.start && B0 + m * MIN < silence.end ? 'maintenance' : 'down'));

    const key = `api:burn:${c.rule}:${iso(firesAt)}:BUDGET_BURN:1`;
    expect(t.suppressed[0]?.dedupeKey).toBe(key);
    expect(t.sent.filter((n) => n.at < silence.end)).toEqual([]);
    expect(t.sent).toHaveLength(1);
    if (c.shortMin > 10) {
      // The short window still holds the outage's minutes after the silence: the same episode, sent at the first reading after it.
      expect(t.sent[0]).toMatchObject({ dedupeKey: key, since: firesAt, at: silence.end });
    } else {
      // A 5-minute window saw only maintenance inside the silence: that episode ended unsent, and the burn after it is a new one.
      expect(t.sent[0]!.since).toBeGreaterThanOrEqual(silence.end);
      expect(t.sent[0]!.dedupeKey).not.toBe(key);
    }
  });
});

describe('the three default rules together: one burn is one alert', () => {
  it('at 99.9 %, a total outage trips all three at the first reading and pages once, through page-1h', () => {
    const t = new BurnTrajectory(sloWith(DEFAULT_BURN_RULES, 99.9));
    t.run(3 * 24 * 60, 'up');
    const sent = t.run(5, 'down');

    // 5 of 60 minutes down in the long window, 5 of 5 in the short one; β = 0.001.
    expect(sent.map((n) => [n.burn!.rule, n.severity])).toEqual([['page-1h', 'critical']]);
    expect(sent[0]!.burn!.longRate).toBeCloseTo(5 / 60 / 0.001, 6);
    expect(sent[0]!.burn!.shortRate).toBeCloseTo(1 / 0.001, 6);
    // The other two started covered: firing, and never sent later in their episodes.
    expect(Object.keys(t.state!.budget!.firing).sort()).toEqual(['page-1h', 'page-6h', 'ticket-3d']);
    expect(t.state!.budget!.unsent).toBeUndefined();
    // page-1h stops once its 5-minute window recovers; page-6h and ticket-3d still fire, and stay quiet.
    expect(t.run(60, 'up')).toEqual([]);
  });

  it('a slow burn only the ticket rule sees opens a ticket; a page rule that trips later still pages', () => {
    const t = new BurnTrajectory(sloWith(DEFAULT_BURN_RULES, 99));
    t.run(3 * 24 * 60, 'up');
    // 1 minute in 50 down at 99 % (β = 0.01): 2× over 3 days and about 1.9× over 6 hours, so the
    // ticket fires; 1h holds 1 or 2 down minutes (≤ 3.3×) and 6h 7 or 8 (≤ 2.2×): no page rule does.
    const slow = t.run(3 * 24 * 60, (m) => (m % 50 === 0 ? 'down' : 'up'));
    expect(slow.map((n) => [n.burn!.rule, n.severity])).toEqual([['ticket-3d', 'warning']]);
    // Then 10 minutes down: 1h holds 11 or 12 → ≥ 18.3×, 5m 5 of 5 → 100×; page-1h pages over the open ticket.
    const outage = t.run(10, 'down');
    expect(outage.map((n) => [n.burn!.rule, n.severity])).toEqual([['page-1h', 'critical']]);
  });
});

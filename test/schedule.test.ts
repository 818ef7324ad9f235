import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isDueInMinute, minuteIndex, nextScheduledAt, periodMinutes, phaseMs, planMinute, stableHash, subMinuteOffsets, type Schedulable } from '../shared/schedule.ts';

const check = (id: string, interval: number, locations = ['eu-west-1'], enabled = true): Schedulable => ({ id, interval, locations, enabled });
const MIN = 60_000;
const T = Date.parse('2026-11-03T10:00:00.000Z');

describe('intervals of a minute or more', () => {
  it('run a 5-minute check in exactly one of every five minutes, always the same one', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 50_000_000 }), (id, start) => {
      const due = Array.from({ length: 20 }, (_, i) => isDueInMinute(check(id, 5 * MIN), start + i));
      // Each window of five consecutive minutes has one due minute, and they are five apart.
      for (let i = 0; i + 5 <= due.length; i++) expect(due.slice(i, i + 5).filter(Boolean)).toHaveLength(1);
      const minutes = due.flatMap((d, i) => (d ? [start + i] : []));
      expect(new Set(minutes.map((m) => m % 5)).size).toBe(1);
    }), { numRuns: 300 });
  });

  it('spread many checks of one interval across the minutes of the cycle', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `check-${i}`);
    const perSlot = [0, 0, 0, 0, 0];
    for (const id of ids) perSlot[stableHash(id) % 5]!++;

    for (const n of perSlot) expect(n).toBeGreaterThan(150);
    for (const n of perSlot) expect(n).toBeLessThan(250);
  });

  it('run every minute at 60 s, and round other intervals to whole minutes', () => {
    expect(Array.from({ length: 10 }, (_, i) => isDueInMinute(check('a', MIN), i)).every(Boolean)).toBe(true);
    expect([periodMinutes(60_000), periodMinutes(90_000), periodMinutes(120_000), periodMinutes(300_000), periodMinutes(3_600_000)]).toEqual([1, 2, 2, 5, 60]);
  });

  it('hash stably: the same id gives the same slot in every process', () => {
    // FNV-1a test vectors, so a change of hash (which would reshuffle every check) fails here.
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
    expect(stableHash('foobar')).toBe(0xbf9cf968);
  });
});

describe('sub-minute intervals', () => {
  it('run as rounds at offsets inside the minute', () => {
    expect(subMinuteOffsets(15_000)).toEqual([0, 15_000, 30_000, 45_000]);
    expect(subMinuteOffsets(30_000)).toEqual([0, 30_000]);
    expect(subMinuteOffsets(25_000)).toEqual([0, 25_000, 50_000]);
  });
});

describe('planMinute', () => {
  it('groups the due checks of one location into rounds by offset, in config order', () => {
    const checks = [
      check('fast', 15_000),
      check('half', 30_000),
      check('minutely', MIN),
      check('elsewhere', MIN, ['us-east-1']),
      check('off', MIN, ['eu-west-1'], false),
      check('hourly', 60 * MIN),
    ];
    const hourlyMinute = Array.from({ length: 60 }, (_, i) => minuteIndex(T) + i).find((m) => isDueInMinute(checks[5]!, m))!;

    const quiet = planMinute(checks, 'eu-west-1', (hourlyMinute + 1) * MIN);
    const busy = planMinute(checks, 'eu-west-1', hourlyMinute * MIN + 42_000);

    expect(quiet.map((r) => [r.offsetMs, r.checks.map((c) => c.id)])).toEqual([
      [0, ['fast', 'half', 'minutely']],
      [15_000, ['fast']],
      [30_000, ['fast', 'half']],
      [45_000, ['fast']],
    ]);
    expect(busy[0]!.checks.map((c) => c.id)).toEqual(['fast', 'half', 'minutely', 'hourly']);
  });

  it('plans nothing for a location without checks', () => {
    expect(planMinute([check('a', MIN)], 'ap-south-1', T)).toEqual([]);
  });

  it('runs a check of n minutes once per n minutes over any long window, whatever else is configured', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 1_000_000 }), (periods, startMinute) => {
      const checks = periods.map((p, i) => check(`c${i}`, p * MIN));
      const runs = new Map<string, number>();
      const horizon = 5040; // minutes; not a multiple of every period, hence the tolerance of one run
      for (let m = startMinute; m < startMinute + horizon; m++) {
        for (const round of planMinute(checks, 'eu-west-1', m * MIN)) for (const c of round.checks) runs.set(c.id, (runs.get(c.id) ?? 0) + 1);
      }
      checks.forEach((c, i) => {
        const period = periods[i]!;
        const expected = horizon / period;
        expect(Math.abs((runs.get(c.id) ?? 0) - expected)).toBeLessThanOrEqual(1);
      });
    }), { numRuns: 30 });
  });
});

describe('staggered locations', () => {
  const THREE = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
  /** Every probe time (epoch ms) of the check by any location over `minutes` minutes from T. */
  const probeTimes = (c: Schedulable, minutes: number) => {
    const times: Array<{ at: number; location: string }> = [];
    for (let m = minuteIndex(T); m < minuteIndex(T) + minutes; m++) {
      for (const location of c.locations) {
        for (const round of planMinute([c], location, m * MIN)) times.push({ at: m * MIN + round.offsetMs, location });
      }
    }
    return times.sort((a, b) => a.at - b.at);
  };

  it('spreads three locations of a 60 s check to offsets 0, 20 and 40 s, so some location probes every 20 s', () => {
    const c = check('api', MIN, THREE);

    expect(THREE.map((l) => planMinute([c], l, T).map((r) => r.offsetMs))).toEqual([[0], [20_000], [40_000]]);
    const times = probeTimes(c, 10).map((t) => t.at);
    expect(times).toHaveLength(30);
    expect(new Set(times.slice(1).map((t, i) => t - times[i]!))).toEqual(new Set([20_000]));
  });

  it('spreads a 5-minute check with three locations 100 s apart, into later minutes of its cycle', () => {
    const c = check('slow', 5 * MIN, THREE);

    const times = probeTimes(c, 30);
    expect(times).toHaveLength(18);
    expect(new Set(times.slice(1).map((t, i) => t.at - times[i]!.at))).toEqual(new Set([100_000]));
    // The first location keeps the hash minute of today's schedule; the others follow it in location order.
    const first = times.find((t) => t.location === 'eu-west-1')!;
    expect(isDueInMinute(c, minuteIndex(first.at))).toBe(true);
    expect(first.at % MIN).toBe(0);
    expect(times.slice(times.indexOf(first), times.indexOf(first) + 3).map((t) => t.location)).toEqual(THREE);
  });

  it('shifts the sub-minute grid of each location by its phase', () => {
    const c = check('fast', 15_000, THREE);

    expect(THREE.map((l) => planMinute([c], l, T).map((r) => r.offsetMs))).toEqual([
      [0, 15_000, 30_000, 45_000], [5_000, 20_000, 35_000, 50_000], [10_000, 25_000, 40_000, 55_000],
    ]);
    expect(subMinuteOffsets(25_000, 12_500)).toEqual([12_500, 37_500]);
  });

  it('leaves a check with one location exactly as before', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 10_000 }), (seconds, minute) => {
      const c = check(`c${seconds}`, seconds * 1000);
      const rounds = planMinute([c], 'eu-west-1', (minuteIndex(T) + minute) * MIN).map((r) => r.offsetMs);
      const before = c.interval < MIN ? subMinuteOffsets(c.interval) : isDueInMinute(c, minuteIndex(T) + minute) ? [0] : [];
      expect(phaseMs(c, 'eu-west-1')).toBe(0);
      expect(rounds).toEqual(before);
    }), { numRuns: 200 });
  });

  it('is stable: every location probes exactly once per cycle, at the same place in it', () => {
    fc.assert(fc.property(fc.constantFrom(15_000, 20_000, MIN, 2 * MIN, 5 * MIN), fc.integer({ min: 1, max: 6 }), fc.string({ minLength: 1, maxLength: 12 }), (interval, n, id) => {
      const c = check(id, interval, Array.from({ length: n }, (_, i) => `loc-${i}`));
      const cycle = interval < MIN ? interval : periodMinutes(interval) * MIN;
      for (const location of c.locations) {
        const at = probeTimes({ ...c, locations: c.locations }, 12).filter((t) => t.location === location).map((t) => t.at);
        expect(new Set(at.map((t) => ((t % cycle) + cycle) % cycle)).size).toBe(1);
      }
    }), { numRuns: 60 });
  });

  it('finds the next scheduled run of a location from any time', () => {
    const c = check('slow', 5 * MIN, THREE);
    const times = probeTimes(c, 30).filter((t) => t.location === 'us-east-1').map((t) => t.at);

    expect(nextScheduledAt(c, 'us-east-1', times[0]!)).toBe(times[0]);
    expect(nextScheduledAt(c, 'us-east-1', times[0]! + 1)).toBe(times[1]);
    expect(nextScheduledAt(check('fast', 15_000, THREE), 'us-east-1', T + 21_000)).toBe(T + 35_000);
  });
});

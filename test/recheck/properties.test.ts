/**
 * Rechecks and confirmations as properties: fast-check draws where an outage starts (any phase of the
 * minute), how long it lasts, how late each scheduled invocation starts (0–3 s), and whether one
 * location is deaf to confirmations; each case runs through the simulation (./simulation.ts: the real
 * probe cycle for three locations on a virtual clock, results fed to the real evaluator in write order).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEAF_BOUND_MS, DEAF_RESOLVED_BOUND_MS, events, firstSeen, LOCATIONS, MINUTE, maxRequestsPerInterval, outage, simulate, type SimulationOptions } from './simulation.ts';

/** A start delay per location and minute, fixed by the seed. */
function delays(seed: number): NonNullable<SimulationOptions['startDelayMs']> {
  return (location, minute) => {
    let h = (seed ^ Math.imul(minute + 1, 0x9e3779b1) ^ Math.imul(LOCATIONS.indexOf(location as never) + 7, 0x85ebca6b)) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    return h % 3_001;
  };
}

const start = fc.integer({ min: 1 * MINUTE, max: 4 * MINUTE - 1 });
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const deaf = fc.option(fc.constantFrom(...LOCATIONS), { nil: undefined });

describe('properties of rechecks and confirmations', () => {
  // Long enough to be seen twice: the first probe comes up to 20 s (+ 3 s late start) after the start,
  // and the recheck that makes the second failure 10 s after that run.
  it('a global outage of 40 s to 5 min pages DOWN and RESOLVED exactly once, within the bounds', async () => {
    await fc.assert(fc.asyncProperty(start, fc.integer({ min: 40_000, max: 5 * MINUTE }), seed, deaf, async (s, length, sd, deafTo) => {
      const o = await simulate({ target: outage(s, s + length), durationMs: s + length + 4 * MINUTE, startDelayMs: delays(sd), ...(deafTo && { deaf: [deafTo] }) });

      const down = events(o, 'DOWN');
      const resolved = events(o, 'RESOLVED');
      expect(down).toHaveLength(1);
      expect(resolved).toHaveLength(1);
      const bound = deafTo ? DEAF_BOUND_MS : 30_000;
      expect(down[0]!.writtenAt - firstSeen(o, s, false)!.at).toBeLessThanOrEqual(bound);
      expect(down[0]!.writtenAt - s).toBeLessThanOrEqual(MINUTE / LOCATIONS.length + 3_000 + bound);
      expect(resolved[0]!.writtenAt - firstSeen(o, s + length, true)!.at).toBeLessThanOrEqual(deafTo ? DEAF_RESOLVED_BOUND_MS : 30_000);
      expect(maxRequestsPerInterval(o)).toBeLessThanOrEqual(2);
      expect(o.sentByConfirmCycles).toBe(0);
    }), { numRuns: 250 });
  });

  it('a blip everywhere shorter than the recheck interval pages nothing', async () => {
    await fc.assert(fc.asyncProperty(start, fc.integer({ min: 100, max: 9_900 }), seed, deaf, async (s, length, sd, deafTo) => {
      const o = await simulate({ target: outage(s, s + length), durationMs: s + 3 * MINUTE, startDelayMs: delays(sd), ...(deafTo && { deaf: [deafTo] }) });

      expect(o.notifications.map((n) => n.notification.event)).toEqual([]);
    }), { numRuns: 250 });
  });

  it('a failure seen from one location never pages DOWN, and its confirmations stay bounded', async () => {
    await fc.assert(fc.asyncProperty(start, fc.integer({ min: 1_000, max: 8 * MINUTE }), fc.constantFrom(...LOCATIONS), seed, deaf, async (s, length, only, sd, deafTo) => {
      const o = await simulate({ target: outage(s, s + length, [only]), durationMs: s + length + 3 * MINUTE, startDelayMs: delays(sd), ...(deafTo && { deaf: [deafTo] }) });

      expect(events(o, 'DOWN')).toEqual([]);
      expect(maxRequestsPerInterval(o)).toBeLessThanOrEqual(2);
      expect(o.sent.every((x) => x.from === only)).toBe(true);
    }), { numRuns: 200 });
  });
});

/**
 * Rechecks and confirmations, step by step: named outages run through the simulation
 * (./simulation.ts: the real probe cycle for three locations on a virtual clock, every written result
 * fed to the real evaluator in write order), at a 60 s interval with failureThreshold 2,
 * recoveryThreshold 2, quorum 2 of 3 and recheckInterval 10 s.
 */
import { describe, expect, it } from 'vitest';
import { DEAF_BOUND_MS, DEAF_RESOLVED_BOUND_MS, events, firstSeen, LOCATIONS, MINUTE, maxRequestsPerInterval, outage, simulate } from './simulation.ts';

const S = 3 * MINUTE + 7_000;

describe('a global outage', () => {
  it('pages DOWN within 30 s of the first probe that sees it, and RESOLVED within 30 s of the first that sees recovery', async () => {
    const o = await simulate({ target: outage(S, S + 4 * MINUTE), durationMs: 12 * MINUTE });

    const down = events(o, 'DOWN');
    const resolved = events(o, 'RESOLVED');
    const seenDown = firstSeen(o, S, false)!;
    const seenUp = firstSeen(o, S + 4 * MINUTE, true)!;
    expect(down).toHaveLength(1);
    expect(resolved).toHaveLength(1);
    expect(down[0]!.writtenAt - seenDown.at).toBeLessThanOrEqual(30_000);
    expect(down[0]!.writtenAt - S).toBeLessThanOrEqual(MINUTE / LOCATIONS.length + 30_000);
    expect(resolved[0]!.writtenAt - seenUp.at).toBeLessThanOrEqual(30_000);
    // The location that saw it first asked the two others, once each, and they ran at once.
    expect(o.sent.filter((s) => s.at < S + MINUTE).map((s) => s.to).sort()).toEqual(LOCATIONS.filter((l) => l !== seenDown.location).sort());
    expect(o.written.some((w) => w.result.trigger === 'confirm')).toBe(true);
    expect(o.written.some((w) => w.result.trigger === 'recheck')).toBe(true);
    expect(o.sentByConfirmCycles).toBe(0);
    expect(maxRequestsPerInterval(o)).toBeLessThanOrEqual(2);
  });

  it('pages exactly once each way with one location deaf to confirmations; DOWN within DEAF_BOUND_MS of the first probe that sees it, RESOLVED within DEAF_RESOLVED_BOUND_MS', async () => {
    for (const deaf of LOCATIONS) {
      const o = await simulate({ target: outage(S, S + 4 * MINUTE), durationMs: 12 * MINUTE, deaf: [deaf] });

      const down = events(o, 'DOWN');
      expect(down, deaf).toHaveLength(1);
      expect(events(o, 'RESOLVED'), deaf).toHaveLength(1);
      expect(down[0]!.writtenAt - firstSeen(o, S, false)!.at, deaf).toBeLessThanOrEqual(DEAF_BOUND_MS);
      expect(events(o, 'RESOLVED')[0]!.writtenAt - firstSeen(o, S + 4 * MINUTE, true)!.at, deaf).toBeLessThanOrEqual(DEAF_RESOLVED_BOUND_MS);
      expect(o.written.filter((w) => w.result.location === deaf).every((w) => w.result.trigger !== 'confirm'), deaf).toBe(true);
    }
  });

  it('costs nothing extra at rest: no recheck, confirmation or memory write before the outage, one memory read per round', async () => {
    const o = await simulate({ target: outage(S, S + 4 * MINUTE), durationMs: 12 * MINUTE });

    expect(o.written.filter((w) => w.at < S).every((w) => w.result.trigger === undefined)).toBe(true);
    expect(o.sent.filter((s) => s.at < S)).toEqual([]);
    expect(o.memoryWrites.filter((t) => t < S)).toEqual([]);
    // Three scheduled invocations a minute, one round each: a read at the start (which serves a round
    // that is due then) and one at a later round.
    expect(o.memoryReads.filter((t) => t < 3 * MINUTE)).toHaveLength(3 * 3 + 2 * 3);
    // Staggered: eu-west-1 at :00 (it starts 1 s late and runs at once), us-east-1 at :20, ap-southeast-1 at :40.
    const phases = LOCATIONS.map((l) => [...new Set(o.attempts.filter((a) => a.at < S && a.location === l).map((a) => a.at % MINUTE))]);
    expect(phases).toEqual([[1_000], [20_000], [40_000]]);
  });
});

describe('a failure seen from one location', () => {
  it('never pages DOWN, and asks for confirmation once', async () => {
    for (const only of LOCATIONS) {
      const o = await simulate({ target: outage(S, S + 6 * MINUTE, [only]), durationMs: 12 * MINUTE });

      expect(events(o, 'DOWN'), only).toEqual([]);
      expect(o.sent.filter((s) => s.from === only && s.at < S + 6 * MINUTE), only).toHaveLength(2);
      expect(o.sent.every((s) => s.from === only), only).toBe(true);
      expect(maxRequestsPerInterval(o)).toBeLessThanOrEqual(2);
    }
  });
});

describe('a restart blip everywhere', () => {
  it('pages nothing when it is shorter than the recheck interval, wherever it falls', async () => {
    for (const at of [S, S + 19_900, S + 20_050, S + 39_000]) {
      for (const length of [500, 5_000, 9_500]) {
        const o = await simulate({ target: outage(at, at + length), durationMs: 8 * MINUTE });

        expect(o.notifications.map((n) => n.notification.event), `${at} ${length}`).toEqual([]);
      }
    }
  });
});

describe('continuations', () => {
  it('change nothing: the same attempts, results and pages as waiting in-process', async () => {
    const cases = [{ target: outage(S, S + 4 * MINUTE), durationMs: 12 * MINUTE }, { target: outage(S, S + 4 * MINUTE), durationMs: 12 * MINUTE, deaf: [LOCATIONS[1]] }];
    for (const c of cases) {
      const deferred = await simulate(c);
      const waiting = await simulate({ ...c, defer: false });

      const runs = (o: typeof deferred) => o.written.map((w) => [w.at, w.result.location, w.result.trigger ?? 'scheduled', w.result.ok]);
      expect(deferred.continuations).toBeGreaterThan(0);
      expect(waiting.continuations).toBe(0);
      expect(deferred.attempts).toEqual(waiting.attempts);
      expect(runs(deferred)).toEqual(runs(waiting));
      expect(deferred.notifications).toEqual(waiting.notifications);
      expect(deferred.sent).toEqual(waiting.sent);
      expect(deferred.sentByConfirmCycles).toBe(0);
    }
  });
});

/**
 * The instances of one private location: which are live, which checks each runs, how a dead one's
 * checks move to the others, and how a retest goes to another instance and falls back to this one.
 * Pure: the heartbeats are given, the peers are in-process functions.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import {
  compareInstanceIds,
  createInstanceShare,
  liveInstances,
  LIVE_WITHIN_MS,
  retestOnPeer,
  routeRetests,
  shareOf,
  type InstanceHeartbeat,
} from '../../shared/usecases/instances.ts';
import type { RetestRequest } from '../../shared/usecases/probe-requests.ts';

const AT = new Date('2026-11-03T10:00:00Z');
const ago = (ms: number) => new Date(AT.getTime() - ms).toISOString();

function checks(n: number, over: Record<string, unknown> = {}): Check[] {
  return loadConfigObject({
    defaults: { locations: ['office'], timeout: '2s' },
    checks: Array.from({ length: n }, (_, i) => ({ id: `check-${i}`, tcp: { host: '127.0.0.1', port: 9 }, ...over })),
  }).checks;
}

const ids = (cs: readonly Check[]) => cs.map((c) => c.id);

function storeWith(heartbeats: () => InstanceHeartbeat[] | Error) {
  const asked: Array<{ location: string; instances: readonly string[] }> = [];
  return {
    asked,
    store: {
      async getInstanceHeartbeats(location: string, instances: readonly string[]) {
        asked.push({ location, instances });
        const hb = heartbeats();
        if (hb instanceof Error) throw hb;
        return hb.map((h) => ({ location, checksRun: 1, ...h }));
      },
    },
  };
}

describe('live instances', () => {
  it('counts itself always, and a peer only while its heartbeat is younger than two minutes', () => {
    const heartbeats = [
      { instance: '2', lastSeen: ago(LIVE_WITHIN_MS - 1) },
      { instance: '3', lastSeen: ago(LIVE_WITHIN_MS) },
      { instance: '9', lastSeen: ago(0) }, // not a peer of this location
    ];
    expect(liveInstances('1', ['2', '3'], heartbeats, AT)).toEqual(['1', '2']);
    // Its own stale heartbeat does not make an instance doubt itself.
    expect(liveInstances('3', ['1', '2'], heartbeats, AT)).toEqual(['2', '3']);
    expect(liveInstances('1', ['2'], [], AT)).toEqual(['1']);
  });

  it('orders ids as numbers, the same on every instance', () => {
    expect(['10', '2', '1', '9'].sort(compareInstanceIds)).toEqual(['1', '2', '9', '10']);
    const fresh = ['1', '2', '10'].map((instance) => ({ instance, lastSeen: ago(1_000) }));
    expect(liveInstances('10', ['1', '2'], fresh, AT)).toEqual(liveInstances('1', ['2', '10'], fresh, AT));
  });
});

describe('the share of the checks', () => {
  it('gives live instances disjoint shares that cover every check', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (checkIds, n) => {
      const all = checkIds.map((id) => ({ id }) as Check);
      const live = Array.from({ length: n }, (_, i) => String(i + 1));
      const shares = live.map((self) => ids(shareOf(all, self, live)));
      expect(shares.flat().sort()).toEqual([...checkIds].sort());
      expect(new Set(shares.flat()).size).toBe(checkIds.length);
    }));
  });

  it('splits a location\'s checks roughly evenly between two instances', () => {
    const all = checks(200);
    const one = shareOf(all, '1', ['1', '2']).length;
    expect(one).toBeGreaterThan(60);
    expect(one).toBeLessThan(140);
  });

  it('runs everything when alone: at first deploy (no heartbeats yet) and with no peers', async () => {
    const all = checks(10);
    const { store } = storeWith(() => []);
    expect(ids(await createInstanceShare({ location: 'office', self: '2', peers: ['1'], store }).selectChecks(all, AT))).toEqual(ids(all));
    const alone = storeWith(() => []);
    expect(await createInstanceShare({ location: 'office', self: '1', peers: [], store: alone.store }).selectChecks(all, AT)).toBe(all);
    // With no peers there is nothing to read.
    expect(alone.asked).toEqual([]);
  });

  it('moves a silent instance\'s checks to the other once its heartbeat is two minutes old', async () => {
    // Prepare: instance 2 last wrote its heartbeat at AT.
    const all = checks(40);
    const { store, asked } = storeWith(() => [{ instance: '2', lastSeen: AT.toISOString() }]);
    const one = createInstanceShare({ location: 'office', self: '1', peers: ['2'], store });
    const at = (s: number) => new Date(AT.getTime() + s * 1000);

    // Act + Assess: while 2 is live, 1 runs its share and knows 2 as a peer to retest on.
    const shared = ids(await one.selectChecks(all, at(60)));
    expect(shared.length).toBeGreaterThan(0);
    expect(shared.length).toBeLessThan(all.length);
    expect(one.livePeers()).toEqual(['2']);
    expect(ids(await one.selectChecks(all, at(119)))).toEqual(shared);
    // Two minutes of silence: every check, and no peer to retest on.
    expect(ids(await one.selectChecks(all, at(120)))).toEqual(ids(all));
    expect(one.livePeers()).toEqual([]);
    expect(asked.every((a) => a.location === 'office' && a.instances.join() === '2')).toBe(true);
  });

  it('agrees with its peer on disjoint shares when both see both live', async () => {
    const all = checks(40);
    const fresh = storeWith(() => ['1', '2'].map((instance) => ({ instance, lastSeen: ago(30_000) })));
    const a = ids(await createInstanceShare({ location: 'office', self: '1', peers: ['2'], store: fresh.store }).selectChecks(all, AT));
    const b = ids(await createInstanceShare({ location: 'office', self: '2', peers: ['1'], store: fresh.store }).selectChecks(all, AT));
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect([...a, ...b].sort()).toEqual(ids(all).sort());
  });

  it('runs every check when the heartbeats cannot be read, and says so', async () => {
    const all = checks(5);
    const errors: unknown[] = [];
    const { store } = storeWith(() => new Error('table gone'));
    const share = createInstanceShare({ location: 'office', self: '1', peers: ['2'], store, onError: (e) => errors.push(e) });
    expect(await share.selectChecks(all, AT)).toBe(all);
    expect(errors).toHaveLength(1);
  });
});

function resultFor(check: Check, ok: boolean, extra: Partial<ProbeResult> = {}): ProbeResult {
  return { checkId: check.id, kind: check.kind, target: 't', startedAt: AT.toISOString(), ok, status: ok ? 'up' : 'down', phases: { total: 1 }, assertions: [], ...extra };
}

describe('retests on another instance', () => {
  const [check] = checks(1, { timeout: '100ms' });

  it('records the peer\'s attempt, stamped with the peer\'s id', async () => {
    // Prepare
    const requests: RetestRequest[] = [];
    const send = routeRetests({ '2': async (r) => (requests.push(r), resultFor(check!, true)) }, () => ['2']);
    const localRuns: string[] = [];
    const retest = retestOnPeer({ self: '1', send, local: async (c) => (localRuns.push(c.id), resultFor(c, false)), now: () => AT });

    // Act
    const result = await retest(check!, new AbortController().signal);

    // Assess
    expect(result).toMatchObject({ ok: true, instance: '2', checkId: check!.id });
    expect(requests).toEqual([{ type: 'vantage.retest', checkId: check!.id, from: '1', requestedAt: AT.toISOString() }]);
    expect(localRuns).toEqual([]);
  });

  it('retests here when no peer is live, a peer fails, hangs past the check timeout, or answers for another check', async () => {
    const failures: unknown[] = [];
    const local = async (c: Check) => resultFor(c, false, { instance: 'ignored' });
    const cases = {
      'no live peer': routeRetests({ '2': async () => resultFor(check!, true) }, () => []),
      'peer error': routeRetests({ '2': async () => { throw new Error('invoke failed'); } }, () => ['2']),
      // Never settles and ignores the signal: only the cut-off ends the wait.
      'peer hangs': routeRetests({ '2': () => new Promise<ProbeResult>(() => {}) }, () => ['2']),
      'wrong check': routeRetests({ '2': async () => ({ ...resultFor(check!, true), checkId: 'other' }) }, () => ['2']),
    };
    for (const [name, send] of Object.entries(cases)) {
      const retest = retestOnPeer({ self: '1', send, local, marginMs: 50, onFallback: (_id, err) => failures.push(err) });
      expect(await retest(check!, new AbortController().signal), name).toMatchObject({ ok: false, instance: '1' });
    }
    expect(failures.map((e) => (e as { code?: string }).code)).toEqual(['RETEST_NO_LIVE_PEER', undefined, 'RETEST_TIMEOUT', 'RETEST_RESULT_INVALID']);
  });

  it('stops waiting for the peer when the invocation is cancelled, and hands the local attempt the fired signal', async () => {
    const stop = new AbortController();
    let localSignal: AbortSignal | undefined;
    const fallbacks: unknown[] = [];
    const retest = retestOnPeer({
      self: '1',
      send: routeRetests({ '2': () => new Promise<ProbeResult>(() => {}) }, () => ['2']),
      local: async (c, signal) => ((localSignal = signal), resultFor(c, false, { failure: { reason: 'aborted', message: 'cancelled' } })),
      marginMs: 60_000,
      onFallback: (_id, err) => fallbacks.push(err),
    });
    const pending = retest(check!, stop.signal);
    stop.abort();
    expect(await pending).toMatchObject({ failure: { reason: 'aborted' } });
    expect(localSignal?.aborted).toBe(true);
    // Our own deadline is not the peer's fault.
    expect(fallbacks).toEqual([]);
  });
});

/**
 * Agent membership: the pure rule (`membersAt`) at its edges, the beat loop (`createMembership`) with a
 * virtual clock and an in-memory beat table, and the agreement property: any two readers at most one
 * beat stale compute the same members, for random beat histories (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentBeat } from '../../shared/store/agents.ts';
import { createMembership, LEAVE_BEATS, membersAt, type MembershipOptions } from '../../shared/usecases/agent/membership.ts';
import { ownerOf } from '../../shared/usecases/instances.ts';

const B = 1_000;
const T = Date.parse('2026-11-03T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const beat = (instance: string, registeredAt: number, lastSeen: number, leavingAt?: number): AgentBeat => ({
  instance, registeredAt: iso(registeredAt), lastSeen: iso(lastSeen), ...(leavingAt !== undefined && { leavingAt: iso(leavingAt) }),
});

describe('membersAt', () => {
  it('counts an instance once 2 beats have passed since it registered, not a millisecond before', () => {
    expect(membersAt([beat('a', T - 2 * B, T)], T, B)).toEqual(['a']);
    expect(membersAt([beat('a', T - 2 * B + 1, T)], T, B)).toEqual([]);
  });

  it('keeps an instance whose newest beat is exactly 3 beats old, and drops it a millisecond later', () => {
    expect(membersAt([beat('a', T - 10 * B, T - 3 * B)], T, B)).toEqual(['a']);
    expect(membersAt([beat('a', T - 10 * B, T - 3 * B - 1)], T, B)).toEqual([]);
  });

  it('drops a leaving instance at leavingAt exactly', () => {
    const leaving = beat('a', T - 10 * B, T - B, T);
    expect(membersAt([leaving], T - 1, B)).toEqual(['a']);
    expect(membersAt([leaving], T, B)).toEqual([]);
  });

  it('orders members as compareInstanceIds does, each once, and counts a beat with unreadable times as none', () => {
    const beats = [beat('10', T - 5 * B, T), beat('9', T - 5 * B, T), beat('b', T - 5 * B, T), beat('9', T - 5 * B, T - B), { ...beat('x', T - 5 * B, T), lastSeen: 'never' }];
    expect(membersAt(beats, T, B)).toEqual(['9', 'b', '10']);
  });
});

/** A beat table in memory, and a virtual clock whose sleep advances it; `beats(m, n)` runs a loop for n beats. */
function world() {
  const clock = { t: T };
  const table = new Map<string, AgentBeat>();
  const failures = { put: 0, list: 0 };
  const fail = (what: string) => Object.assign(new Error(`${what} failed`), { code: 'STORE_UNAVAILABLE' });
  const store: MembershipOptions['store'] = {
    putBeat: async (_location, b) => {
      if (failures.put > 0 && failures.put--) throw fail('put');
      table.set(b.instance, structuredClone(b));
    },
    listBeats: async () => {
      if (failures.list > 0 && failures.list--) throw fail('list');
      return [...table.values()].map((b) => structuredClone(b));
    },
  };
  let left = 0;
  let stop = new AbortController();
  const sleep = async (ms: number) => {
    clock.t += ms;
    if (--left <= 0) stop.abort();
  };
  const beats = (m: { run(signal: AbortSignal): Promise<void> }, n: number) => {
    left = n;
    stop = new AbortController();
    return m.run(stop.signal);
  };
  return { clock, table, failures, store, sleep, beats };
}

function membership(w: ReturnType<typeof world>, self: string, over: Partial<MembershipOptions> = {}) {
  const changes: string[][] = [];
  const errors: string[] = [];
  const written: AgentBeat[] = [];
  const m = createMembership({
    store: w.store, location: 'office', self, beatMs: B, clock: () => w.clock.t, sleep: w.sleep,
    onChange: (members) => changes.push(members), onError: (err) => errors.push((err as { code: string }).code), onBeat: (b) => written.push(b),
    ...over,
  });
  return { m, changes, errors, written };
}

describe('createMembership', () => {
  it('beats every beatMs, joins after 2 beats, and owns a share of the checks with its peer', async () => {
    const w = world();
    w.table.set('b', beat('b', T - 10 * B, T));
    const { m, changes, written } = membership(w, 'a', { beatInfo: () => ({ definitions: 'v1', instance: 'not-mine' }) });

    await w.beats(m, 3);

    expect(written.map((b) => Date.parse(b.lastSeen) - T)).toEqual([0, B, 2 * B]);
    expect(written.every((b) => b.registeredAt === iso(T) && b.instance === 'a' && b.definitions === 'v1')).toBe(true);
    // Seen at each beat: b alone until a's join delay has passed at T + 2B.
    expect(changes).toEqual([['b'], ['a', 'b']]);
    const ids = Array.from({ length: 20 }, (_, i) => `check-${i}`);
    const mine = ids.filter((id) => m.owns(id, T + 2 * B));
    expect(mine).toEqual(ids.filter((id) => ownerOf(id, ['a', 'b']) === 'a'));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(ids.length);
    expect(m.livePeers()).toEqual(['b']);
  });

  it('ownsFresh reads the beats again when its view is more than a beat older than the decision, and agrees with a fresh reader', async () => {
    const w = world();
    w.table.set('b', beat('b', T - 10 * B, T));
    const { m } = membership(w, 'a');
    await w.beats(m, 3); // beats and reads at T, T+B, T+2B
    // c registered at T+1.5B, but its first write landed after a's read at T+2B (a slow write); a's next
    // read is late (a busy host at a minute boundary), and a decides T+3.5B from the view of T+2B.
    const t = T + 3.5 * B;
    w.table.set('c', beat('c', T + 1.5 * B, T + 2.5 * B));
    w.table.set('b', beat('b', T - 10 * B, T + 3 * B));
    w.clock.t = t;
    const fresh = membersAt([...w.table.values()], t, B);
    expect(fresh).toEqual(['a', 'b', 'c']);
    const ids = Array.from({ length: 30 }, (_, i) => `check-${i}`);
    // From the late view, c is unknown: a would claim some of c's checks, and c runs them too.
    expect(ids.filter((id) => m.owns(id, t))).not.toEqual(ids.filter((id) => ownerOf(id, fresh) === 'a'));
    const decided = await Promise.all(ids.map((id) => m.ownsFresh(id, t)));
    expect(ids.filter((_, i) => decided[i])).toEqual(ids.filter((id) => ownerOf(id, fresh) === 'a'));
  });

  it('ownsFresh keeps the older view when the read fails, and reports it', async () => {
    const w = world();
    const { m, errors } = membership(w, 'a');
    await w.beats(m, 3);
    w.clock.t += 5 * B;
    w.failures.list = 5;
    expect(await m.ownsFresh('any', w.clock.t)).toBe(m.owns('any', w.clock.t));
    expect(errors).toContain('STORE_UNAVAILABLE');
  });

  it('owns nothing before it has joined', async () => {
    const w = world();
    const { m } = membership(w, 'a');

    await w.beats(m, 1);

    expect(m.members(T + B)).toEqual([]);
    expect(m.owns('any', T + B)).toBe(false);
    expect(m.owns('any', T + 2 * B)).toBe(true);
  });

  it('judges itself from its own last successful write: it drops itself exactly when a reader of the table drops it', async () => {
    const w = world();
    const { m, errors } = membership(w, 'a');
    await w.beats(m, 4);
    w.failures.put = 10;

    await w.beats(m, 3);

    expect(errors).toEqual(['STORE_UNAVAILABLE', 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE']);
    expect(w.table.get('a')!.lastSeen).toBe(iso(T + 3 * B));
    const reader = (t: number) => membersAt([...w.table.values()], t, B);
    for (const t of [T + 5 * B, T + 6 * B, T + 6 * B + 1]) expect(m.members(t)).toEqual(reader(t));
    expect(m.members(T + 6 * B)).toEqual(['a']);
    expect(m.members(T + 6 * B + 1)).toEqual([]);
  });

  it('fixes registeredAt at its first successful write, so the join delay never starts before a reader could see it', async () => {
    const w = world();
    w.failures.put = 2;
    const { m, errors, written } = membership(w, 'a');

    await w.beats(m, 4);

    expect(errors).toEqual(['STORE_UNAVAILABLE', 'STORE_UNAVAILABLE']);
    expect(written.map((b) => [Date.parse(b.lastSeen) - T, Date.parse(b.registeredAt) - T])).toEqual([[2 * B, 2 * B], [3 * B, 2 * B]]);
  });

  it('keeps its last view when a read fails, and reads again at the next beat', async () => {
    const w = world();
    w.table.set('b', beat('b', T - 10 * B, T + 10 * B));
    const { m, errors } = membership(w, 'a');
    await w.beats(m, 3);
    w.table.set('c', beat('c', T - 10 * B, T + 10 * B));
    w.failures.list = 1;

    await w.beats(m, 1);
    const during = m.members(w.clock.t);
    await w.beats(m, 1);

    expect(errors).toEqual(['STORE_UNAVAILABLE']);
    expect(during).toEqual(['a', 'b']);
    expect(m.members(w.clock.t)).toEqual(['a', 'b', 'c']);
  });

  it('leave() writes leavingAt 2 beats ahead, returns it (the same on a second call), and later beats keep it', async () => {
    const w = world();
    const { m } = membership(w, 'a');
    await w.beats(m, 3);

    const leavingAt = await m.leave();
    const again = await m.leave();
    await w.beats(m, 1);

    expect(leavingAt).toBe(T + 3 * B + LEAVE_BEATS * B);
    expect(again).toBe(leavingAt);
    expect(w.table.get('a')).toMatchObject({ lastSeen: iso(T + 3 * B), leavingAt: iso(leavingAt) });
    expect(m.members(leavingAt - 1)).toEqual(['a']);
    expect(m.members(leavingAt)).toEqual([]);
  });

  it('serialises beat writes, so a beat built before the leave never lands after it', async () => {
    const w = world();
    const landed: Array<string | undefined> = [];
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    const writing = new Promise<void>((resolve) => { entered = resolve; });
    const slow: MembershipOptions['store'] = {
      putBeat: async (location, b) => {
        entered();
        if (landed.length === 0) await held;
        landed.push(b.leavingAt);
        await w.store.putBeat(location, b);
      },
      listBeats: w.store.listBeats,
    };
    const { m } = membership(w, 'a', { store: slow });

    const running = w.beats(m, 1);
    await writing; // the first beat is built and on its way, without leavingAt
    const leaving = m.leave();
    release();
    const leavingAt = await leaving;
    await running;

    expect(landed).toEqual([undefined, iso(leavingAt)]);
    expect(w.table.get('a')!.leavingAt).toBe(iso(leavingAt));
  });
});

describe('agreement: any two readers at most one beat stale compute the same members', () => {
  /**
   * A history: each instance starts at `start`, beats on a grid of B with a lateness of up to 0.3 B
   * (j) and a write latency of up to 0.3 B (δ), so δ + j < B as the argument needs; it may die after
   * some beats, or announce a leave at some beat (leavingAt 2 beats later, beating until then).
   */
  const instanceArb = fc.record({
    start: fc.integer({ min: 0, max: 20 * B }),
    lateness: fc.array(fc.integer({ min: 0, max: 0.3 * B }), { minLength: 60, maxLength: 60 }),
    latency: fc.array(fc.integer({ min: 0, max: 0.3 * B }), { minLength: 60, maxLength: 60 }),
    diesAfter: fc.option(fc.integer({ min: 1, max: 40 })),
    leavesAt: fc.option(fc.integer({ min: 0, max: 40 })),
  });

  interface Write { beat: AgentBeat; done: number }

  function writesOf(id: string, h: { start: number; lateness: number[]; latency: number[]; diesAfter: number | null; leavesAt: number | null }): Write[] {
    const writes: Write[] = [];
    let leavingAt: number | undefined;
    for (let k = 0; k < 60; k++) {
      if (h.diesAfter !== null && k >= h.diesAfter) break;
      const at = T + h.start + k * B + h.lateness[k]!;
      if (leavingAt !== undefined && at >= leavingAt) break;
      if (h.leavesAt === k) leavingAt = at + LEAVE_BEATS * B;
      writes.push({ beat: beat(id, T + h.start + h.lateness[0]!, at, leavingAt), done: at + h.latency[k]! });
    }
    return writes;
  }

  /** What a strongly consistent read at `r` returns: each instance's newest write completed by then. */
  const snapshot = (all: Write[][], r: number) => all.flatMap((ws) => ws.filter((w) => w.done <= r).slice(-1).map((w) => w.beat));

  const property = (staleness: number) => fc.property(
    fc.array(instanceArb, { minLength: 1, maxLength: 5 }),
    fc.integer({ min: 0, max: 70 * B }),
    fc.integer({ min: 0, max: staleness }),
    fc.integer({ min: 0, max: staleness }),
    fc.integer({ min: 0, max: 4 }),
    (histories, offset, stale1, stale2, selfIndex) => {
      const all = histories.map((h, i) => writesOf(`i${i}`, h));
      const t = T + offset;
      const one = membersAt(snapshot(all, t - stale1), t, B);
      const two = membersAt(snapshot(all, t - stale2), t, B);
      // A reader that is itself one of the instances judges itself from its own writes completed by t.
      const self = selfIndex < all.length ? `i${selfIndex}` : undefined;
      const own = self === undefined ? [] : all[selfIndex]!.filter((w) => w.done <= t).slice(-1).map((w) => w.beat);
      const selfView = membersAt([...snapshot(all, t - stale1).filter((b) => b.instance !== self), ...own], t, B);
      return one.join() === two.join() && selfView.join() === one.join();
    },
  );

  it('holds for random beat histories, joins, deaths and leaves', () => {
    fc.assert(property(B), { numRuns: 3_000 });
  });

  it('fails for readers up to two beats stale (so the property above can fail)', () => {
    expect(fc.check(property(2 * B), { numRuns: 3_000 }).failed).toBe(true);
  });
});

/**
 * Which `vantage agent` instances of one location are members, i.e. share its checks, with no
 * coordinator: every instance writes its own beat (`HEARTBEAT#<instance>`, ../../store/agents.ts) every
 * beat b (`beatMs`), reads all the location's beats every b, and computes the same answer from them.
 *
 * Instance i is a member at time t iff
 *   registeredAt ≤ t − 2b     (join delay: every reader has read it since it joined),
 *   lastSeen     ≥ t − 3b     (liveness: it has beaten lately), and
 *   t < leavingAt             (when it announced a leave).
 * A check belongs to `ownerOf(check.id, members)` (../instances.ts), decided per round at the run's due
 * time (ProbeCycleOptions.owns), so ownership moves at one instant on every instance.
 *
 * Why any two readers agree. Let δ be a beat write's latency and j how late a beat may come after the
 * one before (timer and event-loop delay), with δ + j < b. A registeredAt is the lastSeen of the
 * instance's first successful write and never changes after it; a leavingAt L is first written with
 * lastSeen L − 2b and kept in every later beat. Take two readers deciding the same t from snapshots read
 * at r₁, r₂ ∈ [t − b, t] (each reads every b; and a decision whose view was read more than a beat
 * before t reads again first, `ownsFresh`, since on a busy host a beat's read can run late: one such
 * late read at a minute boundary once gave a run to two instances in the end-to-end test). For an instance i
 * whose newest beat the two snapshots hold differently (the other case is trivial):
 *  - Join. If registeredAt ≤ t − 2b, the first write completed by t − 2b + δ < t − b ≤ r₁, r₂: both
 *    snapshots hold i, with the same registeredAt. Otherwise neither counts i, seen or not.
 *  - Liveness. Say r₂'s snapshot holds the older beat w. The next beat w′ completed after r₂ (else r₂
 *    would hold it), so w′ > r₂ − δ ≥ t − b − δ, and w ≥ w′ − b − j > t − 2b − δ − j > t − 3b. Both see
 *    a beat at least as new as w, so both count i live.
 *  - Leave. If t ≥ L, the first beat carrying L completed by L − 2b + δ < t − b ≤ r₁, r₂: both hold it.
 *    If t < L, leavingAt excludes i in neither.
 * So the three conditions, hence the member lists, hence every owner, agree. What this buys: a joining
 * instance takes its share 2b after its first beat, on every instance at once; a leaving one hands its
 * share over exactly at leavingAt (it probes its own share until then and stops then: no gap, no
 * duplicate); a dead one's share moves 3b after its last beat, within 4b of its death ≈ 40 s at the
 * default 10 s (inside a 1-minute interval).
 *
 * Self is judged by the same rule from its own last *successful* beat write, not from its reads: a
 * write is a snapshot of its own item at least as fresh as any reader's, so the argument covers it,
 * and an instance cut off from the table drops itself exactly when the others drop it. (A write that
 * reached the table but whose answer was lost leaves self a beat behind the readers: it may drop itself
 * up to one beat before they do. That is a gap, never a duplicate.)
 *
 * Where it does not hold, and which way it fails:
 *  - Clock skew. Every time here is written by one host's clock and compared on another's, so a skew
 *    of σ between two hosts moves each boundary by σ and eats into the slack b − δ − j. Keep the hosts
 *    NTP-synchronised (milliseconds); the agreement needs skew well under a beat. Near a boundary, a
 *    skew gives the check to two instances (duplicate runs) or to none (a missed run) for σ.
 *  - A reader whose reads fail keeps its last snapshot (reported through `onError`, retried every
 *    beat), so it goes on deciding from an ever older view: peers drop out of it as their beats age,
 *    and it runs more checks rather than fewer (duplicates, which the result key tolerates, rather
 *    than a gap nobody sees: the stance of ../instances.ts). Joins and leaves it has not read are
 *    missed until it reads again.
 */
import { abortableSleep } from '../../sleep.ts';
import type { AgentBeat, AgentStore } from '../../store/agents.ts';
import { compareInstanceIds, ownerOf } from '../instances.ts';

/** The default beat (`--heartbeat`): a dead instance's checks move within 4 beats, 40 s. */
export const DEFAULT_BEAT_MS = 10_000;
/** Shorter beats cost a write and a Query per instance per beat and leave little room for write latency (δ + j < b). */
export const MIN_BEAT_MS = 1_000;
/** Beats from an instance's first beat until it is a member. */
export const JOIN_BEATS = 2;
/** A member whose newest beat is older than this many beats is gone. */
export const LIVE_BEATS = 3;
/** A leaving instance announces its leave this many beats ahead (`leave()`): by then every reader has read it. */
export const LEAVE_BEATS = 2;

/** Whether the instance whose newest beat is `b` is a member at `t` (epoch ms). A beat with an unreadable time counts as no beat. */
function isMember(b: AgentBeat, t: number, beatMs: number): boolean {
  const leavingAt = b.leavingAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(b.leavingAt);
  return Date.parse(b.registeredAt) <= t - JOIN_BEATS * beatMs && Date.parse(b.lastSeen) >= t - LIVE_BEATS * beatMs && t < leavingAt;
}

/** The members at `t` (epoch ms), in compareInstanceIds order: the order `ownerOf` indexes, so every instance indexes the same list. */
export function membersAt(beats: readonly AgentBeat[], t: number, beatMs: number): string[] {
  return [...new Set(beats.filter((b) => isMember(b, t, beatMs)).map((b) => b.instance))].sort(compareInstanceIds);
}

export interface Membership {
  /** Beats and reads every beatMs until the signal fires; resolves then. Never rejects: failures go to `onError`. */
  run(signal: AbortSignal): Promise<void>;
  /** Whether this instance runs the check at `t` (epoch ms): a member, and the check's owner among the members. */
  owns(checkId: string, t: number): boolean;
  /**
   * `owns`, from a view the agreement covers: when the last read was issued more than a beat before
   * `t` (a beat read that ran late, a busy event loop at a minute boundary), the beats are read again
   * first. A read that fails leaves the older view (reported through `onError`).
   */
  ownsFresh(checkId: string, t: number): Promise<boolean>;
  /** The members at `t` (epoch ms), from the last read and this instance's last successful write. */
  members(t: number): string[];
  /** The other members now: where a retest may go. */
  livePeers(): string[];
  /**
   * Announces the leave: writes the beat with leavingAt = now + LEAVE_BEATS × beatMs (kept in every
   * later beat) and returns leavingAt (epoch ms). The caller probes its share until then and stops.
   * A failed write is reported and the next beat carries leavingAt again; a second call returns the first leavingAt.
   */
  leave(): Promise<number>;
}

export interface MembershipOptions {
  store: Pick<AgentStore, 'putBeat' | 'listBeats'>;
  location: string;
  /** This instance's id. */
  self: string;
  beatMs: number;
  /** Epoch ms. @default Date.now */
  clock?: () => number;
  /** @default abortableSleep */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** More fields for every beat (definitions version, host, agent version); the membership fields are always its own. */
  beatInfo?: () => Partial<AgentBeat>;
  /** The members changed (seen at a beat; the first beat always reports). */
  onChange?: (members: string[]) => void;
  /** After each beat whose write succeeded: the beat written and the members then. */
  onBeat?: (beat: AgentBeat, members: string[]) => void;
  /** A failed beat write or read; both are retried at the next beat. */
  onError?: (err: unknown) => void;
}

export function createMembership(opts: MembershipOptions): Membership {
  const { store, location, self, beatMs } = opts;
  const clock = opts.clock ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const iso = (ms: number) => new Date(ms).toISOString();
  /** The other instances' beats, as of the last successful read. */
  let others: AgentBeat[] = [];
  /** This instance's last successfully written beat; self is judged from it alone. */
  let own: AgentBeat | undefined;
  let leavingAt: number | undefined;
  /** Beat writes in order, so one built before a leave never lands after the leave's. */
  let writes: Promise<unknown> = Promise.resolve();
  let reported: string | undefined;

  const members = (t: number) => membersAt(own ? [...others, own] : others, t, beatMs);

  const writeBeat = (): Promise<AgentBeat> => {
    const write = writes.then(async () => {
      const at = clock();
      const beat: AgentBeat = {
        ...opts.beatInfo?.(),
        instance: self,
        lastSeen: iso(at),
        // Fixed by the first write that succeeds: readers count the join delay from a beat they can have read.
        registeredAt: own?.registeredAt ?? iso(at),
        ...(leavingAt !== undefined && { leavingAt: iso(leavingAt) }),
      };
      await store.putBeat(location, beat);
      own = beat;
      return beat;
    });
    writes = write.catch(() => undefined);
    return write;
  };

  /** When the newest successful read was issued: its snapshot holds every beat written before then. */
  let readFrom = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;
  /** One read at a time; a caller that needs a fresher one than the read under way waits for it and reads again. */
  const read = (): Promise<void> => (reading ??= (async () => {
    const issued = clock();
    try {
      others = (await store.listBeats(location)).filter((b) => b.instance !== self);
      readFrom = Math.max(readFrom, issued);
    } finally {
      reading = undefined;
    }
  })());

  /** Until the view was read at most one beat before `t` (the agreement's premise), or a read fails. */
  const fresh = async (t: number) => {
    for (let tries = 0; tries < 2 && readFrom < t - beatMs; tries++) {
      try {
        await read();
      } catch (err) {
        opts.onError?.(err);
        return;
      }
    }
  };

  const beat = async () => {
    let written: AgentBeat | undefined;
    try {
      written = await writeBeat();
    } catch (err) {
      opts.onError?.(err);
    }
    try {
      await read();
    } catch (err) {
      opts.onError?.(err);
    }
    const now = members(clock());
    const key = now.join('\n');
    if (key !== reported) {
      reported = key;
      opts.onChange?.(now);
    }
    if (written) opts.onBeat?.(written, now);
  };

  return {
    async run(signal) {
      let next = clock();
      while (!signal.aborted) {
        await beat();
        // On a fixed grid from the start, so a slow write or read does not push every later beat later (j stays small).
        next = Math.max(next + beatMs, clock());
        const wait = next - clock();
        if (wait > 0 && !signal.aborted) await sleep(wait, signal);
      }
    },
    owns(checkId, t) {
      const now = members(t);
      return now.includes(self) && ownerOf(checkId, now) === self;
    },
    async ownsFresh(checkId, t) {
      await fresh(t);
      return this.owns(checkId, t);
    },
    members,
    livePeers: () => members(clock()).filter((id) => id !== self),
    async leave() {
      if (leavingAt !== undefined) return leavingAt;
      leavingAt = clock() + LEAVE_BEATS * beatMs;
      await writeBeat().catch((err: unknown) => opts.onError?.(err));
      return leavingAt;
    },
  };
}

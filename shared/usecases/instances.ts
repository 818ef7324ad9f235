/**
 * The instances of one private location (`deployment.privateLocations[].instances`, issue 11 item 6):
 * N probe functions in N availability zones that share the location's checks, each check run by one
 * live instance, and a failure retested on another instance before it is recorded (Uptrends retests
 * on a second checkpoint, so one sick host never pages).
 *
 * No instance coordinates with another directly. Each reads its peers' instance heartbeats (written by
 * every cycle, `HEARTBEAT#<instance>`) and computes the same assignment from them: check `c` belongs to
 * the live instance at `stableHash(c.id) % live.length` of the live ids in order. Views may differ for
 * a minute while a heartbeat ages across the limit; then a check runs twice (harmless: the result key
 * carries the instance) or, when an instance has just died, its checks wait until its heartbeat is
 * stale. Never longer: an instance always counts itself live.
 */
import type { Check } from '../config/schema.ts';
import { VantageError } from '../errors.ts';
import type { ProbeResult } from '../probe/types.ts';
import { stableHash } from '../schedule.ts';
import type { Store } from '../store/dynamo.ts';
import type { RetestRequest, RetestSender } from './probe-requests.ts';
import type { ProbeAttempt } from './retest.ts';

/**
 * A peer is live while its newest instance heartbeat is younger than this. Every instance is invoked
 * by its own EventBridge `rate(1 minute)` rule and writes its heartbeat during each minute, so a
 * healthy peer's heartbeat is under a minute old whenever it is read. But a scheduled rule fires at
 * minute precision and its target may start seconds late, and a cycle runs up to its timeout, so a
 * one-minute limit would drop a healthy peer after a single late start. Two minutes tolerates one late
 * or missed minute and still moves a dead instance's checks to the others within about two minutes.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 *
 * At first deploy there are no heartbeats: every instance sees itself alone and runs every check for
 * that first minute, and shares from the next one on.
 */
export const LIVE_WITHIN_MS = 120_000;

/** A heartbeat as the store returns it, with the instance it belongs to. */
export interface InstanceHeartbeat {
  instance?: string;
  lastSeen: string;
}

/** Instance ids are "1", "2", …: ordered as numbers, so "10" comes after "9", and the same everywhere. */
export function compareInstanceIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Self always, and each peer whose heartbeat is younger than `liveWithinMs` at `at`; in id order. */
export function liveInstances(
  self: string,
  peers: readonly string[],
  heartbeats: readonly InstanceHeartbeat[],
  at: Date,
  liveWithinMs: number = LIVE_WITHIN_MS,
): string[] {
  const fresh = new Set(heartbeats.filter((h) => at.getTime() - Date.parse(h.lastSeen) < liveWithinMs).map((h) => h.instance));
  return [...new Set([self, ...peers.filter((p) => fresh.has(p))])].sort(compareInstanceIds);
}

/**
 * The live instance that runs this check. The same hash picks the minute of a multi-minute check
 * (../schedule.ts), so with two instances a 2-minute check's owner and minute go together: an
 * instance's load then alternates between minutes, never above what one instance alone would carry.
 */
export function ownerOf(checkId: string, live: readonly string[]): string {
  return live[stableHash(checkId) % live.length]!;
}

/** The checks `self` runs when `live` (which includes it) are the live instances. */
export function shareOf(checks: readonly Check[], self: string, live: readonly string[]): Check[] {
  return checks.filter((c) => ownerOf(c.id, live) === self);
}

export interface InstanceShareOptions {
  location: string;
  /** This instance's id. */
  self: string;
  /** The location's other instances. */
  peers: readonly string[];
  store: Pick<Store, 'getInstanceHeartbeats'>;
  /** @default LIVE_WITHIN_MS */
  liveWithinMs?: number;
  /** A heartbeat read that failed; this instance then runs every check. @default ignore */
  onError?: (err: unknown) => void;
}

export interface InstanceShare {
  /** `ProbeHandlerDeps.selectChecks`: this instance's share of `checks` at `at` (the scheduled minute). */
  selectChecks(checks: readonly Check[], at: Date): Promise<readonly Check[]>;
  /** The peers live at the last selection, in id order; every peer before the first selection. */
  livePeers(): readonly string[];
}

export function createInstanceShare(opts: InstanceShareOptions): InstanceShare {
  let livePeers: readonly string[] = [...opts.peers].sort(compareInstanceIds);
  return {
    async selectChecks(checks, at) {
      if (opts.peers.length === 0) return checks;
      let heartbeats: readonly InstanceHeartbeat[];
      try {
        heartbeats = await opts.store.getInstanceHeartbeats(opts.location, [...opts.peers]);
      } catch (err) {
        // Running a check twice is harmless; not running it is a gap nobody sees.
        opts.onError?.(err);
        return checks;
      }
      const live = liveInstances(opts.self, opts.peers, heartbeats, at, opts.liveWithinMs);
      livePeers = live.filter((id) => id !== opts.self);
      return shareOf(checks, opts.self, live);
    },
    livePeers: () => livePeers,
  };
}

/** A RetestSender that may be cancelled; one that ignores the signal is still cut off by the caller. */
export type CancellableRetestSender = (request: RetestRequest, signal?: AbortSignal) => Promise<ProbeResult>;

/**
 * One RetestSender over the location's other instances: a retest goes to a live peer (chosen by the
 * check, so one check's retests keep going to one peer) and its result is stamped with that peer's id.
 * With no live peer it fails at once, and the caller retests locally.
 */
export function routeRetests(senders: Readonly<Record<string, CancellableRetestSender>>, livePeers: () => readonly string[]): CancellableRetestSender {
  return async (request, signal) => {
    const live = livePeers().filter((id) => Object.hasOwn(senders, id));
    if (live.length === 0) throw new VantageError('RETEST_NO_LIVE_PEER', `no live instance to retest ${request.checkId} on`);
    const peer = live[stableHash(request.checkId) % live.length]!;
    const result = await senders[peer]!(request, signal);
    return { ...result, instance: peer };
  };
}

/**
 * A peer gets the check's own timeout plus this long to answer: the Invoke round trip, and the cold
 * start of a second execution environment, since the peer is usually busy with its own cycle when
 * asked (Lambda then starts another one: https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
 * The probe module's init is about 170 ms (README Performance); the rest is the runtime's own start.
 */
export const PEER_ANSWER_MARGIN_MS = 5_000;

export interface RetestOnPeerOptions {
  /** This instance's id, sent as `from` and stamped on a local retest's result. */
  self: string;
  /** Reaches another instance (`routeRetests` over the peers, or `ProbeHandlerDeps.instance.retest`). */
  send: CancellableRetestSender | RetestSender;
  /** This instance's own attempt, for when no peer answers. */
  local: ProbeAttempt;
  /** @default PEER_ANSWER_MARGIN_MS */
  marginMs?: number;
  /** Why a retest ran locally (for the log line). @default ignore */
  onFallback?: (checkId: string, err: unknown) => void;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Rejects when `signal` fires, whether or not `work` honours it. */
function cutOffAt<T>(work: Promise<T>, signal: AbortSignal, checkId: string): Promise<T> {
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    onAbort = () => reject(new VantageError('RETEST_TIMEOUT', `no instance answered the retest of ${checkId} in time`));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, cut]).finally(() => signal.removeEventListener('abort', onAbort!));
}

/**
 * `runProbeCycle`'s `retest` for an instance of a private location: the retest runs on another live
 * instance, and the result recorded is that instance's (with `instance` its id). When no peer answers
 * (none live, an Invoke error, no answer within the check's timeout + `marginMs`), the retest runs
 * here, stamped with this instance's id: a failure is still retested, only not elsewhere.
 */
export function retestOnPeer(opts: RetestOnPeerOptions): ProbeAttempt {
  const now = opts.now ?? (() => new Date());
  const send = opts.send as CancellableRetestSender;
  return async (check, signal) => {
    const bound = AbortSignal.any([signal, AbortSignal.timeout(check.timeout + (opts.marginMs ?? PEER_ANSWER_MARGIN_MS))]);
    try {
      const request: RetestRequest = { type: 'vantage.retest', checkId: check.id, from: opts.self, requestedAt: now().toISOString() };
      const result = await cutOffAt(send(request, bound), bound, check.id);
      if (result.checkId !== check.id) throw new VantageError('RETEST_RESULT_INVALID', `the retest of ${check.id} came back for another check`);
      return result;
    } catch (err) {
      // With the invocation's own signal fired, the local attempt returns `aborted` at once.
      if (!signal.aborted) opts.onFallback?.(check.id, err);
      const result = await opts.local(check, signal);
      return { ...result, instance: opts.self };
    }
  };
}

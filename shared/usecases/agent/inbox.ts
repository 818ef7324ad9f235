/**
 * Requests between agent instances through their location's inbox in the table (../../store/agents.ts):
 * confirmations to any instance of an agent location, retests to one sibling instance, and the loop
 * that serves an instance's share of them.
 *
 * Exactly-once running rests on the claim: a request is run only by the instance whose conditional
 * delete removed it. A request past its deadline is dropped, never run, because its asker has stopped
 * waiting (a retest has fallen back to a local attempt; a confirmation's moment has passed), and a late
 * run would only record a result nobody asked for.
 */
import { VantageError } from '../../errors.ts';
import { isProbeResult } from '../../probe/result-shape.ts';
import type { ProbeResult } from '../../probe/types.ts';
import { stableHash } from '../../schedule.ts';
import { abortableSleep } from '../../sleep.ts';
import { ANY_INSTANCE, type AgentRequest, type AgentStore, type InboxItem } from '../../store/agents.ts';
import type { CancellableRetestSender } from '../instances.ts';
import { ABORT_GRACE_MS } from '../retest.ts';
import { NOT_SENT, type ConfirmRequest, type ConfirmSender, type RetestRequest } from '../probe-requests.ts';

/** A confirmation is worth running for this long after it was asked: the asker's recheck cadence is 10 s, its minute 60 s. */
export const CONFIRM_DEADLINE_MS = 60_000;
/** How often an asker looks for its retest's reply. */
export const DEFAULT_REPLY_POLL_MS = 250;
/** How often an instance reads its inbox (one strongly consistent Query each: keys.ts pattern 17). */
export const DEFAULT_INBOX_POLL_MS = 1_000;
/**
 * A request to another instance still unclaimed this long after it was sent has lost its addressee (it
 * died before reading it); whoever sees it first removes it, so the inbox read stays one small Query.
 */
export const ORPHAN_AFTER_MS = 10 * 60_000;

type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Confirmations to agent locations: one INBOX item to any instance, run by whichever claims it first. */
export function inboxConfirmSender(store: Pick<AgentStore, 'sendRequest'>, clock: () => Date = () => new Date()): ConfirmSender {
  return async (location, request) => {
    await store.sendRequest(location, ANY_INSTANCE, request, new Date(clock().getTime() + CONFIRM_DEADLINE_MS));
  };
}

/**
 * One ConfirmSender for every location: agent locations through their inbox, the rest through
 * `other`. Without `other` (an agent, which does not confirm to Lambda locations) those are skipped.
 */
export function routeConfirms(agentLocations: ReadonlySet<string>, inbox: ConfirmSender, other?: ConfirmSender): ConfirmSender {
  return async (location, request: ConfirmRequest) => {
    if (agentLocations.has(location)) return inbox(location, request);
    if (other) return other(location, request);
    return NOT_SENT;
  };
}

export interface InboxRetestSenderOptions {
  store: AgentStore;
  location: string;
  self: string;
  /** The instances a retest may go to now (membership); self is never chosen. */
  livePeers: () => readonly string[];
  /** @default DEFAULT_REPLY_POLL_MS */
  pollMs?: number;
  /** @default abortableSleep */
  sleep?: Sleep;
  /** Epoch ms. @default Date.now */
  clock?: () => number;
  /** How long the asker waits for the answer: the check's timeout + PEER_ANSWER_MARGIN_MS. */
  timeoutOf: (checkId: string) => number;
}

/**
 * `retestOnPeer`'s sender for an agent instance: the retest goes to one live sibling (chosen by the
 * check, as `routeRetests` chooses), and the answer is read back from its REPLY item. Throws when no
 * sibling is live or none answers by the deadline, and `retestOnPeer` then retests locally.
 */
export function inboxRetestSender(opts: InboxRetestSenderOptions): CancellableRetestSender {
  const pollMs = opts.pollMs ?? DEFAULT_REPLY_POLL_MS;
  const sleep = opts.sleep ?? abortableSleep;
  const clock = opts.clock ?? Date.now;
  return async (request: RetestRequest, signal = new AbortController().signal) => {
    const live = opts.livePeers().filter((id) => id !== opts.self);
    if (live.length === 0) throw new VantageError('RETEST_NO_LIVE_PEER', `no live instance to retest ${request.checkId} on`);
    const peer = live[stableHash(request.checkId) % live.length]!;
    const deadline = clock() + opts.timeoutOf(request.checkId);
    const item = await opts.store.sendRequest(opts.location, peer, request, new Date(deadline));
    for (;;) {
      const reply = await opts.store.takeReply(opts.location, item.id);
      if (reply) return { ...reply, instance: peer };
      const left = deadline - clock();
      if (left <= 0 || signal.aborted) break;
      await sleep(Math.min(pollMs, left), signal);
    }
    // Withdrawing it saves the peer a run nobody waits for; the peer drops it at the deadline anyway.
    await opts.store.claim(opts.location, item).catch(() => false);
    throw new VantageError('RETEST_TIMEOUT', `${peer} did not answer the retest of ${request.checkId} in time`);
  };
}

export type InboxOutcome = 'served' | 'stale' | 'lost';

export interface ServeInboxOptions {
  store: AgentStore;
  location: string;
  self: string;
  /** Runs one request (the probe handler's ConfirmRequest or RetestRequest path); the signal fires at its deadline. */
  handle: (request: AgentRequest, signal: AbortSignal) => Promise<ProbeResult | unknown>;
  /** @default DEFAULT_INBOX_POLL_MS */
  pollMs?: number;
  /** Stops polling; requests already running finish (each bounded by its deadline). */
  signal: AbortSignal;
  /** @default abortableSleep */
  sleep?: Sleep;
  /** Epoch ms. @default Date.now */
  clock?: () => number;
  /** A failed read, claim, run or reply; the loop goes on. @default ignore */
  onError?: (err: unknown) => void;
  /** `served`: run (and answered); `stale`: dropped unrun (past its deadline, or its addressee gone); `lost`: another instance claimed it first. */
  onRequest?: (item: InboxItem, outcome: InboxOutcome) => void;
}

/**
 * Polls the inbox until `signal` fires, then waits for the requests it is running. Requests run
 * concurrently with the polling, so a slow one never delays the next poll. Errors go to `onError`,
 * never out of the loop.
 */
export async function serveInbox(opts: ServeInboxOptions): Promise<void> {
  const pollMs = opts.pollMs ?? DEFAULT_INBOX_POLL_MS;
  const sleep = opts.sleep ?? abortableSleep;
  const clock = opts.clock ?? Date.now;
  const report = (err: unknown) => opts.onError?.(err);
  const running = new Set<Promise<void>>();

  const track = (work: Promise<void>) => {
    const p = work.catch(report).finally(() => running.delete(p));
    running.add(p);
  };

  while (!opts.signal.aborted) {
    try {
      const items = await opts.store.readInbox(opts.location);
      await Promise.all(items.map(async (item) => {
        try {
          await route(opts, item, clock(), track);
        } catch (err) {
          report(err);
        }
      }));
    } catch (err) {
      report(err);
    }
    await sleep(pollMs, opts.signal);
  }
  await Promise.all(running);
}

/** Claims and drops, or claims and starts, one item; a started run goes to `track`, never awaited here. */
async function route(opts: ServeInboxOptions, item: InboxItem, now: number, track: (run: Promise<void>) => void): Promise<void> {
  const mine = item.to === opts.self || item.to === ANY_INSTANCE;
  const stale = mine ? now >= Date.parse(item.deadlineAt) : now - Date.parse(item.sentAt) >= ORPHAN_AFTER_MS;
  if (!mine && !stale) return;
  const won = await opts.store.claim(opts.location, item);
  if (!won) {
    if (mine && !stale) opts.onRequest?.(item, 'lost');
    return;
  }
  if (stale) {
    opts.onRequest?.(item, 'stale');
    return;
  }
  track(run(opts, item, Date.parse(item.deadlineAt) - now));
}

/**
 * Runs a claimed request with a signal at its deadline; a retest's result becomes its REPLY. A handler
 * that ignores the signal is left behind ABORT_GRACE_MS after it, so a stopping loop never waits past
 * its requests' deadlines.
 */
async function run(opts: ServeInboxOptions, item: InboxItem, msLeft: number): Promise<void> {
  const signal = AbortSignal.timeout(Math.max(0, msLeft));
  let timer: NodeJS.Timeout | undefined;
  const cutOff = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new VantageError('AGENT_REQUEST_TIMEOUT', `the ${item.request.type} request ${item.id} ran past its deadline`)), Math.max(0, msLeft) + ABORT_GRACE_MS);
  });
  const result = await Promise.race([opts.handle(item.request, signal), cutOff]).finally(() => clearTimeout(timer));
  if (item.request.type === 'vantage.retest') {
    if (!isProbeResult(result)) throw new VantageError('RETEST_RESULT_INVALID', `the retest of ${item.request.checkId} produced no probe result`);
    await opts.store.putReply(opts.location, item.id, result);
  }
  opts.onRequest?.(item, 'served');
}

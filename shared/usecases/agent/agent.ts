/**
 * `vantage agent`: one instance of an agent location, running the probe handler (../probe-handler.ts)
 * continuously on any host, with the home table as its only channel (outbound HTTPS to DynamoDB).
 *
 *  - Checks: the location's DEFINITIONS item (./agent-definitions.ts), read at start (none: exit with
 *    AGENT_NO_DEFINITIONS) and again REFRESH_BEFORE_MS before every minute boundary, for that minute. A new version is logged and
 *    runs from the next minute; a failed read keeps the checks already read and says so (WARN, with
 *    the time since the last good read) every minute, so stale checks are never silent.
 *  - Sharing: ./membership.ts decides who is a member; each round's runs go to their check's owner
 *    (ProbeCycleOptions.owns), so every instance plans the whole location and runs its own share.
 *  - Minutes: the handler is invoked once per minute boundary with EventBridge's scheduled event (the
 *    first at once, for the current minute), as Lambda would be; invocations may overlap.
 *  - Inbox: ./inbox.ts serves confirmations (to any instance) and retests (to this one) through the
 *    same handler; this instance's own failures are retested on a sibling through the inbox.
 *  - Heartbeats: the cycle's heartbeat is the location's (`HEARTBEAT`, which LOCATION_SILENT watches);
 *    the instance's own (`HEARTBEAT#<instance>`) is the membership beat.
 *
 * Stopping. `signal` leaves: the beat announces leavingAt (2 beats ahead, so every reader has read it
 * by then), this instance probes its share until then, and the others take it over at leavingAt: no
 * gap, no duplicate. At leavingAt no new round or request starts; rounds already running finish (each
 * probe is bounded by its check's timeout), since cancelling them would lose runs nobody else makes.
 * `kill` stops at once: running probes are cancelled (a cut-short probe is `aborted`, never recorded)
 * and the others take over when the beats stop (within 4 beats). Either way runAgent resolves only
 * once every invocation has ended or parked, and closes the cycle's store as it does, so nothing is
 * written after it returns. The process manager's grace period must cover the leave: 2 beats plus the
 * longest probe (`docker stop` waits 10 s by default, Kubernetes 30 s), or its SIGKILL makes it a kill.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Check } from '../../config/schema.ts';
import { PROBERS } from '../../probe/index.ts';
import { MINUTE_MS } from '../../schedule.ts';
import { errorFields } from '../../logging/logger.ts';
import { abortableSleep } from '../../sleep.ts';
import type { AgentBeat, AgentStore, InboxItem } from '../../store/agents.ts';
import type { Store } from '../../store/dynamo.ts';
import { PEER_ANSWER_MARGIN_MS } from '../instances.ts';
import { localContext, minuteOf, scheduledEvent, stoppableRegistry } from '../minute-ticks.ts';
import type { CycleStore } from '../probe-cycle.ts';
import { createProbeHandler, type ProbeHandlerDeps } from '../probe-handler.ts';
import type { ConfirmRequest, RetestRequest } from '../probe-requests.ts';
import { AgentError } from './agent-error.ts';
import { parseAgentChecks, readAgentChecks, type AgentChecks } from './agent-definitions.ts';
import { inboxConfirmSender, inboxRetestSender, routeConfirms, serveInbox } from './inbox.ts';
import { createInvocations, type Invocations } from './invocations.ts';
import { createMembership, DEFAULT_BEAT_MS, MIN_BEAT_MS, type Membership } from './membership.ts';

export { AgentError, DEFAULT_BEAT_MS, MIN_BEAT_MS };

type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface AgentOptions {
  location: string;
  instance: string;
  /** Results, the location heartbeat and the probe memory (createStore). */
  store: Pick<Store, 'putResults' | 'putHeartbeat' | 'getMemory' | 'updateMemory'>;
  agentStore: AgentStore;
  /** @default DEFAULT_BEAT_MS */
  beatMs?: number;
  /** Secret resolution, `${env:…}` values, the prober registry (tests), probe concurrency. */
  runner?: ProbeHandlerDeps['runner'];
  /** JSON log lines: the handler's own and the agent's events. */
  write: (line: string) => void;
  /** Leave gracefully (leavingAt), then end. */
  signal: AbortSignal;
  /** Stop at once. */
  kill?: AbortSignal;
  /** Written after each successful beat: {lastBeat, beatMs, members, member, definitions, location, instance}. */
  healthFile?: string;
  agentVersion?: string;
  host?: string;
  /** The table's name, for the message when it has no checks for this location. */
  table?: string;
  /** Epoch ms. @default Date.now */
  clock?: () => number;
  /** Every wait (beats, minutes, inbox and reply polls, rounds); must return early when the signal fires. @default abortableSleep */
  sleep?: Sleep;
}

/** `<hostname>-<pid>`, lowercased, with anything outside [a-z0-9._-] as '-', cut to 64 keeping the pid: unique per process on a host. */
export function defaultInstanceId(hostname: string, pid: number): string {
  const suffix = `-${pid}`;
  const host = hostname.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64 - suffix.length);
  return `${host || 'agent'}${suffix}`;
}

/**
 * The cycle's store. It writes the location heartbeat only: the instance's own is the membership
 * beat, with fields the cycle's lacks. Once `closed` (runAgent is returning) it writes nothing: a
 * round that outlives the stop (a retest whose reply poll was parked is cut off only at its deadline,
 * and then records the failure before it) must not write after the agent said it stopped.
 */
function cycleStore(store: AgentOptions['store'], closed: AbortSignal): CycleStore {
  return {
    putResults: async (results) => (closed.aborted ? { written: 0, calls: 0 } : store.putResults(results)),
    putHeartbeat: async (location, { instance: _instance, ...info }) => {
      if (!closed.aborted) await store.putHeartbeat(location, info);
    },
    getMemory: (location) => store.getMemory(location),
    updateMemory: async (location, change) => {
      if (!closed.aborted) await store.updateMemory(location, change);
    },
  };
}

/**
 * The handler's lines (its log line and the EMF metric lines, each one JSON object) led by this
 * instance's id, so the instances of a location can be told apart in one log stream. A line that
 * names an instance itself (a result retested on a peer, the handler's own warnings) keeps its own,
 * and the key appears once: a log pipeline may reject or mis-merge duplicate keys.
 */
function withInstance(write: (line: string) => void, instance: string): (line: string) => void {
  return (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return write(line);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return write(line);
    write(JSON.stringify({ instance, ...parsed }));
  };
}

/** The ways the agent stops, as signals every part can take. */
interface Stops {
  /** Fired at the end (leavingAt, or kill): no new round, minute or request; waits park their invocation. */
  finished: AbortController;
  /** Fired by kill: running probes are cancelled and reply polls park. */
  cancel: AbortController;
  /** Fired as runAgent returns: the cycle's writes and confirmations are dropped from then on. */
  closed: AbortController;
}

type Handler = (event: unknown, context: ReturnType<typeof localContext>) => Promise<unknown>;

interface Parts {
  opts: AgentOptions;
  beatMs: number;
  clock: () => number;
  sleep: Sleep;
  stops: Stops;
  membership: Membership;
  invocations: Invocations;
  log: (level: 'INFO' | 'WARN' | 'ERROR', message: string, fields?: Record<string, unknown>) => void;
}

function buildHandler(parts: Parts, defs: AgentChecks): Handler {
  const { opts, clock, stops, membership, invocations } = parts;
  const byId = new Map<string, Check>(defs.checks.map((c) => [c.id, c]));
  return createProbeHandler({
    checks: defs.checks,
    location: opts.location,
    store: cycleStore(opts.store, stops.closed.signal),
    instance: {
      id: opts.instance,
      retest: inboxRetestSender({
        store: opts.agentStore, location: opts.location, self: opts.instance, livePeers: () => membership.livePeers(), clock,
        sleep: invocations.parkingSleep(stops.cancel.signal, parts.sleep),
        timeoutOf: (checkId) => (byId.get(checkId)?.timeout ?? MINUTE_MS) + PEER_ANSWER_MARGIN_MS,
      }),
    },
    owns: (checkId, at) => membership.ownsFresh(checkId, at),
    // Agents do not confirm to Lambda locations (no Invoke permission, no route): those count at their next run.
    confirm: routeConfirms(new Set(defs.agentLocations), async (location, request) => {
      if (!stops.closed.signal.aborted) await inboxConfirmSender(opts.agentStore, () => new Date(clock()))(location, request);
    }),
    runner: { ...opts.runner, registry: stoppableRegistry(opts.runner?.registry ?? PROBERS, stops.cancel.signal, 'the agent stopped') },
    sleep: invocations.parkingSleep(stops.finished.signal, parts.sleep),
    write: withInstance(opts.write, opts.instance),
    clock: () => new Date(clock()),
    // No Lambda deadline: each probe has its own timeout, and stopping goes through the registry and the sleep.
    stopBeforeDeadlineMs: 0,
  }) as unknown as Handler;
}

/** The current checks and their handler, refreshed from the table once a minute. */
class Definitions {
  current: AgentChecks;
  handler: Handler;
  /** When the checks were last confirmed current (a read that succeeded). */
  private readAt: number;
  /** The read under way, if any: at most one at a time, however slow the table answers. */
  private reading: Promise<void> | undefined;
  private readonly parts: Parts;

  constructor(parts: Parts, first: AgentChecks) {
    this.parts = parts;
    this.current = first;
    this.handler = buildHandler(parts, first);
    this.readAt = parts.clock();
  }

  /** Starts a read for the next minute without waiting for it (a minute that comes first runs the checks it has); a read still under way from the last minute is reported instead. */
  refresh(): void {
    if (this.reading) {
      this.stale({ errorCode: 'PENDING', errorName: 'the last read has not answered yet' });
      return;
    }
    this.reading = this.read().finally(() => { this.reading = undefined; });
  }

  /** Resolves when no read is under way. */
  async settled(): Promise<void> {
    await this.reading;
  }

  private stale(fields: Record<string, unknown>): void {
    this.parts.log('WARN', 'definitions not read; running the ones read before', {
      version: this.current.version, writtenAt: this.current.writtenAt, ageMs: this.parts.clock() - this.readAt, ...fields,
    });
  }

  private async read(): Promise<void> {
    const { opts, clock, log } = this.parts;
    try {
      const stored = await opts.agentStore.getDefinitions(opts.location);
      if (!stored) throw new AgentError('AGENT_NO_DEFINITIONS', `no DEFINITIONS item for ${opts.location}`);
      if (stored.version !== this.current.version) {
        const next = parseAgentChecks(stored, opts.location);
        log('INFO', 'definitions', { version: next.version, previous: this.current.version, writtenAt: next.writtenAt, checks: next.checks.length });
        this.current = next;
        this.handler = buildHandler(this.parts, next);
      }
      this.readAt = clock();
    } catch (err) {
      this.stale(errorFields(err));
    }
  }
}

/** Writes the health file whole (a temporary file renamed over it), so a health check never reads half of one. */
async function writeHealth(path: string, doc: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(doc)}\n`);
  await rename(tmp, path);
}

/** Invokes the handler as Lambda would, tracked until it ends or parks. */
function invoke(parts: Parts, handler: Handler, event: unknown): Promise<unknown> {
  return parts.invocations.run(() => handler(event, localContext(`vantage-agent-${parts.opts.location}`)));
}

/**
 * How long before a minute boundary the definitions are read for it: a GetItem answers in
 * milliseconds, so the new checks are in place at the boundary even on a slow link.
 */
export const REFRESH_BEFORE_MS = 5_000;

/**
 * One scheduled invocation per minute boundary until finished (the first at once, for the current
 * minute), each with the checks read just before it.
 */
async function tickMinutes(parts: Parts, defs: Definitions): Promise<void> {
  const { clock, sleep, stops } = parts;
  const finished = stops.finished.signal;
  const until = async (at: number) => {
    while (!finished.aborted && clock() < at) await sleep(at - clock(), finished);
  };
  let minute = minuteOf(clock());
  while (!finished.aborted) {
    // A cycle that throws has logged it (the handler's "probe cycle failed"); the next minute tries again.
    invoke(parts, defs.handler, scheduledEvent(minute, `vantage-agent-${parts.opts.location}`)).catch(() => {});
    // A wait that overslept (a suspended host) goes on from the current minute, skipping the missed ones.
    minute = Math.max(minute + MINUTE_MS, minuteOf(clock()));
    await until(minute - REFRESH_BEFORE_MS);
    if (!finished.aborted) defs.refresh();
    await until(minute);
  }
}

function inboxLoop(parts: Parts, defs: Definitions): Promise<void> {
  const { opts, clock, sleep, stops, log } = parts;
  return serveInbox({
    store: opts.agentStore,
    location: opts.location,
    self: opts.instance,
    handle: (request: ConfirmRequest | RetestRequest) => invoke(parts, defs.handler, request),
    signal: stops.finished.signal,
    sleep,
    clock,
    onError: (err) => {
      if (!stops.finished.signal.aborted) log('WARN', 'inbox', errorFields(err));
    },
    onRequest: (item: InboxItem, outcome) => {
      if (outcome !== 'lost') log('INFO', 'inbox', { outcome, id: item.id, type: item.request.type, from: item.request.from, to: item.to });
    },
  });
}

/** Until leavingAt (or kill): the share is still this instance's, so it keeps probing. */
async function leave(parts: Parts, kill: AbortSignal): Promise<void> {
  const { membership, clock, sleep, log } = parts;
  const leavingAt = await membership.leave();
  log('INFO', 'agent leaving', { leavingAt: new Date(leavingAt).toISOString() });
  while (!kill.aborted && clock() < leavingAt) await sleep(leavingAt - clock(), kill);
}

function startMembership(opts: AgentOptions, beatMs: number, clock: () => number, sleep: Sleep, log: Parts['log'], version: () => string): Membership {
  let healthWrites: Promise<void> = Promise.resolve();
  return createMembership({
    store: opts.agentStore, location: opts.location, self: opts.instance, beatMs, clock, sleep,
    beatInfo: () => ({ definitions: version(), ...(opts.host !== undefined && { host: opts.host }), ...(opts.agentVersion !== undefined && { agentVersion: opts.agentVersion }) }),
    onChange: (members) => log('INFO', 'members', { members, member: members.includes(opts.instance) }),
    onError: (err) => log('WARN', 'beat failed', errorFields(err)),
    onBeat: (beat: AgentBeat, members) => {
      const path = opts.healthFile;
      if (!path) return;
      const doc = { lastBeat: beat.lastSeen, beatMs, members, member: members.includes(opts.instance), definitions: version(), location: opts.location, instance: opts.instance };
      healthWrites = healthWrites.then(() => writeHealth(path, doc)).catch((err: unknown) => log('WARN', 'health file not written', { path, ...errorFields(err) }));
    },
  });
}

/**
 * Runs until `signal` (leave) or `kill` (at once) and every invocation has ended or parked. Throws
 * before starting when the table has no checks for the location (AgentError AGENT_NO_DEFINITIONS) or
 * they do not pass the runtime check (AgentError DEFINITIONS_INVALID), or the first read fails (StoreError).
 */
export async function runAgent(opts: AgentOptions): Promise<void> {
  const clock = opts.clock ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const beatMs = opts.beatMs ?? DEFAULT_BEAT_MS;
  const kill = opts.kill ?? new AbortController().signal;
  const log: Parts['log'] = (level, message, fields = {}) => opts.write(JSON.stringify({ level, message, location: opts.location, instance: opts.instance, ...fields }));

  const first = await readAgentChecks(opts.agentStore, opts.location, opts.table);
  const stops: Stops = { finished: new AbortController(), cancel: new AbortController(), closed: new AbortController() };
  let defs: Definitions | undefined;
  const membership = startMembership(opts, beatMs, clock, sleep, log, () => defs?.current.version ?? first.version);
  const parts: Parts = { opts, beatMs, clock, sleep, stops, membership, invocations: createInvocations(), log };
  defs = new Definitions(parts, first);
  log('INFO', 'agent started', { definitions: first.version, checks: first.checks.length, beatMs });

  const beating = membership.run(stops.finished.signal);
  const serving = inboxLoop(parts, defs);
  const ticking = tickMinutes(parts, defs);

  const stopNow = () => stops.cancel.abort();
  kill.addEventListener('abort', stopNow, { once: true });
  try {
    await Promise.race([once(opts.signal), once(kill)]);
    if (!kill.aborted) await leave(parts, kill);
    stops.finished.abort();
    await Promise.all([beating, ticking, parts.invocations.drained(), defs.settled()]);
    // Requests still running have parked (their result is dropped) or finished: the inbox loop's wait is over.
    await serving;
  } finally {
    kill.removeEventListener('abort', stopNow);
    stops.closed.abort();
  }
  log('INFO', 'agent stopped', { how: kill.aborted ? 'kill' : 'leave' });
}

function once(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

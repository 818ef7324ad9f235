/**
 * Runs each location's probe handler (shared/usecases/probe-handler.ts) on this machine the way
 * EventBridge `rate(1 minute)` invokes it in AWS: once a minute, at the minute boundary, with the
 * scheduled event's `time` set to that minute. The handler plans the minute itself (staggered rounds
 * at wall-clock offsets, rechecks, results written after every round), so the local pipeline runs the
 * deployed schedule. The first invocation does not wait for a boundary: it runs at once for the
 * current minute, whose rounds already past then run at once, as a late Lambda invocation's would.
 *
 * Invocations may overlap (a minute's rechecks running past the next boundary), as Lambda allows
 * them: each is its own concurrent execution of the same handler.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
 *
 * Confirmation requests (ConfirmRequest) go to the other location's handler the way an async Lambda
 * Invoke does: handed over, not waited for. https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 * A cycle that hands its later rounds on (a ContinueRequest, through the SQS delay queue in AWS) gets
 * them back in the same location's handler after the delay, from a timer here.
 *
 * Agent locations (deployment.agentLocations) are not ticked: `vantage agent` processes probe them.
 * A confirmation request to one goes to its inbox (`agentInbox`), where whichever agent instance
 * claims it first runs it, as the deployed probe functions send it.
 *
 * A location can be stopped and started again (for showing silence). A stopped location writes
 * nothing at all: its store is gated shut (results, heartbeats and probe memory), running probes are
 * cancelled through the prober registry (a cut-short probe reports `aborted`, which the cycle never
 * records), its invocations are parked at their next wait (see stoppableSleep), and confirmation
 * requests to it are dropped. Starting it
 * again builds a fresh handler with fresh gates, so nothing from before the stop leaks through.
 *
 * Stopping everything: the handler's deadline signal comes from middy and cannot be fired from
 * outside, so the same registry and sleep are how the pipeline's stop reaches running invocations.
 */
import type { Context } from 'aws-lambda';
import type { Check } from '../shared/config/schema.ts';
import { createProbeHandler, type ProbeHandlerDeps } from '../shared/usecases/probe-handler.ts';
import type { ConfirmRequest, ConfirmSender, ContinueRequest, DeferSender } from '../shared/usecases/probe-requests.ts';
import { abortableSleep } from '../shared/usecases/probe-cycle.ts';
import { routeConfirms } from '../shared/usecases/agent/inbox.ts';
import { PROBERS } from '../shared/probe/index.ts';
import type { ProberRegistry } from '../shared/probe/types.ts';
import { MINUTE_MS } from '../shared/schedule.ts';
import { localContext as lambdaContext, minuteOf, scheduledEvent, stoppableRegistry, stoppableSleep } from '../shared/usecases/minute-ticks.ts';
import type { LocationState } from './control-server.ts';

export interface ProbeTickerOptions {
  checks: readonly Check[];
  store: ProbeHandlerDeps['store'];
  /** Stops the ticking and cancels running probes. */
  signal: AbortSignal;
  /** `${env:NAME}` values for probes. */
  env?: Record<string, string | undefined>;
  /** The handler's log and metric lines. */
  write: (line: string) => void;
  /** An invocation that threw (its results were not written). */
  onError: (location: string, err: unknown) => void;
  /** A location was stopped or started through {@link ProbeTicker}. */
  onLocation?: (location: string, state: LocationState) => void;
  /** Locations served by agents: not ticked here; confirmations to them go to `agentInbox`. @default none */
  agentLocations?: ReadonlySet<string>;
  /** Where confirmations to agent locations go (inboxConfirmSender). @default dropped */
  agentInbox?: ConfirmSender;
  /** @default createProbeHandler */
  createHandler?: typeof createProbeHandler;
  /** @default PROBERS */
  registry?: ProberRegistry;
  /** Wall clock in ms, for the minute boundaries. @default Date.now */
  now?: () => number;
  /** The wait until the next boundary; must return early when the signal fires. @default abortableSleep */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface ProbeTicker {
  /** Every location of an enabled check that is not an agent location, in config order. */
  readonly locations: readonly string[];
  /** False when the location is unknown or already stopped. */
  stop(location: string): boolean;
  /** False when the location is unknown, already running, or the ticker is stopping. */
  start(location: string): boolean;
  state(location: string): LocationState;
  /** Routes a location's confirmation request to another location's handler. */
  confirm: ConfirmSender;
  /** Resolves once the signal has fired and every invocation has finished. */
  done: Promise<void>;
}

/** The locations of the enabled checks, each once, in config order. */
export function tickerLocations(checks: readonly Check[]): string[] {
  return [...new Set(checks.filter((c) => c.enabled).flatMap((c) => c.locations))];
}

export { minuteOf, scheduledEvent, stoppableRegistry };

/**
 * The store as a stopped location sees it: reads pass, writes do nothing. The Store names every
 * method that writes put…/update…/delete…/expire… (shared/store/dynamo.ts), and a method added later that
 * writes under another name would leak, so the gate is tested against the whole Store interface.
 */
const WRITES = /^(put|update|delete|remove|clear|write|expire)/;
export function gateWrites<S extends object>(store: S, closed: AbortSignal): S {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || typeof value !== 'function' || !WRITES.test(key)) return value;
      return (...args: unknown[]) => {
        if (!closed.aborted) return (value as (...a: unknown[]) => unknown).apply(target, args);
        return Promise.resolve(key === 'putResults' ? { written: 0, calls: 0 } : undefined);
      };
    },
  });
}

/** A Lambda context for a local invocation of one location's handler. */
const localContext = (location: string): Context => lambdaContext(`vantage-probe-${location}`);

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** One start of one location: stopping it closes its gates for good; a restart makes a new run. */
interface Run {
  location: string;
  closed: AbortController;
  /** Resolves when the run is stopped, or the whole ticker is. */
  ended: Promise<void>;
  handler: Handler;
}

export function startProbeTicker(opts: ProbeTickerOptions): ProbeTicker {
  const now = opts.now ?? Date.now;
  const wait = opts.sleep ?? abortableSleep;
  const create = opts.createHandler ?? createProbeHandler;
  const baseRegistry = opts.registry ?? PROBERS;
  const agents = opts.agentLocations ?? new Set<string>();
  const locations = tickerLocations(opts.checks).filter((l) => !agents.has(l));
  const runs = new Map<string, Run>();
  const pending = new Set<Promise<void>>();

  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  /** Hands an event to the run's handler without waiting, as Lambda's async invocation does. */
  const invoke = (run: Run, event: unknown) => {
    const invocation = run.handler(event, localContext(run.location)).then(() => {}, (err: unknown) => {
      if (!run.closed.signal.aborted) opts.onError(run.location, err);
    });
    // A parked invocation (see stoppableSleep) never settles; stopping does not wait for it.
    track(Promise.race([invocation, run.ended]));
  };

  const confirmHere: ConfirmSender = async (location: string, request: ConfirmRequest) => {
    const run = runs.get(location);
    // A stopped location answers nothing, like a region whose function no longer runs.
    if (run && !run.closed.signal.aborted) invoke(run, request);
  };
  const confirm = routeConfirms(agents, opts.agentInbox ?? (async () => {}), confirmHere);

  /**
   * The SQS delay queue's part locally: the continuation reaches the same location's handler after
   * `delayMs`, as a delayed message reaches it through the event source mapping in AWS. One from a run
   * that has been stopped (or restarted since) is dropped, as a stopped location writes nothing.
   */
  const deferFor = (location: string, self: () => Run | undefined): DeferSender => async (request: ContinueRequest, delayMs: number) => {
    const run = self();
    if (!run || run.closed.signal.aborted) return;
    const stopped = AbortSignal.any([opts.signal, run.closed.signal]);
    track((async () => {
      await wait(Math.max(0, delayMs), stopped);
      if (!stopped.aborted && runs.get(location) === run) invoke(run, request);
    })());
  };

  const newRun = (location: string): Run => {
    let self: Run | undefined;
    const closed = new AbortController();
    const stopped = AbortSignal.any([opts.signal, closed.signal]);
    const ended = new Promise<void>((resolve) => {
      if (stopped.aborted) resolve();
      stopped.addEventListener('abort', () => resolve(), { once: true });
    });
    const handler = create({
      checks: opts.checks,
      location,
      store: gateWrites(opts.store, closed.signal),
      runner: { registry: stoppableRegistry(baseRegistry, stopped), ...(opts.env && { env: opts.env }) },
      sleep: stoppableSleep(stopped),
      write: opts.write,
      confirm,
      defer: deferFor(location, () => self),
      // No early-timeout timer: there is no Lambda deadline here, each probe has its own timeout, and
      // stopping goes through the registry and the sleep above.
      stopBeforeDeadlineMs: 0,
    }) as unknown as Handler;
    self = { location, closed, ended, handler };
    return self;
  };

  const tick = async (run: Run) => {
    const stopped = AbortSignal.any([opts.signal, run.closed.signal]);
    let minute = minuteOf(now());
    while (!stopped.aborted) {
      invoke(run, scheduledEvent(minute, `vantage-probe-${run.location}`));
      // A wait that overslept (a suspended laptop) goes on from the current minute, skipping the missed ones.
      minute = Math.max(minute + MINUTE_MS, minuteOf(now()));
      while (!stopped.aborted && now() < minute) await wait(minute - now(), stopped);
    }
  };

  const start = (location: string): boolean => {
    if (!locations.includes(location) || runs.has(location) || opts.signal.aborted) return false;
    const run = newRun(location);
    runs.set(location, run);
    track(tick(run));
    return true;
  };

  const stop = (location: string): boolean => {
    const run = runs.get(location);
    if (!run) return false;
    runs.delete(location);
    run.closed.abort();
    return true;
  };

  for (const location of locations) start(location);

  const done = (async () => {
    if (!opts.signal.aborted) await new Promise((resolve) => opts.signal.addEventListener('abort', resolve, { once: true }));
    while (pending.size > 0) await Promise.all([...pending]);
  })();

  return {
    locations,
    stop: (location) => {
      const changed = stop(location);
      if (changed) opts.onLocation?.(location, 'stopped');
      return changed;
    },
    start: (location) => {
      const changed = start(location);
      if (changed) opts.onLocation?.(location, 'running');
      return changed;
    },
    state: (location) => (runs.has(location) ? 'running' : 'stopped'),
    confirm,
    done,
  };
}

/** Ticks until the signal fires; resolves when every invocation has finished. */
export function runProbeTicker(opts: ProbeTickerOptions): Promise<void> {
  return startProbeTicker(opts).done;
}

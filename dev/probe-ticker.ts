/**
 * Runs each location's probe handler (functions/probe) on this machine, the way EventBridge invokes it
 * in AWS, except that sub-minute intervals get one invocation per round instead of one per minute.
 *
 * Why: in AWS a probe invocation runs a whole minute of rounds (15 s → four rounds) and writes the
 * results once, at the end of the minute. That suits alerting at minute scale, but locally, with 1 s
 * intervals and `failureThreshold: 2`, a failure would take a minute to reach the evaluator. So the
 * ticker invokes the same middy handler once per interval, with its checks' `interval` set to one
 * minute: the handler's own planner (shared/schedule.ts) then plans exactly one round at offset 0,
 * and that round runs through the unchanged path (retests, result writes, heartbeat, metric lines).
 * Checks of 60 s or more keep their interval and their handler is invoked at each minute boundary,
 * exactly as EventBridge's `rate(1 minute)` does, so the same minute spreading applies.
 *
 * Stopping: the handler's deadline signal comes from middy and cannot be fired from outside, so the
 * ticker passes a prober registry (the handler's documented `runner.registry` dependency) whose
 * probers also listen to the stop signal. A probe cut short that way reports `aborted`, which the
 * probe cycle counts and never records, just as it does at the Lambda deadline.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { Check } from '../shared/config/schema.ts';
import { createProbeHandler, type ProbeHandlerDeps } from '../shared/usecases/probe-handler.ts';
import { abortableSleep } from '../shared/usecases/probe-cycle.ts';
import { PROBERS } from '../shared/probe/index.ts';
import type { ProbeFn, ProberRegistry } from '../shared/probe/types.ts';
import { MINUTE_MS } from '../shared/schedule.ts';

/** One handler and how often it is invoked. */
export interface TickGroup {
  location: string;
  /** Time between invocations. */
  everyMs: number;
  /** Invoked at minute boundaries (checks of ≥ 60 s) rather than every `everyMs` from start. */
  onMinute: boolean;
  /** As the handler gets them (sub-minute intervals set to one minute, see above). */
  checks: Check[];
}

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
  /** @default createProbeHandler */
  createHandler?: typeof createProbeHandler;
  /** @default PROBERS */
  registry?: ProberRegistry;
  /** @default Date.now */
  now?: () => number;
}

/** Groups per location: one per sub-minute interval, plus one for every check of a minute or more. */
export function planTickGroups(checks: readonly Check[]): TickGroup[] {
  const groups = new Map<string, TickGroup>();
  for (const check of checks) {
    if (!check.enabled) continue;
    for (const location of check.locations) {
      const sub = check.interval < MINUTE_MS;
      const key = `${location}\u0000${sub ? check.interval : 'minute'}`;
      let group = groups.get(key);
      if (!group) {
        group = { location, everyMs: sub ? check.interval : MINUTE_MS, onMinute: !sub, checks: [] };
        groups.set(key, group);
      }
      group.checks.push(sub ? { ...check, interval: MINUTE_MS } : check);
    }
  }
  return [...groups.values()];
}

/** Probers that also stop on `stop`, reporting `aborted` so the cycle does not record the cut-short run. */
export function stoppableRegistry(registry: ProberRegistry, stop: AbortSignal): ProberRegistry {
  const wrap = (probe: ProbeFn): ProbeFn => async (check, ctx) => {
    const outcome = await probe(check, { ...ctx, signal: AbortSignal.any([ctx.signal, stop]) });
    if (!outcome.ok && stop.aborted) return { ...outcome, failure: { reason: 'aborted', message: 'stopped with the local pipeline' } };
    return outcome;
  };
  return Object.fromEntries(Object.entries(registry).map(([kind, fn]) => [kind, wrap(fn as ProbeFn)])) as unknown as ProberRegistry;
}

/** A Lambda context for a local invocation; the handler only reads the request id. */
function localContext(location: string): Context {
  return { awsRequestId: randomUUID(), functionName: `vantage-probe-${location}` } as Context;
}

/** Invokes every group's handler on its schedule until the signal fires; resolves when all have finished. */
export async function runProbeTicker(opts: ProbeTickerOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const create = opts.createHandler ?? createProbeHandler;
  const registry = stoppableRegistry(opts.registry ?? PROBERS, opts.signal);

  async function loop(group: TickGroup): Promise<void> {
    const handler = create({
      checks: group.checks,
      location: group.location,
      store: opts.store,
      runner: { registry, ...(opts.env && { env: opts.env }) },
      write: opts.write,
      // No early-timeout timer: there is no Lambda deadline here, each probe has its own timeout, and
      // stopping goes through the registry above.
      stopBeforeDeadlineMs: 0,
    });
    let next = now();
    while (!opts.signal.aborted) {
      try {
        await handler({ time: new Date(next).toISOString() }, localContext(group.location));
      } catch (err) {
        if (!opts.signal.aborted) opts.onError(group.location, err);
      }
      // A round that overran its interval skips the ticks it missed rather than running them back to back.
      const after = now();
      if (group.onMinute) next = (Math.floor(after / MINUTE_MS) + 1) * MINUTE_MS;
      else do next += group.everyMs; while (next <= after);
      await abortableSleep(next - after, opts.signal);
    }
  }

  await Promise.all(planTickGroups(opts.checks).map(loop));
}

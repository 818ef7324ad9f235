/**
 * Invoking the probe handler (./probe-handler.ts) outside Lambda the way EventBridge `rate(1 minute)`
 * invokes it in AWS: one scheduled event per minute boundary, with a Lambda-shaped context, and a way
 * to stop invocations that middy's own deadline signal cannot reach. The local pipeline's ticker
 * (dev/probe-ticker.ts) and `vantage agent` (./agent/agent.ts) both run the handler this way.
 *
 * Stopping: middy hands the handler an AbortSignal it fires only at the Lambda deadline, and a context
 * built here has none worth firing at, so stopping goes through the two things the handler does take
 * from outside: the prober registry (`stoppableRegistry`: a running probe is cancelled and reports
 * `aborted`, which the cycle never records) and the wait between rounds (`stoppableSleep`: an
 * invocation is parked at its next wait for good).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { ProbeFn, ProberRegistry } from '../probe/types.ts';
import { MINUTE_MS } from '../schedule.ts';
import { abortableSleep } from '../sleep.ts';

/** The minute boundary at or before `ms`. */
export const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** EventBridge's scheduled event, as its rule delivers it. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html */
export function scheduledEvent(at: number, resource: string) {
  return {
    version: '0', id: randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000',
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'), region: 'local', resources: [resource], detail: {},
  };
}

/**
 * What `getRemainingTimeInMillis` answers outside Lambda: the longest a Lambda invocation may run
 * (900 s). Only a finite value is safe: middy arms a timer with it when a handler asks for an early
 * timeout, and Node fires a timer over 2³¹−1 ms at once.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */
export const NO_DEADLINE_MS = 900_000;

/** A Lambda context for an invocation outside Lambda; the probe handler reads the request id. */
export function localContext(functionName: string, remainingMs: () => number = () => NO_DEADLINE_MS): Context {
  return { awsRequestId: randomUUID(), functionName, getRemainingTimeInMillis: remainingMs } as Context;
}

/** Probers that also stop on `stop`, reporting `aborted` so the cycle does not record the cut-short run. */
export function stoppableRegistry(registry: ProberRegistry, stop: AbortSignal, why = 'stopped in the local pipeline'): ProberRegistry {
  const wrap = (probe: ProbeFn): ProbeFn => async (check, ctx) => {
    const outcome = await probe(check, { ...ctx, signal: AbortSignal.any([ctx.signal, stop]) });
    if (!outcome.ok && stop.aborted) return { ...outcome, failure: { reason: 'aborted', message: why } };
    return outcome;
  };
  return Object.fromEntries(Object.entries(registry).map(([kind, fn]) => [kind, wrap(fn as ProbeFn)])) as unknown as ProberRegistry;
}

const PARKED = new Promise<never>(() => {});

/**
 * The wait between rounds for invocations that may be stopped. Once stopped, an invocation is parked
 * at its next wait and dropped (nothing holds it, so it is collected): the cycle ends only at middy's
 * deadline signal, which cannot be fired from here, and a wait that returned early instead would make
 * the cycle spin through the rest of its minute, probing (and cancelling) each round as it came due.
 * `onPark` is told each time an invocation parks (each parks at most once: a cycle waits in sequence),
 * so a caller can tell when every invocation has either ended or parked.
 */
export function stoppableSleep(stopped: AbortSignal, onPark?: () => void, sleep: (ms: number, signal: AbortSignal) => Promise<void> = abortableSleep) {
  return async (ms: number, signal: AbortSignal): Promise<void> => {
    if (!stopped.aborted) await sleep(ms, AbortSignal.any([signal, stopped]));
    if (stopped.aborted) {
      onPark?.();
      return PARKED;
    }
  };
}

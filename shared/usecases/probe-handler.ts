/**
 * The probe handler, built from injected dependencies: `createProbeHandler(deps)` returns the
 * middy-wrapped Lambda handler. ./handler.ts builds the deployed one from the environment.
 *
 * Deadline: middy 7 passes the handler `{ signal }`, an AbortSignal it aborts `timeoutEarlyInMillis`
 * before the Lambda deadline (from `context.getRemainingTimeInMillis()`), and at that same moment it
 * settles the invocation with `timeoutEarlyResponse()` (by default a thrown TimeoutError).
 * https://middy.js.org/docs/writing-middlewares/timeouts/
 * The signal reaches every probe and the wait between rounds. The early response is a promise that
 * never settles: the handler itself answers, after it has written what it measured. Letting middy
 * answer at the signal would end the invocation mid-write, and Lambda freezes unfinished writes.
 * So `stopBeforeDeadlineMs` is the time reserved for writing results and the heartbeat.
 *
 * Events (./probe-requests.ts): EventBridge's scheduled event runs the minute (./probe-cycle.ts); a
 * ConfirmRequest from another location runs the named checks at once, with rechecks and without
 * asking anyone else; a RetestRequest from another instance of this location runs one attempt and
 * returns it, recording nothing (the asking instance records it). A ContinueRequest (a cycle's
 * remaining runs, handed on instead of waiting for them; in AWS it arrives from this function's own
 * SQS delay queue as a one-record SQS event) runs exactly those runs, and one whose runs are over a
 * minute late runs nothing (logged as `stale`): throwing would only make SQS redeliver it, later still.
 */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { Check } from '../config/schema.ts';
import { VantageError } from '../errors.ts';
import { errorFields } from '../logging/logger.ts';
import { probeResultEmfLine } from '../metrics/emf.ts';
import { abortableSleep, runProbeCycle, type CycleStore, type ProbeCycleOptions, type ProbeCycleSummary } from './probe-cycle.ts';
import {
  isConfirmRequest, isContinueRequest, isRetestRequest, type ConfirmRequest, type ConfirmSender, type ContinueRequest, type DeferSender, type RetestRequest, type RetestSender,
} from './probe-requests.ts';
import { retestOnPeer } from './instances.ts';
import { probeWithRetests } from './retest.ts';
import { runProbe, type RunOptions } from '../probe/index.ts';
import type { ProbeResult } from '../probe/types.ts';

export interface ProbeHandlerDeps {
  /** This location's checks (the bundled definitions). */
  checks: readonly Check[];
  location: string;
  /** With getMemory/updateMemory (the DynamoDB store has them) rechecks carry over between invocations. */
  store: CycleStore;
  /** How to ask the other locations to confirm (Lambda async Invoke; the other handlers in `vantage dev`). Absent: never. */
  confirm?: ConfirmSender;
  /** Hands a cycle's later runs to a later invocation of this location instead of waiting for them (SQS delay queue; a timer in `vantage dev`). Absent: wait. */
  defer?: DeferSender;
  /** This function is instance `id` of a private location; `retest` runs a failure's retest on a peer. */
  instance?: { id: string; retest?: RetestSender; peers?: string[] };
  /** The share of the checks this invocation runs (an instance's share). Called once per scheduled invocation. @default all */
  selectChecks?: (checks: readonly Check[], at: Date) => Promise<readonly Check[]>;
  /** Per round, whether this instance owns a check (`ProbeCycleOptions.owns`: an agent's membership). @default every check */
  owns?: ProbeCycleOptions['owns'];
  /** @default () => new Date() */
  clock?: () => Date;
  /** Passed to every probe: secret resolution, `${env:…}` values, and (in tests) the prober registry. */
  runner?: Pick<RunOptions, 'resolveSecret' | 'env' | 'registry'> & { concurrency?: number };
  /** Waits between rounds; must return early when the signal fires. @default abortableSleep */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** One line of output (the structured log line and the EMF metric lines). @default stdout */
  write?: (line: string) => void;
  /** Declare the phases as EMF metrics, not only properties (`deployment.metrics.phases`). @default false */
  phaseMetrics?: boolean;
  /**
   * Cancel probes this long before the Lambda deadline, keeping the time for writing results (whose
   * retries of unprocessed items are bounded by the store's backoff). @default 5_000
   */
  stopBeforeDeadlineMs?: number;
}

/** How a ContinueRequest arrives from an SQS event source mapping (batch size 1). */
export interface SqsContinueEvent { Records: Array<{ eventSource: 'aws:sqs'; body: string } & Record<string, unknown>> }

export type ProbeEvent = (Partial<Pick<ScheduledEvent, 'time'>> & Record<string, unknown>) | ConfirmRequest | RetestRequest | ContinueRequest | SqsContinueEvent;

function isSqsEvent(e: unknown): e is SqsContinueEvent {
  const records = (e as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => (r as { eventSource?: unknown } | null)?.eventSource === 'aws:sqs');
}

/** The continuation an SQS event carries; anything else on the queue is a bug, named without its body. */
function continuationOf(event: SqsContinueEvent): ContinueRequest {
  if (event.Records.length !== 1) throw new VantageError('PROBE_REQUEST_INVALID', `an SQS event of ${event.Records.length} records; the event source mapping's batch size is 1`);
  let body: unknown;
  try {
    body = JSON.parse(String(event.Records[0]!.body));
  } catch {
    body = undefined;
  }
  if (!isContinueRequest(body)) throw new VantageError('PROBE_REQUEST_INVALID', 'an SQS message that is not a continuation request');
  return body;
}

/** What the handler answers: a cycle's summary, or for a retest request the one attempt's result. */
export type ProbeHandlerResponse = ProbeCycleSummary | ProbeResult;

/** EventBridge's `time` is the scheduled minute, which stays right when the invocation starts late. */
function scheduledAt(event: ProbeEvent | undefined, clock: () => Date): Date {
  const time = (event as { time?: unknown } | undefined)?.time;
  const t = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  return Number.isFinite(t) ? new Date(t) : clock();
}

export function createProbeHandler(deps: ProbeHandlerDeps) {
  const clock = deps.clock ?? (() => new Date());
  const write = deps.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const { concurrency, ...runOptions } = deps.runner ?? {};
  const mine = deps.checks.filter((c) => c.enabled !== false && c.locations.includes(deps.location));
  // This container's newest run per check: a confirmation for a check probed moments ago is skipped.
  const lastRunAt = new Map<string, number>();
  const attempt: ProbeCycleOptions['probe'] = (check, probeSignal) => runProbe(check, { ...runOptions, signal: probeSignal, location: deps.location });
  const instanceId = deps.instance?.id;
  const retest = deps.instance?.retest && retestOnPeer({
    self: deps.instance.id,
    send: deps.instance.retest,
    local: attempt,
    onFallback: (checkId, err) => write(JSON.stringify({ level: 'WARN', message: 'retest ran here, not on a peer', location: deps.location, instance: instanceId, checkId, ...errorFields(err) })),
  });

  const sideErrorMessage = { confirm: 'confirmation not sent', memory: 'probe memory unavailable', defer: 'continuation not queued; waiting in-process' } as const;
  const onSideError = (requestId: string | undefined) => (what: keyof typeof sideErrorMessage, err: unknown, location?: string) =>
    write(JSON.stringify({ level: 'WARN', message: sideErrorMessage[what], requestId, location: deps.location, ...(location && { to: location }), ...errorFields(err) }));

  async function cycle(event: ProbeEvent, requestId: string | undefined, signal: AbortSignal): Promise<ProbeCycleSummary> {
    const resuming = isSqsEvent(event) ? continuationOf(event) : isContinueRequest(event) ? event : undefined;
    const confirming = isConfirmRequest(event) ? mine.filter((c) => event.checkIds.includes(c.id)) : undefined;
    const at = confirming ? clock() : resuming ? new Date(resuming.scheduledAt) : scheduledAt(event, clock);
    // A continuation's runs were chosen (an instance's share too) by the invocation that handed them on.
    const checks = confirming || resuming ? mine : await (deps.selectChecks ?? (async (all: readonly Check[]) => all))(deps.checks, at);
    const { summary, results } = await runProbeCycle({
      checks,
      location: deps.location,
      scheduledAt: at,
      probe: attempt,
      ...(retest && { retest }),
      ...(instanceId !== undefined && { instance: instanceId }),
      ...(confirming && { confirmChecks: confirming }),
      ...(resuming && { resume: { runs: resuming.runs, confirm: resuming.confirm === true } }),
      ...(deps.confirm && { confirm: deps.confirm }),
      ...(deps.defer && { defer: deps.defer }),
      ...(deps.owns && { owns: deps.owns }),
      lastRunAt,
      onSideError: onSideError(requestId),
      sleep: deps.sleep ?? abortableSleep,
      store: deps.store,
      signal,
      now: clock,
      ...(concurrency !== undefined && { concurrency }),
    });
    for (const result of results) write(probeResultEmfLine(result, deps.location, { phaseMetrics: deps.phaseMetrics ?? false }));
    write(JSON.stringify({ level: summary.stoppedEarly || summary.stale > 0 ? 'WARN' : 'INFO', message: resuming ? 'probe cycle (continued)' : 'probe cycle', requestId, ...summary, ...(confirming && event && { from: (event as ConfirmRequest).from }) }));
    return summary;
  }

  /** One attempt, no retests (the asking instance decides), nothing written. */
  async function retestOnce(event: RetestRequest, signal: AbortSignal): Promise<ProbeResult> {
    const check = mine.find((c) => c.id === event.checkId);
    if (!check) throw new VantageError('PROBE_REQUEST_INVALID', `a retest of ${event.checkId}, which this location does not run`);
    const result = await probeWithRetests({ ...check, retries: 0 }, attempt, signal);
    return { ...result, ...(instanceId !== undefined && { instance: instanceId }) };
  }

  const handle = async (event: ProbeEvent, context: Context, { signal }: { signal: AbortSignal }): Promise<ProbeHandlerResponse> => {
    const requestId = context?.awsRequestId;
    try {
      return isRetestRequest(event) ? await retestOnce(event, signal) : await cycle(event, requestId, signal);
    } catch (err) {
      write(JSON.stringify({ level: 'ERROR', message: 'probe cycle failed', requestId, location: deps.location, ...errorFields(err) }));
      throw err;
    }
  };

  return middy<ProbeEvent, ProbeHandlerResponse>({
    timeoutEarlyInMillis: deps.stopBeforeDeadlineMs ?? 5_000,
    timeoutEarlyResponse: () => new Promise<never>(() => {}),
  }).handler(handle);
}

/**
 * The evaluator handler, built from injected dependencies: `createEvaluatorHandler(deps)` returns the
 * middy-wrapped Lambda handler. ./handler.ts builds the deployed one from the environment; tests and
 * the local pipeline build their own.
 *
 * One function, two triggers: the results table's stream (answered with a partial batch response, so
 * the event source mapping enables `ReportBatchItemFailures`, cdk/constructs/evaluator.ts) and the
 * EventBridge schedule that runs the sweep (./sweep.ts), answered with the sweep's summary.
 */
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import type { Check } from '../../config/schema.ts';
import { processBatch } from './process-batch.ts';
import { isSweepEvent, runSweep, type SweepDeps, type SweepSummary } from './sweep.ts';

export type EvaluatorDeps = SweepDeps;

export type EvaluatorEvent = DynamoDBStreamEvent | ScheduledEvent;
export type EvaluatorResponse = DynamoDBBatchResponse | SweepSummary;

/**
 * Time kept back at the end of an invocation: a check started later might not finish, so it is left
 * for the retry instead. One check costs a few DynamoDB calls and a publish per notification, each
 * bounded by the clients' request timeouts.
 */
export const STOP_MARGIN_MS = 10_000;

export function checksById(checks: readonly Check[]): ReadonlyMap<string, Check> {
  return new Map(checks.map((c) => [c.id, c]));
}

/**
 * Not middy's own signal: that one fires only `timeoutEarlyInMillis` before the deadline, and middy
 * then answers for the handler, which would fail the whole batch instead of the checks not done.
 */
function deadlineSignal(context: Partial<Context> | undefined): AbortSignal | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined) return undefined;
  const left = remaining - STOP_MARGIN_MS;
  return left > 0 ? AbortSignal.timeout(left) : AbortSignal.abort();
}

/**
 * The sweep decides at the evaluator's clock, not at the event's `time`: EventBridge may deliver a
 * scheduled event late or twice, and a late sweep must still decide at the instant it runs.
 */
export function createEvaluatorHandler(deps: EvaluatorDeps) {
  function handle(event: ScheduledEvent, context: Context): Promise<SweepSummary>;
  function handle(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse>;
  function handle(event: EvaluatorEvent, context: Context): Promise<EvaluatorResponse>;
  function handle(event: EvaluatorEvent, context: Context): Promise<EvaluatorResponse> {
    return wrapped(event, context);
  }
  const wrapped = middy<EvaluatorEvent, EvaluatorResponse>().handler((event, context) => (isSweepEvent(event)
    ? runSweep(deps, deps.clock(), deadlineSignal(context))
    : processBatch(event, deps, deadlineSignal(context))));
  return handle;
}

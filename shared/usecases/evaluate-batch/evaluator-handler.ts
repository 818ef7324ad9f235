/**
 * The evaluator handler, built from injected dependencies: `createEvaluatorHandler(deps)` returns the
 * middy-wrapped Lambda handler. ./handler.ts builds the deployed one from the environment; tests and
 * the local pipeline build their own.
 *
 * It answers with a partial batch response, so the event source mapping enables
 * `ReportBatchItemFailures` (cdk/constructs/evaluator.ts).
 */
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Check } from '../../config/schema.ts';
import { processBatch, type BatchDeps } from './process-batch.ts';

export type EvaluatorDeps = BatchDeps;

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

export function createEvaluatorHandler(deps: EvaluatorDeps) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler((event, context) => processBatch(event, deps, deadlineSignal(context)));
}

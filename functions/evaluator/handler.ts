/**
 * The evaluator: triggered by the table's stream (NEW_IMAGE, filtered to result inserts), it turns
 * results into state changes and alerts. Thin: the work is in process-batch.ts and process-check.ts.
 *
 * It answers with a partial batch response, so the event source mapping must enable
 * `ReportBatchItemFailures` (with bounded retries and an on-failure destination).
 */
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { DEFINITIONS_FILE, loadDefinitionsFile } from '../../shared/config/definitions.ts';
import type { Check } from '../../shared/config/schema.ts';
import { ConfigError } from '../../shared/errors.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { jsonLogger } from './logger.ts';
import { processBatch, type BatchDeps } from './process-batch.ts';

export type EvaluatorDeps = BatchDeps;

/**
 * Time kept back at the end of an invocation: a check started later might not finish, so it is left
 * for the retry instead. One check costs a few DynamoDB calls and a publish per notification.
 */
export const STOP_MARGIN_MS = 10_000;

export function checksById(checks: readonly Check[]): ReadonlyMap<string, Check> {
  return new Map(checks.map((c) => [c.id, c]));
}

function deadlineSignal(context: Partial<Context> | undefined): AbortSignal | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined) return undefined;
  const left = remaining - STOP_MARGIN_MS;
  return left > 0 ? AbortSignal.timeout(left) : AbortSignal.abort();
}

export function createEvaluatorHandler(deps: EvaluatorDeps) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler((event, context) => processBatch(event, deps, deadlineSignal(context)));
}

const EvaluatorEnv = z.object({
  TABLE_NAME: z.string().min(1),
  TOPIC_ARN: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'expected an SNS topic ARN'),
  /** @default definitions.json next to the bundle */
  DEFINITIONS_PATH: z.string().min(1).optional(),
});

/** The deployed function's dependencies, from its environment and its bundled definitions. */
export function depsFromEnvironment(env: NodeJS.ProcessEnv): EvaluatorDeps {
  const parsed = EvaluatorEnv.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })), 'evaluator environment');
  }
  const { TABLE_NAME, TOPIC_ARN, DEFINITIONS_PATH } = parsed.data;
  const definitions = loadDefinitionsFile(DEFINITIONS_PATH ?? fileURLToPath(new URL(`./${DEFINITIONS_FILE}`, import.meta.url)));
  return {
    store: createStore({ client: new DynamoDBClient({}), tableName: TABLE_NAME }),
    publisher: snsPublisher(new SNSClient({}), TOPIC_ARN),
    checks: checksById(definitions.checks),
    channels: definitions.channels,
    clock: Date.now,
    logger: jsonLogger(),
  };
}

let deployed: ReturnType<typeof createEvaluatorHandler> | undefined;

/**
 * Built on the first invocation and kept for the container's life, so clients are created once. It is
 * not built at import, so tests can import this module without a Lambda environment.
 */
export const handler = (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  deployed ??= createEvaluatorHandler(depsFromEnvironment(process.env));
  return deployed(event, context);
};

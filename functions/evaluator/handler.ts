/**
 * The deployed evaluator, triggered by the results table's stream (NEW_IMAGE, filtered to result
 * inserts), and by an EventBridge schedule once a minute for the sweep (silence, reminders, silent
 * instances, private and agent). It turns results and the passing of time into state, incidents and alerts; see
 * shared/usecases/evaluate-batch/.
 *
 * Built once per container, on the first invocation: the environment is validated (./env.ts:
 * TABLE_NAME, TOPIC_ARN, optional OPS_TOPIC_ARN, QUEUE_URL, DEFINITIONS_PATH, STATUS_PAGE_BUCKET and STATUS_PAGE_TITLE), the bundled definitions are read, and the AWS
 * clients are created. Not at import, because tests, the local pipeline and bench/evaluator.ts import
 * `createEvaluatorHandler` from here without a Lambda environment. A misconfigured function still fails
 * every batch with every problem named, and the failed batches reach the dead-letter queue and its alarm.
 * Definitions come from `definitions.json` next to this bundle, which the CDK app writes with
 * `toDefinitions(config)`: every check, the channels and the maintenance windows.
 *
 * The logic is in ./evaluator-handler.ts (`createEvaluatorHandler`), which tests build with their own parts.
 */
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { alertPublisher } from '../../shared/alert/alert-publisher.ts';
import { deliveryQueue } from '../../shared/alert/delivery-queue.ts';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { DEFINITIONS_FILE, loadDefinitionsFile } from '../../shared/config/definitions-file.ts';
import { createAgentStore } from '../../shared/store/agents.ts';
import { createStore, opsMarksOf } from '../../shared/store/dynamo.ts';
import { createRollupStore } from '../../shared/store/rollups.ts';
import { parseEvaluatorEnv } from './env.ts';
import { statusPageDeps } from './status-page.ts';
import { checksById, createEvaluatorHandler, type EvaluatorDeps, type EvaluatorEvent, type EvaluatorResponse } from '../../shared/usecases/evaluate-batch/evaluator-handler.ts';
import { jsonLogger } from '../../shared/logging/logger.ts';

export { checksById, createEvaluatorHandler, STOP_MARGIN_MS, type EvaluatorDeps } from '../../shared/usecases/evaluate-batch/evaluator-handler.ts';

/** Bounded requests: the SDK waits forever by default, and one hung call must not use up the invocation. */
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 5_000 };

export function depsFromEnvironment(environment: Record<string, string | undefined>): EvaluatorDeps {
  const env = parseEvaluatorEnv(environment);
  const definitions = loadDefinitionsFile(env.DEFINITIONS_PATH ?? fileURLToPath(new URL(`./${DEFINITIONS_FILE}`, import.meta.url)));
  const dynamo = new DynamoDBClient({ requestHandler });
  const sns = new SNSClient({ requestHandler });
  const store = createStore({ client: dynamo, tableName: env.TABLE_NAME });
  const rollups = createRollupStore(dynamo, env.TABLE_NAME);
  const logger = jsonLogger();
  return {
    store,
    // With the notifier's queue: every webhook, chat and PagerDuty delivery is enqueued first, then email goes by SNS.
    publisher: env.QUEUE_URL === undefined
      ? snsPublisher(sns, env.TOPIC_ARN)
      : alertPublisher({ sns: snsPublisher(sns, env.TOPIC_ARN), queue: deliveryQueue(new SQSClient({ requestHandler }), env.QUEUE_URL, definitions.channels) }),
    checks: checksById(definitions.checks),
    channels: definitions.channels,
    // Definitions written before maintenance windows existed have none.
    maintenance: definitions.maintenance ?? [],
    clock: Date.now,
    logger,
    // The sweep accounts every check's minutes into the SLO rollups and reads burn rates from them.
    rollups,
    // With STATUS_PAGE_BUCKET: the sweep rewrites the status page from the same rollups.
    ...statusPageDeps(env, { store, rollups, checks: definitions.checks, logger }),
    ...(env.OPS_TOPIC_ARN !== undefined && { opsPublisher: snsPublisher(sns, env.OPS_TOPIC_ARN), opsMarks: opsMarksOf(store) }),
    ...(definitions.instances !== undefined && { instances: definitions.instances }),
    // Agent instances are found by their beats in the same table (one Query per agent location a sweep).
    ...(definitions.agents !== undefined && Object.keys(definitions.agents).length > 0 && {
      agents: definitions.agents, agentBeats: createAgentStore({ client: dynamo, tableName: env.TABLE_NAME }),
    }),
  };
}

let deployed: ReturnType<typeof createEvaluatorHandler> | undefined;

export async function handler(event: EvaluatorEvent, context: Context): Promise<EvaluatorResponse> {
  deployed ??= createEvaluatorHandler(depsFromEnvironment(process.env));
  return deployed(event, context);
}

/**
 * The deployed notifier, triggered by the FIFO delivery queue (batch size 1, ReportBatchItemFailures).
 * It delivers each record to its webhook, Slack, Teams or PagerDuty target with retries and backoff,
 * hands what cannot be delivered to the dead-letter queue, and raises CHANNEL_FAILING; see
 * shared/usecases/notify/.
 *
 * Built once per container, on the first invocation: the environment is validated (./env.ts), the
 * bundled definitions (the evaluator's `definitions.json`, channels included) are read, and the AWS
 * clients are created. Not at import, so tests can import this module without a Lambda environment.
 * Secrets come from Secrets Manager or SSM at run time, cached per container (shared/aws/secrets.ts);
 * `${env:}` is never read here, since a deployed config refuses it and the function's environment is
 * not the config's to read.
 */
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliveryQueue } from '../../shared/alert/delivery-queue.ts';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { createSecretResolver, perRegion } from '../../shared/aws/secrets.ts';
import { DEFINITIONS_FILE, loadDefinitionsFile } from '../../shared/config/definitions-file.ts';
import { jsonLogger } from '../../shared/logging/logger.ts';
import { deliveryLedger } from '../../shared/store/deliveries.ts';
import { createNotifierHandler, type NotifierDeps } from '../../shared/usecases/notify/notifier-handler.ts';
import { channelSecretResolver } from '../../shared/usecases/notify/secrets.ts';
import { parseNotifierEnv, retryOf } from './env.ts';

export { createNotifierHandler, type NotifierDeps } from '../../shared/usecases/notify/notifier-handler.ts';

/** Bounded requests: the SDK waits forever by default, and one hung call must not use up the invocation. */
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 5_000 };

export function depsFromEnvironment(environment: Record<string, string | undefined>): NotifierDeps {
  const env = parseNotifierEnv(environment);
  const definitions = loadDefinitionsFile(env.DEFINITIONS_PATH ?? fileURLToPath(new URL(`./${DEFINITIONS_FILE}`, import.meta.url)));
  const sqs = new SQSClient({ requestHandler });
  const sns = new SNSClient({ requestHandler });
  const dynamo = new DynamoDBClient({ requestHandler });
  const aws = createSecretResolver({
    secretsManager: perRegion((region) => new SecretsManagerClient({ ...(region && { region }), requestHandler })),
    ssm: perRegion((region) => new SSMClient({ ...(region && { region }), requestHandler })),
  });
  return {
    sqs,
    queueUrl: env.QUEUE_URL,
    deadLetterUrl: env.DEAD_LETTER_URL,
    channels: definitions.channels,
    ledger: deliveryLedger(dynamo, env.TABLE_NAME),
    resolveSecret: channelSecretResolver({ env: {}, aws }),
    queue: deliveryQueue(sqs, env.QUEUE_URL, definitions.channels),
    alerts: snsPublisher(sns, env.TOPIC_ARN),
    ...(env.OPS_TOPIC_ARN !== undefined && { ops: snsPublisher(sns, env.OPS_TOPIC_ARN) }),
    ...(env.DASHBOARD_URL !== undefined && { links: { dashboard: env.DASHBOARD_URL } }),
    clock: Date.now,
    logger: jsonLogger(),
    retry: retryOf(env),
  };
}

let deployed: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;

export const handler = middy<SQSEvent, SQSBatchResponse>().handler((event) => {
  deployed ??= createNotifierHandler(depsFromEnvironment(process.env));
  return deployed(event);
});

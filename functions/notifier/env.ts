/**
 * The notifier function's environment, validated once at cold start. The CDK app sets these
 * (cdk/constructs/notifier.ts); a missing or malformed one fails the init with every problem named.
 */
import { EnvironmentError, matching, nonEmpty, optional, readEnv, required, wholeNumber, type EnvOf } from '../../shared/config/env-vars.ts';
import type { NotifierRetry } from '../../shared/usecases/notify/notifier-handler.ts';
import { SQS_QUEUE_URL } from '../evaluator/env.ts';

const TOPIC_ARN = matching(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]{1,256}$/, 'expected an SNS topic ARN');

const NOTIFIER_ENV = {
  /** The FIFO delivery queue this function is triggered by (ChangeMessageVisibility for backoff, CHANNEL_FAILING). */
  QUEUE_URL: required(SQS_QUEUE_URL),
  /** Its dead-letter queue, where the notifier itself hands deliveries that cannot or will not succeed. */
  DEAD_LETTER_URL: required(SQS_QUEUE_URL),
  /** The results table, which holds the delivery ledger (`CHANNEL#` items). */
  TABLE_NAME: required(matching(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name')),
  /** The alert topic: CHANNEL_FAILING by email. */
  TOPIC_ARN: required(TOPIC_ARN),
  /** @default none: CHANNEL_FAILING goes to the channels only */
  OPS_TOPIC_ARN: optional(TOPIC_ARN),
  /** Linked from chat messages and PagerDuty. @default none */
  DASHBOARD_URL: optional(matching(/^https?:\/\/\S+$/, 'expected an http(s) URL')),
  /** @default `definitions.json` next to the handler bundle, where the CDK app puts it */
  DEFINITIONS_PATH: optional(nonEmpty),
  /** @default AWS_NOTIFIER_RETRY.baseDelayMs (10 s) */
  NOTIFY_BASE_DELAY_MS: optional(wholeNumber(1_000, 3_600_000)),
  /** At most SQS's 12-hour visibility limit. @default AWS_NOTIFIER_RETRY.maxDelayMs (5 minutes) */
  NOTIFY_MAX_DELAY_MS: optional(wholeNumber(1_000, 43_200_000)),
  /** @default AWS_NOTIFIER_RETRY.maxAttempts (10) */
  NOTIFY_MAX_ATTEMPTS: optional(wholeNumber(1, 100)),
  /** @default AWS_NOTIFIER_RETRY.attemptTimeoutMs (10 s) */
  NOTIFY_ATTEMPT_TIMEOUT_MS: optional(wholeNumber(100, 60_000)),
};

export type NotifierEnv = EnvOf<typeof NOTIFIER_ENV>;

/** Values are never echoed in the error: only which variable is wrong and why. */
export function parseNotifierEnv(env: Record<string, string | undefined>): NotifierEnv {
  const parsed = readEnv(env, NOTIFIER_ENV);
  if (parsed.issues.length > 0) throw new EnvironmentError('notifier', parsed.issues);
  return parsed.env;
}

/** The retry numbers the environment overrides; the rest are the AWS defaults. */
export function retryOf(env: NotifierEnv): Partial<NotifierRetry> {
  return {
    ...(env.NOTIFY_BASE_DELAY_MS !== undefined && { baseDelayMs: env.NOTIFY_BASE_DELAY_MS }),
    ...(env.NOTIFY_MAX_DELAY_MS !== undefined && { maxDelayMs: env.NOTIFY_MAX_DELAY_MS }),
    ...(env.NOTIFY_MAX_ATTEMPTS !== undefined && { maxAttempts: env.NOTIFY_MAX_ATTEMPTS }),
    ...(env.NOTIFY_ATTEMPT_TIMEOUT_MS !== undefined && { attemptTimeoutMs: env.NOTIFY_ATTEMPT_TIMEOUT_MS }),
  };
}

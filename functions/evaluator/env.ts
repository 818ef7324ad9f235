/**
 * The evaluator function's environment, validated once at cold start. The CDK app sets these
 * (ResultsTable.bindEvaluator: TABLE_NAME, AlertTopic.bindPublisher: TOPIC_ARN, and OPS_TOPIC_ARN for the sweep's
 * INSTANCE_SILENT; the notifier's QUEUE_URL when the config has channels beyond email; StatusPage.bindPublisher:
 * STATUS_PAGE_BUCKET and STATUS_PAGE_TITLE with deployment.statusPage).
 */
import { EnvironmentError, matching, nonEmpty, optional, readEnv, required, type EnvOf } from '../../shared/config/env-vars.ts';

/** An SQS queue URL as CloudFormation gives it (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export const SQS_QUEUE_URL = matching(/^https:\/\/[a-z0-9.-]+\/\d{12}\/[A-Za-z0-9_-]{1,75}(\.fifo)?$/, 'expected an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)');

const EVALUATOR_ENV = {
  /** The results table (the function runs in its region, the home region). */
  TABLE_NAME: required(matching(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name')),
  /** The alert topic. */
  TOPIC_ARN: required(matching(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]{1,256}$/, 'expected an SNS topic ARN')),
  /** The ops topic (AlertTopic's ops sibling): INSTANCE_SILENT from the sweep. @default none: instances are not watched */
  OPS_TOPIC_ARN: optional(matching(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]{1,256}$/, 'expected an SNS topic ARN')),
  /** @default `definitions.json` next to the handler bundle, where the CDK app puts it */
  DEFINITIONS_PATH: optional(nonEmpty),
  /** The notifier's FIFO delivery queue: webhooks, Slack, Teams, PagerDuty. @default none: SNS (email) only */
  QUEUE_URL: optional(SQS_QUEUE_URL),
  /** The status page bucket (deployment.statusPage, ./status-page.ts). @default none: no page is written */
  STATUS_PAGE_BUCKET: optional(matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')),
  /** The status page's title. @default the page's own */
  STATUS_PAGE_TITLE: optional(nonEmpty),
};

export type EvaluatorEnv = EnvOf<typeof EVALUATOR_ENV>;

/** Values are never echoed in the error: only which variable is wrong and why. */
export function parseEvaluatorEnv(env: Record<string, string | undefined>): EvaluatorEnv {
  const parsed = readEnv(env, EVALUATOR_ENV);
  if (parsed.issues.length > 0) throw new EnvironmentError('evaluator', parsed.issues);
  return parsed.env;
}

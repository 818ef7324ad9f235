/**
 * The notifier: a FIFO delivery queue the evaluator writes one message to per (channel, non-email
 * target), the function that delivers each message to its webhook, Slack, Teams or PagerDuty with
 * retries and backoff (functions/notifier), and the FIFO dead-letter queue where a delivery that
 * cannot succeed ends, with an alarm on it. Email stays on the alert topic's subscriptions.
 *
 * Why FIFO: a message group is delivered in order and waits while its head is retried, so a RESOLVED
 * never overtakes its DOWN (shared/alert/delivery.ts). Why not SNS → SQS: a standard topic cannot
 * deliver to a FIFO queue, and a FIFO topic cannot deliver email.
 * https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ChannelConfig } from '../../shared/config/schema.ts';
import { VantageError } from '../../shared/errors.ts';
import { channelPk } from '../../shared/store/deliveries.ts';
import { AWS_NOTIFIER_RETRY, type NotifierRetry } from '../../shared/usecases/notify/notifier-handler.ts';
import type { KmsGrant, SecretGrant } from '../secret-refs.ts';
import type { AlertTopic } from './alert-topic.ts';
import type { OpsTopic } from './ops-topic.ts';
import type { ResultsTable } from './results-table.ts';
import { grantSecretReads } from './secret-reads.ts';
import { VantageFunction, type LambdaSettings } from './vantage-function.ts';

/**
 * The longest a message can stay in the queue before it is delivered or dead-lettered by design: every
 * wait between attempts at maxDelayMs (a Retry-After may ask for that much from the first retry on),
 * plus every attempt at the function's timeout. Older than this, the notifier is not working through
 * its group (crashing, throttled, or its mapping is off) and the group behind it is blocked.
 */
export function longestDwell(retry: NotifierRetry, functionTimeout: Duration): Duration {
  return Duration.seconds(Math.ceil(((retry.maxAttempts - 1) * retry.maxDelayMs) / 1000) + retry.maxAttempts * functionTimeout.toSeconds());
}

/**
 * Lambda's advice for an SQS event source: a visibility timeout of at least six times the function's
 * timeout, so a throttled or retried invocation does not make the message visible again mid-delivery.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
const VISIBILITY_PER_TIMEOUT = 6;

/** The notifier's ledger and health items (shared/store/deliveries.ts): every channel's partition. */
const CHANNEL_ITEMS = channelPk('*');

export interface NotifierProps {
  /** A plain string (../names.ts), so the CLI and `vantage dev` find the queue by name. */
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly table: ResultsTable;
  /** Where CHANNEL_FAILING goes by email (TOPIC_ARN). */
  readonly alerts: AlertTopic;
  /** Where CHANNEL_FAILING goes to the operators (OPS_TOPIC_ARN), and where the alarms go. */
  readonly ops: OpsTopic;
  /** The channels, to refuse a plain-http target when the construct is used on its own. */
  readonly channels: Readonly<Record<string, ChannelConfig>>;
  /** Files bundled with the function: the evaluator's definitions (checks and channels). */
  readonly bundledFiles: Record<string, string>;
  /** Exactly the secrets the channels name (../secret-refs.ts channelSecretGrants). @default none */
  readonly secrets?: readonly SecretGrant[];
  /** @default none */
  readonly kmsGrants?: readonly KmsGrant[];
  /** The dashboard's console URL, linked from notifications (DASHBOARD_URL). @default no link */
  readonly dashboardUrl?: string;
  /** Passed to the function as NOTIFY_*, so its retries and the redrive policy agree. @default AWS_NOTIFIER_RETRY */
  readonly retry?: Partial<NotifierRetry>;
  /**
   * One delivery: resolving the target's secrets, up to two requests (PagerDuty's test is a trigger
   * and a resolve) of attemptTimeoutMs each, the ledger, and a CHANNEL_FAILING fan-out.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** The handler module, relative to the repository root. @default 'functions/notifier/handler.ts' */
  readonly entry?: string;
  /** @default nodejs24.x on arm64 */
  readonly lambda?: LambdaSettings;
}

export class Notifier extends Construct {
  readonly fn: VantageFunction;
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly retry: NotifierRetry;
  /** Something reached the dead-letter queue: a delivery that was given up on. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** A message waited longer than the retries allow: a group is blocked. */
  readonly oldestMessageAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: NotifierProps) {
    super(scope, id);
    refusePlainHttp(props.channels);
    this.retry = { ...AWS_NOTIFIER_RETRY, ...props.retry };
    const timeout = props.timeout ?? Duration.minutes(1);

    ({ queue: this.queue, deadLetters: this.deadLetters } = deliveryQueues(this, props, timeout, this.retry.maxAttempts));

    this.fn = new VantageFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/notifier/handler.ts',
      description: 'Vantage notifier: delivers alerts to webhooks, Slack, Teams and PagerDuty, in order',
      memorySize: 256,
      timeout,
      bundledFiles: props.bundledFiles,
      environment: {
        QUEUE_URL: this.queue.queueUrl,
        DEAD_LETTER_URL: this.deadLetters.queueUrl,
        TABLE_NAME: props.table.table.tableName,
        NOTIFY_BASE_DELAY_MS: String(this.retry.baseDelayMs),
        NOTIFY_MAX_DELAY_MS: String(this.retry.maxDelayMs),
        NOTIFY_MAX_ATTEMPTS: String(this.retry.maxAttempts),
        NOTIFY_ATTEMPT_TIMEOUT_MS: String(this.retry.attemptTimeoutMs),
        ...(props.dashboardUrl !== undefined && { DASHBOARD_URL: props.dashboardUrl }),
      },
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      ...(props.lambda && { lambda: props.lambda }),
    });

    this.grantQueues();
    this.grantLedger(props.table);
    props.alerts.bindPublisher(this.fn);
    props.ops.bindPublisher(this.fn);
    grantSecretReads(this.fn, { secrets: props.secrets ?? [], kmsGrants: props.kmsGrants ?? [], owner: 'Channel' });

    // One record per invocation: a FIFO group is in order only if its head is settled before the next.
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-batchfailurereporting.html
    this.fn.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));

    ({ deadLetters: this.deadLetterAlarm, oldestMessage: this.oldestMessageAlarm } = deliveryAlarms(this, props.ops, this.queue, this.deadLetters, longestDwell(this.retry, timeout)));
  }

  /**
   * Lets a function enqueue deliveries (sqs:SendMessage, which SendMessageBatch needs too) and tells it
   * where (QUEUE_URL). The evaluator is the producer.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
   */
  bindProducer(fn: VantageFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'EnqueueDeliveries', actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
    fn.function.addEnvironment('QUEUE_URL', this.queue.queueUrl);
  }

  /**
   * Receiving, deleting and delaying (ChangeMessageVisibility, the backoff) are granted by the event
   * source. Sending: CHANNEL_FAILING back into the queue, and a given-up delivery into the DLQ.
   */
  private grantQueues(): void {
    this.fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'SendDeliveries',
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn, this.deadLetters.queueArn],
    }));
  }

  /**
   * The delivery ledger and each target's health, and nothing else of the table: every request's
   * partition keys must be a channel's. Query: the ledger's `list` of a channel's deliveries.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
   */
  private grantLedger(table: ResultsTable): void {
    this.fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'DeliveryLedger',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resources: [table.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [CHANNEL_ITEMS] } },
    }));
  }
}

/**
 * The deploy-only rules (shared/config/deploy-only.ts) refuse http:// targets in `vantage validate` and
 * before synth builds anything; this holds for the construct used on its own.
 */
function refusePlainHttp(channels: Readonly<Record<string, ChannelConfig>>): void {
  for (const [name, channel] of Object.entries(channels)) {
    const urls: Array<[string, string | undefined]> = [
      ...channel.webhook.map((w, i): [string, string] => [`webhook[${i}].url`, w.url]),
      ['slack.url', channel.slack?.url],
      ['teams.url', channel.teams?.url],
      ['pagerduty.url', channel.pagerduty?.url],
    ];
    for (const [path, url] of urls) {
      if (url !== undefined && !url.startsWith('https://')) throw new VantageError('CONFIG_INVALID', `channels.${name}.${path}: a deployed target must be https://`);
    }
  }
}

function deliveryQueues(scope: Construct, props: NotifierProps, timeout: Duration, maxAttempts: number): { queue: sqs.Queue; deadLetters: sqs.Queue } {
  const deadLetters = new sqs.Queue(scope, 'DeadLetters', {
    queueName: props.deadLetterQueueName,
    // A FIFO queue's dead-letter queue must be FIFO too.
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
    fifo: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    queueName: props.queueName,
    fifo: true,
    // Every message carries its own MessageDeduplicationId (shared/alert/delivery.ts deduplicationIdOf).
    contentBasedDeduplication: false,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_PER_TIMEOUT),
    // The handler dead-letters a delivery itself after maxAttempts (with the reason); the redrive is
    // the safety net for invocations that crash or time out, a little later so it never races it.
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: maxAttempts + 2 },
  });
  return { queue, deadLetters };
}

function deliveryAlarms(scope: Construct, ops: OpsTopic, queue: sqs.Queue, deadLetters: sqs.Queue, longestDwell: Duration): { deadLetters: cloudwatch.Alarm; oldestMessage: cloudwatch.Alarm } {
  const minute = Duration.minutes(1);
  const dead = ops.notify(new cloudwatch.Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription: 'A Vantage delivery to a webhook, Slack, Teams or PagerDuty was given up on and is in the dead-letter queue (its reason and error are message attributes). Fix the channel, then redrive the queue.',
    metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  }));
  // A FIFO queue keeps a failing message at the head of its group, so the oldest message's age shows
  // a group that is not moving. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
  const oldest = ops.notify(new cloudwatch.Alarm(scope, 'OldestMessageAlarm', {
    alarmDescription: 'A Vantage delivery has waited longer than its retries allow: the notifier is not working through the queue, and the notifications behind it in their group are held.',
    metric: queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
    threshold: longestDwell.toSeconds(),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  }));
  return { deadLetters: dead, oldestMessage: oldest };
}

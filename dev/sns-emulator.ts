/**
 * A local SNS topic with an SQS queue subscribed to it, served in-process by fauxqs on loopback.
 * Tests and the local pipeline (`vantage dev`) publish alerts here exactly as they would to AWS.
 *
 * What fauxqs 2.4 really delivers to a subscribed queue (checked against its dist and by the tests in
 * test/alert/sns-emulator.test.ts), and where that differs from AWS:
 * - The SQS body is the SNS notification envelope (`Type`, `MessageId`, `TopicArn`, `Subject`,
 *   `Message`, `Timestamp`, `MessageAttributes: {name: {Type, Value}}`), as on AWS; the SQS message
 *   itself carries no message attributes. With `RawMessageDelivery` the body is the bare message and
 *   the attributes move to the SQS message, as on AWS.
 * - `MessageStructure: 'json'` is not understood: `Message` is the whole JSON document we published
 *   (`{"default": ..., "email": ..., "sqs": ...}`), where AWS would deliver only its `sqs` value.
 *   {@link decodeDelivery} therefore picks the `sqs` value out itself when it finds such a document.
 * - Filter policies on `String` attributes behave as on AWS. A `String.Array` attribute is compared
 *   as its JSON text, so `{"channels": ["ops"]}` never matches `["ops","web"]`; AWS matches when any
 *   element does. Filter on `event` or `checkId` locally; `channels` filtering needs real SNS.
 * - Only SQS subscriptions are delivered; HTTP(S), email and Lambda endpoints are accepted and ignored.
 *
 * fauxqs's own `startFauxqs` listens on 0.0.0.0; `buildApp` lets us bind 127.0.0.1 only.
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { deadLetterQueueName, deliveryQueueName } from '../shared/alert/delivery.ts';
import { VantageError } from '../shared/errors.ts';

/** fauxqs accepts any credentials; these only keep the SDK from looking for real ones. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface QueueSubscription {
  /** @default 'alerts-inbox' for the first queue */
  queueName?: string;
  /** An SNS filter policy on message attributes (see the String.Array caveat above). */
  filterPolicy?: Record<string, unknown>;
  /** @default false: the queue receives the SNS envelope */
  rawMessageDelivery?: boolean;
}

export interface SnsEmulatorOptions extends QueueSubscription {
  /** @default 'vantage-alerts' */
  topicName?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** @default 0 (a free port) */
  port?: number;
}

export interface SubscribedQueue {
  queueUrl: string;
  queueArn: string;
  subscriptionArn: string;
}

export interface SnsEmulator extends SubscribedQueue {
  /** `http://127.0.0.1:<port>`, for SNS and SQS clients alike. */
  endpoint: string;
  region: string;
  topicArn: string;
  sns: SNSClient;
  sqs: SQSClient;
  /** Subscribes one more queue to the topic (e.g. one per filter policy). */
  subscribeQueue(sub: QueueSubscription & { queueName: string }): Promise<SubscribedQueue>;
  stop(): Promise<void>;
}

export function localClientConfig(endpoint: string, region: string) {
  return { endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
}

export async function startSnsEmulator(opts: SnsEmulatorOptions = {}): Promise<SnsEmulator> {
  const region = opts.region ?? 'us-east-1';
  const app = buildApp({ logger: false, defaultRegion: region });
  const endpoint = await app.listen({ port: opts.port ?? 0, host: '127.0.0.1' });
  const sns = new SNSClient(localClientConfig(endpoint, region));
  // Queue URLs name `sqs.<region>.localhost`; sending to the endpoint keeps every request on 127.0.0.1.
  const sqs = new SQSClient({ ...localClientConfig(endpoint, region), useQueueUrlAsEndpoint: false });
  const stop = async () => {
    sns.destroy();
    sqs.destroy();
    await app.close();
  };
  try {
    const topic = await sns.send(new CreateTopicCommand({ Name: opts.topicName ?? 'vantage-alerts' }));
    const topicArn = topic.TopicArn!;
    const subscribeQueue = async (sub: QueueSubscription & { queueName: string }): Promise<SubscribedQueue> => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: sub.queueName }));
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      const queueArn = attrs.Attributes?.QueueArn;
      if (!QueueUrl || !queueArn) throw new VantageError('SNS_EMULATOR_FAILED', `fauxqs did not create queue ${sub.queueName}`);
      const attributes: Record<string, string> = {};
      if (sub.filterPolicy) attributes.FilterPolicy = JSON.stringify(sub.filterPolicy);
      if (sub.rawMessageDelivery) attributes.RawMessageDelivery = 'true';
      const subscription = await sns.send(new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        ...(Object.keys(attributes).length > 0 && { Attributes: attributes }),
      }));
      return { queueUrl: QueueUrl, queueArn, subscriptionArn: subscription.SubscriptionArn! };
    };
    const first = await subscribeQueue({ ...opts, queueName: opts.queueName ?? 'alerts-inbox' });
    return { endpoint, region, topicArn, sns, sqs, ...first, subscribeQueue, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One SNS delivery as a subscriber sees it, with fauxqs's MessageStructure gap closed. */
export interface Delivery {
  subject?: string;
  /** What an SQS subscriber reads: the `sqs` value of a MessageStructure=json message, else `Message`. */
  message: string;
  /** `Message` exactly as the queue received it. */
  rawMessage: string;
  /** `String` values as given; `String.Array` values parsed. */
  attributes: Record<string, string | string[]>;
  /** The whole SNS envelope, or undefined with raw delivery. */
  envelope?: Record<string, unknown>;
}

function attributeValue(type: string | undefined, value: string | undefined): string | string[] {
  if (type === 'String.Array' && value !== undefined) return JSON.parse(value) as string[];
  return value ?? '';
}

/** fauxqs passes MessageStructure=json through whole; AWS would have delivered only the `sqs` key. */
function sqsValueOf(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const doc = JSON.parse(message) as Record<string, unknown>;
    if (typeof doc.default === 'string' && typeof doc.sqs === 'string') return doc.sqs;
  } catch {
    // Not JSON: a plain-text message that happens to start with a brace.
  }
  return message;
}

export function decodeDelivery(msg: Message): Delivery {
  const body = msg.Body ?? '';
  const envelope = body.startsWith('{') ? (JSON.parse(body) as Record<string, unknown>) : undefined;
  if (envelope?.Type === 'Notification') {
    const raw = String(envelope.Message ?? '');
    const attrs = (envelope.MessageAttributes ?? {}) as Record<string, { Type?: string; Value?: string }>;
    return {
      ...(typeof envelope.Subject === 'string' && { subject: envelope.Subject }),
      message: sqsValueOf(raw),
      rawMessage: raw,
      attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attributeValue(v.Type, v.Value)])),
      envelope,
    };
  }
  return {
    message: sqsValueOf(body),
    rawMessage: body,
    attributes: Object.fromEntries(Object.entries(msg.MessageAttributes ?? {}).map(([k, v]) => [k, attributeValue(v.DataType, v.StringValue)])),
  };
}

/** Receives what is in the queue now (no long poll) and deletes it, so the next read sees only new deliveries. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (;;) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }));
    const messages = res.Messages ?? [];
    if (messages.length === 0) return out;
    out.push(...messages.map(decodeDelivery));
    await sqs.send(new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
    }));
  }
}

export interface DeliveryQueues {
  queueUrl: string;
  queueArn: string;
  deadLetterUrl: string;
  deadLetterArn: string;
}

async function createFifoQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: name,
    // Every sender sets MessageDeduplicationId (deduplicationIdOf): content-based ids would merge two
    // targets' identical bodies and split one delivery re-sent with a new enqueuedAt.
    Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false', ...attributes },
  }));
  const attrs = QueueUrl ? await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] })) : undefined;
  const arn = attrs?.Attributes?.QueueArn;
  if (!QueueUrl || !arn) throw new VantageError('SNS_EMULATOR_FAILED', `fauxqs did not create queue ${name}`);
  return { url: QueueUrl, arn };
}

/**
 * The notifier's FIFO delivery queue and its FIFO dead-letter queue, named as the CDK app names them.
 * The redrive policy is only the safety net for a handler that crashed or timed out: the notifier
 * dead-letters a delivery itself on its last attempt, so `maxReceiveCount` sits two receives beyond
 * `maxAttempts` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
 *
 * What fauxqs 2.4 does with them, as SQS FIFO does (test/dev/delivery-queues.test.ts): one message of a
 * group in flight at a time, the group held until it is deleted or its visibility ends; a repeated
 * MessageDeduplicationId within 5 minutes is accepted and dropped; a message received more than
 * `maxReceiveCount` times moves to the dead-letter queue on the next receive, keeping its group.
 */
export async function createDeliveryQueues(sqs: SQSClient, opts: { prefix?: string; maxAttempts: number }): Promise<DeliveryQueues> {
  const dead = await createFifoQueue(sqs, deadLetterQueueName(opts.prefix), {});
  const queue = await createFifoQueue(sqs, deliveryQueueName(opts.prefix), {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dead.arn, maxReceiveCount: opts.maxAttempts + 2 }),
  });
  return { queueUrl: queue.url, queueArn: queue.arn, deadLetterUrl: dead.url, deadLetterArn: dead.arn };
}

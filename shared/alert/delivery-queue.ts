/**
 * Writes deliveries into the notifier's FIFO queue: one DeliveryMessage per routed channel and
 * non-email target (./delivery.ts), in the order of the targets, with the group and deduplication ids
 * that keep one target's notifications about one check in order and drop a repeated enqueue.
 *
 * SendMessageBatch takes at most 10 entries and can fail some while sending others
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
 * Any failed entry or call leaves here as a {@link DeliveryEnqueueError}, so the evaluator's outbox
 * keeps the notification and sends it all again; SQS drops the entries that did go in (same
 * MessageDeduplicationId within its 5-minute window) and the notifier's ledger drops later repeats.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { ChannelConfig } from '../config/schema.ts';
import { VantageError } from '../errors.ts';
import type { ChannelFailingMessage } from './channel-failing.ts';
import { DELIVERY_VERSION, deduplicationIdOf, groupIdOf, scopeOf, targetsOf, type DeliveryMessage } from './delivery.ts';
import type { AlertMessage } from './message.ts';

/** What can be enqueued: a check's alert, or the notifier's own CHANNEL_FAILING. */
export type EnqueueableMessage = AlertMessage | ChannelFailingMessage;

export interface EnqueueOptions {
  /** A target left out: CHANNEL_FAILING never goes to the target that is failing. */
  exclude?: { channel: string; target: string };
}

export interface DeliveryQueue {
  /** Enqueues one delivery per routed channel and target; resolves with the entries sent. */
  enqueue(message: EnqueueableMessage, opts?: EnqueueOptions): Promise<number>;
  /** Sends ready-made deliveries (`vantage channels test`). */
  send(messages: readonly DeliveryMessage[]): Promise<void>;
}

/** The queue refused or never answered, in part or in whole; what went in is dropped as a duplicate on the retry. */
export class DeliveryEnqueueError extends VantageError {
  /** The SDK's error name, or the failed entries' codes (`KMS.DisabledException`, …), for logs. */
  readonly awsCode: string | undefined;
  constructor(what: string, awsCode: string | undefined, cause?: unknown) {
    super('DELIVERY_ENQUEUE_FAILED', `${what}${awsCode !== undefined ? ` (${awsCode})` : ''}`, cause !== undefined ? { cause } : undefined);
    this.awsCode = awsCode;
  }
}

/** SendMessageBatch's entry cap. */
export const SEND_BATCH_MAX = 10;

function isChannelFailing(message: EnqueueableMessage): message is ChannelFailingMessage {
  return message.payload.event === 'CHANNEL_FAILING';
}

/** The deliveries one message makes, in order: channels as routed, each channel's targets as targetsOf lists them. */
export function deliveriesOf(
  message: EnqueueableMessage,
  channels: Readonly<Record<string, ChannelConfig>>,
  enqueuedAt: number,
  opts: EnqueueOptions = {},
): DeliveryMessage[] {
  const { payload } = message;
  const out: DeliveryMessage[] = [];
  for (const name of payload.channels) {
    const config = Object.hasOwn(channels, name) ? channels[name] : undefined;
    if (config === undefined) continue;
    for (const t of targetsOf(name, config)) {
      if (opts.exclude && opts.exclude.channel === name && opts.exclude.target === t.key) continue;
      out.push({
        v: DELIVERY_VERSION,
        channel: name,
        target: t.key,
        kind: t.kind,
        event: payload.event,
        dedupeKey: payload.dedupeKey,
        incidentId: payload.incidentId,
        ...(!isChannelFailing(message) && { checkId: message.payload.checkId }),
        subject: message.subject,
        text: message.text,
        payload,
        enqueuedAt: new Date(enqueuedAt).toISOString(),
      });
    }
  }
  return out;
}

export function entryOf(message: DeliveryMessage, id: string): SendMessageBatchRequestEntry {
  return {
    Id: id,
    MessageBody: JSON.stringify(message),
    MessageGroupId: groupIdOf(message.channel, message.target, scopeOf(message)),
    MessageDeduplicationId: deduplicationIdOf(message.dedupeKey, message.channel, message.target),
  };
}

export interface DeliveryQueueOptions {
  /** @default Date.now */
  now?: () => number;
}

export function deliveryQueue(
  sqs: SQSClient,
  queueUrl: string,
  channels: Readonly<Record<string, ChannelConfig>>,
  opts: DeliveryQueueOptions = {},
): DeliveryQueue {
  const now = opts.now ?? Date.now;

  async function sendChunk(chunk: readonly DeliveryMessage[]): Promise<void> {
    let failed: Array<{ Code?: string }>;
    try {
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((m, i) => entryOf(m, String(i))) }));
      failed = out.Failed ?? [];
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      throw new DeliveryEnqueueError('enqueueing deliveries failed', typeof name === 'string' ? name : undefined, err);
    }
    if (failed.length > 0) {
      const codes = [...new Set(failed.map((f) => f.Code ?? 'unknown'))].join(', ');
      throw new DeliveryEnqueueError(`the queue refused ${failed.length} of ${chunk.length} deliveries`, codes);
    }
  }

  async function send(messages: readonly DeliveryMessage[]): Promise<void> {
    // In order, chunk by chunk: a FIFO group keeps the order in which its messages were accepted.
    for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) await sendChunk(messages.slice(i, i + SEND_BATCH_MAX));
  }

  return {
    async enqueue(message, enqueueOpts) {
      const deliveries = deliveriesOf(message, channels, now(), enqueueOpts);
      await send(deliveries);
      return deliveries.length;
    },
    send,
  };
}

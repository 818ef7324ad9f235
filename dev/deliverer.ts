/**
 * Delivers what reaches the local SNS topic to its email subscriptions, which the emulator does not
 * do (see sns-emulator.ts): each email channel a message names is printed as the email it would be
 * (subject and text), once. Every other target (webhooks, Slack, Teams, PagerDuty) is delivered by
 * the notifier from its FIFO queue (notifier-poller.ts), as in AWS, where the topic has only email
 * subscriptions.
 *
 * The topic fans out to an SQS queue; this reads it and routes by the `channels` message attribute
 * (fauxqs cannot filter on a String.Array attribute the way AWS does, so routing happens here). A
 * message is deleted once it is printed.
 */
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ChannelConfig } from '../shared/config/schema.ts';
import { decodeDelivery } from './sns-emulator.ts';
import { abortableSleep } from '../shared/sleep.ts';

export type DeliveryEvent =
  /** One SNS message; publishing is at least once, so a repeat carries the same `dedupeKey` (absent only in a message without one). */
  | { type: 'notification'; messageId: string; event: string; checkId: string; dedupeKey?: string; subject: string; channels: string[] }
  | { type: 'email'; messageId: string; channel: string; to: string[]; subject: string; text: string }
  | { type: 'undeliverable'; messageId: string; error: string }
  | { type: 'queue_error'; error: string };

export interface DelivererOptions {
  sqs: SQSClient;
  queueUrl: string;
  channels: Readonly<Record<string, ChannelConfig>>;
  onEvent: (event: DeliveryEvent) => void;
  /** Long-poll wait; also how long run() may take to return after the signal. @default 1 */
  waitTimeSeconds?: number;
}

export interface Deliverer {
  /** Delivers until the signal aborts; resolves once the current message is done. */
  run(signal: AbortSignal): Promise<void>;
}

/** The email text from the MessageStructure=json document fauxqs passes through whole. */
function emailTextOf(rawMessage: string, fallback: string): string {
  try {
    const doc = JSON.parse(rawMessage) as Record<string, unknown>;
    if (typeof doc.email === 'string') return doc.email;
    if (typeof doc.default === 'string') return doc.default;
  } catch {
    // A plain-text message: it is its own email text.
  }
  return fallback;
}

export function createDeliverer(opts: DelivererOptions): Deliverer {
  const waitTimeSeconds = opts.waitTimeSeconds ?? 1;

  async function handle(m: Message): Promise<void> {
    const messageId = m.MessageId ?? m.ReceiptHandle ?? '?';
    let delivery;
    let payload: Record<string, unknown>;
    try {
      delivery = decodeDelivery(m);
      payload = JSON.parse(delivery.message) as Record<string, unknown>;
    } catch (err) {
      // Nothing could ever deliver it; keeping it would show it again forever.
      opts.onEvent({ type: 'undeliverable', messageId, error: (err as Error).message });
      return;
    }
    const attr = delivery.attributes.channels;
    const channelNames = Array.isArray(attr) ? attr : Array.isArray(payload.channels) ? (payload.channels as string[]) : [];
    const subject = delivery.subject ?? String(payload.event ?? 'notification');
    const dedupeKey = typeof payload.dedupeKey === 'string' ? payload.dedupeKey : undefined;
    opts.onEvent({ type: 'notification', messageId, event: String(payload.event ?? '?'), checkId: String(payload.checkId ?? '?'), ...(dedupeKey !== undefined && { dedupeKey }), subject, channels: channelNames });
    const text = emailTextOf(delivery.rawMessage, delivery.message);
    for (const name of channelNames) {
      const to = (Object.hasOwn(opts.channels, name) ? opts.channels[name]?.email : undefined) ?? [];
      if (to.length > 0) opts.onEvent({ type: 'email', messageId, channel: name, to, subject, text });
    }
  }

  return {
    async run(signal) {
      while (!signal.aborted) {
        let messages: Message[];
        // Not cancelled on stop: an abandoned long poll would still take a message on the server
        // side and hide it for the visibility timeout. The poll ends within waitTimeSeconds anyway.
        try {
          const res = await opts.sqs.send(new ReceiveMessageCommand({ QueueUrl: opts.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitTimeSeconds, VisibilityTimeout: 30 }));
          messages = res.Messages ?? [];
        } catch (err) {
          if (signal.aborted) break;
          opts.onEvent({ type: 'queue_error', error: (err as Error).message });
          await abortableSleep(1_000, signal);
          continue;
        }
        for (const m of messages) {
          try {
            await handle(m);
            await opts.sqs.send(new DeleteMessageCommand({ QueueUrl: opts.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
          } catch (err) {
            // The delete failed; the message shows again after its visibility timeout.
            if (!signal.aborted) opts.onEvent({ type: 'queue_error', error: (err as Error).message });
          }
        }
      }
    },
  };
}

/**
 * Delivers what reaches the local SNS topic, standing in for SNS's own HTTP(S) and email delivery,
 * which the emulator does not do (see sns-emulator.ts). The topic fans out to an SQS queue; this reads
 * the queue and, per message, routes by the `channels` message attribute (fauxqs cannot filter on a
 * String.Array attribute the way AWS does, so routing happens here):
 * - each webhook of each channel gets an HTTP POST of the JSON payload, with the headers SNS sends on
 *   a raw-delivery HTTP(S) subscription (https://docs.aws.amazon.com/sns/latest/dg/http-header.html);
 * - each email channel is printed as the email it would be (subject and text), once.
 *
 * Nothing is dropped while the pipeline runs. A message is deleted from the queue only when every
 * webhook it names has answered 2xx. Until then it stays in the queue, hidden for a backoff that
 * doubles with each receive (the queue's visibility timeout carries the delay, so a failing webhook
 * never blocks the others), and only the webhooks that have not answered yet are tried again. Like
 * SNS, this gives at-least-once delivery with no order across messages: receivers dedupe on the
 * payload's `dedupeKey`.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Agent, request } from 'undici';
import type { ChannelConfig } from '../shared/config/schema.ts';
import { decodeDelivery } from './sns-emulator.ts';
import { abortableSleep } from '../shared/sleep.ts';

export type DeliveryEvent =
  | { type: 'notification'; messageId: string; event: string; checkId: string; subject: string; channels: string[] }
  | { type: 'email'; messageId: string; channel: string; to: string[]; subject: string; text: string }
  | { type: 'webhook_delivered'; messageId: string; channel: string; url: string; status: number; attempt: number; ms: number }
  | { type: 'webhook_failed'; messageId: string; channel: string; url: string; attempt: number; status?: number; error?: string; retryInMs: number }
  | { type: 'undeliverable'; messageId: string; error: string }
  | { type: 'queue_error'; error: string };

/** One POST; resolves with the HTTP status, rejects on a network error or timeout. */
export type PostFn = (url: string, body: string, headers: Record<string, string>, signal: AbortSignal) => Promise<number>;

export interface DelivererOptions {
  sqs: SQSClient;
  queueUrl: string;
  channels: Readonly<Record<string, ChannelConfig>>;
  onEvent: (event: DeliveryEvent) => void;
  /** @default a POST through a private undici Agent, closed when run() ends */
  post?: PostFn;
  /** First retry delay; doubles per attempt. @default 1_000 */
  baseDelayMs?: number;
  /** @default 30_000 */
  maxDelayMs?: number;
  /** Per POST. @default 5_000 */
  attemptTimeoutMs?: number;
  /** Long-poll wait; also how long run() may take to return after the signal. @default 1 */
  waitTimeSeconds?: number;
}

export interface Deliverer {
  /** Delivers until the signal aborts; resolves once the current message is done. */
  run(signal: AbortSignal): Promise<void>;
}

/** What has already gone out for a message that is still in the queue (keyed by SQS MessageId). */
interface Progress {
  announced: boolean;
  emailed: boolean;
  /** Webhook URLs (per channel) that answered 2xx. */
  delivered: Set<string>;
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

function undiciPost(agent: Agent): PostFn {
  return async (url, body, headers, signal) => {
    const res = await request(url, { method: 'POST', body, headers, signal, dispatcher: agent });
    // The body is not needed, but must be consumed so the connection can be reused or closed.
    await res.body.dump();
    return res.statusCode;
  };
}


export function createDeliverer(opts: DelivererOptions): Deliverer {
  const baseDelayMs = opts.baseDelayMs ?? 1_000;
  const maxDelayMs = opts.maxDelayMs ?? 30_000;
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 5_000;
  const waitTimeSeconds = opts.waitTimeSeconds ?? 1;
  const progress = new Map<string, Progress>();

  /** SQS visibility is in whole seconds; the delay is rounded up so a retry is never early. */
  const retryDelayMs = (receiveCount: number) => Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, receiveCount - 1));

  async function handle(m: Message, post: PostFn, signal: AbortSignal): Promise<void> {
    const messageId = m.MessageId ?? m.ReceiptHandle ?? '?';
    const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? '1');
    const done = async () => {
      await opts.sqs.send(new DeleteMessageCommand({ QueueUrl: opts.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      progress.delete(messageId);
    };

    let delivery;
    let payload: Record<string, unknown>;
    try {
      delivery = decodeDelivery(m);
      payload = JSON.parse(delivery.message) as Record<string, unknown>;
    } catch (err) {
      // Nothing could ever deliver it; keeping it would retry forever and hide real deliveries.
      opts.onEvent({ type: 'undeliverable', messageId, error: (err as Error).message });
      await done();
      return;
    }
    const p = progress.get(messageId) ?? { announced: false, emailed: false, delivered: new Set<string>() };
    progress.set(messageId, p);
    const attr = delivery.attributes.channels;
    const channelNames = Array.isArray(attr) ? attr : Array.isArray(payload.channels) ? (payload.channels as string[]) : [];
    const subject = delivery.subject ?? String(payload.event ?? 'notification');

    if (!p.announced) {
      opts.onEvent({ type: 'notification', messageId, event: String(payload.event ?? '?'), checkId: String(payload.checkId ?? '?'), subject, channels: channelNames });
      p.announced = true;
    }
    if (!p.emailed) {
      const text = emailTextOf(delivery.rawMessage, delivery.message);
      for (const name of channelNames) {
        const to = (Object.hasOwn(opts.channels, name) ? opts.channels[name]?.email : undefined) ?? [];
        if (to.length > 0) opts.onEvent({ type: 'email', messageId, channel: name, to, subject, text });
      }
      p.emailed = true;
    }

    const envelope = delivery.envelope ?? {};
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Amazon Simple Notification Service Agent',
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-message-id': String(envelope.MessageId ?? messageId),
      'x-amz-sns-topic-arn': String(envelope.TopicArn ?? ''),
      // The body is the bare payload, as on a subscription with RawMessageDelivery.
      'x-amz-sns-rawdelivery': 'true',
    };
    let failed = false;
    for (const name of channelNames) {
      for (const url of opts.channels[name]?.webhook ?? []) {
        const key = `${name} ${url}`;
        if (p.delivered.has(key)) continue;
        const t0 = performance.now();
        let status: number | undefined;
        let error: string | undefined;
        try {
          status = await post(url, delivery.message, headers, AbortSignal.any([signal, AbortSignal.timeout(attemptTimeoutMs)]));
        } catch (err) {
          // Stopping: the message stays in the queue, and nothing failed that is worth reporting.
          if (signal.aborted) return;
          error = (err as { code?: string }).code ?? (err as Error).name ?? 'error';
        }
        if (status !== undefined && status >= 200 && status < 300) {
          p.delivered.add(key);
          opts.onEvent({ type: 'webhook_delivered', messageId, channel: name, url, status, attempt: receiveCount, ms: Math.round(performance.now() - t0) });
        } else {
          failed = true;
          opts.onEvent({
            type: 'webhook_failed', messageId, channel: name, url, attempt: receiveCount, retryInMs: retryDelayMs(receiveCount),
            ...(status !== undefined && { status }), ...(error !== undefined && { error }),
          });
        }
      }
    }
    if (!failed) {
      await done();
      return;
    }
    await opts.sqs.send(new ChangeMessageVisibilityCommand({
      QueueUrl: opts.queueUrl,
      ReceiptHandle: m.ReceiptHandle!,
      VisibilityTimeout: Math.ceil(retryDelayMs(receiveCount) / 1000),
    }));
  }

  return {
    async run(signal) {
      const agent = opts.post ? undefined : new Agent({ keepAliveTimeout: 1_000 });
      const post = opts.post ?? undiciPost(agent!);
      try {
        while (!signal.aborted) {
          let messages: Message[];
          // Not cancelled on stop: an abandoned long poll would still take a message on the server
          // side and hide it for the visibility timeout. The poll ends within waitTimeSeconds anyway.
          try {
            const res = await opts.sqs.send(new ReceiveMessageCommand({
              QueueUrl: opts.queueUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: waitTimeSeconds,
              // Long enough for every webhook of a message to time out once before it shows again.
              VisibilityTimeout: 120,
              MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            }));
            messages = res.Messages ?? [];
          } catch (err) {
            if (signal.aborted) break;
            opts.onEvent({ type: 'queue_error', error: (err as Error).message });
            await abortableSleep(1_000, signal);
            continue;
          }
          for (const m of messages) {
            try {
              await handle(m, post, signal);
            } catch (err) {
              // The queue call failed; the message shows again after its visibility timeout.
              if (!signal.aborted) opts.onEvent({ type: 'queue_error', error: (err as Error).message });
            }
          }
        }
      } finally {
        await agent?.destroy();
      }
    },
  };
}

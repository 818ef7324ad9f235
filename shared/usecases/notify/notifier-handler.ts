/**
 * The notifier: one delivery per SQS record from the FIFO delivery queue (batch size 1, partial batch
 * responses), in phases: parse → ledger (already delivered? skip) → attempt (./deliver.ts) → decide:
 * - delivered: ledger `delivered`, the target's health reset.
 * - worth retrying and attempts left: the record's visibility is set to the backoff
 *   (ChangeMessageVisibility) and it is reported in `batchItemFailures`, so the event source mapping
 *   leaves it in the queue; its FIFO group waits, every other group goes on
 *   (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 * - permanent, or the last attempt: the body goes to the dead-letter queue now (SendMessage, with the
 *   reason), ledger `dead`, and the record is handled (deleted). The queue's own redrive policy
 *   (maxReceiveCount = maxAttempts + 2) only catches crashes and timeouts.
 * Every failed attempt counts against the target's health; the failure that reaches the channel's
 * `failingAfter` first in a spell sends CHANNEL_FAILING to every other target that listens, and to ops.
 *
 * The same handler runs in the Lambda (functions/notifier) and under `vantage dev`'s poller.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Links } from '../../alert/channels/render.ts';
import { DELIVERY_VERSION, groupIdOf, scopeOf, TARGET_KINDS, type DeliveryMessage } from '../../alert/delivery.ts';
import type { DeliveryQueue } from '../../alert/delivery-queue.ts';
import { DeliveryEnqueueError } from '../../alert/delivery-queue.ts';
import type { Publisher } from '../../alert/publish.ts';
import type { ChannelConfig } from '../../config/schema.ts';
import { VantageError } from '../../errors.ts';
import { errorFields, type Logger } from '../../logging/logger.ts';
import type { DeliveryLedger, DeliveryRecord } from '../../store/deliveries.ts';
import { deliverOnce, type AttemptOutcome, type PostFn } from './deliver.ts';
import type { NotifyEvent } from './events.ts';
import { announceFailing } from './failing.ts';
import { AWS_NOTIFIER_RETRY, backoffMs, type NotifierRetry } from './retry.ts';
import type { ResolveChannelSecret } from './secrets.ts';

export { AWS_NOTIFIER_RETRY, backoffMs, LOCAL_NOTIFIER_RETRY, type NotifierRetry } from './retry.ts';

export interface NotifierDeps {
  sqs: SQSClient;
  /** The delivery queue the records come from (for ChangeMessageVisibility). */
  queueUrl: string;
  deadLetterUrl: string;
  channels: Readonly<Record<string, ChannelConfig>>;
  ledger: DeliveryLedger;
  resolveSecret: ResolveChannelSecret;
  /** Where CHANNEL_FAILING goes to the other non-email targets. */
  queue: DeliveryQueue;
  /** The alert topic: CHANNEL_FAILING by email. */
  alerts: Publisher;
  /** The ops topic. @default none */
  ops?: Publisher;
  /** @default undici, see ./deliver.ts */
  post?: PostFn;
  /** ms since the epoch. */
  clock: () => number;
  /** Jitter in [0, 1). @default Math.random */
  random?: () => number;
  logger: Logger;
  onEvent?: (e: NotifyEvent) => void;
  links?: Links;
  /** @default AWS_NOTIFIER_RETRY */
  retry?: Partial<NotifierRetry>;
}

function invalid(why: string): VantageError {
  return new VantageError('DELIVERY_MESSAGE_INVALID', `not a delivery message: ${why}`);
}

/** The queue body, checked for what the notifier reads; the payload is the renderer's to read. */
export function parseDeliveryMessage(body: string): DeliveryMessage {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw invalid('not JSON');
  }
  const m = doc as Partial<DeliveryMessage> | null;
  if (m === null || typeof m !== 'object') throw invalid('not an object');
  if (m.v !== DELIVERY_VERSION) throw invalid(`version ${String(m.v)}`);
  for (const field of ['channel', 'target', 'event', 'dedupeKey', 'incidentId', 'subject', 'text', 'enqueuedAt'] as const) {
    if (typeof m[field] !== 'string') throw invalid(`no ${field}`);
  }
  if (!TARGET_KINDS.includes(m.kind as never)) throw invalid('unknown kind');
  if (m.payload === null || typeof m.payload !== 'object') throw invalid('no payload');
  return m as DeliveryMessage;
}

type Verdict = 'handled' | 'failed';

export function createNotifierHandler(deps: NotifierDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const retry: NotifierRetry = { ...AWS_NOTIFIER_RETRY, ...deps.retry };
  const random = deps.random ?? Math.random;
  const { ledger, logger } = deps;
  const emit = (e: NotifyEvent) => deps.onEvent?.(e);

  const fieldsOf = (m: DeliveryMessage) => ({ channel: m.channel, target: m.target, kind: m.kind, event: m.event, dedupeKey: m.dedupeKey, ...(m.checkId !== undefined && { checkId: m.checkId }) });

  async function deadLetter(record: SQSRecord, message: DeliveryMessage | undefined, reason: string, error: string): Promise<void> {
    const group = record.attributes.MessageGroupId ?? (message ? groupIdOf(message.channel, message.target, scopeOf(message)) : 'invalid');
    try {
      await deps.sqs.send(new SendMessageCommand({
        QueueUrl: deps.deadLetterUrl,
        MessageBody: record.body,
        MessageGroupId: group,
        // The record's own id: a retry of this hand-over is dropped, a later redrive and failure is not.
        MessageDeduplicationId: record.messageId,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: reason },
          error: { DataType: 'String', StringValue: error },
        },
      }));
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      throw new DeliveryEnqueueError('dead-lettering a delivery failed', typeof name === 'string' ? name : undefined, err);
    }
  }

  async function postpone(record: SQSRecord, delayMs: number): Promise<void> {
    await deps.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: Math.round(delayMs / 1000) }));
  }

  async function onDelivered(message: DeliveryMessage, outcome: Extract<AttemptOutcome, { result: 'delivered' }>, attempt: number): Promise<Verdict> {
    const at = deps.clock();
    await ledger.record({ ...recordBase(message, attempt, at), status: 'delivered', lastStatus: outcome.status, ms: outcome.ms });
    const before = await ledger.succeeded(message.channel, message.target, at);
    logger.info('delivered', { ...fieldsOf(message), status: outcome.status, attempt, ms: outcome.ms });
    emit({ type: 'delivered', ...fieldsOf(message), status: outcome.status, attempt, ms: outcome.ms });
    if (before?.notifiedSince !== undefined) {
      logger.info('channel recovered', { channel: message.channel, target: message.target });
      emit({ type: 'channel_recovered', channel: message.channel, target: message.target });
    }
    return 'handled';
  }

  function recordBase(message: DeliveryMessage, attempt: number, at: number): Omit<DeliveryRecord, 'status'> {
    return { channel: message.channel, target: message.target, dedupeKey: message.dedupeKey, event: message.event, ...(message.checkId !== undefined && { checkId: message.checkId }), attempts: attempt, at };
  }

  async function onFailed(record: SQSRecord, message: DeliveryMessage, outcome: Exclude<AttemptOutcome, { result: 'delivered' }>, attempt: number): Promise<Verdict> {
    const at = deps.clock();
    const known = outcome.error !== 'DELIVERY_TARGET_UNKNOWN';
    // A target the definitions no longer have has no health to keep.
    if (known) {
      const health = await ledger.failed(message.channel, message.target, at, outcome.error);
      await announceFailing({ ...deps, emit }, message, health, outcome.error);
    }
    const fields = { ...fieldsOf(message), attempt, error: outcome.error, ms: outcome.ms, ...(outcome.status !== undefined && { status: outcome.status }), ...(outcome.detail !== undefined && { response: outcome.detail }) };
    const base = { ...recordBase(message, attempt, at), lastError: outcome.error, ms: outcome.ms, ...(outcome.status !== undefined && { lastStatus: outcome.status }) };
    const permanent = outcome.result === 'permanent';
    if (permanent || attempt >= retry.maxAttempts) {
      await deadLetter(record, message, permanent ? 'permanent' : 'attempts_exhausted', outcome.error);
      await ledger.record({ ...base, status: 'dead' });
      logger.error('dead-lettered', { ...fields, permanent });
      emit({ type: 'dead_lettered', ...fieldsOf(message), attempt, error: outcome.error, permanent, ...(outcome.status !== undefined && { status: outcome.status }) });
      return 'handled';
    }
    const delay = backoffMs(attempt, retry, random, outcome.retryAfterMs);
    await postpone(record, delay);
    await ledger.record({ ...base, status: 'failed' });
    logger.warn('delivery failed', { ...fields, retryInMs: delay });
    emit({ type: 'delivery_failed', ...fieldsOf(message), attempt, error: outcome.error, retryInMs: delay, ...(outcome.status !== undefined && { status: outcome.status }) });
    return 'failed';
  }

  async function handleRecord(record: SQSRecord): Promise<Verdict> {
    const attempt = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
    let message: DeliveryMessage;
    try {
      message = parseDeliveryMessage(record.body);
    } catch (err) {
      const code = err instanceof VantageError ? err.code : 'DELIVERY_MESSAGE_INVALID';
      await deadLetter(record, undefined, 'invalid', code);
      logger.error('dead-lettered', { messageId: record.messageId, attempt, error: code, permanent: true });
      return 'handled';
    }
    const done = await ledger.get(message.channel, message.target, message.dedupeKey);
    if (done?.status === 'delivered') {
      logger.info('duplicate skipped', { channel: message.channel, target: message.target, dedupeKey: message.dedupeKey });
      emit({ type: 'duplicate_skipped', channel: message.channel, target: message.target, dedupeKey: message.dedupeKey });
      return 'handled';
    }
    const outcome = await deliverOnce(message, {
      channels: deps.channels,
      resolveSecret: deps.resolveSecret,
      clock: deps.clock,
      attemptTimeoutMs: retry.attemptTimeoutMs,
      ...(deps.post && { post: deps.post }),
      ...(deps.links && { links: deps.links }),
    }, attempt);
    return outcome.result === 'delivered' ? onDelivered(message, outcome, attempt) : onFailed(record, message, outcome, attempt);
  }

  return async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    // One at a time, in order, and nothing after a failure: a later record may be of the same FIFO
    // group and must not overtake it (the event source mapping runs with batch size 1, so this is the
    // guard for a larger one). https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
    for (const record of event.Records) {
      if (batchItemFailures.length > 0) {
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      let verdict: Verdict;
      try {
        verdict = await handleRecord(record);
      } catch (err) {
        // The ledger or the queue failed: the record comes back after its visibility timeout.
        logger.error('delivery not handled', { messageId: record.messageId, ...errorFields(err) });
        verdict = 'failed';
      }
      if (verdict === 'failed') batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures };
  };
}

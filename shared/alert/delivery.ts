/**
 * One delivery: a notification on its way to one target of one channel (a webhook URL, Slack, Teams
 * or PagerDuty), as it sits in the notifier's FIFO queue. The evaluator (and the notifier itself, for
 * CHANNEL_FAILING) writes one queue message per target; the notifier renders and posts it.
 *
 * Why one message per target, grouped by target and check: SQS FIFO delivers a message group in order
 * and holds the group while its head is being retried
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html),
 * so a RESOLVED can never overtake its DOWN on one target, and a target that keeps failing holds only
 * its own messages, never another channel's.
 *
 * Email is not here: it stays on the SNS topic's email subscriptions.
 */
import { createHash } from 'node:crypto';
import type { ChannelConfig } from '../config/schema.ts';
import type { ChannelEvent, ListenableEvent, Severity } from '../events.ts';
import type { AlertPayload } from './message.ts';

export const DELIVERY_VERSION = 1;

export const TARGET_KINDS = ['webhook', 'slack', 'teams', 'pagerduty'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** One place a channel delivers to. `key` names it without its URL or secret (logs, groups, ledger). */
export interface DeliveryTarget {
  channel: string;
  /** `webhook[0]`, `webhook[1]`, …, `slack`, `teams` or `pagerduty`. */
  key: string;
  kind: TargetKind;
}

/** Every non-email target of a channel, in a fixed order: webhooks by index, then slack, teams, pagerduty. */
export function targetsOf(channel: string, config: ChannelConfig): DeliveryTarget[] {
  const out: DeliveryTarget[] = config.webhook.map((_, i) => ({ channel, key: `webhook[${i}]`, kind: 'webhook' as const }));
  for (const kind of ['slack', 'teams', 'pagerduty'] as const) if (config[kind] !== undefined) out.push({ channel, key: kind, kind });
  return out;
}

/** CHANNEL_FAILING: a target failed `failures` delivery attempts in a row. */
export interface ChannelFailingPayload {
  schemaVersion: typeof DELIVERY_VERSION;
  event: ChannelEvent;
  severity: Severity;
  /** The failing channel and target. */
  channel: string;
  target: string;
  kind: TargetKind;
  failures: number;
  /** The first failure of this spell. */
  since: string;
  /** An error code or `HTTP <status>`; never a URL or a secret. */
  lastError: string;
  at: string;
  /** `channel:<channel>:<target>:failing:<since ISO>`: one per failing spell. */
  dedupeKey: string;
  incidentId: string;
  channels: string[];
}

/** `vantage channels test`: reaches the target whatever its `events` say. */
export interface TestPayload {
  schemaVersion: typeof DELIVERY_VERSION;
  event: 'TEST';
  severity: 'info';
  channel: string;
  target: string;
  at: string;
  dedupeKey: string;
  incidentId: string;
  /** Says plainly that this is a test and who sent it. */
  message: string;
}

export type DeliveryPayload = AlertPayload | ChannelFailingPayload | TestPayload;
export type DeliveryEventName = ListenableEvent | 'TEST';

/** The queue message body (JSON). Fields are only ever added within a version. */
export interface DeliveryMessage {
  v: typeof DELIVERY_VERSION;
  channel: string;
  target: string;
  kind: TargetKind;
  event: DeliveryEventName;
  dedupeKey: string;
  incidentId: string;
  /** The check it is about; absent for CHANNEL_FAILING and TEST. */
  checkId?: string;
  /** The alert's subject and readable text, as the email says it (the text fallback for chat). */
  subject: string;
  text: string;
  payload: DeliveryPayload;
  /** When the evaluator (or CLI) enqueued it, ISO 8601. */
  enqueuedAt: string;
}

/** SQS caps MessageGroupId and MessageDeduplicationId at 128 characters. */
const SQS_ID_MAX = 128;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The FIFO group: one target and one subject (a check id, `channel:<name>` for CHANNEL_FAILING, `test`).
 * Order is kept within it and only within it. Hashed when it would pass SQS's length cap.
 */
export function groupIdOf(channel: string, target: string, scope: string): string {
  const id = `${channel}/${target}/${scope}`;
  return id.length <= SQS_ID_MAX ? id : `h/${sha256(id)}`;
}

/** SQS drops a second message with the same id within 5 minutes; a repeat after that meets the ledger. */
export function deduplicationIdOf(dedupeKey: string, channel: string, target: string): string {
  return sha256(`${dedupeKey}\n${channel}\n${target}`);
}

/** The group scope of a message: its check, else what it is about. */
export function scopeOf(message: Pick<DeliveryMessage, 'checkId' | 'event' | 'payload'>): string {
  if (message.checkId !== undefined) return message.checkId;
  if (message.event === 'TEST') return 'test';
  return `channel:${(message.payload as ChannelFailingPayload).channel}`;
}

/** The FIFO queue's physical name, so the CDK app, the CLI and `vantage dev` name it alike. */
export function deliveryQueueName(prefix = 'vantage'): string {
  return `${prefix}-deliveries.fifo`;
}

/** Its dead-letter queue: a FIFO source needs a FIFO dead-letter queue. */
export function deadLetterQueueName(prefix = 'vantage'): string {
  return `${prefix}-deliveries-dead.fifo`;
}

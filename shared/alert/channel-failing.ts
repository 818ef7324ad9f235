/**
 * CHANNEL_FAILING: a target of a channel failed `failingAfter` delivery attempts in a row. The
 * notifier decides it (not the policy) and sends it the way a check's alert goes: to every channel
 * whose `events` admit it, email through the SNS topic's `channels` attribute (as ./message.ts does)
 * and the other targets through the delivery queue, never to the failing target itself.
 * Pure: the same facts and channels always give the same message.
 */
import type { ChannelConfig } from '../config/schema.ts';
import { SEVERITY } from '../events.ts';
import { DELIVERY_VERSION, type ChannelFailingPayload, type TargetKind } from './delivery.ts';
import type { SnsAlert, SnsMessageAttribute } from './message.ts';
import { fitSubject, formatDuration } from './text.ts';

const EVENT = 'CHANNEL_FAILING';

export interface ChannelFailingFacts {
  channel: string;
  /** The target key (`webhook[0]`, `slack`, …), never its URL. */
  target: string;
  kind: TargetKind;
  /** Consecutive failed attempts so far. */
  failures: number;
  /** The first failure of this spell, ms. */
  since: number;
  /** An error code or `HTTP <status>`. */
  lastError: string;
  /** When the notifier decided, ms. */
  at: number;
}

/** The CHANNEL_FAILING message, shaped like a check's AlertMessage so the same publishers and queue take it. */
export interface ChannelFailingMessage extends SnsAlert {
  messageAttributes: { event: SnsMessageAttribute; severity: SnsMessageAttribute; channels: SnsMessageAttribute };
  payload: ChannelFailingPayload;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Every channel that listens to CHANNEL_FAILING, the failing one included: its other targets (email) still work. */
export function channelFailingChannels(channels: Readonly<Record<string, ChannelConfig>>): string[] {
  return Object.keys(channels).filter((name) => {
    const events = channels[name]!.events;
    return events === undefined || events.includes(EVENT);
  });
}

/** One spell of failures, one key: every repeat of the decision (a crash, a concurrent attempt) is the same notification. */
export function channelFailingKey(channel: string, target: string, since: number): string {
  return `channel:${channel}:${target}:failing:${iso(since)}`;
}

function textOf(f: ChannelFailingFacts): string {
  return [
    `CHANNEL_FAILING: channel ${f.channel}, target ${f.target} (${f.kind})`,
    '',
    `Channel:  ${f.channel}`,
    `Target:   ${f.target} (${f.kind})`,
    `Failures: ${f.failures} delivery attempts in a row`,
    `Since:    ${iso(f.since)} (for ${formatDuration(Math.max(0, f.at - f.since))})`,
    `Last error: ${f.lastError}`,
    `At:       ${iso(f.at)}`,
    '',
    // What the reader should know before acting: nothing is dropped while the target is down.
    'Notifications to this target are retried with backoff; those that keep failing end in the dead-letter queue, never silently.',
    'The other targets of this and every other channel are not held up.',
    '',
    `Incident: ${channelFailingKey(f.channel, f.target, f.since)}`,
  ].join('\n');
}

export function buildChannelFailingMessage(f: ChannelFailingFacts, channels: Readonly<Record<string, ChannelConfig>>): ChannelFailingMessage {
  const routed = channelFailingChannels(channels);
  const key = channelFailingKey(f.channel, f.target, f.since);
  const severity = SEVERITY.CHANNEL_FAILING;
  const payload: ChannelFailingPayload = {
    schemaVersion: DELIVERY_VERSION,
    event: EVENT,
    severity,
    channel: f.channel,
    target: f.target,
    kind: f.kind,
    failures: f.failures,
    since: iso(f.since),
    lastError: f.lastError,
    at: iso(f.at),
    dedupeKey: key,
    incidentId: key,
    channels: routed,
  };
  const text = textOf(f);
  const json = JSON.stringify(payload);
  return {
    subject: fitSubject(`[${EVENT}] `, f.channel, ` ${f.target}: ${f.failures} failed deliveries in a row`),
    message: JSON.stringify({ default: text, email: text, https: json, sqs: json, lambda: json }),
    messageAttributes: {
      event: { DataType: 'String', StringValue: EVENT },
      severity: { DataType: 'String', StringValue: severity },
      // The email subscriptions' filter policies read this, as they do for a check's alert.
      channels: { DataType: 'String.Array', StringValue: JSON.stringify(routed) },
    },
    payload,
    text,
  };
}

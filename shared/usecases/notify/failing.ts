/**
 * CHANNEL_FAILING, decided by the notifier: the failed attempt that takes a target to its channel's
 * `failingAfter` first in a spell tells every other target that listens (through the delivery queue),
 * email (the alert topic) and ops. Once per spell: the ledger's conditional claim lets one caller
 * through, however many attempts on the target fail at once. A claim whose notification could not be
 * sent in full is given back, so the next failure sends it again with the same dedupe key: a repeat
 * the queue and the receivers drop, never a loss.
 */
import { buildChannelFailingMessage } from '../../alert/channel-failing.ts';
import type { DeliveryMessage } from '../../alert/delivery.ts';
import type { DeliveryQueue } from '../../alert/delivery-queue.ts';
import type { Publisher } from '../../alert/publish.ts';
import type { ChannelConfig } from '../../config/schema.ts';
import { errorFields, type Logger } from '../../logging/logger.ts';
import type { DeliveryLedger, TargetHealth } from '../../store/deliveries.ts';
import type { NotifyEvent } from './events.ts';

export interface FailingDeps {
  channels: Readonly<Record<string, ChannelConfig>>;
  ledger: DeliveryLedger;
  queue: DeliveryQueue;
  alerts: Publisher;
  ops?: Publisher;
  clock: () => number;
  logger: Logger;
  emit: (e: NotifyEvent) => void;
}

/** Whether this spell still needs its CHANNEL_FAILING (the claim decides who sends it). */
export function dueForFailing(health: TargetHealth, failingAfter: number): health is TargetHealth & { since: number } {
  return health.failures >= failingAfter && health.since !== undefined && health.notifiedSince !== health.since;
}

export async function announceFailing(deps: FailingDeps, message: DeliveryMessage, health: TargetHealth, lastError: string): Promise<void> {
  const config = Object.hasOwn(deps.channels, message.channel) ? deps.channels[message.channel] : undefined;
  if (config === undefined || !dueForFailing(health, config.failingAfter)) return;
  const { channel, target } = message;
  if (!(await deps.ledger.markFailingNotified(channel, target, health.since))) return;
  const failing = buildChannelFailingMessage({ channel, target, kind: message.kind, failures: health.failures, since: health.since, lastError, at: deps.clock() }, deps.channels);
  const ops = deps.ops;
  const parts: Array<[string, () => Promise<unknown>]> = [
    ['queue', () => deps.queue.enqueue(failing, { exclude: { channel, target } })],
    ['email', () => deps.alerts.publish(failing)],
    ...(ops ? [['ops', () => ops.publish(failing)] as [string, () => Promise<unknown>]] : []),
  ];
  let complete = true;
  // Each part on its own: email still goes when the queue refuses, and the other way round.
  for (const [part, send] of parts) {
    try {
      await send();
    } catch (err) {
      complete = false;
      deps.logger.error('CHANNEL_FAILING not sent', { channel, target, part, ...errorFields(err) });
    }
  }
  if (!complete) await deps.ledger.releaseFailingNotified(channel, target, health.since);
  const notified = [...failing.payload.channels, ...(ops ? ['ops'] : [])];
  deps.logger.warn('channel failing', { channel, target, failures: health.failures, notified: notified.join(','), complete });
  deps.emit({ type: 'channel_failing', channel, target, failures: health.failures, notified });
}

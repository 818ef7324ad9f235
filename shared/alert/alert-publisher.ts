/**
 * The evaluator's publisher: the delivery queue first, then the SNS alert topic (email).
 *
 * Queue first: a failed SNS publish after a good enqueue is retried by the outbox, and SQS drops the
 * repeated enqueue (same MessageDeduplicationId within 5 minutes); the notifier's ledger drops later
 * repeats. The other order would let a failed enqueue repeat the email instead.
 * Why not SNS → SQS: a standard topic cannot deliver to a FIFO queue, and a FIFO topic cannot send email
 * (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html).
 */
import type { DeliveryQueue, EnqueueableMessage } from './delivery-queue.ts';
import type { SnsAlert } from './message.ts';
import type { Publisher } from './publish.ts';

export interface AlertPublisherParts {
  /** The alert topic (email). @default none: nothing is published to SNS */
  sns?: Publisher;
  /** The notifier's FIFO queue. @default none: no webhook, chat or PagerDuty deliveries */
  queue?: DeliveryQueue;
}

/** A message that names its routed channels: a check's alert or CHANNEL_FAILING (ops alerts name none). */
function isEnqueueable(message: SnsAlert): message is EnqueueableMessage {
  const payload = (message as { payload?: { channels?: unknown } }).payload;
  return Array.isArray(payload?.channels);
}

export function alertPublisher({ sns, queue }: AlertPublisherParts): Publisher {
  return {
    async publish(message) {
      const queued = queue && isEnqueueable(message) ? await queue.enqueue(message) : 0;
      if (sns) return sns.publish(message);
      // No topic: the id says what happened instead of SNS's MessageId.
      return `queued:${queued}`;
    },
  };
}

/**
 * Publishes an alert message to the SNS topic. The SNS client is injected (created once per Lambda
 * container by the handler), and any failure leaves here as a {@link PublishError}, so the evaluator
 * can keep the notification in its outbox and retry it on the next invocation.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { VantageError } from '../errors.ts';
import type { SnsAlert } from './message.ts';

/** SNS refused or never answered; the notification has not (knowingly) been sent. */
export class PublishError extends VantageError {
  /** The SDK's error name (`ThrottledException`, `AuthorizationErrorException`, …), for logs and metrics. */
  readonly awsCode: string | undefined;
  constructor(topicArn: string, cause: unknown) {
    const awsCode = (cause as { name?: unknown } | null)?.name;
    super('ALERT_PUBLISH_FAILED', `publishing to ${topicArn} failed${typeof awsCode === 'string' ? ` (${awsCode})` : ''}`, { cause });
    this.awsCode = typeof awsCode === 'string' ? awsCode : undefined;
  }
}

export interface Publisher {
  /** Resolves with SNS's MessageId; rejects only with a PublishError. */
  publish(message: SnsAlert): Promise<string>;
}

export function snsPublisher(client: SNSClient, topicArn: string): Publisher {
  return {
    async publish(message) {
      let messageId: string | undefined;
      try {
        const res = await client.send(new PublishCommand({
          TopicArn: topicArn,
          Subject: message.subject,
          MessageStructure: 'json',
          Message: message.message,
          MessageAttributes: message.messageAttributes,
        }));
        messageId = res.MessageId;
      } catch (err) {
        throw new PublishError(topicArn, err);
      }
      if (!messageId) throw new PublishError(topicArn, new Error('SNS answered without a MessageId'));
      return messageId;
    },
  };
}

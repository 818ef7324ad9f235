/**
 * The alert topic and its email subscriptions, one per address in `channels`. Every other target
 * (webhooks, Slack, Teams, PagerDuty) is delivered by the notifier from its FIFO queue
 * (./notifier.ts): an SNS HTTPS subscription keeps no order and needs a receiver that confirms it.
 * The evaluator publishes each notification once, with a `channels` String.Array message attribute
 * naming every channel it is routed to (shared/alert/message.ts); each subscription's filter policy
 * admits its own channel only.
 * https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html
 */
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ChannelConfig } from '../../shared/config/schema.ts';
import { SecureTopic } from './secure-topic.ts';
import type { VantageFunction } from './vantage-function.ts';

export interface AlertTopicProps {
  readonly topicName: string;
  /** Channel name → its addresses, as in the config's `channels`; only `email` is read here. */
  readonly channels: Readonly<Record<string, ChannelConfig>>;
}

export class AlertTopic extends Construct {
  readonly secureTopic: SecureTopic;
  readonly subscriptions: sns.Subscription[] = [];

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    this.secureTopic = new SecureTopic(this, 'Alerts', { topicName: props.topicName, displayName: 'Vantage alerts' });

    for (const [name, channel] of Object.entries(props.channels)) {
      const filterPolicy = { channels: sns.SubscriptionFilter.stringFilter({ allowlist: [name] }) };
      channel.email.forEach((address, i) => {
        this.subscriptions.push(new sns.Subscription(this, `${name}-email-${i}`, {
          topic: this.secureTopic.topic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: address, filterPolicy,
        }));
      });
    }
  }

  /** Grants publishing and tells the function where to publish (TOPIC_ARN). */
  bindPublisher(fn: VantageFunction): void {
    this.secureTopic.grantPublish(fn.function);
    fn.function.addEnvironment('TOPIC_ARN', this.secureTopic.topic.topicArn);
  }
}

/**
 * Where Vantage reports on itself. Kept apart from the alert topic: a broken evaluator is the
 * operators' problem, not the on-call rota's for the checked services, and it must still get out
 * when the alert path is what broke.
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SecureTopic } from './secure-topic.ts';
import type { VantageFunction } from './vantage-function.ts';

export interface OpsTopicProps {
  readonly topicName: string;
  /** @default no subscriptions */
  readonly emails?: readonly string[];
}

export class OpsTopic extends Construct {
  readonly secureTopic: SecureTopic;

  constructor(scope: Construct, id: string, props: OpsTopicProps) {
    super(scope, id);
    this.secureTopic = new SecureTopic(this, 'Ops', { topicName: props.topicName, displayName: 'Vantage ops', allowCloudWatchAlarms: true });
    (props.emails ?? []).forEach((address, i) => {
      new sns.Subscription(this, `email-${i}`, { topic: this.secureTopic.topic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: address });
    });
  }

  /**
   * Grants publishing and tells the function where (OPS_TOPIC_ARN): the evaluator's sweep sends
   * INSTANCE_SILENT here. The topic's key leaves IAM in charge (KMS's default key policy), so the
   * role's grant of the two key operations is enough, as for the alert topic.
   */
  bindPublisher(fn: VantageFunction): void {
    this.secureTopic.grantPublish(fn.function);
    fn.function.addEnvironment('OPS_TOPIC_ARN', this.secureTopic.topic.topicArn);
  }

  /** Sends the alarm's ALARM and OK transitions here. */
  notify(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    const action = new SnsAction(this.secureTopic.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}

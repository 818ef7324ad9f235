/**
 * An SNS topic encrypted with its own KMS key and closed to plain HTTP, optionally open to CloudWatch
 * alarms. Used for the alert topic and for the ops topics.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface SecureTopicProps {
  /** A plain string, so other stacks and the docs can name the topic. */
  readonly topicName: string;
  readonly displayName: string;
  /**
   * Let CloudWatch alarms in this account publish. A topic policy replaces SNS's default one, which is
   * what let alarms publish before, and alarms need the key too.
   * https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
   * @default false
   */
  readonly allowCloudWatchAlarms?: boolean;
}

export class SecureTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: SecureTopicProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts messages at rest in SNS topic ${props.topicName}`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.displayName,
      masterKey: this.key,
      enforceSSL: true,
    });

    if (props.allowCloudWatchAlarms) {
      const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
      const fromOwnAlarms = {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
      };
      this.topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudwatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnAlarms,
      }));
      // SNS encrypts each message with a data key the publisher asks KMS for.
      // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
      this.key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsEncrypt',
        principals: [cloudwatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }));
    }
  }

  /**
   * Lets a principal publish: sns:Publish on this topic and the two key operations SNS performs on the
   * publisher's behalf. Written out rather than `topic.grantPublish`, which grants `kms:GenerateDataKey*`.
   */
  grantPublish(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.key.keyArn] }));
  }
}

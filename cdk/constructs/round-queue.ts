/**
 * A probe function's own delay queue for its later rounds. A cycle whose next round is more than
 * 5 s away sends its pending runs here with DelaySeconds and ends, instead of waiting idle and billed
 * (shared/usecases/probe-cycle.ts, shared/aws/sqs-defer.ts); the event source mapping invokes the same
 * function with the message a second or two before the round.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 *
 * No dead-letter queue and a short retention: a round is worth something only at its time. A
 * continuation that fails is retried by SQS after the visibility timeout, when it is already late;
 * the handler drops one over a minute late, and retention ends the rest.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { VantageFunction } from './vantage-function.ts';

/** The environment variable the probe reads the queue's URL from (functions/probe/env.ts). */
export const DEFER_QUEUE_ENV = 'DEFER_QUEUE_URL';

/**
 * What DEFER_QUEUE_URL renders to at most, for the 4 KB environment check at synth (the URL is a
 * token then): `https://sqs.<region>.amazonaws.com/<account>/` and CloudFormation's generated name,
 * which SQS caps at 80 characters.
 */
export const DEFER_QUEUE_URL_MAX_BYTES = 'https://sqs.ap-southeast-5.amazonaws.com.cn/123456789012/'.length + 80;

export interface RoundQueueProps {
  /** The probe function: the queue's only sender and only consumer. */
  readonly fn: VantageFunction;
  /** The function's timeout: the visibility timeout must be at least that for an SQS event source. */
  readonly functionTimeout: Duration;
}

export class RoundQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: RoundQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A round more than a minute late is dropped by the handler; five minutes covers a redelivery or two.
      retentionPeriod: Duration.minutes(5),
      // Lambda refuses an SQS mapping whose queue hides a message for less than the function's timeout.
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
      visibilityTimeout: props.functionTimeout,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'Holds a probe\'s own later rounds for seconds; a redelivered round is late and worthless, so there is nothing a dead-letter queue could keep for replay.',
    });
    // Batch size 1: each message is one cycle's continuation, with its own time.
    props.fn.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1 }));
    this.queue.grantSendMessages(props.fn.function);
    props.fn.function.addEnvironment(DEFER_QUEUE_ENV, this.queue.queueUrl);
  }
}

/**
 * Monitoring of the monitor, home side: the evaluator failing, falling behind the stream, or giving
 * batches up to the dead-letter queue. Each of these means alerts are late or lost.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { Evaluator } from './evaluator.ts';
import type { OpsTopic } from './ops-topic.ts';

export interface EvaluatorAlarmsProps {
  readonly evaluator: Evaluator;
  readonly ops: OpsTopic;
  /**
   * Stream lag that counts as falling behind. Probes write every minute, so a few minutes of lag
   * already delays every alert by as much.
   * @default Duration.minutes(5)
   */
  readonly maxIteratorAge?: Duration;
}

export class EvaluatorAlarms extends Construct {
  readonly errors: cloudwatch.Alarm;
  readonly iteratorAge: cloudwatch.Alarm;
  readonly deadLetters: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EvaluatorAlarmsProps) {
    super(scope, id);
    const fn = props.evaluator.fn.function;
    const minute = Duration.minutes(1);

    this.errors = props.ops.notify(new cloudwatch.Alarm(this, 'Errors', {
      alarmDescription: 'The Vantage evaluator failed invocations: batches are being retried and alerts may be late.',
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No invocations means no errors.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));

    // IteratorAge: how old the last record of a batch was when the function got it.
    // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics
    this.iteratorAge = props.ops.notify(new cloudwatch.Alarm(this, 'IteratorAge', {
      alarmDescription: 'The Vantage evaluator is behind the results stream: alerts are delayed by at least this much.',
      metric: fn.metric('IteratorAge', { period: minute, statistic: 'Maximum' }),
      threshold: (props.maxIteratorAge ?? Duration.minutes(5)).toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));

    this.deadLetters = props.ops.notify(new cloudwatch.Alarm(this, 'DeadLetters', {
      alarmDescription: 'Stream batches the Vantage evaluator gave up on: their results were never evaluated. Replay them from the stream within 24 hours.',
      metric: props.evaluator.deadLetters.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }
}

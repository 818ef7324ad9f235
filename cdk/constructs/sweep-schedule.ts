/**
 * The sweep: EventBridge runs the evaluator every minute with no records, so what depends on time
 * passing (LOCATION_SILENT, INSTANCE_SILENT, REMINDERs) is decided even while no results arrive. And
 * the alarm for the sweep itself not running, on the one EMF metric each sweep writes
 * (shared/metrics/emf.ts `METRICS.sweep`): no data is the failure it exists for, so missing data
 * breaches.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { METRICS, NAMESPACE } from '../../shared/metrics/emf.ts';
import type { Evaluator } from './evaluator.ts';
import type { OpsTopic } from './ops-topic.ts';

export interface SweepScheduleProps {
  readonly evaluator: Evaluator;
  readonly ops: OpsTopic;
  /**
   * How long without a single sweep before the operators hear of it. Silence and reminders wait on the
   * sweep, so this adds to how late a LOCATION_SILENT can be.
   * @default Duration.minutes(5)
   */
  readonly silentFor?: Duration;
}

export class SweepSchedule extends Construct {
  readonly rule: events.Rule;
  readonly notRunning: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    // A late sweep is superseded by the next one a minute later: no retries, and an event older than
    // a minute is dropped. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Runs the Vantage sweep (the evaluator with no records) every minute: silence, reminders',
      schedule: events.Schedule.rate(minute),
      targets: [new targets.LambdaFunction(props.evaluator.fn.function, { retryAttempts: 0, maxEventAge: minute })],
    });

    const period = props.silentFor ?? Duration.minutes(5);
    this.notRunning = props.ops.notify(new cloudwatch.Alarm(this, 'NotRunning', {
      alarmDescription: `The Vantage sweep has not run for ${period.toMinutes()} minutes: silent locations and reminders are not being reported.`,
      metric: new cloudwatch.Metric({ namespace: NAMESPACE, metricName: METRICS.sweep, statistic: 'Sum', period }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }));
  }
}

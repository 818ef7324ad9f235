/**
 * The missing-heartbeat alarm of one location. The probe emits `Vantage/Heartbeat{Location}` = 1 on
 * every run (shared/metrics/emf.ts); no data at all is the failure this alarm exists for, so missing
 * data breaches.
 *
 * It lives in the probe's own region because a CloudWatch alarm can only watch metrics of its own
 * region (cross-region is for dashboards), and its SNS action must be a topic in that region too.
 * A whole region going dark is caught by the evaluator instead, which marks locations with no
 * results for 3 × interval stale (LOCATION_SILENT).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DIMENSIONS, METRICS, NAMESPACE } from '../../shared/metrics/emf.ts';
import type { OpsTopic } from './ops-topic.ts';

export interface HeartbeatAlarmProps {
  readonly location: string;
  readonly ops: OpsTopic;
  /**
   * How long a location may stay silent. The schedule fires every minute, so ten quiet minutes is
   * ten missed runs, not a slow one.
   * @default Duration.minutes(10)
   */
  readonly silentFor?: Duration;
}

export class HeartbeatAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: HeartbeatAlarmProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const periods = Math.max(1, Math.ceil((props.silentFor ?? Duration.minutes(10)).toMinutes() / period.toMinutes()));
    this.alarm = props.ops.notify(new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription: `Vantage location ${props.location} has not probed for ${periods * period.toMinutes()} minutes: its checks are unmonitored from there.`,
      metric: new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName: METRICS.heartbeat,
        dimensionsMap: { [DIMENSIONS.location]: props.location },
        statistic: 'Sum',
        period,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: periods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }));
  }
}

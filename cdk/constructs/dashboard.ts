/**
 * The deployment's dashboards, in the home region: per check, availability and p50/p95 latency with
 * one line per location, from the EMF metrics the probes emit (shared/metrics/emf.ts). Probes write
 * their metrics in their own regions; a dashboard graph may mix regions, so every line names its
 * region. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_xaxr_dashboard.html
 *
 * One dashboard takes at most 500 widgets, so past about 165 checks they continue on `<name>-2`,
 * `<name>-3`, … (shared/deploy/dashboard-pages.ts); the first carries the evaluator row (with the
 * sweeps, whose absence is also an alarm). Silent locations are the sweep's to report, from the
 * heartbeats in the table, so no metric per location is drawn for it.
 *
 * Maintenance windows and silences show on each check's availability graph, on its right axis: the
 * sweep writes `Maintenance` = 1 (dimension CheckId, home region) every minute a check is muted, so a
 * dip in availability under a "maintenance" line was planned.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { Check } from '../../shared/config/schema.ts';
import { DIMENSIONS, METRICS, NAMESPACE } from '../../shared/metrics/emf.ts';
import { dashboardName, overviewFootprint, paginate } from '../../shared/deploy/dashboard-pages.ts';
import type { Evaluator } from './evaluator.ts';
import { VantageError } from '../../shared/errors.ts';

export interface VantageDashboardProps {
  /** The first dashboard's name, and the stem of the others'. */
  readonly dashboardName: string;
  readonly checks: readonly Check[];
  /** Location name → the region its metrics are in. */
  readonly regionOf: ReadonlyMap<string, string>;
  /**
   * Locations served by `vantage agent`, which emits no CloudWatch metrics (its results are in the
   * table, and its log lines stay on its host): no line is drawn for them. @default none
   */
  readonly agentLocations?: ReadonlySet<string>;
  /** @default no evaluator row */
  readonly evaluator?: Evaluator;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
}

export class VantageDashboard extends Construct {
  /** In order: the first has the overview rows. */
  readonly dashboards: cloudwatch.Dashboard[] = [];
  readonly names: string[] = [];

  constructor(scope: Construct, id: string, props: VantageDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);

    const region = (location: string) => {
      const r = props.regionOf.get(location);
      if (!r) throw new VantageError('DEPLOYMENT_INVALID', `location "${location}" has no region`);
      return r;
    };
    const metric = (name: string, check: string, location: string, statistic: string, label: string) => new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName: name,
      dimensionsMap: { [DIMENSIONS.check]: check, [DIMENSIONS.location]: location },
      region: region(location),
      statistic,
      period,
      label,
    });

    const overview: cloudwatch.IWidget[][] = [];
    if (props.evaluator) {
      const fn = props.evaluator.fn.function;
      overview.push([
        new cloudwatch.GraphWidget({
          title: 'Evaluator errors and invocations, sweeps',
          width: 8,
          left: [fn.metricInvocations({ period }), fn.metricErrors({ period }), new cloudwatch.Metric({ namespace: NAMESPACE, metricName: METRICS.sweep, statistic: 'Sum', period, label: 'Sweeps' })],
        }),
        new cloudwatch.GraphWidget({ title: 'Evaluator stream lag (ms, max)', width: 8, left: [fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' })] }),
        new cloudwatch.GraphWidget({ title: 'Evaluator dead letters', width: 8, left: [props.evaluator.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })] }),
      ]);
    }

    const drawn = (check: Check) => check.locations.filter((l) => !props.agentLocations?.has(l));
    const checkRow = (check: Check): cloudwatch.IWidget[] => {
      const title = check.name ? `${check.id} (${check.name})` : check.id;
      const locations = drawn(check);
      return [
        new cloudwatch.GraphWidget({
          title: `${title}: availability %`,
          width: 8,
          // Success is 1 or 0 per run, so its average over a period is the share of runs that passed.
          // Metric ids must be unique within a graph, hence one per location.
          left: locations.map((l, i) => new cloudwatch.MathExpression({
            expression: `s${i} * 100`,
            usingMetrics: { [`s${i}`]: metric(METRICS.success, check.id, l, 'Average', l) },
            label: l,
            period,
          })),
          leftYAxis: { min: 0, max: 100 },
          // Maximum: any minute of the period in maintenance marks the whole period.
          right: [new cloudwatch.Metric({ namespace: NAMESPACE, metricName: METRICS.maintenance, dimensionsMap: { [DIMENSIONS.check]: check.id }, statistic: 'Maximum', period, label: 'maintenance' })],
          rightYAxis: { min: 0, max: 1, label: 'maintenance', showUnits: false },
        }),
        new cloudwatch.GraphWidget({
          title: `${title}: p50 latency (ms)`,
          width: 8,
          left: locations.map((l) => metric(METRICS.latency, check.id, l, 'p50', l)),
          leftYAxis: { min: 0 },
        }),
        new cloudwatch.GraphWidget({
          title: `${title}: p95 latency (ms)`,
          width: 8,
          left: locations.map((l) => metric(METRICS.latency, check.id, l, 'p95', l)),
          leftYAxis: { min: 0 },
        }),
      ];
    };

    const spent = overviewFootprint(props.evaluator !== undefined);
    paginate(props.checks, (c) => c.locations.length, spent).forEach((page, i) => {
      const name = dashboardName(props.dashboardName, i);
      // The first keeps the construct id it always had, so its logical id (and the deployed dashboard) stays.
      const dashboard = new cloudwatch.Dashboard(this, i === 0 ? 'Dashboard' : `Dashboard${i + 1}`, {
        dashboardName: name,
        defaultInterval: Duration.hours(24),
      });
      if (page.overview) for (const row of overview) dashboard.addWidgets(...row);
      for (const check of page.checks) dashboard.addWidgets(...checkRow(check));
      this.dashboards.push(dashboard);
      this.names.push(name);
    });
  }
}

/**
 * The home stack: results table, evaluator, the sweep that runs it every minute, alert topic, the
 * notifier with its delivery queue, monitoring of the monitor (the one ops topic), the dashboard, and
 * each agent location's role and definitions (agents reach nothing but the home table).
 * One per deployment, in `deployment.homeRegion`.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { LoadedConfig } from '../../shared/config/load.ts';
import { AgentDefinitionsWriter, AgentLocation, type AgentLocationSpec } from '../constructs/agent-location.ts';
import { AlertTopic } from '../constructs/alert-topic.ts';
import { VantageDashboard } from '../constructs/dashboard.ts';
import { EvaluatorAlarms } from '../constructs/evaluator-alarms.ts';
import { Evaluator } from '../constructs/evaluator.ts';
import { Notifier } from '../constructs/notifier.ts';
import { OpsTopic } from '../constructs/ops-topic.ts';
import { ResultsTable } from '../constructs/results-table.ts';
import { StatusPage } from '../constructs/status-page.ts';
import { SweepSchedule } from '../constructs/sweep-schedule.ts';
import { dashboardConsoleUrl, type Names } from '../names.ts';
import type { KmsGrant, SecretGrant } from '../secret-refs.ts';
import type { LambdaSettings } from '../constructs/vantage-function.ts';

export interface HomeStackProps extends StackProps {
  readonly config: LoadedConfig;
  readonly names: Names;
  /** Location name → region, for the dashboard's cross-region metrics. */
  readonly regionOf: ReadonlyMap<string, string>;
  /** The evaluator's bundled files (the check definitions and channels); the notifier's too. */
  readonly bundledFiles: Record<string, string>;
  /** What the notifier may read: exactly the secrets the channels name. @default none */
  readonly notifierSecrets?: readonly SecretGrant[];
  /** @default none */
  readonly notifierKmsGrants?: readonly KmsGrant[];
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default true */
  readonly protectTable?: boolean;
  /** @default 'functions/evaluator/handler.ts' */
  readonly evaluatorEntry?: string;
  /** @default 'functions/notifier/handler.ts' */
  readonly notifierEntry?: string;
  /** @default nodejs24.x on arm64 */
  readonly lambda?: LambdaSettings;
  /** `deployment.agentLocations`, as the app resolved them (../vantage.ts). @default none */
  readonly agentLocations?: readonly AgentLocationSpec[];
}

export class HomeStack extends Stack {
  readonly table: ResultsTable;
  readonly evaluator: Evaluator;
  readonly alerts: AlertTopic;
  readonly notifier: Notifier;
  readonly ops: OpsTopic;
  readonly alarms: EvaluatorAlarms;
  readonly sweep: SweepSchedule;
  readonly dashboard: VantageDashboard;
  /** Agent location name → its construct; empty without agent locations. */
  readonly agents = new Map<string, AgentLocation>();
  /** `deployment.statusPage.enabled`: the page the sweep writes; undefined (nothing synthesized) otherwise. */
  readonly statusPage: StatusPage | undefined;

  constructor(scope: Construct, id: string, props: HomeStackProps) {
    super(scope, id, props);
    const { config, names } = props;

    this.table = new ResultsTable(this, 'Results', { tableName: names.table, ...(props.protectTable !== undefined && { protect: props.protectTable }) });
    this.alerts = new AlertTopic(this, 'Alerts', { topicName: names.alertTopic, channels: config.channels });
    this.evaluator = new Evaluator(this, 'Evaluator', {
      table: this.table,
      bundledFiles: props.bundledFiles,
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      ...(props.evaluatorEntry !== undefined && { entry: props.evaluatorEntry }),
      ...(props.lambda && { lambda: props.lambda }),
      agentLocations: (props.agentLocations ?? []).map((a) => a.location),
    });
    this.alerts.bindPublisher(this.evaluator.fn);

    this.ops = new OpsTopic(this, 'Ops', { topicName: names.opsTopic, emails: config.deployment?.opsEmail ?? [] });
    this.ops.bindPublisher(this.evaluator.fn);
    this.alarms = new EvaluatorAlarms(this, 'EvaluatorAlarms', { evaluator: this.evaluator, ops: this.ops });
    this.sweep = new SweepSchedule(this, 'Sweep', { evaluator: this.evaluator, ops: this.ops });
    this.dashboard = new VantageDashboard(this, 'Dashboard', {
      dashboardName: names.dashboard,
      checks: config.checks,
      regionOf: props.regionOf,
      agentLocations: new Set((props.agentLocations ?? []).map((a) => a.location)),
      evaluator: this.evaluator,
    });

    this.notifier = new Notifier(this, 'Notifier', {
      queueName: names.deliveryQueue,
      deadLetterQueueName: names.deadLetterQueue,
      table: this.table,
      alerts: this.alerts,
      ops: this.ops,
      channels: config.channels,
      bundledFiles: props.bundledFiles,
      ...(props.notifierSecrets && { secrets: props.notifierSecrets }),
      ...(props.notifierKmsGrants && { kmsGrants: props.notifierKmsGrants }),
      dashboardUrl: dashboardConsoleUrl(config.deployment?.homeRegion ?? this.region, this.dashboard.names[0] ?? names.dashboard),
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      ...(props.notifierEntry !== undefined && { entry: props.notifierEntry }),
      ...(props.lambda && { lambda: props.lambda }),
    });
    this.notifier.bindProducer(this.evaluator.fn);
    this.addAgentLocations(props);
    this.statusPage = this.addStatusPage(config);

    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.secureTopic.topic.topicArn });
    new CfnOutput(this, 'OpsTopicArn', { value: this.ops.secureTopic.topic.topicArn });
    new CfnOutput(this, 'DeliveryQueueUrl', { value: this.notifier.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.notifier.deadLetters.queueUrl });
    new CfnOutput(this, 'DashboardName', { value: names.dashboard });
    // One dashboard holds a limited number of checks (constructs/dashboard.ts); the rest follow it.
    new CfnOutput(this, 'DashboardNames', { value: this.dashboard.names.join(',') });
  }

  private addStatusPage(config: LoadedConfig): StatusPage | undefined {
    const page = config.deployment?.statusPage;
    if (!page?.enabled) return undefined;
    const statusPage = new StatusPage(this, 'StatusPage', { ...(page.title !== undefined && { title: page.title }), ...(page.domain && { domain: page.domain }) });
    statusPage.bindPublisher(this.evaluator.fn);
    return statusPage;
  }

  /** Nothing at all without agent locations, so such a deployment synthesizes as before. */
  private addAgentLocations(props: HomeStackProps): void {
    const specs = props.agentLocations ?? [];
    if (specs.length === 0) return;
    const writer = new AgentDefinitionsWriter(this, 'AgentDefinitions', { ...(props.logRetention !== undefined && { logRetention: props.logRetention }) });
    for (const spec of specs) {
      this.agents.set(spec.location, new AgentLocation(this, `Agent-${spec.location}`, {
        ...spec,
        tableArn: this.table.table.tableArn,
        tableName: props.names.table,
        homeRegion: props.config.deployment?.homeRegion ?? this.region,
        writer,
      }));
    }
  }
}

/**
 * The single results table (key design in shared/store/keys.ts), in the home region.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { locationPk, SILENCE_PK, TTL_ATTRIBUTE } from '../../shared/store/keys.ts';
import { TABLE_KEY_SCHEMA } from '../../shared/store/table.ts';
import type { VantageFunction } from './vantage-function.ts';

export interface ResultsTableProps {
  /** A plain string: probe stacks in other regions build the table's ARN from it. */
  readonly tableName: string;
  /**
   * Deletion protection and RETAIN: results and incident history outlive a `cdk destroy` by mistake.
   * @default true
   */
  readonly protect?: boolean;
}

/**
 * What the evaluator does to the table (functions/evaluator, shared/store/dynamo.ts): GetItem and a
 * conditional PutItem of a check's state, PutItem of incidents, BatchGetItem of states, location and
 * instance heartbeats and the sweep's ops marks (the sweep reads many checks at once). Its UpdateItem
 * (ops marks) and Query (silences) are granted apart, each on the one partition it needs.
 */
const EVALUATOR_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'];

export class ResultsTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: ResultsTableProps) {
    super(scope, id);
    const protect = props.protect ?? true;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: TABLE_KEY_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEY_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      // On demand: a few writes per location per minute is far below one provisioned unit's worth of
      // steady use, and on-demand has no idle cost.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // NEW_IMAGE is all the evaluator reads; OLD_IMAGE would only double the stream's record size.
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: protect,
      removalPolicy: protect ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }

  /**
   * Grants the evaluator its table actions and tells it the table's name (TABLE_NAME); with agent
   * locations, the Query of their partitions that lists their instances' beats.
   */
  bindEvaluator(fn: VantageFunction, agentLocations: readonly string[] = []): void {
    fn.function.addEnvironment('TABLE_NAME', this.table.tableName);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: EVALUATOR_ACTIONS, resources: [this.table.tableArn] }));
    // The sweep's marks of silent private-location instances (shared/store/ops-marks.ts), set and
    // removed one attribute at a time. Only location items: the evaluator never updates a check's items.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'SweepOpsMarks',
      actions: ['dynamodb:UpdateItem'],
      resources: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${locationPk('*')}`] } },
    }));
    // The silences (`vantage silence`), read once per stream batch and per sweep: one Query of their
    // partition. Query only there, so the evaluator cannot page through a check's results or the table.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadSilences',
      actions: ['dynamodb:Query'],
      resources: [this.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SILENCE_PK] } },
    }));
    if (agentLocations.length > 0) {
      // The sweep's INSTANCE_SILENT for agents: one Query of each agent location's beats
      // (shared/store/agents.ts listBeats). Only those partitions: never a check's results.
      fn.addToRolePolicy(new iam.PolicyStatement({
        sid: 'ReadAgentBeats',
        actions: ['dynamodb:Query'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': agentLocations.map(locationPk) } },
      }));
    }
  }
}

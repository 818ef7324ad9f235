/**
 * The evaluator: a function on the results table's stream, filtered to result inserts, with partial
 * batch responses, bisection, bounded retries and a dead-letter queue for what still fails.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { checkPk, RESULT_INSERT_FILTER } from '../../shared/store/keys.ts';
import type { ResultsTable } from './results-table.ts';
import { VantageFunction, type LambdaSettings } from './vantage-function.ts';
import { VantageError } from '../../shared/errors.ts';

export interface EvaluatorProps {
  readonly table: ResultsTable;
  /** Files bundled with the function; the check definitions. */
  readonly bundledFiles: Record<string, string>;
  /**
   * Attempts after the first before a batch goes to the dead-letter queue. Bisection splits a failing
   * batch first, so a poison record ends up alone rather than taking its neighbours with it.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the dead-letter queue unprocessed. A stuck check must not hold the
   * rest of its shard's checks for long: an alert an hour late is already a miss.
   * @default Duration.minutes(30)
   */
  readonly maxRecordAge?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** The handler module, relative to the repository root. @default 'functions/evaluator/handler.ts' */
  readonly entry?: string;
  /** @default nodejs24.x on arm64 */
  readonly lambda?: LambdaSettings;
  /** The agent locations, whose instance beats the sweep reads (INSTANCE_SILENT). @default none */
  readonly agentLocations?: readonly string[];
}

export class Evaluator extends Construct {
  readonly fn: VantageFunction;
  readonly deadLetters: sqs.Queue;
  readonly mapping: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: EvaluatorProps) {
    super(scope, id);
    this.fn = new VantageFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/evaluator/handler.ts',
      description: 'Vantage evaluator: turns probe results into state and alerts',
      memorySize: 512,
      timeout: Duration.minutes(1),
      bundledFiles: props.bundledFiles,
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      ...(props.lambda && { lambda: props.lambda }),
    });
    props.table.bindEvaluator(this.fn, props.agentLocations ?? []);

    // Holds the stream coordinates of batches that exhausted their retries (not the records: Lambda
    // sends shard id and sequence numbers), long enough to replay them from the stream's 24 hours.
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // The on-failure destination receives the coordinates of batches the evaluator gave up on. A
    // dead-letter queue behind it would only move those messages once more; the DeadLetters alarm
    // (evaluator-alarms.ts) is what makes them seen.
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the stream mapping, and an alarm watches its depth.',
    });

    const table = props.table.table;
    // The sweep's SLO accounting (shared/usecases/slo/): a Query of each check's minute of results and
    // of its hour rollups, and the UpdateItem that adds a minute to its hour's ROLLUP item. Check
    // partitions only: IAM cannot condition on the sort key, so LeadingKeys is the finest scope.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
    this.fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'SweepRollups',
      actions: ['dynamodb:Query', 'dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [checkPk('*')] } },
    }));
    const streamArn = table.tableStreamArn;
    if (!streamArn) throw new VantageError('DEPLOYMENT_INVALID', 'the results table has no stream');
    // Stream reads on the stream's ARN. ListStreams, which Lambda also calls, has no resource-level
    // permissions, so it sits alone in a policy of its own with its acknowledgement.
    // https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-permissions
    this.fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadResultsStream',
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resources: [streamArn],
    }));
    const listStreams = new iam.Policy(this, 'ListStreams', {
      roles: [this.fn.role],
      statements: [new iam.PolicyStatement({ sid: 'ListStreams', actions: ['dynamodb:ListStreams'], resources: ['*'] })],
    });
    Validations.of(listStreams).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams supports no resource-level permissions (Service Authorization Reference, Amazon DynamoDB); the stream reads are granted on the stream ARN.',
    });

    this.mapping = new lambda.EventSourceMapping(this, 'ResultsStream', {
      target: this.fn.function,
      eventSourceArn: streamArn,
      // TRIM_HORIZON: a re-created mapping replays what the stream still holds instead of skipping it.
      // Replays are harmless: the evaluator ignores results no newer than a location's latest.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      // Results of one run arrive from every location within seconds; a short window lets one state
      // read and write cover them together.
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(2),
      filters: [lambda.FilterCriteria.filter(RESULT_INSERT_FILTER)],
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? 5,
      maxRecordAge: props.maxRecordAge ?? Duration.minutes(30),
      // 1: one batch per shard at a time. A check's results share a partition key, so they sit in
      // one shard, in write order; with one batch in flight the evaluator sees them in that order, and
      // a failed record is retried before anything after it. (Up to 10 keeps per-key order too, but
      // nothing here needs the throughput.)
      // https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-params
      parallelizationFactor: 1,
      onFailure: new SqsDlq(this.deadLetters),
    });
    // The role must be complete before Lambda validates the mapping against it.
    this.mapping.node.addDependency(this.fn.role, listStreams);
  }
}

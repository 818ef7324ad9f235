/**
 * One location's probe (or one instance of a private location's): a function that runs the
 * location's checks, invoked every minute by an EventBridge schedule, allowed to write results to the
 * home table, to read and update its own location's items there, to invoke exactly the probe functions
 * it asks for confirmations and retests, to put confirmation requests into the inboxes of exactly the
 * agent locations its checks share, and to read exactly the secrets its checks reference; with
 * its own delay queue for the rounds it hands on instead of waiting for them (./round-queue.ts).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Check } from '../../shared/config/schema.ts';
import { locationPk } from '../../shared/store/keys.ts';
import type { KmsGrant, SecretGrant } from '../secret-refs.ts';
import { probeAliases, probeRuntimeEnvironment } from '../../shared/deploy/lambda-build.ts';
import { sizeProbe, type ProbeSizing } from '../../shared/usecases/cost/sizing.ts';
import type { PrivateNetwork } from './private-network.ts';
import { VantageFunction, type LambdaSettings } from './vantage-function.ts';
import { renderedEnvironmentBytes } from '../probe-peers.ts';
import { VantageError } from '../../shared/errors.ts';
import { DEFER_QUEUE_URL_MAX_BYTES, RoundQueue } from './round-queue.ts';
import { grantSecretReads } from './secret-reads.ts';

/**
 * Lambda refuses a function whose environment variables (keys and values) pass 4 KB, at deploy time.
 * CONFIRM_FUNCTIONS grows with the locations a probe's checks share, so it is checked at synth.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
 */
const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;

export interface ProbeFunctionProps {
  /** The location name the results carry (a region, or a private location's name). */
  readonly location: string;
  /** The function's physical name (../names.ts `probeFunction`), so other probes can invoke it by ARN. */
  readonly functionName: string;
  /**
   * `CONFIRM_FUNCTIONS`: the other locations of the checks run here, each with its functions' ARNs
   * (../probe-peers.ts). They are also exactly what the function may invoke.
   * @default {} (no check here has another location to ask)
   */
  readonly confirmFunctions?: Readonly<Record<string, readonly string[]>>;
  /**
   * The agent locations its checks ask to confirm (../probe-peers.ts `confirmInboxes`): a request to
   * one is an inbox item in its partition, so these are the partitions it may put items into.
   * @default none
   */
  readonly confirmInboxes?: readonly string[];
  /**
   * For one instance of a private location: its id (`INSTANCE`) and the other instances, id → ARN
   * (`INSTANCE_FUNCTIONS`), which it may invoke to retest a failure.
   * @default not an instance (an AWS-region location)
   */
  readonly instance?: { readonly id: string; readonly others: Readonly<Record<string, string>> };
  /** The checks that run here, for sizing. */
  readonly checks: readonly Check[];
  /** Files bundled with the function; the check definitions. */
  readonly bundledFiles: Record<string, string>;
  readonly tableName: string;
  /** The table's ARN, built as a string (see ../names.ts). */
  readonly tableArn: string;
  readonly homeRegion: string;
  /** @default none */
  readonly secrets?: readonly SecretGrant[];
  /** kms:Decrypt for secrets under customer-managed keys (../secret-refs.ts kmsGrants). @default none */
  readonly kmsGrants?: readonly KmsGrant[];
  /** @default nodejs24.x on arm64 */
  readonly lambda?: LambdaSettings;
  /** @default not in a VPC */
  readonly network?: PrivateNetwork;
  /** With `network`: the availability zone (an index into the location's zones) this function runs in. @default every subnet of the network */
  readonly zone?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** The handler module, relative to the repository root. @default 'functions/probe/handler.ts' */
  readonly entry?: string;
  /** Emit the phases as EMF metrics too (`deployment.metrics.phases`). @default false */
  readonly phaseMetrics?: boolean;
}

/**
 * ENI management for a function in a VPC (the actions of AWSLambdaVPCAccessExecutionRole, which would
 * be the managed alternative). EC2 does not support resource-level permissions for the Describe calls.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
 */
const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export class ProbeFunction extends Construct {
  readonly fn: VantageFunction;
  readonly schedule: events.Rule;
  readonly sizing: ProbeSizing;
  readonly rounds: RoundQueue;

  constructor(scope: Construct, id: string, props: ProbeFunctionProps) {
    super(scope, id);
    this.sizing = sizeProbe(props.checks);
    const confirmFunctions = props.confirmFunctions ?? {};
    const environment: Record<string, string> = {
      // Node's flags and malloc's arenas, the same the bench runs the probe engine with.
      ...probeRuntimeEnvironment(this.sizing.memoryMb),
      TABLE_NAME: props.tableName, HOME_REGION: props.homeRegion, LOCATION: props.location, PHASE_METRICS: String(props.phaseMetrics ?? false),
      CONFIRM_FUNCTIONS: JSON.stringify(confirmFunctions),
      ...(props.instance && { INSTANCE: props.instance.id, INSTANCE_FUNCTIONS: JSON.stringify(props.instance.others) }),
    };
    // DEFER_QUEUE_URL is added with the queue (a token here); it counts at its longest.
    const envBytes = renderedEnvironmentBytes(environment) + 'DEFER_QUEUE_URL'.length + DEFER_QUEUE_URL_MAX_BYTES;
    if (envBytes > LAMBDA_ENVIRONMENT_MAX_BYTES) {
      throw new VantageError('DEPLOYMENT_INVALID', `probe at ${props.location}: its environment would be about ${envBytes} bytes, over Lambda's 4 KB, because its checks have ${Object.keys(confirmFunctions).length} other locations to confirm from; split the checks over fewer locations each`);
    }

    this.fn = new VantageFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/probe/handler.ts',
      functionName: props.functionName,
      description: `Vantage probe at ${props.location}${props.instance ? ` (instance ${props.instance.id})` : ''}: ${props.checks.length} check(s), busiest round ${this.sizing.busiestRound}`,
      memorySize: this.sizing.memoryMb,
      timeout: Duration.seconds(this.sizing.timeoutS),
      bundledFiles: props.bundledFiles,
      // Without gRPC checks, the bundle leaves gRPC support out.
      aliases: probeAliases(props.checks),
      // Plain strings, not references: the table lives in another stack and usually another region.
      environment,
      ...(props.network && { vpc: props.network.functionPlacement(props.zone) }),
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      ...(props.lambda && { lambda: props.lambda }),
    });

    // Results (`CHECK#<id>` keys) and the location heartbeat: writes only (shared/store/dynamo.ts).
    this.fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'WriteResults',
      actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
      resources: [props.tableArn],
    }));
    // The probe's memory (rechecks, confirmations) and the instance heartbeats are items of its own
    // location: reads and updates are held to that partition key. ForAllValues, because BatchGetItem
    // carries several keys and every one must match.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
    this.fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'OwnLocationItems',
      actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resources: [props.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [locationPk(props.location)] } },
    }));

    // Confirmations to agent locations: inbox items in their partitions (shared/store/agents.ts). Its
    // own statement, held to those partitions, so it stays exact whatever WriteResults becomes.
    const inboxes = props.confirmInboxes ?? [];
    if (inboxes.length > 0) {
      this.fn.addToRolePolicy(new iam.PolicyStatement({
        sid: 'ConfirmToAgents',
        actions: ['dynamodb:PutItem'],
        resources: [props.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': inboxes.map(locationPk) } },
      }));
    }

    // Confirmation requests (async Invoke) to the other locations and retests (RequestResponse) on the
    // other instances: exactly those functions, so a probe can start nothing else.
    const invokable = [...new Set([...Object.values(confirmFunctions).flat(), ...Object.values(props.instance?.others ?? {})])];
    if (invokable.length > 0) {
      this.fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'InvokeOtherProbes', actions: ['lambda:InvokeFunction'], resources: invokable }));
    }

    grantSecretReads(this.fn, { secrets: props.secrets ?? [], kmsGrants: props.kmsGrants ?? [], owner: 'Check' });

    if (props.network) {
      // A policy of its own, so the acknowledgement covers these actions and nothing added later.
      const vpcAccess = new iam.Policy(this, 'VpcAccess', {
        roles: [this.fn.role],
        statements: [new iam.PolicyStatement({ sid: 'VpcNetworkInterfaces', actions: VPC_ACCESS_ACTIONS, resources: ['*'] })],
      });
      Validations.of(vpcAccess).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Lambda creates and deletes the ENIs of a VPC function with these EC2 actions, which do not support resource-level permissions (the grant of AWSLambdaVPCAccessExecutionRole, written out instead of an AWS managed policy).',
      });
      // Lambda checks the role's ENI permissions when it creates the function.
      this.fn.function.node.addDependency(vpcAccess);
    }

    // A missed run is not worth a late one: a retried invocation would probe a minute late and
    // overlap the next. Lambda's own async retries are off for the same reason.
    // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
    this.fn.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    this.rounds = new RoundQueue(this, 'Rounds', { fn: this.fn, functionTimeout: Duration.seconds(this.sizing.timeoutS) });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Runs the Vantage probe at ${props.location} every minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.fn.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}

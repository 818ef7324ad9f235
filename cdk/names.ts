/**
 * Physical names, built as plain strings so a probe stack in one region can name the table in the home
 * region without a cross-stack reference (CloudFormation exports do not cross regions, and
 * `crossRegionReferences` would add custom resources for nothing).
 */
import { createHash } from 'node:crypto';
import { Aws } from 'aws-cdk-lib';
import { deadLetterQueueName, deliveryQueueName } from '../shared/alert/delivery.ts';
import { TABLE_KEY_SCHEMA } from '../shared/store/table.ts';

export interface Names {
  readonly prefix: string;
  readonly table: string;
  readonly alertTopic: string;
  readonly opsTopic: string;
  /** The notifier's FIFO queue, named alike by the CLI (`vantage channels test`) and `vantage dev`. */
  readonly deliveryQueue: string;
  /** Its FIFO dead-letter queue. */
  readonly deadLetterQueue: string;
  /** The first dashboard's name; further ones are `<dashboard>-2`, `-3`, … (constructs/dashboard.ts). */
  readonly dashboard: string;
  readonly homeStack: string;
  probeStack(location: string): string;
  /**
   * The physical name of a location's probe function; `instance` ("1", "2", …) for a private
   * location's instances. Explicit so that probes in other regions can name it in their IAM policy and
   * environment at synth time (confirmation requests, retests on another instance).
   */
  probeFunction(location: string, instance?: string): string;
  /**
   * The IAM role of an agent location's agents. Explicit, so the ARN an agent host is configured with
   * (and an IAM user's `sts:AssumeRole` grant) survives the role being re-created.
   */
  agentRole(location: string): string;
  /** The IAM Roles Anywhere profile naming that role, for an agent location with a trust anchor. */
  agentProfile(location: string): string;
}

export interface NameOptions {
  /** lowercase, so it is valid in table, topic and stack names alike. @default 'vantage' */
  readonly prefix?: string;
  /** Part of the generated table name. */
  readonly homeRegion: string;
  /** `deployment.tableName`. @default generated, see generatedTableName */
  readonly tableName?: string;
}

/**
 * The table's name when the config sets none. Why not let CloudFormation name it: probe stacks in other
 * regions must know the name at synth time, as a plain string, and a name CloudFormation picks at
 * deploy time reaches another region only through `crossRegionReferences`. CDK's
 * `PhysicalName.GENERATE_IF_NEEDED` would generate one for exactly this case, but it refuses a stack
 * whose account is unresolved, which is how synth runs offline (core/lib/private/physical-name-generator).
 *
 * So the name is generated here, stable across synths, and it changes with the key schema: a change
 * that makes CloudFormation replace the table then creates the new one under a new name (a custom name
 * that stays the same makes replacement fail), while RETAIN keeps the old one. What a generated name
 * cannot do is survive `cdk destroy`: the retained table keeps the name, so adopt it (`cdk deploy
 * --import-existing-resources`, which works only for resources with a custom name) or set
 * `deployment.tableName` (README, "Deploying").
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html
 */
export function generatedTableName(prefix: string, homeStack: string, homeRegion: string): string {
  const hash = createHash('sha256').update(`${homeStack}\0${homeRegion}\0${JSON.stringify(TABLE_KEY_SCHEMA)}`).digest('hex').slice(0, 8);
  return `${prefix}-results-${hash}`;
}

/** Lambda's rule for a function's name: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-FunctionName */
const FUNCTION_NAME_MAX = 64;
const FUNCTION_NAME_CHARS = /[^A-Za-z0-9_-]/g;

/**
 * `<prefix>-probe-<location>[-<instance>]`, readable when it fits. A location name may hold "." (not
 * allowed in a function name) and may be 64 characters long, so a name that had to be changed (a
 * character replaced, or cut to 64) carries a hash of what it stands for: "a.b" and "a-b" stay apart,
 * and the name is the same on every synth.
 */
export function probeFunctionName(prefix: string, location: string, instance?: string): string {
  const wanted = `${prefix}-probe-${location}${instance !== undefined ? `-${instance}` : ''}`;
  const clean = wanted.replace(FUNCTION_NAME_CHARS, '-');
  if (clean === wanted && clean.length <= FUNCTION_NAME_MAX) return clean;
  const hash = createHash('sha256').update(wanted).digest('hex').slice(0, 8);
  const suffix = `-${hash}${instance !== undefined ? `-${instance}` : ''}`;
  const stem = `${prefix}-probe-${location}`.replace(FUNCTION_NAME_CHARS, '-').slice(0, FUNCTION_NAME_MAX - suffix.length).replace(/-+$/, '');
  return `${stem}${suffix}`;
}

/**
 * `wanted` when it fits the service's rule, else a stable replacement: the characters it refuses made
 * "-", cut to `max`, and a hash of `wanted` at the end so two names that changed alike stay apart.
 */
function fittedName(wanted: string, refused: RegExp, max: number): string {
  const clean = wanted.replace(refused, '-');
  if (clean === wanted && clean.length <= max) return clean;
  const suffix = `-${createHash('sha256').update(wanted).digest('hex').slice(0, 8)}`;
  return `${clean.slice(0, max - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** IAM's rule for a role name: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html */
const ROLE_NAME_MAX = 64;
const ROLE_NAME_REFUSED = /[^\w+=,.@-]/g;
/** Roles Anywhere's rule for a profile name: https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateProfile.html */
const PROFILE_NAME_MAX = 255;
const PROFILE_NAME_REFUSED = /[^ a-zA-Z0-9_-]/g;

/** `<prefix>-agent-<location>`, fitted to IAM's 64 characters. */
export function agentRoleName(prefix: string, location: string): string {
  return fittedName(`${prefix}-agent-${location}`, ROLE_NAME_REFUSED, ROLE_NAME_MAX);
}

/** `<prefix>-agent-<location>`, with the "." a location name may hold (and a profile name may not) replaced. */
export function agentProfileName(prefix: string, location: string): string {
  return fittedName(`${prefix}-agent-${location}`, PROFILE_NAME_REFUSED, PROFILE_NAME_MAX);
}

export function namesFor(opts: NameOptions): Names {
  const { prefix = 'vantage', homeRegion, tableName } = opts;
  const title = prefix.charAt(0).toUpperCase() + prefix.slice(1);
  const homeStack = `${title}-Home`;
  return {
    prefix,
    table: tableName ?? generatedTableName(prefix, homeStack, homeRegion),
    alertTopic: `${prefix}-alerts`,
    opsTopic: `${prefix}-ops`,
    deliveryQueue: deliveryQueueName(prefix),
    deadLetterQueue: deadLetterQueueName(prefix),
    dashboard: prefix,
    homeStack,
    // Stack names allow [A-Za-z0-9-]; location names may also hold "." and "_".
    probeStack: (location) => `${title}-Probe-${location.replace(/[^A-Za-z0-9-]/g, '-')}`,
    probeFunction: (location, instance) => probeFunctionName(prefix, location, instance),
    agentRole: (location) => agentRoleName(prefix, location),
    agentProfile: (location) => agentProfileName(prefix, location),
  };
}

/**
 * The results table's ARN from its parts. `account` is the deployment's pinned account or the stack's
 * own (the `AWS::AccountId` pseudo parameter): probe stacks deploy into the home stack's account.
 */
export function tableArn(homeRegion: string, tableName: string, account: string = Aws.ACCOUNT_ID): string {
  return `arn:${Aws.PARTITION}:dynamodb:${homeRegion}:${account}:table/${tableName}`;
}

/** A function's ARN from its parts, the account as in `tableArn`. */
export function functionArn(region: string, functionName: string, account: string = Aws.ACCOUNT_ID): string {
  return `arn:${Aws.PARTITION}:lambda:${region}:${account}:function:${functionName}`;
}

/**
 * The CloudWatch console page of a dashboard, for links in notifications. Dashboards are global, but
 * the console opens them in a region, and the console's host differs per partition.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Dashboards.html
 */
export function dashboardConsoleUrl(region: string, dashboardName: string): string {
  const host = region.startsWith('cn-') ? 'console.amazonaws.cn' : region.startsWith('us-gov-') ? 'console.amazonaws-us-gov.com' : 'console.aws.amazon.com';
  return `https://${region}.${host}/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(dashboardName)}`;
}

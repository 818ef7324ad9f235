/**
 * Physical names, built as plain strings so a probe stack in one region can name the table in the home
 * region without a cross-stack reference (CloudFormation exports do not cross regions, and
 * `crossRegionReferences` would add custom resources for nothing).
 */
import { Aws } from 'aws-cdk-lib';

export interface Names {
  readonly prefix: string;
  readonly table: string;
  readonly alertTopic: string;
  readonly opsTopic: string;
  readonly dashboard: string;
  readonly homeStack: string;
  probeStack(location: string): string;
}

/** @param prefix lowercase, so it is valid in table, topic and stack names alike */
export function namesFor(prefix = 'vantage'): Names {
  const title = prefix.charAt(0).toUpperCase() + prefix.slice(1);
  return {
    prefix,
    table: `${prefix}-results`,
    alertTopic: `${prefix}-alerts`,
    opsTopic: `${prefix}-ops`,
    dashboard: prefix,
    homeStack: `${title}-Home`,
    // Stack names allow [A-Za-z0-9-]; location names may also hold "." and "_".
    probeStack: (location) => `${title}-Probe-${location.replace(/[^A-Za-z0-9-]/g, '-')}`,
  };
}

/**
 * The results table's ARN from its parts. `account` is the deployment's pinned account or the stack's
 * own (the `AWS::AccountId` pseudo parameter): probe stacks deploy into the home stack's account.
 */
export function tableArn(homeRegion: string, tableName: string, account: string = Aws.ACCOUNT_ID): string {
  return `arn:${Aws.PARTITION}:dynamodb:${homeRegion}:${account}:table/${tableName}`;
}

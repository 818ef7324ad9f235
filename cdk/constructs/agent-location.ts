/**
 * One agent location (`deployment.agentLocations[]`), in the home stack: the IAM role its
 * `vantage agent` instances run as, with exactly what an agent does to the home table and the secrets
 * its checks name; for a location with a trust anchor, the IAM Roles Anywhere profile that hands the
 * role out for a certificate; and its DEFINITIONS item, written at deploy, which the agents read
 * (shared/store/agents.ts). The outputs are what an agent host is configured with.
 *
 * The agents' only channel is the table (results, beats, inbox, replies, definitions), so the role
 * reaches nothing else: no queue, no function, no other service.
 */
import { CfnOutput, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rolesanywhere from 'aws-cdk-lib/aws-rolesanywhere';
import * as cr from 'aws-cdk-lib/custom-resources';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Construct } from 'constructs';
import type { DefinitionsDocument } from '../../shared/config/definitions-file.ts';
import { VantageError } from '../../shared/errors.ts';
import { definitionsItem } from '../../shared/store/agents.ts';
import { functionExecution } from './vantage-function.ts';
import { checkPk, locationPk } from '../../shared/store/keys.ts';
import type { KmsGrant, SecretGrant } from '../secret-refs.ts';
import { grantSecretReads } from './secret-reads.ts';

/**
 * What an agent does in its own location's partition (shared/store/agents.ts, shared/store/dynamo.ts):
 * beats and the location heartbeat (PutItem), the beats and the inbox (Query), claiming a request
 * (DeleteItem), replies (PutItem, GetItem, DeleteItem), the DEFINITIONS item and the probe memory
 * (GetItem, UpdateItem), and a retest request to a sibling (PutItem).
 */
const OWN_LOCATION_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];

/**
 * What a Roles Anywhere session needs of the role's trust policy: the service assumes the role, tags
 * the session with the certificate's attributes and sets the source identity to its CN.
 * https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html
 */
const ROLES_ANYWHERE_TRUST_ACTIONS = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'];

/**
 * IAM's limit on all inline policies of one role together (whitespace not counted). The results
 * statement names every check of the location, so a location with hundreds of checks can pass it,
 * and CloudFormation would only say so at deploy.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
const ROLE_INLINE_POLICY_MAX_CHARS = 10_240;
/** What a token in a statement (the table's ARN) can render to, at most: partition, region, account and a 255-character table name. */
const TOKEN_RENDERED_MAX_CHARS = 320;

/** DynamoDB's largest item: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html */
const ITEM_MAX_BYTES = 400 * 1024;

/** The trust policy of an agent role: a Roles Anywhere trust anchor, or this account's IAM principals. */
class TrustAnchorPrincipal extends iam.PrincipalWithConditions {
  constructor(trustAnchorArn: string) {
    // Only sessions for certificates this anchor verified: without it, any anchor in the account would do.
    super(new iam.ServicePrincipal('rolesanywhere.amazonaws.com'), { ArnEquals: { 'aws:SourceArn': trustAnchorArn } });
  }

  /** One statement with the three actions, rather than Role's single sts:AssumeRole. */
  override addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(new iam.PolicyStatement({ actions: ROLES_ANYWHERE_TRUST_ACTIONS, principals: [this] }));
  }
}

/**
 * The role and log group of the custom-resource function that writes every agent location's
 * DEFINITIONS item. One per stack: AwsCustomResource runs all of a stack's calls in one singleton
 * function, whose role is the first one given. A role of our own, so the function gets no AWS managed
 * policy (AWSLambdaBasicExecutionRole would let it write to every log group) and logs with a retention.
 */
export class AgentDefinitionsWriter extends Construct {
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: { readonly logRetention?: logs.RetentionDays } = {}) {
    super(scope, id);
    ({ role: this.role, logGroup: this.logGroup } = functionExecution(this, 'Vantage: writes the DEFINITIONS item of each agent location at deploy (custom resource)', props.logRetention));
  }
}

/** What the app decides per agent location (../vantage.ts). */
export interface AgentLocationSpec {
  readonly location: string;
  /** `agentLocations[].trustAnchorArn`. @default none: the role trusts this account (an IAM user's access key) */
  readonly trustAnchorArn?: string;
  /** The role's physical name (../names.ts `agentRole`). */
  readonly roleName: string;
  /** The profile's name (../names.ts `agentProfile`); used only with a trust anchor. */
  readonly profileName: string;
  /** `toDefinitions(config, location)`: the checks the agents run, and which ones the role writes results of. */
  readonly document: DefinitionsDocument;
  /** The other agent locations its checks ask to confirm (../probe-peers.ts `confirmInboxes`). @default none */
  readonly confirmInboxes?: readonly string[];
  /** Exactly the secrets its checks name (../secret-refs.ts). @default none */
  readonly secrets?: readonly SecretGrant[];
  /** @default none */
  readonly kmsGrants?: readonly KmsGrant[];
}

export interface AgentLocationProps extends AgentLocationSpec {
  /** The home table's ARN (the stack's own table). */
  readonly tableArn: string;
  /** A plain string, for the agent command in the outputs. */
  readonly tableName: string;
  readonly homeRegion: string;
  readonly writer: AgentDefinitionsWriter;
}

export class AgentLocation extends Construct {
  readonly role: iam.Role;
  readonly profile?: rolesanywhere.CfnProfile;
  readonly definitions: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: AgentLocationProps) {
    super(scope, id);
    const { location } = props;
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: props.trustAnchorArn !== undefined ? new TrustAnchorPrincipal(props.trustAnchorArn) : new iam.AccountRootPrincipal(),
      description: `Vantage agents of ${location}: results, beats and inbox in the home table, and the secrets their checks name`,
    });
    const statements = agentStatements(props);
    grantSecretReads({ addToRolePolicy: (s) => statements.push(s) }, { secrets: props.secrets ?? [], kmsGrants: props.kmsGrants ?? [], owner: 'Check' });
    checkPolicySize(this, location, statements);
    for (const s of statements) this.role.addToPrincipalPolicy(s);

    if (props.trustAnchorArn !== undefined) {
      this.profile = new rolesanywhere.CfnProfile(this, 'Profile', { name: props.profileName, roleArns: [this.role.roleArn], enabled: true });
    }
    this.definitions = definitionsResource(this, props);
    outputs(this, props, this.role, this.profile);
  }
}

/** The table statements: every one on the table's ARN, each held to the partitions it needs. */
function agentStatements(props: AgentLocationProps): iam.PolicyStatement[] {
  // ForAllValues: BatchWriteItem carries many keys, and every one must be among these.
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
  const only = (pks: readonly string[]) => ({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...pks] } });
  const checkIds = props.document.checks.map((c) => c.id);
  const out = [
    new iam.PolicyStatement({ sid: 'OwnLocationItems', actions: OWN_LOCATION_ACTIONS, resources: [props.tableArn], conditions: only([locationPk(props.location)]) }),
  ];
  if (checkIds.length > 0) {
    // Results of its own checks only (`CHECK#<id>` keys): an agent cannot write another check's results or state.
    out.push(new iam.PolicyStatement({ sid: 'WriteResults', actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'], resources: [props.tableArn], conditions: only(checkIds.map(checkPk)) }));
  }
  const inboxes = props.confirmInboxes ?? [];
  if (inboxes.length > 0) {
    // A confirmation to another agent location is an inbox item there: a put, and nothing else in that partition.
    out.push(new iam.PolicyStatement({ sid: 'ConfirmToAgents', actions: ['dynamodb:PutItem'], resources: [props.tableArn], conditions: only(inboxes.map(locationPk)) }));
  }
  return out;
}

/** Fails the synth, naming the location, when the role's policy would pass IAM's size limit at deploy. */
function checkPolicySize(scope: Construct, location: string, statements: readonly iam.PolicyStatement[]): void {
  const doc = JSON.stringify(Stack.of(scope).resolve(new iam.PolicyDocument({ statements: [...statements] })));
  // Each reference (the table's ARN) counted at the longest it can render to.
  const tokens = (doc.match(/"(Ref|Fn::GetAtt|Fn::Join)"/g) ?? []).length;
  const chars = doc.length + tokens * TOKEN_RENDERED_MAX_CHARS;
  if (chars > ROLE_INLINE_POLICY_MAX_CHARS) {
    throw new VantageError('DEPLOYMENT_INVALID', `agent location ${location}: its role's policy would be about ${chars} characters, over IAM's ${ROLE_INLINE_POLICY_MAX_CHARS} for one role, because it names each of its checks; split the checks over more agent locations`);
  }
}

/**
 * The DEFINITIONS item, put at every deploy that changes it. The physical id is the version, so a new
 * version is an update CloudFormation runs. No delete call: when the id changes, CloudFormation deletes
 * the *old* physical resource after the update, and a DeleteItem then would remove the item just written
 * (same key). https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html
 */
function definitionsResource(scope: Construct, props: AgentLocationProps): cr.AwsCustomResource {
  const item = marshall(definitionsItem(props.location, props.document), { removeUndefinedValues: true });
  const bytes = Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(v)), 0);
  if (bytes > ITEM_MAX_BYTES) {
    throw new VantageError('DEPLOYMENT_INVALID', `agent location ${props.location}: its definitions are about ${Math.round(bytes / 1024)} KB, over DynamoDB's 400 KB item; split the checks over more agent locations`);
  }
  return new cr.AwsCustomResource(scope, 'Definitions', {
    onUpdate: {
      service: 'DynamoDB',
      action: 'PutItem',
      parameters: { TableName: props.tableName, Item: item },
      physicalResourceId: cr.PhysicalResourceId.of(props.document.sha256),
      // The item is in the template already; the function's log needs only the outcome.
      logging: cr.Logging.withDataHidden(),
    },
    policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({
      sid: 'PutDefinitions',
      actions: ['dynamodb:PutItem'],
      resources: [props.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [locationPk(props.location)] } },
    })]),
    role: props.writer.role,
    logGroup: props.writer.logGroup,
    // PutItem is in the runtime's SDK; installing the latest would need the internet at deploy.
    installLatestAwsSdk: false,
  });
}

function outputs(scope: Construct, props: AgentLocationProps, role: iam.Role, profile: rolesanywhere.CfnProfile | undefined): void {
  const where = `agent location ${props.location}`;
  // The command is read by people: a token would print as one.
  if (Token.isUnresolved(props.tableName)) throw new VantageError('DEPLOYMENT_INVALID', `${where}: the table name must be a plain string for the agent command`);
  new CfnOutput(scope, 'RoleArn', { value: role.roleArn, description: `The role the agents of ${where} run as` });
  if (profile) new CfnOutput(scope, 'ProfileArn', { value: profile.attrProfileArn, description: `The Roles Anywhere profile of ${where} (aws_signing_helper --profile-arn)` });
  new CfnOutput(scope, 'TableName', { value: props.tableName, description: `The home table the agents of ${where} write to` });
  new CfnOutput(scope, 'HomeRegion', { value: props.homeRegion, description: 'The home table\'s region' });
  new CfnOutput(scope, 'Command', { value: agentCommand(props.location, props.tableName, props.homeRegion), description: `Starts one agent of ${where}, with the role's credentials in its environment` });
}

/** The command line an agent host runs (cli/commands/agent.ts). */
export function agentCommand(location: string, tableName: string, region: string): string {
  return `vantage agent --location ${location} --table ${tableName} --region ${region}`;
}

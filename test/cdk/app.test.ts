/**
 * The whole app on the example config, synthesized once with real esbuild bundling and cdk-nag, then
 * read as CloudFormation.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVantage, type VantageStacks } from '../../cdk/vantage.ts';
import { parseDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigFile, type LoadedConfig } from '../../shared/config/load.ts';
import { dashboardCount } from '../../shared/deploy/dashboard-pages.ts';
import { DEPLOYED } from '../../shared/usecases/cost/index.ts';
import { RESULT_INSERT_FILTER } from '../../shared/store/keys.ts';
import { acknowledgements, actionsOf, cdkContext, policiesOf } from './template-walk.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vantage/checkout-token-AbCdEf';
// The generated table name (cdk/names.ts), written out: if it changes, every deployment's table is replaced.
const TABLE = 'vantage-results-f881e7d0';
const TABLE_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:us-east-1:', { Ref: 'AWS::AccountId' }, `:table/${TABLE}`]] };
const PARAMETER_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:', { Ref: 'AWS::AccountId' }, ':parameter/vantage/status-page-key']] };
const PROBE_STACKS = ['Vantage-Probe-us-east-1', 'Vantage-Probe-eu-west-1', 'Vantage-Probe-ap-southeast-1', 'Vantage-Probe-office-dc'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
/** A probe function's ARN as the template writes it: built from its explicit name (cdk/names.ts). */
const lambdaArn = (region: string, name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:lambda:${region}:`, { Ref: 'AWS::AccountId' }, `:function:${name}`]] });
/** A value with pseudo-parameter references filled in, as CloudFormation would at deploy time. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const refs: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': '123456789012' };
  return join[1].map((p) => (typeof p === 'string' ? p : refs[(p as { Ref: string }).Ref] ?? 'UNRESOLVED')).join(join[0]);
}
const renderedArn = (region: string, name: string) => `arn:aws:lambda:${region}:123456789012:function:${name}`;
/** The probe functions of a stack, by logical id. */
const functionsOf = (t: Template) => t.findResources('AWS::Lambda::Function');

let outdir: string;
let config: LoadedConfig;
let app: App;
let stacks: VantageStacks;
let assembly: CloudAssembly;
let synthMs: number;
const templates = new Map<string, Template>();
const raw = new Map<string, { Resources: Record<string, Record<string, unknown>> }>();

beforeAll(() => {
  // Prepare: a throwaway cloud assembly directory, so tests leave nothing in the checkout.
  outdir = mkdtempSync(join(tmpdir(), 'vantage-cdk-'));
  config = loadConfigFile('examples/checks.yaml');
  // The feature flags of cdk.json, as the CLI passes them, so the test synthesizes what `cdk synth` does.
  app = new App({ outdir, context: cdkContext() });
  const t0 = performance.now();
  stacks = buildVantage(app, config);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Act: in a test process, synth throws on any unacknowledged cdk-nag error.
  assembly = app.synth();
  synthMs = performance.now() - t0;
  for (const stack of assembly.stacks) {
    raw.set(stack.stackName, stack.template);
    templates.set(stack.stackName, Template.fromJSON(stack.template));
  }
}, 180_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const home = () => templates.get('Vantage-Home')!;
const probe = (location: string) => templates.get(`Vantage-Probe-${location}`)!;

describe('the app on examples/checks.yaml', () => {
  it('has a home stack and one probe stack per location and private location, each in its region', () => {
    expect([...templates.keys()].sort()).toEqual(['Vantage-Home', ...PROBE_STACKS].sort());
    const regions = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.environment.region]));
    expect(regions).toEqual({
      'Vantage-Home': 'us-east-1',
      'Vantage-Probe-us-east-1': 'us-east-1',
      'Vantage-Probe-eu-west-1': 'eu-west-1',
      'Vantage-Probe-ap-southeast-1': 'ap-southeast-1',
      'Vantage-Probe-office-dc': 'eu-west-1',
    });
    // No account in the config and none from credentials: left to deploy time, so synth runs offline.
    expect(assembly.stacks.every((s) => s.environment.account === 'unknown-account')).toBe(true);
    expect(Token.isUnresolved(stacks.home.account)).toBe(true);
    console.info(`synth with bundling and cdk-nag: ${Math.round(synthMs)} ms`);
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding, errors and warnings alike', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });

  it('acknowledges exactly these findings, each on the resource it covers and with a reason', () => {
    const acks = acknowledgements(app).map(({ path, id, reason }) => ({ path, id, hasReason: reason.length > 40 }));
    expect(acks.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'Vantage-Home/Evaluator/DeadLetters', id: 'AwsSolutions-SQS3', hasReason: true },
      { path: 'Vantage-Home/Evaluator/ListStreams', id: 'AwsSolutions-IAM5[Resource::*]', hasReason: true },
      { path: 'Vantage-Probe-office-dc/Probe1/VpcAccess', id: 'AwsSolutions-IAM5[Resource::*]', hasReason: true },
      { path: 'Vantage-Probe-office-dc/Probe2/VpcAccess', id: 'AwsSolutions-IAM5[Resource::*]', hasReason: true },
      ...['Vantage-Probe-ap-southeast-1/Probe', 'Vantage-Probe-eu-west-1/Probe', 'Vantage-Probe-office-dc/Probe1', 'Vantage-Probe-office-dc/Probe2', 'Vantage-Probe-us-east-1/Probe']
        .map((p) => ({ path: `${p}/Rounds/Queue`, id: 'AwsSolutions-SQS3', hasReason: true })),
    ].sort((a, b) => a.path.localeCompare(b.path)));
  });

  it('runs every function on Node.js 24, arm64, with a log group that has a retention', () => {
    let functions = 0;
    for (const [name, t] of templates) {
      for (const [id, fn] of Object.entries(t.findResources('AWS::Lambda::Function'))) {
        functions++;
        expect(fn['Properties'], `${name}/${id}`).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', LoggingConfig: { LogGroup: { Ref: expect.any(String) } } });
      }
      for (const group of Object.values(t.findResources('AWS::Logs::LogGroup'))) expect(group['Properties']['RetentionInDays']).toBe(30);
      expect(Object.keys(t.findResources('AWS::Logs::LogGroup')).length).toBe(Object.keys(t.findResources('AWS::Lambda::Function')).length);
    }
    // The evaluator, the notifier, one probe per region, two instances of office-dc.
    expect(functions).toBe(7);
  });

  it('never allows an IAM action with "*" in it, in any policy document of any stack', () => {
    const wildcards: string[] = [];
    let statements = 0;
    for (const [name, template] of raw) {
      for (const policy of policiesOf(template)) {
        for (const s of policy.statements) {
          statements++;
          // KMS key policies start with the account-root statement that hands the key to IAM; without
          // it the key cannot be managed at all. Everything else names its actions.
          // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
          const isKeyRootDelegation = policy.type === 'AWS::KMS::Key' && JSON.stringify(s['Principal']).includes(':root') && s['Action'] === 'kms:*';
          if (isKeyRootDelegation) continue;
          // A Deny takes away: enforceSSL's `Deny sqs:*` unless over TLS is the strictest form there is.
          if (s['Effect'] === 'Deny') {
            expect(s['Condition'], `${name}/${policy.where}`).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
            continue;
          }
          for (const action of actionsOf(s)) if (action.includes('*')) wildcards.push(`${name}/${policy.where}: ${action}`);
        }
      }
    }
    expect(statements).toBeGreaterThan(30);
    expect(wildcards).toEqual([]);
  });
});

describe('home stack', () => {
  it('has the results table: pk/sk strings, NEW_IMAGE stream, TTL on ttl, PITR, deletion protection, on demand, retained', () => {
    home().resourceCountIs('AWS::DynamoDB::Table', 1);
    home().hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: TABLE,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('maps the stream to the evaluator: result inserts only, partial batches, bisect, bounded retries and age, SQS on failure, one batch per shard', () => {
    // The stream's, and the notifier's queue (notifier.test.ts).
    home().resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    const [queueId] = Object.keys(home().findResources('AWS::SQS::Queue')).filter((id) => id.startsWith('EvaluatorDeadLetters'));
    home().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResultsTable'), 'StreamArn'] },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(RESULT_INSERT_FILTER) }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 1800,
      ParallelizationFactor: 1,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    expect(JSON.parse(JSON.stringify(RESULT_INSERT_FILTER))).toEqual({ eventName: ['INSERT'], dynamodb: { NewImage: { type: { S: ['RESULT'] } } } });
    home().hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  it('gives the evaluator the table, the alert topic, the ops topic (INSTANCE_SILENT), the delivery queue and nothing else', () => {
    const evaluator = Object.entries(home().findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('EvaluatorHandler'))![1];
    expect(evaluator['Properties']['Environment']['Variables']).toEqual({
      NODE_OPTIONS: expect.any(String),
      TABLE_NAME: { Ref: expect.stringMatching(/^ResultsTable/) },
      TOPIC_ARN: { Ref: expect.stringMatching(/^AlertsTopic/) },
      OPS_TOPIC_ARN: { Ref: expect.stringMatching(/^OpsTopic/) },
      QUEUE_URL: { Ref: expect.stringMatching(/^NotifierQueue/) },
    });
    // The evaluator's own policies (the notifier's role is tested in notifier.test.ts).
    const [roleId] = Object.keys(home().findResources('AWS::IAM::Role')).filter((id) => id.startsWith('EvaluatorHandlerRole'));
    const own = policiesOf(raw.get('Vantage-Home')!).filter((p) => p.type === 'AWS::IAM::Policy' && JSON.stringify(raw.get('Vantage-Home')!.Resources[p.where]!['Properties']).includes(`{"Ref":"${roleId}"}`));
    const publish = own.flatMap((p) => p.statements).filter((s) => actionsOf(s).includes('sns:Publish') && s['Effect'] === 'Allow' && !s['Principal']);
    expect(publish.flatMap((s) => ([] as unknown[]).concat(s['Resource'])).map((r) => (r as { Ref: string }).Ref.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AlertsTopic', 'OpsTopic']);
    // And both topics' keys, which SNS uses on the publisher's behalf.
    const keyUse = own.flatMap((p) => p.statements).filter((s) => actionsOf(s).includes('kms:GenerateDataKey'));
    expect(keyUse.flatMap((s) => ([] as unknown[]).concat(s['Resource'])).map((r) => (r as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AlertsKey', 'OpsKey']);
    const statements = own.flatMap((p) => p.statements);
    expect(statements.map((s) => actionsOf(s).sort().join(',')).sort()).toEqual([
      'dynamodb:BatchGetItem,dynamodb:GetItem,dynamodb:PutItem',
      'dynamodb:DescribeStream,dynamodb:GetRecords,dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:Query',
      'dynamodb:Query,dynamodb:UpdateItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt,kms:GenerateDataKey',
      'logs:CreateLogStream,logs:PutLogEvents',
      'sns:Publish',
      'sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:SendMessage',
      'sqs:SendMessage',
    ]);
    // Enqueueing deliveries: the notifier's queue, nothing else.
    expect(statements.find((s) => s['Sid'] === 'EnqueueDeliveries')?.['Resource']).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^NotifierQueue/), 'Arn'] });
    // The sweep's ops marks (shared/store/ops-marks.ts) are the only items it updates: location items.
    const update = statements.find((s) => actionsOf(s).join() === 'dynamodb:UpdateItem');
    expect(update?.['Condition']).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOCATION#*'] } });
    // It queries the silences' partition (shared/store/keys.ts, pattern 13) and no other.
    home().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Sid: 'ReadSilences', Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResultsTable'), 'Arn'] }, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['SILENCE'] } } }]) },
    });
  });

  it('encrypts the alert topic with its own rotating KMS key and refuses publishing without TLS', () => {
    home().hasResourceProperties('AWS::SNS::Topic', { TopicName: 'vantage-alerts', KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlertsKey'), 'Arn'] } });
    home().hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    home().hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^AlertsTopic') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('subscribes every channel\'s email addresses with a filter policy that admits only its own channel; webhooks go through the notifier', () => {
    const subs = Object.values(home().findResources('AWS::SNS::Subscription')).map((r) => r['Properties']);
    const alerts = subs.filter((p) => JSON.stringify(p['TopicArn']).includes('AlertsTopic'));
    expect(alerts.map((p) => ({ Protocol: p['Protocol'], Endpoint: p['Endpoint'], FilterPolicy: p['FilterPolicy'] }))).toEqual([
      { Protocol: 'email', Endpoint: 'oncall@example.com', FilterPolicy: { channels: ['oncall'] } },
      { Protocol: 'email', Endpoint: 'team@example.com', FilterPolicy: { channels: ['team'] } },
    ]);
    // The ops topic is a different topic, with the operators' address and no filter.
    const ops = subs.filter((p) => JSON.stringify(p['TopicArn']).includes('OpsTopic'));
    expect(ops).toEqual([{ Protocol: 'email', Endpoint: 'platform@example.com', TopicArn: { Ref: expect.stringMatching(/^OpsTopic/) } }]);
  });

  it('alarms on evaluator errors, iterator age, dead letters, the sweep not running and the notifier\'s queues, to the ops topic', () => {
    const alarms = Object.values(home().findResources('AWS::CloudWatch::Alarm')).map((r) => r['Properties']);
    expect(alarms.map((a) => a['MetricName']).sort()).toEqual(['ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible', 'Errors', 'IteratorAge', 'Sweep']);
    for (const a of alarms) {
      expect(a['AlarmActions']).toEqual([{ Ref: expect.stringMatching(/^OpsTopic/) }]);
      expect(a['OKActions']).toEqual(a['AlarmActions']);
    }
    expect(alarms.find((a) => a['MetricName'] === 'IteratorAge')).toMatchObject({ Threshold: 300_000, Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold' });
    // The ops topic lets CloudWatch alarms of this account publish and use its key.
    home().hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^OpsTopic') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
  });

  it('draws availability and p50/p95 latency per check with one line per location, from each location\'s region', () => {
    const [dashboard] = Object.values(home().findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard!['Properties']['DashboardName']).toBe('vantage');
    const parts = (dashboard!['Properties']['DashboardBody'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('')) as { widgets: Array<{ properties: { title: string; metrics: unknown[][] } }> };
    const byTitle = new Map(body.widgets.map((w) => [w.properties.title, w.properties.metrics]));
    const regionOf: Record<string, string> = { 'us-east-1': 'us-east-1', 'eu-west-1': 'eu-west-1', 'ap-southeast-1': 'ap-southeast-1', 'office-dc': 'eu-west-1' };
    for (const check of config.checks) {
      const title = check.name ? `${check.id} (${check.name})` : check.id;
      const availability = byTitle.get(`${title}: availability %`)!;
      // One expression line plus its hidden source metric per location.
      expect(availability.filter((m) => (m.at(-1) as { expression?: string }).expression)).toHaveLength(check.locations.length);
      for (const stat of ['p50', 'p95']) {
        const lines = byTitle.get(`${title}: ${stat} latency (ms)`)!;
        expect(lines.map((m) => ({ metric: m.slice(0, 6), ...(m[6] as object) }))).toEqual(check.locations.map((l) => ({
          metric: ['Vantage', 'Latency', 'CheckId', check.id, 'Location', l], label: l, region: regionOf[l], stat,
        })));
      }
    }
  });
});

describe('the sweep', () => {
  it('runs the evaluator every minute from the home region, with no retries and no event older than a minute', () => {
    const rules = Object.values(home().findResources('AWS::Events::Rule')).map((r) => r['Properties']);
    const [evaluatorId] = Object.keys(home().findResources('AWS::Lambda::Function'));
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [evaluatorId, 'Arn'] }, Id: expect.any(String), RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }],
    });
    // EventBridge may invoke it: the permission names the rule.
    home().hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [evaluatorId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SweepRule'), 'Arn'] },
    });
  });

  it('is alarmed on when it stops: no Sweep metric for 5 minutes is breaching, to the ops topic', () => {
    const alarm = Object.values(home().findResources('AWS::CloudWatch::Alarm')).map((r) => r['Properties']).find((a) => a['MetricName'] === 'Sweep');
    expect(alarm).toMatchObject({
      Namespace: 'Vantage', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 1,
      ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: expect.stringMatching(/^OpsTopic/) }], OKActions: [{ Ref: expect.stringMatching(/^OpsTopic/) }],
    });
    expect(alarm!['Dimensions']).toBeUndefined();
  });
});

describe('probe stacks', () => {
  it('schedule each probe function once a minute with its own rule, and nothing else: one per region, two for office-dc', () => {
    for (const name of PROBE_STACKS) {
      const t = templates.get(name)!;
      const fnIds = Object.keys(functionsOf(t)).sort();
      expect(fnIds, name).toHaveLength(name.endsWith('office-dc') ? 2 : 1);
      const rules = Object.values(t.findResources('AWS::Events::Rule')).map((r) => r['Properties']);
      for (const rule of rules) {
        expect(rule).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED', Targets: [{ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }] });
      }
      expect(rules.map((r) => (r['Targets'] as Array<{ Arn: { 'Fn::GetAtt': string[] } }>)[0]!.Arn['Fn::GetAtt'][0]).sort(), name).toEqual(fnIds);
    }
  });

  it('name every probe function explicitly, so the others can name it in their policies', () => {
    const names = PROBE_STACKS.flatMap((n) => Object.values(functionsOf(templates.get(n)!)).map((f) => f['Properties']['FunctionName'] as string)).sort();
    expect(names).toEqual(['vantage-probe-ap-southeast-1', 'vantage-probe-eu-west-1', 'vantage-probe-office-dc-1', 'vantage-probe-office-dc-2', 'vantage-probe-us-east-1']);
  });

  it('tell each probe which functions confirm its checks (CONFIRM_FUNCTIONS), and office-dc\'s instances who they are and who the other one is', () => {
    // Every public check runs in the three regions; office-dc's checks run there only, so it asks nobody.
    for (const region of REGIONS) {
      const [fn] = Object.values(functionsOf(probe(region)));
      const env = fn!['Properties']['Environment']['Variables'] as Record<string, unknown>;
      expect(JSON.parse(rendered(env['CONFIRM_FUNCTIONS']))).toEqual(Object.fromEntries(REGIONS.filter((r) => r !== region).map((r) => [r, [renderedArn(r, `vantage-probe-${r}`)]])));
      expect(env).not.toHaveProperty('INSTANCE');
      expect(env).not.toHaveProperty('INSTANCE_FUNCTIONS');
    }
    const instances = Object.values(functionsOf(probe('office-dc'))).map((f) => f['Properties']['Environment']['Variables'] as Record<string, unknown>);
    expect(instances.map((env) => ({
      INSTANCE: env['INSTANCE'], CONFIRM: JSON.parse(rendered(env['CONFIRM_FUNCTIONS'])) as unknown, OTHERS: JSON.parse(rendered(env['INSTANCE_FUNCTIONS'])) as unknown,
    }))).toEqual([
      { INSTANCE: '1', CONFIRM: {}, OTHERS: { 2: renderedArn('eu-west-1', 'vantage-probe-office-dc-2') } },
      { INSTANCE: '2', CONFIRM: {}, OTHERS: { 1: renderedArn('eu-west-1', 'vantage-probe-office-dc-1') } },
    ]);
  });

  it('may invoke exactly the other locations\' probe functions of their checks, and office-dc\'s instances only each other', () => {
    const invokes = (location: string) => policiesOf(raw.get(`Vantage-Probe-${location}`)!).flatMap((p) => p.statements).filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    for (const region of REGIONS) {
      const statements = invokes(region);
      expect(statements.map((s) => actionsOf(s))).toEqual([['lambda:InvokeFunction']]);
      const resources = ([] as unknown[]).concat(statements[0]!['Resource']);
      expect(resources.map(rendered).sort()).toEqual(REGIONS.filter((r) => r !== region).map((r) => renderedArn(r, `vantage-probe-${r}`)).sort());
      expect(resources).toContainEqual(lambdaArn(REGIONS.find((r) => r !== region)!, `vantage-probe-${REGIONS.find((r) => r !== region)!}`));
      expect(JSON.stringify(resources)).not.toContain('*');
    }
    const dc = invokes('office-dc');
    expect(dc.map((s) => ({ where: s['Sid'], resource: rendered(s['Resource']) }))).toEqual([
      { where: 'InvokeOtherProbes', resource: renderedArn('eu-west-1', 'vantage-probe-office-dc-2') },
      { where: 'InvokeOtherProbes', resource: renderedArn('eu-west-1', 'vantage-probe-office-dc-1') },
    ]);
  });

  it('pass the table name and home region as plain strings, the location name, phase metrics off by default, and the probe runtime (shared/deploy/lambda-build.ts)', () => {
    for (const location of ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'office-dc']) {
      probe(location).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: {
          TABLE_NAME: TABLE, HOME_REGION: 'us-east-1', LOCATION: location, PHASE_METRICS: 'false',
          // 512 MB functions: the old generation as Lambda's bootstrap would size it, an 8 MB young one.
          NODE_OPTIONS: '--max-semi-space-size=8 --max-old-space-size=461', MALLOC_ARENA_MAX: '2',
        } },
      });
    }
  });

  it('size memory and timeout from their checks: the whole minute (staggered rounds and rechecks) plus one 5 s attempt, its retest and the write', () => {
    for (const name of PROBE_STACKS) templates.get(name)!.allResourcesProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 80 });
  });

  it('may write results to the home table by its ARN, read and update only their own location\'s items, and read exactly the secrets their checks name', () => {
    const expected = {
      'us-east-1': true, 'eu-west-1': true, 'ap-southeast-1': true, 'office-dc': false,
    } as const;
    for (const [location, hasSecrets] of Object.entries(expected)) {
      const statements = policiesOf(raw.get(`Vantage-Probe-${location}`)!).filter((p) => p.type === 'AWS::IAM::Policy' && /^Probe\d*HandlerRole/.test(p.where)).flatMap((p) => p.statements);
      const byAction = statements.map((s) => ({ actions: actionsOf(s).sort(), resource: s['Resource'], condition: s['Condition'] }));
      const perFunction = location === 'office-dc' ? 2 : 1;
      // Results carry CHECK# keys, so their writes cannot be held to the location's partition.
      expect(byAction.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')))).toEqual(Array.from({ length: perFunction }, () => [
        { actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'], resource: TABLE_ARN, condition: undefined },
        { actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: TABLE_ARN, condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`LOCATION#${location}`] } } },
      ]).flat());
      const reads = byAction.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:') || a.startsWith('ssm:')));
      expect(reads).toEqual(hasSecrets ? [
        { actions: ['secretsmanager:GetSecretValue'], resource: SECRET_ARN },
        { actions: ['ssm:GetParameter'], resource: PARAMETER_ARN },
      ] : []);
    }
  });

  it('have no heartbeat alarm, ops topic or KMS key of their own: silence is the sweep\'s, in the home region', () => {
    for (const name of PROBE_STACKS) {
      const types = new Set(Object.values(raw.get(name)!.Resources).map((r) => r['Type'] as string));
      for (const type of ['AWS::CloudWatch::Alarm', 'AWS::SNS::Topic', 'AWS::SNS::Subscription', 'AWS::SNS::TopicPolicy', 'AWS::KMS::Key']) expect(types.has(type), `${name} ${type}`).toBe(false);
    }
  });

  it('put the private location in its subnets, with egress only to the declared CIDRs and ports plus HTTPS, and no ingress', () => {
    const t = probe('office-dc');
    t.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    const [sgId] = Object.keys(t.findResources('AWS::EC2::SecurityGroup'));
    // instances: 2 (the default) in two zones: one subnet each, a different one, the same security group.
    expect(Object.values(functionsOf(t)).map((f) => f['Properties']['VpcConfig'])).toEqual([
      { SubnetIds: ['subnet-0a1b2c3d4e5f60001'], SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }] },
      { SubnetIds: ['subnet-0a1b2c3d4e5f60002'], SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }] },
    ]);
    const sg = t.findResources('AWS::EC2::SecurityGroup')[sgId!]!['Properties'];
    expect(sg['VpcId']).toBe('vpc-0a1b2c3d4e5f60718');
    expect(sg['SecurityGroupIngress']).toBeUndefined();
    expect((sg['SecurityGroupEgress'] as Array<Record<string, unknown>>).map(({ Description: _, ...rule }) => rule)).toEqual([
      { CidrIp: '10.20.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
      { CidrIp: '10.20.0.0/16', IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 },
      { CidrIp: '10.20.0.0/16', IpProtocol: 'tcp', FromPort: 50051, ToPort: 50051 },
      { CidrIp: '10.20.0.2/32', IpProtocol: 'udp', FromPort: 53, ToPort: 53 },
      { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
    ]);
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    t.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
    // Public locations are not in a VPC at all.
    probe('eu-west-1').resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(JSON.stringify(raw.get('Vantage-Probe-eu-west-1'))).not.toContain('VpcConfig');
  });
});

describe('what the cost model bills (shared/usecases/cost/estimate.ts)', () => {
  it('has exactly the alarms, dashboards and KMS keys it counts, per deployment and per location', () => {
    const count = (t: Template, type: string) => Object.keys(t.findResources(type)).length;
    const notifierAlarms = Object.keys(home().findResources('AWS::CloudWatch::Alarm')).filter((id) => id.startsWith('Notifier')).length;
    expect(notifierAlarms).toBe(DEPLOYED.notifierAlarms);
    expect(count(home(), 'AWS::CloudWatch::Alarm')).toBe(DEPLOYED.evaluatorAlarms + DEPLOYED.sweepAlarms + DEPLOYED.notifierAlarms);
    expect(count(home(), 'AWS::CloudWatch::Dashboard')).toBe(dashboardCount(config.checks.filter((c) => c.enabled)));
    expect(count(home(), 'AWS::KMS::Key')).toBe(DEPLOYED.homeKmsKeys);
    expect(count(home(), 'AWS::Events::Rule')).toBe(DEPLOYED.sweepRules);
    for (const location of ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'office-dc']) {
      for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Dashboard', 'AWS::KMS::Key']) expect(count(probe(location), type)).toBe(0);
    }
  });

  it('reads only the metrics the deployment declares by default: Success and Latency per check × location, Maintenance per check, the sweep\'s, no phase, no heartbeat', () => {
    const names = (json: string) => [...new Set([...json.matchAll(/"Vantage\\?",\\?"(\w+)\\?"/g)].map((m) => m[1]))].sort();
    const dashboard = JSON.stringify(home().findResources('AWS::CloudWatch::Dashboard'));
    expect(names(dashboard)).toEqual(['Latency', 'Maintenance', 'Success', 'Sweep']);
    const alarms = [home(), ...PROBE_STACKS.map((n) => templates.get(n)!)].flatMap((t) => Object.values(t.findResources('AWS::CloudWatch::Alarm')));
    expect(alarms.map((a) => a['Properties']['MetricName']).filter((m) => m !== undefined && !['Errors', 'IteratorAge', 'ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage'].includes(m)).sort()).toEqual(['Sweep']);
    expect(dashboard).not.toContain('Phase');
  });
});

describe('bundles', () => {
  function assetDir(stackName: string, idPrefix = ''): string {
    const t = raw.get(stackName)!;
    const fn = Object.entries(t.Resources).find(([id, r]) => r['Type'] === 'AWS::Lambda::Function' && id.startsWith(idPrefix))![1];
    const key = ((fn['Properties'] as { Code: { S3Key: string } }).Code.S3Key).replace(/\.zip$/, '');
    return join(outdir, `asset.${key}`);
  }

  it('are ESM with the definitions next to them: the probe gets its own location\'s checks, the evaluator all and the channels', () => {
    const sizes: Record<string, number> = {};
    for (const name of ['Vantage-Home', ...PROBE_STACKS]) {
      const dir = assetDir(name);
      expect(readdirSync(dir).sort(), name).toEqual(['definitions.json', 'index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __vantageCreateRequire }')).toBe(true);
      sizes[name] = statSync(join(dir, 'index.mjs')).size;
      const defs = parseDefinitions(readFileSync(join(dir, 'definitions.json'), 'utf8'));
      if (name === 'Vantage-Home') {
        expect(defs.location).toBeUndefined();
        expect(defs.checks.map((c) => c.id)).toEqual(config.checks.map((c) => c.id));
        expect(Object.keys(defs.channels)).toEqual(['oncall', 'team']);
      } else {
        const location = name.replace('Vantage-Probe-', '');
        expect(defs.location).toBe(location);
        expect(defs.checks.map((c) => c.id)).toEqual(config.checks.filter((c) => c.locations.includes(location)).map((c) => c.id));
        expect(defs.channels).toEqual({});
      }
      // References only: the bundle never holds a secret value.
      expect(readFileSync(join(dir, 'definitions.json'), 'utf8')).toContain(name === 'Vantage-Probe-office-dc' ? '"schemaVersion"' : SECRET_ARN);
    }
    console.info(`bundle sizes (index.mjs): ${Object.entries(sizes).map(([k, v]) => `${k} ${(v / 1024).toFixed(0)} KiB`).join(', ')}`);
    for (const size of Object.values(sizes)) expect(size).toBeLessThan(5 * 1024 * 1024);
  });

  it('give the notifier the evaluator\'s definitions, channels included, as its own asset', () => {
    const notifier = assetDir('Vantage-Home', 'NotifierHandler');
    expect(notifier).not.toBe(assetDir('Vantage-Home', 'EvaluatorHandler'));
    expect(readdirSync(notifier).sort()).toEqual(['definitions.json', 'index.mjs', 'index.mjs.map']);
    expect(readFileSync(join(notifier, 'definitions.json'), 'utf8')).toBe(readFileSync(join(assetDir('Vantage-Home', 'EvaluatorHandler'), 'definitions.json'), 'utf8'));
    expect(Object.keys(parseDefinitions(readFileSync(join(notifier, 'definitions.json'), 'utf8')).channels)).toEqual(['oncall', 'team']);
    const size = statSync(join(notifier, 'index.mjs')).size;
    console.info(`notifier bundle (index.mjs): ${(size / 1024).toFixed(0)} KiB`);
    expect(size).toBeLessThan(5 * 1024 * 1024);
  });

});

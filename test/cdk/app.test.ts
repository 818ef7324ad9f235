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
      { path: 'Vantage-Probe-office-dc/Probe/VpcAccess', id: 'AwsSolutions-IAM5[Resource::*]', hasReason: true },
    ]);
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
    expect(functions).toBe(5);
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
    home().resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    const [queueId] = Object.keys(home().findResources('AWS::SQS::Queue'));
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

  it('gives the evaluator the table, the topic and nothing else', () => {
    home().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TABLE_NAME: { Ref: Match.stringLikeRegexp('^ResultsTable') }, TOPIC_ARN: { Ref: Match.stringLikeRegexp('^AlertsTopic') } } },
    });
    const statements = policiesOf(raw.get('Vantage-Home')!).filter((p) => p.type === 'AWS::IAM::Policy').flatMap((p) => p.statements);
    expect(statements.map((s) => actionsOf(s).sort().join(',')).sort()).toEqual([
      'dynamodb:BatchGetItem,dynamodb:GetItem,dynamodb:PutItem',
      'dynamodb:DescribeStream,dynamodb:GetRecords,dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'kms:Decrypt,kms:GenerateDataKey',
      'logs:CreateLogStream,logs:PutLogEvents',
      'sns:Publish',
      'sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:SendMessage',
    ]);
  });

  it('encrypts the alert topic with its own rotating KMS key and refuses publishing without TLS', () => {
    home().hasResourceProperties('AWS::SNS::Topic', { TopicName: 'vantage-alerts', KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlertsKey'), 'Arn'] } });
    home().hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    home().hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^AlertsTopic') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('subscribes every channel address with a filter policy that admits only its own channel', () => {
    const subs = Object.values(home().findResources('AWS::SNS::Subscription')).map((r) => r['Properties']);
    const alerts = subs.filter((p) => JSON.stringify(p['TopicArn']).includes('AlertsTopic'));
    expect(alerts.map((p) => ({ Protocol: p['Protocol'], Endpoint: p['Endpoint'], FilterPolicy: p['FilterPolicy'] }))).toEqual([
      { Protocol: 'email', Endpoint: 'oncall@example.com', FilterPolicy: { channels: ['oncall'] } },
      { Protocol: 'https', Endpoint: 'https://hooks.example.com/vantage/alerts', FilterPolicy: { channels: ['oncall'] } },
      { Protocol: 'email', Endpoint: 'team@example.com', FilterPolicy: { channels: ['team'] } },
    ]);
    // The ops topic is a different topic, with the operators' address and no filter.
    const ops = subs.filter((p) => JSON.stringify(p['TopicArn']).includes('OpsTopic'));
    expect(ops).toEqual([{ Protocol: 'email', Endpoint: 'platform@example.com', TopicArn: { Ref: expect.stringMatching(/^OpsTopic/) } }]);
  });

  it('alarms on evaluator errors, iterator age and dead letters, to the ops topic', () => {
    const alarms = Object.values(home().findResources('AWS::CloudWatch::Alarm')).map((r) => r['Properties']);
    expect(alarms.map((a) => a['MetricName']).sort()).toEqual(['ApproximateNumberOfMessagesVisible', 'Errors', 'IteratorAge']);
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

describe('probe stacks', () => {
  it('schedule each location once a minute, and nothing else', () => {
    for (const name of PROBE_STACKS) {
      const t = templates.get(name)!;
      t.resourceCountIs('AWS::Events::Rule', 1);
      t.resourceCountIs('AWS::Lambda::Function', 1);
      const [fnId] = Object.keys(t.findResources('AWS::Lambda::Function'));
      t.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
      });
    }
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

  it('size memory and timeout from their checks (the 30 s checkout check stretches us-east-1 over the minute)', () => {
    probe('us-east-1').hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 50 });
    probe('office-dc').hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 30 });
  });

  it('may write results to the home table by its ARN, and read exactly the secrets their checks name', () => {
    const expected = {
      'us-east-1': true, 'eu-west-1': true, 'ap-southeast-1': true, 'office-dc': false,
    } as const;
    for (const [location, hasSecrets] of Object.entries(expected)) {
      const statements = policiesOf(raw.get(`Vantage-Probe-${location}`)!).filter((p) => p.type === 'AWS::IAM::Policy' && p.where.startsWith('ProbeHandlerRole')).flatMap((p) => p.statements);
      const byAction = statements.map((s) => ({ actions: actionsOf(s).sort(), resource: s['Resource'] }));
      expect(byAction.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')))).toEqual([{ actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'], resource: TABLE_ARN }]);
      const reads = byAction.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:') || a.startsWith('ssm:')));
      expect(reads).toEqual(hasSecrets ? [
        { actions: ['secretsmanager:GetSecretValue'], resource: SECRET_ARN },
        { actions: ['ssm:GetParameter'], resource: PARAMETER_ARN },
      ] : []);
    }
  });

  it('alarm when their location goes silent, treating missing data as breaching, on an ops topic in their own region', () => {
    for (const location of ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'office-dc']) {
      const t = probe(location);
      t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Vantage',
        MetricName: 'Heartbeat',
        Dimensions: [{ Name: 'Location', Value: location }],
        Statistic: 'Sum',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: 'breaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^OpsTopic') }],
      });
      t.hasResourceProperties('AWS::SNS::Topic', { TopicName: `vantage-ops-${location}`, KmsMasterKeyId: Match.anyValue() });
    }
  });

  it('put the private location in its subnets, with egress only to the declared CIDRs and ports plus HTTPS, and no ingress', () => {
    const t = probe('office-dc');
    t.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    const [sgId] = Object.keys(t.findResources('AWS::EC2::SecurityGroup'));
    t.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'], SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }] },
    });
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
    expect(count(home(), 'AWS::CloudWatch::Alarm')).toBe(DEPLOYED.evaluatorAlarms);
    expect(count(home(), 'AWS::CloudWatch::Dashboard')).toBe(dashboardCount(config.checks.filter((c) => c.enabled)));
    expect(count(home(), 'AWS::KMS::Key')).toBe(DEPLOYED.homeKmsKeys);
    for (const location of ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'office-dc']) {
      expect(count(probe(location), 'AWS::CloudWatch::Alarm')).toBe(DEPLOYED.alarmsPerLocation);
      expect(count(probe(location), 'AWS::CloudWatch::Dashboard')).toBe(0);
      expect(count(probe(location), 'AWS::KMS::Key')).toBe(DEPLOYED.kmsKeysPerLocation);
    }
  });

  it('reads only the metrics a probe declares by default: Success, Latency and Heartbeat, no phase', () => {
    const names = (json: string) => [...new Set([...json.matchAll(/"Vantage\\?",\\?"(\w+)\\?"/g)].map((m) => m[1]))].sort();
    const dashboard = JSON.stringify(home().findResources('AWS::CloudWatch::Dashboard'));
    expect(names(dashboard)).toEqual(['Heartbeat', 'Latency', 'Success']);
    const alarms = [home(), ...PROBE_STACKS.map((n) => templates.get(n)!)].flatMap((t) => Object.values(t.findResources('AWS::CloudWatch::Alarm')));
    expect(alarms.map((a) => a['Properties']['MetricName']).filter((m) => m !== undefined && !['Errors', 'IteratorAge', 'ApproximateNumberOfMessagesVisible'].includes(m)).sort()).toEqual(['Heartbeat', 'Heartbeat', 'Heartbeat', 'Heartbeat']);
    expect(dashboard).not.toContain('Phase');
  });
});

describe('bundles', () => {
  function assetDir(stackName: string): string {
    const t = raw.get(stackName)!;
    const fn = Object.values(t.Resources).find((r) => r['Type'] === 'AWS::Lambda::Function')!;
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

});

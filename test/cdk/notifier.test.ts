/**
 * The notifier as `cdk synth` writes it: the FIFO delivery queue and its FIFO dead-letter queue, the
 * SQS mapping, the alarms, and a role that can do exactly what delivering needs (the secrets its
 * channels name and no others, the channel items of the table, no wildcard action). Bundling is
 * skipped (`aws:cdk:bundling-stacks: []`); app.test.ts and probe-bundles.test.ts bundle for real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertTopic } from '../../cdk/constructs/alert-topic.ts';
import { longestDwell, Notifier } from '../../cdk/constructs/notifier.ts';
import { OpsTopic } from '../../cdk/constructs/ops-topic.ts';
import { ResultsTable } from '../../cdk/constructs/results-table.ts';
import { dashboardConsoleUrl } from '../../cdk/names.ts';
import { buildVantage, PLAIN_CHANNEL_SECRET_WARNING } from '../../cdk/vantage.ts';
import { deadLetterQueueName, deliveryQueueName } from '../../shared/alert/delivery.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import type { ChannelConfig } from '../../shared/config/schema.ts';
import { AWS_NOTIFIER_RETRY } from '../../shared/usecases/notify/notifier-handler.ts';
import { acknowledgements, actionsOf, cdkContext, policiesOf } from './template-walk.ts';

type Json = Record<string, unknown>;
type Raw = { Resources: Record<string, Json>; Outputs?: Record<string, Json> };

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function synth(yaml: string, opts: Parameters<typeof buildVantage>[2] = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'vantage-cdk-notifier-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildVantage(app, loadConfigText(yaml), opts);
  const assembly = app.synth();
  const raw = assembly.getStackByName(stacks.home.stackName).template as Raw;
  return { app, stacks, raw, template: Template.fromJSON(raw) };
}

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vantage/pagerduty-AbCdEf';
const OTHER_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vantage/unused-ZyXwVu';
const KEY_US = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BASE = `
deployment:
  homeRegion: us-east-1
  account: "123456789012"
  locations: [us-east-1]
  opsEmail: [platform@example.com]
defaults: { locations: [us-east-1] }
checks:
  - id: a
    http: { url: "https://example.com", headers: { X-Key: { secretsManager: "${OTHER_SECRET_ARN}" } } }
`;
/** Two channels naming two different secrets, one by Secrets Manager ARN and one by SSM name. */
const REFS = `${BASE}channels:
  oncall:
    email: [oncall@example.com]
    pagerduty: { routingKey: { secretsManager: "${SECRET_ARN}" } }
  chat:
    slack: { webhook: { ssm: /vantage/slack-webhook } }
  hooks:
    webhook: [https://hooks.example.com/vantage]
`;
const NO_REFS = `${BASE}channels:
  oncall:
    email: [oncall@example.com]
    webhook: [https://hooks.example.com/vantage]
`;
const PLAIN = {
  slack: 'https://hooks.slack.com/services/T0000/B0000/plainSlackSecret0001',
  teamsUrl: 'https://example.webhook.office.com/workflows/plainTeamsSecret0002',
  signing: 'plain-signing-secret-0003',
  routingKey: 'plainroutingkey00000000000000004',
};
const PLAIN_SECRETS = `${BASE}channels:
  chat:
    slack: { webhook: "${PLAIN.slack}" }
    teams: { url: "${PLAIN.teamsUrl}" }
  hooks:
    webhook: [{ url: "https://hooks.example.com/signed", secret: "${PLAIN.signing}" }]
  oncall:
    pagerduty: { routingKey: "${PLAIN.routingKey}" }
`;

/** The logical id of the one resource of a type whose id starts with `prefix`. */
function idOf(raw: Raw, type: string, prefix: string): string {
  const ids = Object.entries(raw.Resources).filter(([id, r]) => r['Type'] === type && id.startsWith(prefix)).map(([id]) => id);
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0]!;
}

/** Every statement of the IAM policies attached to the role whose logical id starts with `rolePrefix`. */
function roleStatements(raw: Raw, rolePrefix: string): Json[] {
  const roleId = idOf(raw, 'AWS::IAM::Role', rolePrefix);
  return Object.values(raw.Resources)
    .filter((r) => r['Type'] === 'AWS::IAM::Policy' && JSON.stringify((r['Properties'] as Json)['Roles']) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((r) => ((r['Properties'] as { PolicyDocument: { Statement: Json[] } }).PolicyDocument.Statement));
}

/** A value with the partition filled in, as CloudFormation would (the account is pinned). */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return JSON.stringify(value);
  return join[1].map((p) => (typeof p === 'string' ? p : (p as { Ref?: string }).Ref === 'AWS::Partition' ? 'aws' : JSON.stringify(p))).join(join[0]);
}

const resourcesOf = (s: Json) => ([] as unknown[]).concat(s['Resource']);
const secretReads = (statements: Json[]) => statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:') || a.startsWith('ssm:')));

describe('the delivery queue', () => {
  const { raw, template } = synth(REFS);
  const queueId = idOf(raw, 'AWS::SQS::Queue', 'NotifierQueue');
  const dlqId = idOf(raw, 'AWS::SQS::Queue', 'NotifierDeadLetters');
  const notifierId = idOf(raw, 'AWS::Lambda::Function', 'NotifierHandler');

  it('is FIFO, encrypted, 14 days, with a visibility of six function timeouts and a redrive to a FIFO DLQ after maxAttempts + 2', () => {
    const queue = raw.Resources[queueId]!['Properties'] as Json;
    const fn = raw.Resources[notifierId]!['Properties'] as Json;
    expect(queue).toMatchObject({
      QueueName: 'vantage-deliveries.fifo',
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: AWS_NOTIFIER_RETRY.maxAttempts + 2 },
    });
    expect(AWS_NOTIFIER_RETRY.maxAttempts + 2).toBe(12);
    expect(queue['VisibilityTimeout']).toBeGreaterThanOrEqual(6 * (fn['Timeout'] as number));
    expect(raw.Resources[dlqId]!['Properties']).toMatchObject({ QueueName: 'vantage-deliveries-dead.fifo', FifoQueue: true, SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    // Both refuse requests without TLS.
    for (const id of [queueId, dlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  it('feeds the notifier one record at a time, with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: notifierId },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('is named in the outputs, and the evaluator enqueues into it: QUEUE_URL and sqs:SendMessage on the queue', () => {
    template.hasOutput('DeliveryQueueUrl', { Value: { Ref: queueId } });
    template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: dlqId } });
    const evaluatorId = idOf(raw, 'AWS::Lambda::Function', 'EvaluatorHandler');
    const env = (raw.Resources[evaluatorId]!['Properties'] as { Environment: { Variables: Json } }).Environment.Variables;
    expect(env['QUEUE_URL']).toEqual({ Ref: queueId });
    const sends = roleStatements(raw, 'EvaluatorHandlerRole').filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(sends.flatMap(resourcesOf)).toContainEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
  });

  it('alarms to the ops topic on anything in the DLQ and on a message older than the retries allow', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => r['Properties'] as Json);
    const on = (id: string) => alarms.filter((a) => JSON.stringify(a['Dimensions'] ?? null).includes(`"${id}"`));
    expect(on(dlqId)).toHaveLength(1);
    expect(on(queueId)).toHaveLength(1);
    const [dlq, age] = [on(dlqId)[0], on(queueId)[0]];
    expect(dlq).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }] });
    expect(age).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', ComparisonOperator: 'GreaterThanThreshold', Threshold: longestDwell(AWS_NOTIFIER_RETRY, Duration.minutes(1)).toSeconds() });
    for (const a of [dlq, age]) {
      expect(a!['AlarmActions']).toEqual([{ Ref: expect.stringMatching(/^OpsTopic/) }]);
      expect(a!['OKActions']).toEqual(a!['AlarmActions']);
    }
  });
});

describe('the notifier function', () => {
  const { app, raw } = synth(REFS);
  const statements = roleStatements(raw, 'NotifierHandlerRole');

  it('is told where everything is and how to retry, in plain numbers the redrive policy agrees with', () => {
    const fn = raw.Resources[idOf(raw, 'AWS::Lambda::Function', 'NotifierHandler')]!['Properties'] as { Environment: { Variables: Json } };
    expect(fn.Environment.Variables).toEqual({
      NODE_OPTIONS: expect.any(String),
      QUEUE_URL: { Ref: expect.stringMatching(/^NotifierQueue/) },
      DEAD_LETTER_URL: { Ref: expect.stringMatching(/^NotifierDeadLetters/) },
      TABLE_NAME: { Ref: expect.stringMatching(/^ResultsTable/) },
      TOPIC_ARN: { Ref: expect.stringMatching(/^AlertsTopic/) },
      OPS_TOPIC_ARN: { Ref: expect.stringMatching(/^OpsTopic/) },
      DASHBOARD_URL: 'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/vantage',
      NOTIFY_BASE_DELAY_MS: '10000', NOTIFY_MAX_DELAY_MS: '300000', NOTIFY_MAX_ATTEMPTS: '10', NOTIFY_ATTEMPT_TIMEOUT_MS: '10000',
    });
  });

  it('may read exactly the two secrets its channels name, not the checks\' secret', () => {
    const reads = secretReads(statements);
    expect(reads.map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s).map(rendered) }))).toEqual([
      { actions: ['secretsmanager:GetSecretValue'], resources: [SECRET_ARN] },
      { actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:us-east-1:123456789012:parameter/vantage/slack-webhook'] },
    ]);
    expect(JSON.stringify(reads)).not.toContain(OTHER_SECRET_ARN);
  });

  it('holds its table access to the channel items: LeadingKeys CHANNEL#*, for every request key', () => {
    const table = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(table).toEqual([{
      Sid: 'DeliveryLedger',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ResultsTable/), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CHANNEL#*'] } },
    }]);
  });

  it('consumes its queue, sends to the queue and the DLQ, publishes to the alert and ops topics with their keys, and nothing else', () => {
    const queueArn = { 'Fn::GetAtt': [expect.stringMatching(/^NotifierQueue/), 'Arn'] };
    const dlqArn = { 'Fn::GetAtt': [expect.stringMatching(/^NotifierDeadLetters/), 'Arn'] };
    const byActions = (wanted: string) => statements.filter((s) => actionsOf(s).sort().join() === wanted);
    expect(byActions('sqs:SendMessage').flatMap(resourcesOf)).toEqual(expect.arrayContaining([queueArn, dlqArn]));
    expect(byActions('sqs:SendMessage').flatMap(resourcesOf)).toHaveLength(2);
    expect(byActions('sqs:ChangeMessageVisibility,sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:ReceiveMessage').flatMap(resourcesOf)).toEqual([queueArn]);
    expect(byActions('sns:Publish').flatMap(resourcesOf).map((r) => (r as { Ref: string }).Ref.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AlertsTopic', 'OpsTopic']);
    expect(byActions('kms:Decrypt,kms:GenerateDataKey').flatMap(resourcesOf).map((r) => (r as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AlertsKey', 'OpsKey']);
    expect(statements.map((s) => actionsOf(s).sort().join()).sort()).toEqual([
      'dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem',
      'kms:Decrypt,kms:GenerateDataKey',
      'logs:CreateLogStream,logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'sns:Publish',
      'sqs:ChangeMessageVisibility,sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:ReceiveMessage',
      'sqs:SendMessage',
      'ssm:GetParameter',
    ]);
  });

  it('leaves no "*" in any action of any policy in the stack (a Deny without TLS aside, and KMS\'s root delegation)', () => {
    const wildcards: string[] = [];
    for (const policy of policiesOf(raw)) {
      for (const s of policy.statements) {
        if (s['Effect'] === 'Deny') continue;
        if (policy.type === 'AWS::KMS::Key' && JSON.stringify(s['Principal']).includes(':root')) continue;
        for (const action of actionsOf(s)) if (action.includes('*')) wildcards.push(`${policy.where}: ${action}`);
      }
    }
    expect(statements.length).toBeGreaterThan(5);
    expect(wildcards).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions without a new acknowledgement', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    expect(acknowledgements(app).filter((a) => a.path.includes('/Notifier'))).toEqual([]);
  });

  it('gets kms:Decrypt for its secrets\' customer-managed key, only through Secrets Manager and SSM', () => {
    const { raw: withKey } = synth(REFS.replace('  opsEmail:', `  secretsKmsKeys: ["${KEY_US}"]\n  opsEmail:`));
    expect(roleStatements(withKey, 'NotifierHandlerRole').filter((s) => s['Sid'] === 'DecryptChannelSecretsuseast1')).toEqual([{
      Sid: 'DecryptChannelSecretsuseast1', Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY_US,
      Condition: { StringEquals: { 'kms:ViaService': ['secretsmanager.us-east-1.amazonaws.com', 'ssm.us-east-1.amazonaws.com'] } },
    }]);
  });
});

describe('channels without secret references', () => {
  it('give the notifier no secretsmanager or ssm statement at all', () => {
    const { raw } = synth(NO_REFS);
    const statements = roleStatements(raw, 'NotifierHandlerRole');
    expect(statements.length).toBeGreaterThan(5);
    expect(secretReads(statements)).toEqual([]);
    expect(statements.filter((s) => actionsOf(s).includes('kms:Decrypt') && s['Condition'])).toEqual([]);
  });
});

describe('the alert topic', () => {
  it('keeps the email subscriptions, each with its channel\'s filter, and has no HTTPS subscription: webhooks go through the notifier', () => {
    const { template } = synth(NO_REFS);
    const subs = Object.values(template.findResources('AWS::SNS::Subscription')).map((r) => r['Properties'] as Json);
    expect(subs.filter((p) => JSON.stringify(p['TopicArn']).includes('AlertsTopic')).map((p) => ({ Protocol: p['Protocol'], Endpoint: p['Endpoint'], FilterPolicy: p['FilterPolicy'] }))).toEqual([
      { Protocol: 'email', Endpoint: 'oncall@example.com', FilterPolicy: { channels: ['oncall'] } },
    ]);
    expect(subs.filter((p) => p['Protocol'] !== 'email')).toEqual([]);
  });
});

describe('plain-string channel secrets', () => {
  it('never reach the template, and synth warns about each, naming its path', () => {
    const { raw, stacks } = synth(PLAIN_SECRETS);
    const text = JSON.stringify(raw);
    for (const value of Object.values(PLAIN)) expect(text.includes(value), value).toBe(false);
    const warnings = Annotations.fromStack(stacks.home).findWarning('*', Match.stringLikeRegexp(PLAIN_CHANNEL_SECRET_WARNING)).map((w) => String(w.entry.data));
    const paths = warnings.map((w) => w.split(':')[0]).sort();
    expect(paths).toEqual(['channels.chat.slack.webhook', 'channels.chat.teams.url', 'channels.hooks.webhook[0].secret', 'channels.oncall.pagerduty.routingKey']);
    // The warning names the place, never the value.
    for (const value of Object.values(PLAIN)) expect(warnings.join('\n')).not.toContain(value);
  });

  it('and references give no warning', () => {
    const { stacks } = synth(REFS);
    expect(Annotations.fromStack(stacks.home).findWarning('*', Match.stringLikeRegexp(PLAIN_CHANNEL_SECRET_WARNING))).toEqual([]);
  });
});

describe('names', () => {
  it('follow the prefix, as the CLI and vantage dev name the queues (shared/alert/delivery.ts)', () => {
    const { template } = synth(NO_REFS, { prefix: 'acme' });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: deliveryQueueName('acme'), FifoQueue: true });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: deadLetterQueueName('acme'), FifoQueue: true });
    expect([deliveryQueueName('acme'), deadLetterQueueName('acme')]).toEqual(['acme-deliveries.fifo', 'acme-deliveries-dead.fifo']);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DASHBOARD_URL: dashboardConsoleUrl('us-east-1', 'acme') }) } });
  });

  it('link the dashboard on the console of its partition', () => {
    expect(dashboardConsoleUrl('cn-north-1', 'vantage')).toBe('https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards/dashboard/vantage');
    expect(dashboardConsoleUrl('us-gov-west-1', 'vantage')).toMatch(/^https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\//);
  });
});

describe('the construct on its own', () => {
  it('refuses a plain-http target, on its path', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S');
    const ops = new OpsTopic(stack, 'Ops', { topicName: 'ops' });
    const channel: ChannelConfig = { email: [], webhook: [{ url: 'https://ok.example.com/' }], teams: { url: 'http://127.0.0.1:9000/teams' }, failingAfter: 3 };
    const build = () => new Notifier(stack, 'Notifier', {
      queueName: 'q.fifo', deadLetterQueueName: 'd.fifo', table: new ResultsTable(stack, 'T', { tableName: 't' }), alerts: new AlertTopic(stack, 'A', { topicName: 'a', channels: {} }), ops,
      channels: { chat: channel }, bundledFiles: {},
    });
    expect(build).toThrow(/^channels\.chat\.teams\.url: a deployed target must be https:\/\/$/);
  });

  it('alarms on a message older than every wait at its longest plus every attempt: 9 × 5 min + 10 × 60 s', () => {
    expect(longestDwell(AWS_NOTIFIER_RETRY, Duration.minutes(1)).toMinutes()).toBe(55);
    expect(longestDwell({ ...AWS_NOTIFIER_RETRY, maxAttempts: 3 }, Duration.seconds(30)).toSeconds()).toBe(2 * 300 + 3 * 30);
  });
});

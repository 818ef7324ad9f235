/**
 * Each probe function's delay queue for the rounds it hands on (cdk/constructs/round-queue.ts), on
 * examples/checks.yaml with bundling skipped (app.test.ts bundles the real thing): encrypted, TLS
 * only, short retention, batch-size-1 mapping to its own function, SendMessage only on its own queue,
 * and the queue's URL in the function's environment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVantage } from '../../cdk/vantage.ts';
import { loadConfigFile } from '../../shared/config/load.ts';
import { acknowledgements, actionsOf, cdkContext } from './template-walk.ts';

const PROBE_STACKS = ['Vantage-Probe-us-east-1', 'Vantage-Probe-eu-west-1', 'Vantage-Probe-ap-southeast-1', 'Vantage-Probe-office-dc'];
const PROBE_PATHS = ['Vantage-Probe-us-east-1/Probe', 'Vantage-Probe-eu-west-1/Probe', 'Vantage-Probe-ap-southeast-1/Probe', 'Vantage-Probe-office-dc/Probe1', 'Vantage-Probe-office-dc/Probe2'];
let outdir: string;
let app: App;
const templates = new Map<string, { template: Template; raw: { Resources: Record<string, Record<string, unknown>> } }>();

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'vantage-cdk-rounds-'));
  app = new App({ outdir, context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  buildVantage(app, loadConfigFile('examples/checks.yaml'));
  const assembly = app.synth();
  for (const name of PROBE_STACKS) {
    const raw = assembly.getStackByName(name).template;
    templates.set(name, { template: Template.fromJSON(raw), raw });
  }
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const ofType = (t: Template, type: string) => Object.entries(t.findResources(type));

describe('the round queue of each probe function', () => {
  it('is one SSE-SQS queue per function, retention 5 min, visibility no shorter than the function\'s timeout, no DLQ', () => {
    for (const [name, { template }] of templates) {
      const functions = ofType(template, 'AWS::Lambda::Function');
      const queues = ofType(template, 'AWS::SQS::Queue');
      expect(queues, name).toHaveLength(functions.length);
      for (const [, q] of queues) {
        expect(q['Properties'], name).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 300 });
        expect(q['Properties'], name).not.toHaveProperty('RedrivePolicy');
      }
      for (const [fnId, fn] of functions) {
        const mapping = ofType(template, 'AWS::Lambda::EventSourceMapping').find(([, m]) => JSON.stringify(m['Properties']['FunctionName']) === JSON.stringify({ Ref: fnId }));
        expect(mapping, `${name}/${fnId}`).toBeDefined();
        expect(mapping![1]['Properties'], `${name}/${fnId}`).toMatchObject({ BatchSize: 1 });
        // The mapping reads this function's queue, and its URL is in this function's environment.
        const queueId = (mapping![1]['Properties']['EventSourceArn'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        expect(fn['Properties']['Environment']['Variables']['DEFER_QUEUE_URL'], `${name}/${fnId}`).toEqual({ Ref: queueId });
        const queue = template.findResources('AWS::SQS::Queue')[queueId]!;
        expect(queue['Properties']['VisibilityTimeout'], `${name}/${fnId}`).toBeGreaterThanOrEqual(fn['Properties']['Timeout'] as number);
      }
    }
  });

  it('denies SQS without TLS (enforceSSL)', () => {
    for (const [name, { template }] of templates) {
      for (const [, policy] of ofType(template, 'AWS::SQS::QueuePolicy')) {
        expect(policy['Properties']['PolicyDocument']['Statement'], name).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
      }
      expect(ofType(template, 'AWS::SQS::QueuePolicy').length, name).toBe(ofType(template, 'AWS::SQS::Queue').length);
    }
  });

  it('lets a function send only to its own queue', () => {
    for (const [name, { raw }] of templates) {
      const resources = Object.entries(raw.Resources);
      const props = (id: string) => raw.Resources[id]!['Properties'] as Record<string, any>;
      let senders = 0;
      for (const [policyId, policy] of resources.filter(([, r]) => r['Type'] === 'AWS::IAM::Policy')) {
        for (const s of (policy['Properties'] as Record<string, any>)['PolicyDocument']['Statement'] as Array<Record<string, unknown>>) {
          if (!actionsOf(s).some((a) => a.startsWith('sqs:Send'))) continue;
          senders++;
          // CDK merges the mapping's consume grant and grantSendMessages into one statement on the queue.
          expect(actionsOf(s).sort(), `${name}/${policyId}`).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage']);
          // One queue, by ARN; the function whose role holds it is the one that queue's mapping invokes.
          const [queueId, attr] = (s['Resource'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
          expect(attr).toBe('Arn');
          const roleIds = (props(policyId)['Roles'] as Array<{ Ref: string }>).map((r) => r.Ref);
          const [, mapping] = resources.find(([, r]) => r['Type'] === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(r['Properties']).includes(`"${queueId}"`))!;
          const fnId = ((mapping['Properties'] as Record<string, any>)['FunctionName'] as { Ref: string }).Ref;
          expect(roleIds, `${name}/${policyId}`).toEqual([props(fnId)['Role']['Fn::GetAtt'][0]]);
        }
      }
      expect(senders, name).toBe(ofType(templates.get(name)!.template, 'AWS::SQS::Queue').length);
    }
  });

  it('passes cdk-nag with only its SQS3 acknowledgement', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    const acks = acknowledgements(app).filter((a) => a.path.endsWith('/Rounds/Queue'));
    expect(acks.map((a) => [a.path, a.id])).toEqual(PROBE_PATHS.map((p) => [`${p}/Rounds/Queue`, 'AwsSolutions-SQS3']));
  });
});

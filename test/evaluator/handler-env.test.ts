/**
 * The deployed handler's wiring: environment validation, the bundled definitions, and the lazily
 * built handler. No AWS call is made: the batches here hold nothing the evaluator acts on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvaluatorEnv } from '../../functions/evaluator/env.ts';
import { depsFromEnvironment, handler } from '../../functions/evaluator/handler.ts';
import { definitionsHash, toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject, loadConfigText } from '../../shared/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'vantage-evaluator-'));
const definitionsPath = join(dir, 'definitions.json');
writeFileSync(definitionsPath, JSON.stringify(toDefinitions(loadConfigObject({
  defaults: { locations: ['eu-west-1', 'us-east-1'], alerting: { channels: ['oncall'] } },
  channels: { oncall: { email: ['oncall@example.com'], events: ['DOWN', 'RESOLVED'] } },
  checks: [{ id: 'api', http: { url: 'https://api.example.com/health' } }, { id: 'db', tcp: { host: 'db.internal', port: 5432 } }],
}))));
const GOOD = { TABLE_NAME: 'vantage-results', TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:vantage-alerts', DEFINITIONS_PATH: definitionsPath };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evaluator environment', () => {
  it('names every missing or malformed variable without echoing values', () => {
    const err = (() => {
      try {
        parseEvaluatorEnv({ TOPIC_ARN: 'https://secret.example.com/token=abc' });
      } catch (e) {
        return e as Error & { code: string; issues: Array<{ path: string; message: string }> };
      }
    })();
    expect(err?.code).toBe('ENV_INVALID');
    expect(err?.issues).toEqual([
      { path: 'TABLE_NAME', message: 'required' },
      { path: 'TOPIC_ARN', message: 'expected an SNS topic ARN' },
    ]);
    expect(err?.message).not.toContain('token=abc');
  });

  it('builds the dependencies from the environment and the bundled definitions', () => {
    const deps = depsFromEnvironment(GOOD);
    expect([...deps.checks.keys()]).toEqual(['api', 'db']);
    expect(deps.checks.get('api')?.alerting).toMatchObject({ failureThreshold: 2, quorum: 2, channels: ['oncall'] });
    expect(deps.channels.oncall?.events).toEqual(['DOWN', 'RESOLVED']);
  });

  it('adds the ops publisher and its memory only with OPS_TOPIC_ARN, and refuses a malformed one', () => {
    expect(depsFromEnvironment(GOOD).opsPublisher).toBeUndefined();
    const withOps = depsFromEnvironment({ ...GOOD, OPS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:vantage-ops' });
    expect(withOps.opsPublisher).toBeDefined();
    expect(withOps.opsMarks).toBeDefined();
    expect(() => parseEvaluatorEnv({ ...GOOD, OPS_TOPIC_ARN: 'vantage-ops' })).toThrow(expect.objectContaining({
      issues: [{ path: 'OPS_TOPIC_ARN', message: 'expected an SNS topic ARN' }],
    }));
  });

  it('reads each private location\'s instances from the definitions, which toDefinitions takes from the deployment', () => {
    const config = loadConfigText(`
deployment:
  homeRegion: eu-west-1
  locations: [eu-west-1]
  privateLocations:
    - name: office-dc
      region: eu-west-1
      vpcId: vpc-0a1b2c3d4e5f60718
      availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]
      privateSubnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002, subnet-0a1b2c3d4e5f60003]
      egress: [{ cidr: 10.0.0.0/16, ports: [443] }]
      instances: 3
    - name: lab
      region: eu-west-1
      vpcId: vpc-0a1b2c3d4e5f60718
      availabilityZones: [eu-west-1a, eu-west-1b]
      privateSubnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]
      egress: [{ cidr: 10.0.0.0/16, ports: [443] }]
checks:
  - id: db
    locations: [office-dc, eu-west-1]
    tcp: { host: 10.0.0.5, port: 5432 }
`);
    const doc = toDefinitions(config);
    expect(doc.instances).toEqual({ 'office-dc': 3, lab: 2 });
    // A probe's own file does not carry them: only the sweep watches instances.
    expect(toDefinitions(config, 'office-dc').instances).toBeUndefined();
    const path = join(dir, 'with-instances.json');
    writeFileSync(path, JSON.stringify(doc));
    expect(depsFromEnvironment({ ...GOOD, DEFINITIONS_PATH: path }).instances).toEqual({ 'office-dc': 3, lab: 2 });
    // Without a deployment block there is nothing to watch.
    expect(depsFromEnvironment(GOOD).instances).toBeUndefined();
    // A bad count is named by the cold-start check, even with a matching hash.
    const { sha256: _old, ...content } = { ...doc, instances: { 'office-dc': 0 } };
    const bad = join(dir, 'bad-instances.json');
    writeFileSync(bad, JSON.stringify({ ...content, sha256: definitionsHash(content) }));
    expect(() => depsFromEnvironment({ ...GOOD, DEFINITIONS_PATH: bad })).toThrow(expect.objectContaining({
      code: 'DEFINITIONS_INVALID', issues: [{ path: 'instances.office-dc', message: 'expected a whole number above 0' }],
    }));
  });

  it('fails on a missing definitions bundle with its path', () => {
    expect(() => depsFromEnvironment({ ...GOOD, DEFINITIONS_PATH: join(dir, 'nope.json') })).toThrow(expect.objectContaining({ code: 'DEFINITIONS_INVALID' }));
  });
});

describe('the deployed handler', () => {
  it('is built on the first invocation, and a bad environment fails the invocation until it is fixed', async () => {
    const saved = { ...process.env };
    try {
      delete process.env.TABLE_NAME;
      await expect(handler({ Records: [] }, {} as Context)).rejects.toMatchObject({ code: 'ENV_INVALID' });

      Object.assign(process.env, GOOD, { AWS_REGION: 'eu-west-1' });
      const stateRecord = { eventName: 'MODIFY' as const, dynamodb: { SequenceNumber: '1', NewImage: { type: { S: 'STATE' } } } };
      await expect(handler({ Records: [stateRecord] }, {} as Context)).resolves.toEqual({ batchItemFailures: [] });
    } finally {
      process.env = saved;
    }
  });
});

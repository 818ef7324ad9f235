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
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';

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

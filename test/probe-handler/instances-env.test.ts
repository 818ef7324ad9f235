/**
 * The probe function's environment for confirmations and instances: CONFIRM_FUNCTIONS, INSTANCE and
 * INSTANCE_FUNCTIONS are JSON the CDK app writes; every problem is named, no value is echoed.
 */
import { describe, expect, it } from 'vitest';
import { parseProbeEnv } from '../../functions/probe/env.ts';

const BASE = { TABLE_NAME: 'vantage-results', HOME_REGION: 'us-east-1', LOCATION: 'office' };
const arn = (region: string, name: string) => `arn:aws:lambda:${region}:123456789012:function:${name}`;

function issuesOf(env: Record<string, string>) {
  try {
    parseProbeEnv({ ...BASE, ...env });
  } catch (e) {
    const err = e as { code: string; message: string; issues: Array<{ path: string; message: string }> };
    expect(err.code).toBe('ENV_INVALID');
    return err;
  }
  throw new Error('accepted');
}

describe('probe environment: confirmations and instances', () => {
  it('reads the functions to confirm on and the other instances', () => {
    const env = parseProbeEnv({
      ...BASE,
      CONFIRM_FUNCTIONS: JSON.stringify({ 'eu-west-1': [arn('eu-west-1', 'vantage-probe-eu-west-1')], lab: [arn('us-east-1', 'vantage-probe-lab-1'), arn('us-east-1', 'vantage-probe-lab-2')] }),
      INSTANCE: '1',
      INSTANCE_FUNCTIONS: JSON.stringify({ '2': arn('us-east-1', 'vantage-probe-office-2') }),
    });
    expect(env.confirmFunctions).toEqual({ 'eu-west-1': [arn('eu-west-1', 'vantage-probe-eu-west-1')], lab: [arn('us-east-1', 'vantage-probe-lab-1'), arn('us-east-1', 'vantage-probe-lab-2')] });
    expect(env.INSTANCE).toBe('1');
    expect(env.instanceFunctions).toEqual({ '2': arn('us-east-1', 'vantage-probe-office-2') });
  });

  it('means no confirmations and no instances when the variables are absent or empty', () => {
    const absent = parseProbeEnv(BASE);
    expect([absent.confirmFunctions, absent.instanceFunctions, absent.INSTANCE]).toEqual([{}, {}, undefined]);
    const empty = parseProbeEnv({ ...BASE, CONFIRM_FUNCTIONS: '{}', INSTANCE: '1', INSTANCE_FUNCTIONS: '{}' });
    expect([empty.confirmFunctions, empty.instanceFunctions, empty.INSTANCE]).toEqual([{}, {}, '1']);
  });

  it('names every problem, entry by entry, and echoes no value', () => {
    const secretish = 'arn:aws:lambda:eu-west-1:123:function:NOT-AN-ARN';
    const err = issuesOf({
      CONFIRM_FUNCTIONS: JSON.stringify({ 'eu-west-1': [arn('eu-west-1', 'ok'), secretish], lab: [], office: [arn('us-east-1', 'self')], 'has spaces in it': 'x' }),
      INSTANCE: '0',
      INSTANCE_FUNCTIONS: JSON.stringify({ '2': 'nope-value', first: arn('us-east-1', 'p') }),
    });
    expect(err.issues).toEqual([
      { path: 'INSTANCE', message: expect.stringContaining('instance id') },
      { path: 'CONFIRM_FUNCTIONS["eu-west-1"][1]', message: 'expected a Lambda function ARN' },
      { path: 'CONFIRM_FUNCTIONS["lab"]', message: 'expected a non-empty array of Lambda function ARNs' },
      { path: 'CONFIRM_FUNCTIONS["office"]', message: 'is this function\'s own LOCATION' },
      { path: 'CONFIRM_FUNCTIONS[entry 4]', message: 'expected a non-empty array of Lambda function ARNs' },
      { path: 'INSTANCE_FUNCTIONS["2"]', message: 'expected a Lambda function ARN' },
      { path: 'INSTANCE_FUNCTIONS["first"]', message: expect.stringContaining('instance id') },
    ]);
    for (const value of [secretish, 'nope-value', 'has spaces in it']) expect(err.message).not.toContain(value);
  });

  it('refuses text that is not a JSON object without repeating the parser\'s quote of it', () => {
    const err = issuesOf({ CONFIRM_FUNCTIONS: '{"eu-west-1": [tok-3f9a', INSTANCE: '1', INSTANCE_FUNCTIONS: '["arn"]' });
    expect(err.issues).toEqual([
      { path: 'CONFIRM_FUNCTIONS', message: expect.stringMatching(/^expected JSON/) },
      { path: 'INSTANCE_FUNCTIONS', message: expect.stringMatching(/^expected an object/) },
    ]);
    expect(err.message).not.toContain('tok-3f9a');
  });

  it('refuses INSTANCE_FUNCTIONS without INSTANCE, and one that lists this instance itself', () => {
    const fns = JSON.stringify({ '1': arn('us-east-1', 'vantage-probe-office-1'), '2': arn('us-east-1', 'vantage-probe-office-2') });
    expect(issuesOf({ INSTANCE_FUNCTIONS: fns }).issues.map((i) => i.path)).toEqual(['INSTANCE_FUNCTIONS']);
    expect(issuesOf({ INSTANCE: '2', INSTANCE_FUNCTIONS: fns }).issues).toEqual([{ path: 'INSTANCE_FUNCTIONS["2"]', message: expect.stringContaining('own INSTANCE') }]);
  });
});

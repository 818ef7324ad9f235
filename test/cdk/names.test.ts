import { describe, expect, it } from 'vitest';
import { Aws } from 'aws-cdk-lib';
import { namesFor, probeFunctionName } from '../../cdk/names.ts';
import { renderedEnvironmentBytes } from '../../cdk/probe-peers.ts';

// Lambda's rule for a function name: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
const LAMBDA_NAME = /^[A-Za-z0-9_-]{1,64}$/;

describe('probe function names', () => {
  it('are readable when the location name is a valid function name: <prefix>-probe-<location>[-<instance>]', () => {
    const names = namesFor({ homeRegion: 'us-east-1' });
    expect(names.probeFunction('eu-west-1')).toBe('vantage-probe-eu-west-1');
    expect(names.probeFunction('office-dc', '2')).toBe('vantage-probe-office-dc-2');
    expect(namesFor({ homeRegion: 'us-east-1', prefix: 'acme' }).probeFunction('lab', '1')).toBe('acme-probe-lab-1');
  });

  it('stay valid, at most 64 characters, stable and distinct for any location name the config allows', () => {
    const longest = `a${'.'.repeat(30)}${'z'.repeat(33)}`;
    const locations = ['office.dc', 'office-dc', 'office_dc', longest, `${longest.slice(0, -1)}y`, 'x'.repeat(64)];
    const all = locations.flatMap((l) => [probeFunctionName('vantage', l), probeFunctionName('vantage', l, '1'), probeFunctionName('vantage', l, '12')]);
    for (const name of all) expect(name).toMatch(LAMBDA_NAME);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(locations.flatMap((l) => [probeFunctionName('vantage', l), probeFunctionName('vantage', l, '1'), probeFunctionName('vantage', l, '12')]));
    // A changed name keeps the instance at its end, readable in the console.
    expect(probeFunctionName('vantage', 'x'.repeat(64), '2')).toMatch(/-[0-9a-f]{8}-2$/);
  });
});

describe('the probe environment', () => {
  it('is sized as deployed: the ARN tokens count as their longest values, not as token text', () => {
    const arn = `arn:${Aws.PARTITION}:lambda:eu-west-1:${Aws.ACCOUNT_ID}:function:vantage-probe-eu-west-1`;
    // "CONFIRM_FUNCTIONS" (17) + `arn:aws-iso-b:lambda:eu-west-1:123456789012:function:vantage-probe-eu-west-1` (76)
    expect(renderedEnvironmentBytes({ CONFIRM_FUNCTIONS: arn })).toBe(17 + 76);
  });
});

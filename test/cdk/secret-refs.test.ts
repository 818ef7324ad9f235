import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../shared/config/load.ts';
import { kmsGrants, SecretReferenceError, secretGrants, type SecretGrant } from '../../cdk/secret-refs.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vantage/token-AbCdEf';

function grantsFor(yaml: string, account?: string) {
  const config = loadConfigText(yaml);
  const grants = secretGrants(config.checks.map((check, index) => ({ index, check })), { homeRegion: 'us-east-1', ...(account && { account }) });
  // Resolve tokens (partition, account) the way a template would show them.
  const stack = new Stack(new App(), 'S');
  return grants.map((g) => ({ ...g, arn: JSON.stringify(stack.resolve(g.arn)) }));
}

describe('secretGrants', () => {
  it('finds references in headers and TLS keys, merges duplicates, and keeps where each was written', () => {
    const grants = grantsFor(`checks:
  - id: a
    http:
      url: https://example.com
      headers: { Authorization: { secretsManager: "${ARN}", key: token }, X-Other: { secretsManager: "${ARN}", key: other } }
  - id: b
    grpc: { target: "h:443", tls: { cert: ./package.json, key: { ssm: /vantage/grpc-key } } }
  - id: c
    http: { url: https://example.com, headers: { X-Api-Key: { ssm: "arn:aws:ssm:eu-west-1:123456789012:parameter/shared/key" }, Accept: text/plain } }
`, '123456789012');
    expect(grants).toEqual([
      { service: 'secretsmanager', arn: JSON.stringify(ARN), path: 'checks[0].http.headers.Authorization', region: 'eu-west-1' },
      { service: 'ssm', arn: expect.stringContaining(':ssm:us-east-1:123456789012:parameter/vantage/grpc-key'), path: 'checks[1].grpc.tls.key', region: 'us-east-1' },
      { service: 'ssm', arn: JSON.stringify('arn:aws:ssm:eu-west-1:123456789012:parameter/shared/key'), path: 'checks[2].http.headers.X-Api-Key', region: 'eu-west-1' },
    ]);
  });

  it('builds plain parameter names in the home region and the stack account when none is pinned', () => {
    const [grant] = grantsFor('checks:\n  - id: a\n    http: { url: https://example.com, headers: { K: { ssm: token } } }\n');
    expect(grant!.arn).toBe(JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:', { Ref: 'AWS::AccountId' }, ':parameter/token']] }));
  });

  it('refuses a secret name or partial ARN, which could only be granted with a wildcard', () => {
    for (const ref of ['vantage/token', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vantage/token']) {
      const run = () => grantsFor(`checks:\n  - id: a\n    http: { url: https://example.com, headers: { K: { secretsManager: "${ref}" } } }\n`);
      expect(run).toThrow(SecretReferenceError);
      expect(run).toThrow(/^checks\[0\]\.http\.headers\.K: ".*" is not a complete secret ARN/);
    }
  });

  it('finds nothing in literal headers and env references', () => {
    expect(grantsFor('checks:\n  - id: a\n    http: { url: https://example.com, headers: { Authorization: "Bearer ${env:TOKEN}" } }\n')).toEqual([]);
  });

  it('pairs each KMS key with the secrets of its own region and the services that hold them there', () => {
    const grant = (service: SecretGrant['service'], region: string): SecretGrant => ({ service, region, arn: `arn:${service}:${region}`, path: 'p' });
    const usKey = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const euKey = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ac';
    const apKey = 'arn:aws:kms:ap-southeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ad';
    expect(kmsGrants([grant('ssm', 'us-east-1'), grant('secretsmanager', 'eu-west-1'), grant('ssm', 'eu-west-1'), grant('ssm', 'sa-east-1')], [usKey, euKey, apKey, usKey])).toEqual([
      { region: 'us-east-1', keyArns: [usKey], viaServices: ['ssm.us-east-1.amazonaws.com'] },
      { region: 'eu-west-1', keyArns: [euKey], viaServices: ['secretsmanager.eu-west-1.amazonaws.com', 'ssm.eu-west-1.amazonaws.com'] },
    ]);
    expect(kmsGrants([], [usKey])).toEqual([]);
  });
});

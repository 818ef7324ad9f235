import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretResolver, regionOfArn, SecretResolveError } from '../../shared/aws/secrets.ts';
import { VantageError } from '../../shared/errors.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vantage/api-AbCdEf';
const VALUE = 'hunter2-s3cr3t-value';

const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);

function awsError(name: string): Error {
  return Object.assign(new Error(`${name}: something about ${ARN}`), { name, $metadata: {} });
}

beforeEach(() => {
  sm.reset();
  ssm.reset();
});
afterEach(() => {
  sm.reset();
  ssm.reset();
});

function resolver(opts: { ttlMs?: number; now?: () => number; defaultRegion?: string } = {}) {
  return createSecretResolver({ secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }), ssm: new SSMClient({ region: 'eu-west-1' }), ...opts });
}

describe('createSecretResolver', () => {
  it('returns a whole secret string and caches it: a second call reaches no client', async () => {
    // Prepare
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: VALUE });
    const resolve = resolver();
    // Act
    const first = await resolve({ secretsManager: ARN });
    const second = await resolve({ secretsManager: ARN });
    // Assess
    expect(first).toBe(VALUE);
    expect(second).toBe(VALUE);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('looks up a JSON key, and two keys of one secret share one fetch', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'probe', password: VALUE, port: 5432 }) });
    const resolve = resolver();
    expect(await resolve({ secretsManager: ARN, key: 'password' })).toBe(VALUE);
    expect(await resolve({ secretsManager: ARN, key: 'username' })).toBe('probe');
    expect(await resolve({ secretsManager: ARN, key: 'port' })).toBe('5432');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('shares one request between concurrent lookups', async () => {
    sm.on(GetSecretValueCommand).callsFake(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return { SecretString: VALUE };
    });
    const resolve = resolver();
    const values = await Promise.all([1, 2, 3, 4].map(() => resolve({ secretsManager: ARN })));
    expect(values).toEqual([VALUE, VALUE, VALUE, VALUE]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('fetches again once the TTL has passed, so a rotated value is picked up', async () => {
    let t = 1_000_000;
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'rotated' });
    const resolve = resolver({ ttlMs: 60_000, now: () => t });
    expect(await resolve({ secretsManager: ARN })).toBe('old');
    t += 59_999;
    expect(await resolve({ secretsManager: ARN })).toBe('old');
    t += 1;
    expect(await resolve({ secretsManager: ARN })).toBe('rotated');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads SSM parameters with decryption and caches them', async () => {
    ssm.on(GetParameterCommand, { Name: '/vantage/token', WithDecryption: true }).resolves({ Parameter: { Value: VALUE } });
    const resolve = resolver();
    expect(await resolve({ ssm: '/vantage/token' })).toBe(VALUE);
    expect(await resolve({ ssm: '/vantage/token' })).toBe(VALUE);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({ Name: '/vantage/token', WithDecryption: true });
  });

  it('routes each lookup to the region in its ARN, and plain SSM names to defaultRegion', async () => {
    const regions: Array<string | undefined> = [];
    const smClient = new SecretsManagerClient({ region: 'eu-west-1' });
    const ssmClient = new SSMClient({ region: 'eu-west-1' });
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALUE });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: VALUE } });
    const resolve = createSecretResolver({
      secretsManager: (region) => { regions.push(`sm:${region}`); return smClient; },
      ssm: (region) => { regions.push(`ssm:${region}`); return ssmClient; },
      defaultRegion: 'us-east-1',
    });
    await resolve({ secretsManager: ARN });
    await resolve({ ssm: 'arn:aws:ssm:ap-southeast-1:123456789012:parameter/vantage/token' });
    await resolve({ ssm: '/vantage/other' });
    expect(regions).toEqual(['sm:us-east-1', 'ssm:ap-southeast-1', 'ssm:us-east-1']);
    expect(regionOfArn('plain-name')).toBeUndefined();
  });

  it('turns AWS errors into a domain error with a stable code, and does not cache the failure', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(awsError('AccessDeniedException')).resolves({ SecretString: VALUE });
    const resolve = resolver();
    const err = await resolve({ secretsManager: ARN }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SecretResolveError);
    expect(err).toBeInstanceOf(VantageError);
    expect(err).toMatchObject({ code: 'SECRET_UNRESOLVED', reason: 'access_denied', name: 'SecretResolveError' });
    expect((err as Error).message).toBe(`cannot read secretsManager:${ARN}: AccessDeniedException`);
    expect(await resolve({ secretsManager: ARN })).toBe(VALUE);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it.each([
    ['ResourceNotFoundException', 'not_found'],
    ['ParameterNotFound', 'not_found'],
    ['KMSAccessDeniedException', 'access_denied'],
    ['ThrottlingException', 'unavailable'],
  ])('classifies %s as %s', async (name, reason) => {
    ssm.on(GetParameterCommand).rejects(awsError(name));
    await expect(resolver()({ ssm: '/x' })).rejects.toMatchObject({ code: 'SECRET_UNRESOLVED', reason });
  });

  it('never puts the secret value in an error: malformed JSON, a missing key, a non-string key', async () => {
    const cases: Array<[string, string, string]> = [
      [`not json but ${VALUE}`, 'password', 'not_json'],
      [JSON.stringify({ user: VALUE }), 'password', 'key_missing'],
      [JSON.stringify({ password: { nested: VALUE } }), 'password', 'key_missing'],
      [JSON.stringify([VALUE]), 'password', 'key_missing'],
    ];
    for (const [secret, key, reason] of cases) {
      sm.reset();
      sm.on(GetSecretValueCommand).resolves({ SecretString: secret });
      const err = await resolver()({ secretsManager: ARN, key })
        .then(() => undefined, (e: unknown) => e as SecretResolveError);
      expect(err?.reason).toBe(reason);
      const everything = `${err?.message} ${err?.stack} ${String(err?.cause ?? '')} ${JSON.stringify(err)}`;
      expect(everything).not.toContain(VALUE);
      expect(everything).not.toContain('hunter2');
    }
  });

  it('reports an empty value instead of sending an empty credential', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '' } });
    await expect(resolver()({ ssm: '/empty' })).rejects.toMatchObject({ reason: 'empty' });
  });
});

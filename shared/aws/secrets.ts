/**
 * Resolves `{secretsManager: arn, key?}` and `{ssm: name}` references for the probe handler.
 *
 * Values are cached per container for `ttlMs`, so a probe that runs every minute costs one
 * GetSecretValue per TTL rather than one per run (Secrets Manager bills per 10,000 API calls:
 * https://aws.amazon.com/secrets-manager/pricing/). Concurrent lookups of one secret share a request.
 * A failed lookup is not cached: the next probe asks again.
 *
 * Errors are `SecretResolveError` (code `SECRET_UNRESOLVED`, plus a `reason`). Their messages name the
 * reference and the AWS error name, never the value, and a malformed JSON secret is reported without
 * the parser's message, because V8 quotes the offending text in it.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { SecretRef } from '../config/schema.ts';
import { SecretError } from '../probe/secrets.ts';
import type { SecretResolver } from '../probe/types.ts';

export type SecretFailure = 'not_found' | 'access_denied' | 'not_json' | 'key_missing' | 'empty' | 'unavailable';

export class SecretResolveError extends SecretError {
  readonly reason: SecretFailure;
  constructor(reason: SecretFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * A client, or a client per region. Secrets and parameters are regional, so a probe in ap-southeast-1
 * reading an ARN from us-east-1 must call us-east-1; a factory makes that possible. It receives the
 * region from the ARN, or `defaultRegion` for a plain SSM name.
 */
export type ClientFor<C> = C | ((region: string | undefined) => C);

export interface SecretResolverOptions {
  secretsManager: ClientFor<SecretsManagerClient>;
  ssm: ClientFor<SSMClient>;
  /** How long a value is reused before it is fetched again, so rotations are picked up. @default 300_000 (5 minutes) */
  readonly ttlMs?: number;
  /**
   * Region for plain SSM parameter names (not ARNs). The CDK app grants them in the home region, so
   * the probe handler passes HOME_REGION. @default undefined (the factory's or client's own region)
   */
  readonly defaultRegion?: string;
  /** Clock in ms, for tests. @default Date.now */
  readonly now?: () => number;
}

type Ref = Exclude<SecretRef, string>;

/** `arn:aws:secretsmanager:us-east-1:…` → `us-east-1`; undefined for a plain name. */
export function regionOfArn(nameOrArn: string): string | undefined {
  if (!nameOrArn.startsWith('arn:')) return undefined;
  return nameOrArn.split(':')[3] || undefined;
}

function describe(ref: Ref): string {
  return 'ssm' in ref ? `ssm:${ref.ssm}` : `secretsManager:${ref.secretsManager}${ref.key !== undefined ? ` (key "${ref.key}")` : ''}`;
}

/** A client per region, each created on first use: what {@link ClientFor}'s factory form is for. */
export function perRegion<C>(make: (region: string | undefined) => C): (region: string | undefined) => C {
  const clients = new Map<string, C>();
  return (region) => {
    const key = region ?? '';
    let client = clients.get(key);
    if (!client) clients.set(key, (client = make(region)));
    return client;
  };
}

function pick<C>(client: ClientFor<C>, region: string | undefined): C {
  return typeof client === 'function' ? (client as (r: string | undefined) => C)(region) : client;
}

/** AWS error names → reasons; anything else (throttling, network, 5xx) is `unavailable`. */
function reasonOf(err: unknown): SecretFailure {
  const name = (err as { name?: string } | null)?.name ?? '';
  if (name === 'ResourceNotFoundException' || name === 'ParameterNotFound' || name === 'ParameterVersionNotFound') return 'not_found';
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name.startsWith('KMS') || name === 'DecryptionFailure' || name === 'InvalidKeyId') return 'access_denied';
  return 'unavailable';
}

export function createSecretResolver(opts: SecretResolverOptions): SecretResolver {
  const ttlMs = opts.ttlMs ?? 300_000;
  const now = opts.now ?? Date.now;
  // Keyed by the secret or parameter, not by JSON key: two keys of one secret share one fetch.
  const cache = new Map<string, { value: Promise<string>; expiresAt: number }>();

  async function fetchSecret(id: string): Promise<string> {
    const out = await pick(opts.secretsManager, regionOfArn(id)).send(new GetSecretValueCommand({ SecretId: id }));
    if (out.SecretString !== undefined) return out.SecretString;
    if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('utf8');
    return '';
  }

  async function fetchParameter(name: string): Promise<string> {
    // WithDecryption: SecureString parameters come back encrypted otherwise.
    // https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
    const out = await pick(opts.ssm, regionOfArn(name) ?? opts.defaultRegion).send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return out.Parameter?.Value ?? '';
  }

  function cached(key: string, load: () => Promise<string>, ref: Ref): Promise<string> {
    const hit = cache.get(key);
    const t = now();
    if (hit && hit.expiresAt > t) return hit.value;
    const value = load().catch((err: unknown) => {
      cache.delete(key);
      const name = (err as { name?: string } | null)?.name ?? 'Error';
      throw new SecretResolveError(reasonOf(err), `cannot read ${describe(ref)}: ${name}`, { cause: err });
    });
    cache.set(key, { value, expiresAt: t + ttlMs });
    return value;
  }

  return async (ref) => {
    if ('ssm' in ref) {
      const value = await cached(`ssm\0${ref.ssm}`, () => fetchParameter(ref.ssm), ref);
      if (value === '') throw new SecretResolveError('empty', `${describe(ref)} is empty`);
      return value;
    }
    const raw = await cached(`sm\0${ref.secretsManager}`, () => fetchSecret(ref.secretsManager), ref);
    if (ref.key === undefined) {
      if (raw === '') throw new SecretResolveError('empty', `${describe(ref)} is empty`);
      return raw;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(raw);
    } catch {
      throw new SecretResolveError('not_json', `${describe(ref)}: the secret is not a JSON object, so it has no keys`);
    }
    const value = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>)[ref.key] : undefined;
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new SecretResolveError('key_missing', `${describe(ref)}: no key "${ref.key}" with a string value in the secret`);
  };
}

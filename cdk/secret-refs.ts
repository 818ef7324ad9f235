/**
 * Finds the Secrets Manager and SSM references in checks and channels and turns them into the exact
 * ARNs a probe's (or the notifier's) role may read. Walking the whole check or channel (rather than
 * naming fields) keeps this right when a new field learns to take a secret.
 */
import { Aws } from 'aws-cdk-lib';
import type { ChannelConfig, Check } from '../shared/config/schema.ts';
import { formatPath } from '../shared/config/load.ts';
import { VantageError } from '../shared/errors.ts';

export interface SecretGrant {
  readonly service: 'secretsmanager' | 'ssm';
  /** The exact resource ARN (tokens allowed for partition and account, never a wildcard). */
  readonly arn: string;
  /** Where the reference was written, e.g. `checks[2].http.headers.Authorization`. */
  readonly path: string;
  /** The region the probe reads it from: the ARN's, or the home region for a plain parameter name. */
  readonly region: string;
}

/** kms:Decrypt on keys of one region, allowed only when Secrets Manager or SSM there asks for it. */
export interface KmsGrant {
  readonly region: string;
  readonly keyArns: readonly string[];
  /** `secretsmanager.<region>.amazonaws.com` and/or `ssm.<region>.amazonaws.com` */
  readonly viaServices: readonly string[];
}

/**
 * A secret ARN ends in `-` and six random characters. Only the complete ARN can be granted exactly;
 * a name would need `name-??????`.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
 */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+$/;

export class SecretReferenceError extends VantageError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('SECRET_REFERENCE_INVALID', `${path}: ${message}`);
    this.path = path;
  }
}

function isRef(v: unknown): v is { secretsManager: string; key?: string } | { ssm: string } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  if ('ssm' in v) return keys.length === 1 && typeof v.ssm === 'string';
  if ('secretsManager' in v) return typeof v.secretsManager === 'string' && keys.every((k) => k === 'secretsManager' || k === 'key');
  return false;
}

/** A reference found in a check or channel, and where it was written. */
type Found = { ref: { secretsManager: string } | { ssm: string }; path: string };

function walk(value: unknown, path: Array<string | number>, out: Found[]): void {
  if (isRef(value)) {
    out.push({ ref: value, path: formatPath(path) });
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k], out);
}

export interface SecretGrantOptions {
  /** Region for plain SSM parameter names; the probe handler resolves them there too. */
  readonly homeRegion: string;
  /** @default the stack's own account (`AWS::AccountId`) */
  readonly account?: string;
}

/**
 * The grants for checks, each given with its index in the config so errors point at the right line.
 * Duplicates (one secret used by several checks) are merged.
 */
export function secretGrants(checks: ReadonlyArray<{ index: number; check: Check }>, opts: SecretGrantOptions): SecretGrant[] {
  const found: Found[] = [];
  for (const { index, check } of checks) walk(check, ['checks', index], found);
  return grantsOf(found, opts);
}

/**
 * The grants for the secrets the notifier reads for `channels`: `channels.<name>.<kind>.<field>`
 * (`slack.webhook`, `teams.webhook`, `pagerduty.routingKey`) and `channels.<name>.webhook[i].secret`.
 * A Slack or Teams `webhook` next to a `url` is never read (the url wins), so it is not granted.
 * Duplicates are merged, as for checks.
 */
export function channelSecretGrants(channels: Readonly<Record<string, ChannelConfig>>, opts: SecretGrantOptions): SecretGrant[] {
  const found: Found[] = [];
  for (const [name, channel] of Object.entries(channels)) walk(readSecretsOf(channel), ['channels', name], found);
  return grantsOf(found, opts);
}

/** The channel without the fields the notifier does not read. */
function readSecretsOf(channel: ChannelConfig): ChannelConfig {
  const chat = (c: ChannelConfig['slack']) => (c?.url !== undefined ? { url: c.url } : c);
  return { ...channel, slack: chat(channel.slack), teams: chat(channel.teams) };
}

function grantsOf(found: readonly Found[], opts: SecretGrantOptions): SecretGrant[] {
  const account = opts.account ?? Aws.ACCOUNT_ID;
  const byArn = new Map<string, SecretGrant>();
  for (const { ref, path } of found) {
    const grant = grantOf(ref, path, opts.homeRegion, account);
    if (!byArn.has(grant.arn)) byArn.set(grant.arn, grant);
  }
  return [...byArn.values()];
}

function grantOf(ref: Found['ref'], path: string, homeRegion: string, account: string): SecretGrant {
  if ('secretsManager' in ref) {
    if (!SECRET_ARN.test(ref.secretsManager)) {
      throw new SecretReferenceError(path, `"${ref.secretsManager}" is not a complete secret ARN; give the full ARN (ending in -XXXXXX) so the function can be granted exactly that secret`);
    }
    return { service: 'secretsmanager', arn: ref.secretsManager, path, region: regionOfArn(ref.secretsManager) };
  }
  if (ref.ssm.startsWith('arn:')) {
    if (!PARAMETER_ARN.test(ref.ssm)) throw new SecretReferenceError(path, `"${ref.ssm}" is not an SSM parameter ARN`);
    return { service: 'ssm', arn: ref.ssm, path, region: regionOfArn(ref.ssm) };
  }
  // Parameter ARNs drop the leading "/" of a hierarchical name: /vantage/token → parameter/vantage/token.
  // https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html
  return { service: 'ssm', arn: `arn:${Aws.PARTITION}:ssm:${homeRegion}:${account}:parameter/${ref.ssm.replace(/^\//, '')}`, path, region: homeRegion };
}

/** The 4th field of an ARN (`arn:partition:service:region:…`); the patterns above guarantee it is there. */
function regionOfArn(arn: string): string {
  return arn.split(':')[3]!;
}

/**
 * The kms:Decrypt a probe (or the notifier) needs for secrets under customer-managed keys (`deployment.secretsKmsKeys`).
 * A secret and the key that encrypts it are in one region, so each key serves only the secrets of its
 * own region, and only through the services that hold them there: kms:ViaService keeps the role from
 * decrypting anything with the key directly.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
export function kmsGrants(secrets: readonly SecretGrant[], keyArns: readonly string[]): KmsGrant[] {
  const out: KmsGrant[] = [];
  for (const region of [...new Set(secrets.map((s) => s.region))]) {
    const keys = keyArns.filter((k) => regionOfArn(k) === region);
    if (keys.length === 0) continue;
    const services = [...new Set(secrets.filter((s) => s.region === region).map((s) => s.service))].sort();
    out.push({ region, keyArns: [...new Set(keys)], viaServices: services.map((s) => `${s}.${region}.amazonaws.com`) });
  }
  return out;
}

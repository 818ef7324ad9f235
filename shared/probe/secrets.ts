/**
 * Secret values in checks: `${env:NAME}` references inside strings, and `{secretsManager}` / `{ssm}`
 * references resolved by the runtime. Resolved values only ever live in the request being sent.
 */
import type { SecretRef } from '../config/schema.ts';
import { VantageError } from '../errors.ts';
import type { ProbeContext } from './types.ts';

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class SecretError extends VantageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SECRET_UNRESOLVED', message, options);
  }
}

/** Replaces `${env:NAME}` references; an unset variable is an error, not an empty string. */
export function expandEnv(text: string, env: Record<string, string | undefined>): string {
  return text.replace(ENV_REF, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new SecretError(`environment variable ${name} is not set`);
    return value;
  });
}

export async function resolveSecretRef(ref: SecretRef, ctx: Pick<ProbeContext, 'resolveSecret' | 'env'>): Promise<string> {
  if (typeof ref === 'string') return expandEnv(ref, ctx.env ?? process.env);
  if (!ctx.resolveSecret) throw new SecretError(`no secret resolver for ${'ssm' in ref ? `ssm:${ref.ssm}` : `secretsManager:${ref.secretsManager}`}`);
  return ctx.resolveSecret(ref);
}

/** Whether a configured value carries a secret: a reference, or a string that expands one. */
export function isSecret(ref: SecretRef): boolean {
  return typeof ref !== 'string' || /\$\{env:/.test(ref);
}

/** Headers whose values are credentials even when written literally. */
const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token']);

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADERS.has(name.toLowerCase());
}

/** Text with every resolved secret value replaced, for messages that might echo a request. */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

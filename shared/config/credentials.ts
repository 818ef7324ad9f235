/**
 * Which request headers carry credentials by their name alone. The probe treats them as secrets
 * (never shown, not carried across origins on a redirect) even when their value is written literally,
 * and a deployed config may not write them literally (./deploy-only.ts).
 */

const EXACT = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'api-key', 'apikey', 'x-api-key', 'x-vault-token', 'private-token']);

/** `X-Auth-Token`, `Api-Key`, `X-ApiKey`, `X_Session`, `X-Hub-Signature`, `X-Authorization`, …: the last word of the name says it. */
const CREDENTIAL_WORD = /(^|[-_])(key|apikey|token|secret|password|passwd|pwd|auth|authorization|authentication|cookie|session|signature|credentials?)$/i;

export function isCredentialHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return EXACT.has(lower) || CREDENTIAL_WORD.test(lower);
}

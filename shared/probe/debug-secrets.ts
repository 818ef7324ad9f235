/**
 * The resolved secret values a check's probe sends, for a debug log to hide (cli/debug-view.ts).
 * Only HTTP checks send secrets the target can echo: header references, credential headers and URL
 * userinfo. A TLS client key never leaves the prober, and other kinds take no secrets.
 */
import type { Check } from '../config/schema.ts';
import { httpSecrets } from './http.ts';
import type { ProbeContext } from './types.ts';

export async function checkSecrets(check: Check, ctx: Pick<ProbeContext, 'env' | 'resolveSecret' | 'location'>): Promise<readonly string[]> {
  if (check.kind !== 'http') return [];
  try {
    return await httpSecrets(check, ctx);
  } catch {
    // A value that does not resolve is never sent, so there is nothing of it to hide; the probe says why.
    return [];
  }
}

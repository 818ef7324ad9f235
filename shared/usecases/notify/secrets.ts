/**
 * How the notifier turns a channel's SecretRef into its value, by the probe's rules
 * (shared/probe/secrets.ts `resolveSecretRef`): a string is itself with its `${env:NAME}` references
 * expanded (an unset variable is an error), and `{secretsManager}`/`{ssm}` go to the AWS resolver
 * (shared/aws/secrets.ts), or fail with SECRET_UNRESOLVED when there is none.
 *
 * The Lambda passes an empty `env`: a deployed config refuses `${env:}` already, and the function's
 * own environment (its credentials among it) must never be readable through a config.
 * `vantage dev` passes `process.env`, and the AWS resolver only when it was given AWS access.
 */
import type { SecretRef } from '../../config/schema.ts';
import { resolveSecretRef } from '../../probe/secrets.ts';
import type { SecretResolver } from '../../probe/types.ts';

export type ResolveChannelSecret = (ref: SecretRef) => Promise<string>;

export interface ChannelSecretOptions {
  /** The variables `${env:NAME}` reads. */
  env: Record<string, string | undefined>;
  /** @default none: a {secretsManager} or {ssm} reference fails with SECRET_UNRESOLVED */
  aws?: SecretResolver;
}

export function channelSecretResolver(opts: ChannelSecretOptions): ResolveChannelSecret {
  return (ref) => resolveSecretRef(ref, { env: opts.env, ...(opts.aws && { resolveSecret: opts.aws }) });
}

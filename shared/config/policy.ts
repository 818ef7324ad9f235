/**
 * The alert policy a check runs with, from its `alerting` merged over `defaults.alerting`. One
 * definition for the loader (./load.ts) and for re-reading a definitions file (./definitions.ts).
 */
import { DEFAULT_RECHECK_INTERVAL_MS } from './defaults.ts';
import { CERT_EXPIRING_DAYS, type AlertPolicy, type ParsedAlerting } from './schema.ts';

/** The quorum default is a majority of the check's locations: 1 of 1, 2 of 3, 3 of 4. */
export function majority(locationCount: number): number {
  return Math.floor(locationCount / 2) + 1;
}

export interface PolicyContext {
  locationCount: number;
  intervalMs: number;
  /** The check's protocol-level `degradedAfter`. */
  degradedAfterMs?: number;
}

/**
 * `a` is the merged alerting block. A check's own key replaces the default's whole value (an
 * `escalate` list or a `flapping` block is never merged entry by entry), so a shallow spread is the
 * merge: `alertPolicy({ ...defaults.alerting, ...check.alerting }, ...)`.
 */
export function alertPolicy(a: ParsedAlerting, ctx: PolicyContext): AlertPolicy {
  return {
    failureThreshold: a.failureThreshold ?? 2,
    recoveryThreshold: a.recoveryThreshold ?? 2,
    quorum: a.quorum ?? majority(ctx.locationCount),
    intervalMs: ctx.intervalMs,
    channels: a.channels ?? [],
    ...(a.for !== undefined && { forMs: a.for }),
    ...(a.repeatInterval !== undefined && { repeatIntervalMs: a.repeatInterval }),
    certExpiringDays: a.certExpiringDays ?? CERT_EXPIRING_DAYS,
    ...(ctx.degradedAfterMs !== undefined && { degradedAfterMs: ctx.degradedAfterMs }),
    recheckIntervalMs: a.recheckInterval ?? DEFAULT_RECHECK_INTERVAL_MS,
    // Confirming needs another location to ask.
    confirm: a.confirm ?? ctx.locationCount >= 2,
    ...(a.window !== undefined && { window: a.window }),
    ...(a.flapping !== undefined && { flapping: { changes: a.flapping.changes, withinMs: a.flapping.within } }),
    ...(a.escalate !== undefined && { escalate: a.escalate.map((level) => ({ afterMs: level.after, channels: level.channels })) }),
  };
}

/**
 * CERT_EXPIRING: a warning, while the check passes, that the certificate the target presents is close
 * to its notAfter. It is not part of an incident: the check is up, and nobody is paged. A failure
 * because of the certificate (expired, or short of `certMinDaysLeft`) takes the DOWN path instead.
 */
import { entryOf } from './location.ts';
import { describe, iso, send, SEVERITY, type Draft, type TickContext } from './tick.ts';
import type { Notification, ResultRecord } from './types.ts';

const DAY_MS = 86_400_000;

/**
 * Decides the warning for one applied result. A certificate is known by its expiry: the notAfter of
 * the earliest-expiring certificate the server presented, which is what its owner renews. The state
 * keeps only the latest expiry warned about (`certWarnedExpiry`), and only a later one warns, so a
 * certificate warns at most once whatever the locations, duplicates and replays, and a renewed one
 * (a later notAfter) warns again when its turn comes. Certificates enter the window in the order
 * they expire, so while they are probed the earlier one has always warned first.
 */
export function certWarning(draft: Draft, r: ResultRecord, ctx: TickContext, out: Notification[]): void {
  const expiry = r.certExpiresAt;
  if (!r.ok || expiry === undefined || expiry - r.ts > ctx.policy.certExpiringDays * DAY_MS) return;
  if (draft.certWarnedExpiry !== undefined && expiry <= draft.certWarnedExpiry) return;
  const incidentId = `${draft.checkId}:cert:${iso(expiry)}`;
  // Held back while muted, it is not remembered as warned: the first passing run after the mute warns.
  const sent = send(draft, {
    event: 'CERT_EXPIRING', checkId: draft.checkId, at: r.ts, incidentId, dedupeKey: `${incidentId}:CERT_EXPIRING:1`,
    severity: SEVERITY.CERT_EXPIRING, locations: [describe(r.location, entryOf(draft.locations, r.location))],
    certExpiresAt: expiry, certDaysLeft: Math.floor((expiry - r.ts) / DAY_MS),
    overall: draft.overall, previous: draft.overall, channels: [...ctx.policy.channels],
  }, ctx, out);
  if (sent) draft.certWarnedExpiry = expiry;
}

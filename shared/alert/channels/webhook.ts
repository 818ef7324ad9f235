/**
 * A plain or signed webhook: the versioned payload as it is (what SNS HTTPS subscriptions used to
 * receive), and headers a receiver can route and dedupe on without parsing the body.
 */
import type { DeliveryMessage } from '../delivery.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';

export const USER_AGENT = 'Vantage-Notifier/1';

/** Node's fetch refuses a header value outside visible ASCII; names and keys are ASCII today, and stay sendable if not. */
export const headerValue = (v: string) => (/^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v));

export function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT };
}

export function renderWebhook(
  message: DeliveryMessage,
  target: { url: string; secret?: string },
  ctx: { now: number; attempt: number },
): { url: string; body: string; headers: Record<string, string> } {
  const body = JSON.stringify(message.payload);
  const headers: Record<string, string> = {
    ...jsonHeaders(),
    'vantage-event': headerValue(message.event),
    // Receivers dedupe on this: a retry, and a repeat the ledger could not stop, carry the same key.
    'vantage-dedupe-key': headerValue(message.dedupeKey),
    'vantage-delivery-attempt': String(ctx.attempt),
  };
  // Signed at send time, so each retry carries a fresh `t` and passes the receiver's tolerance.
  if (target.secret !== undefined) headers[SIGNATURE_HEADER] = signatureHeader(target.secret, body, Math.floor(ctx.now / 1000));
  return { url: target.url, body, headers };
}

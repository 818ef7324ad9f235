/**
 * The signed webhook's `Vantage-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The timestamp is inside the signed text so a captured request cannot be replayed later with a new `t`,
 * and the receiver refuses an old `t` (the tolerance), the scheme Stripe documents for its webhooks
 * (https://docs.stripe.com/webhooks#verify-manually). HMAC is RFC 2104 (https://www.rfc-editor.org/rfc/rfc2104).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'vantage-signature';

/** Five minutes: what the README's snippet assumes, and wide enough for the notifier's retries to be re-signed, not replayed. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
}

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/** `t` and every `v1` of a header; several `v1` let a receiver accept either of two secrets while rotating. */
function parse(header: string): { t?: number; v1: string[] } {
  const out: { t?: number; v1: string[] } = { v1: [] };
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) out.t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) out.v1.push(value.toLowerCase());
  }
  return out;
}

/**
 * True when `header` signs `body` with `secret` and its `t` is within `toleranceSeconds` of now.
 * The digests are compared with timingSafeEqual so the time taken says nothing about how much matched.
 */
export function verifySignature(
  header: string,
  body: string,
  secret: string,
  opts: { nowSeconds: number; toleranceSeconds?: number },
): boolean {
  const { t, v1 } = parse(header);
  if (t === undefined || v1.length === 0) return false;
  if (Math.abs(opts.nowSeconds - t) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(hmacHex(secret, t, body), 'hex');
  let ok = false;
  // Every candidate is compared, match or not, so the count of v1 entries is the only thing timing shows.
  for (const candidate of v1) ok = timingSafeEqual(expected, Buffer.from(candidate, 'hex')) || ok;
  return ok;
}

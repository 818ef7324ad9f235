/**
 * A point in time as written in a config: ISO 8601 / RFC 3339 with a zone (`2026-12-05T22:00:00Z`,
 * `2026-12-05T23:00:00+01:00`), so it means the same instant wherever it is read
 * (https://www.rfc-editor.org/rfc/rfc3339#section-5.6). A local time without a zone is refused.
 */
const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

export const INSTANT_RULE = 'expected an ISO 8601 time with a zone, e.g. 2026-12-05T22:00:00Z';

/** Epoch ms, or undefined when `text` is not such a time or names a day that does not exist (Date.parse reads 02-30 as 03-02). */
export function parseInstant(text: string): number | undefined {
  const m = ISO_WITH_ZONE.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second = '0', offH = '0', offM = '0'] = m.slice(1);
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const inMonth = new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d && mo >= 1 && mo <= 12;
  if (!inMonth || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59 || Number(offH) > 23 || Number(offM) > 59) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

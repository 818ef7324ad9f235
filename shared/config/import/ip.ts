/**
 * The exporter's `preferred_ip_protocol` (default ip6) and `ip_protocol_fallback` (default true), as
 * Vantage's `ipFamily`. Without fallback the family is fixed, which Vantage says exactly. With it the
 * exporter tries the preferred family first and then the other; Vantage has no order of preference,
 * so `ipFamily` is left unset (either family, in the system's order) and a written preference is reported.
 */
import type { Notes } from './notes.ts';
import { bool, type Obj, str } from './shape.ts';

export function ipFamily(raw: Obj, at: string, notes: Notes): 4 | 6 | undefined {
  const given = str(raw.preferred_ip_protocol);
  const fallback = bool(raw.ip_protocol_fallback) ?? true;
  const family = given === 'ip4' ? 4 : given === 'ip6' || given === undefined ? 6 : undefined;
  if (given !== undefined && family === undefined) {
    notes.add(`${at}.preferred_ip_protocol`, 'dropped', `${given} is not ip4 or ip6`);
    return undefined;
  }
  if (!fallback) {
    if (given === undefined) notes.add(`${at}.ip_protocol_fallback`, 'mapped', 'without fallback the exporter uses its default ip6 only: ipFamily: 6');
    return family;
  }
  if (given !== undefined) notes.add(`${at}.preferred_ip_protocol`, 'approximated', `Vantage has no preferred family: with ip_protocol_fallback on, ipFamily is left unset, so either family is used in the system's order (set ipFamily: ${family} to allow only ${given})`);
  return undefined;
}

/**
 * Small text helpers for alert messages: durations people read, SNS-safe subjects, and targets with
 * anything secret-looking taken out.
 */
import type { Check } from '../config/schema.ts';
import { redactUrl, redactUrlsIn } from '../probe/redact-url.ts';

/** `45s`, `4m 12s`, `2h 5m`, `3d 4h`: two units at most, because an alert is read at a glance. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return sec > 0 ? `${m}m ${sec}s` : `${m}m`;
  return `${sec}s`;
}

/** A burn rate as people compare it with a rule's factor: `16.0×` (`16.0x` where only ASCII goes, a subject). */
export function formatRate(rate: number, ascii = false): string {
  return `${rate.toFixed(1)}${ascii ? 'x' : '×'}`;
}

/** A fraction as a percent with one decimal (`62.5%`), as budgets are read; `-12.0%` once overspent. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/**
 * SNS rejects a Subject that is 100 characters or longer, holds line breaks or control characters, or
 * is not ASCII (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). Accents are folded
 * (`Café` → `Cafe`), anything else outside printable ASCII becomes `?`.
 */
export function asciiSubject(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?');
}

export const MAX_SUBJECT = 99;

/** Fits `prefix + name + suffix` under the limit by shortening the name, never the facts around it. */
export function fitSubject(prefix: string, name: string, suffix: string, max = MAX_SUBJECT): string {
  const p = asciiSubject(prefix);
  const s = asciiSubject(suffix);
  let n = asciiSubject(name).trim();
  const room = max - p.length - s.length;
  if (n.length > room) n = room > 3 ? `${n.slice(0, room - 3).trimEnd()}...` : n.slice(0, Math.max(0, room));
  return `${p}${n}${s}`.slice(0, max);
}

/**
 * Probe failure messages can be long (a body excerpt); an alert needs the first line and the gist.
 * Results are scrubbed where they are made; URL userinfo is taken out here again because an alert
 * travels furthest, and a message can quote a URL from anywhere (a redirect, a transport error).
 */
export function clip(text: string, max = 300): string {
  const line = redactUrlsIn(text).split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/**
 * What was probed, for people. Userinfo is dropped and query values are masked: both are where
 * credentials hide in URLs, and alerts travel to mailboxes and chat. Headers are never read.
 */
export function describeTarget(check: Check): string {
  switch (check.kind) {
    case 'http': return redactUrl(check.http.url, { maskQuery: true });
    case 'tcp': return `${check.tcp.host}:${check.tcp.port}`;
    case 'dns': return `${check.dns.name} ${check.dns.type}${check.dns.server ? ` @${check.dns.server}` : ''}`;
    case 'grpc': return check.grpc.target;
    case 'tls': return `${check.tls.host}:${check.tls.port}`;
    case 'icmp': return check.icmp.host;
  }
}

/** Human and machine output for probe results. */
import type { ProbeResult } from '../shared/probe/types.ts';

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;

function ms(v: number | undefined): string {
  if (v === undefined) return '-';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function statusCell(r: ProbeResult, color: boolean): string {
  const text = r.status.toUpperCase();
  if (!color) return text;
  const code = r.status === 'up' ? 32 : r.status === 'degraded' ? 33 : 31;
  return `\x1b[${code}m${text}\x1b[0m`;
}

/**
 * On failure the line also names the failing assertion and quotes the body's first line, which is
 * usually what a person opens curl for (an error page's title, a JSON error's message).
 */
function failureParts(r: ProbeResult, bodyLine: string | undefined): string[] {
  if (r.ok) return [];
  const parts: string[] = [];
  const failed = r.assertions.find((a) => !a.ok);
  if (failed) parts.push(`failed: ${failed.name}${failed.detail ? ` (${failed.detail})` : ''}`);
  if (bodyLine !== undefined) parts.push(`body: "${bodyLine}"`);
  return parts;
}

function detailOf(r: ProbeResult, bodyLine?: string): string {
  const parts: string[] = [];
  if (r.http) parts.push(`${r.http.status} ${r.http.version}${r.http.redirects ? ` (${r.http.redirects} redirects)` : ''}`);
  if (r.dns) parts.push(`${r.dns.rcode} ${r.dns.answers.length} answer(s)`);
  if (r.grpc) parts.push(r.grpc.status);
  if (r.icmp) parts.push(`${r.icmp.received}/${r.icmp.sent} replies, ${r.icmp.lossPercent}% loss${r.icmp.rtt ? `, rtt min/avg/max ${r.icmp.rtt.min}/${r.icmp.rtt.avg}/${r.icmp.rtt.max} ms` : ''}`);
  if (r.tls) parts.push(`${r.tls.version}${r.tls.certDaysLeft !== undefined ? ` cert ${r.tls.certDaysLeft}d` : ''}`);
  if (r.failure) parts.push(`${r.failure.reason}: ${r.failure.message}`);
  parts.push(...failureParts(r, bodyLine));
  // As the deployed probe counts them: a pass after a retest is UP, and worth knowing about.
  if (r.retries) parts.push(`after ${r.retries} retest${r.retries === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** A table with one row per result and the phases in ms; widths fit the content. */
export interface TableOptions {
  color?: boolean;
  /** The first line of each result's response body (by index), already redacted: cli/debug-view.ts firstBodyLine. */
  bodyLines?: readonly (string | undefined)[];
}

export function formatTable(results: readonly ProbeResult[], opts: TableOptions = {}): string {
  const header = ['CHECK', 'LOCATION', 'STATUS', ...PHASES.map((p) => p.toUpperCase()), 'DETAIL'];
  const rows = results.map((r, i) => [
    r.checkId ?? r.target,
    r.location ?? '-',
    r.status.toUpperCase(),
    ...PHASES.map((p) => ms(r.phases[p])),
    detailOf(r, opts.bodyLines?.[i]),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[], raw?: ProbeResult) =>
    cells.map((c, i) => {
      const padded = i === cells.length - 1 ? c : i >= 3 && i < 3 + PHASES.length ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
      return i === 2 && raw ? statusCell(raw, !!opts.color) + ' '.repeat(widths[i]! - c.length) : padded;
    }).join('  ').trimEnd();
  const failedAssertions = results.flatMap((r) => r.assertions.filter((a) => !a.ok).map((a) => `  ${r.checkId ?? r.target}: ${a.name}${a.detail ? ` (${a.detail})` : ''}`));
  // The records as answer regexes see them (tab-separated, like dig and miekg/dns), so a person can
  // write or fix an `answerMatches` from what is printed here.
  const answers = results.flatMap((r) => (r.dns?.answers ?? []).map((a) => `  ${r.checkId ?? r.target}: ${a}`));
  return [
    line(header),
    ...rows.map((row, i) => line(row, results[i])),
    ...(answers.length ? ['', 'dns answers:', ...answers] : []),
    ...(failedAssertions.length ? ['', 'failed assertions:', ...failedAssertions] : []),
  ].join('\n') + '\n';
}

/** One JSON object per line, for machines (`--json`). */
export function formatJsonLines(results: readonly ProbeResult[]): string {
  return results.map((r) => JSON.stringify(r)).join('\n') + (results.length ? '\n' : '');
}

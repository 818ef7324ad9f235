/**
 * The report as CSV (RFC 4180, https://www.rfc-editor.org/rfc/rfc4180#section-2): a header row, one
 * record per check, CRLF line breaks, and a field quoted (its quotes doubled) when it holds a comma,
 * a quote or a line break.
 */
import { COLUMNS } from './columns.ts';
import type { Report } from './types.ts';

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function formatCsv(report: Report): string {
  const rows = [COLUMNS.map((c) => c.name), ...report.checks.map((check) => COLUMNS.map((c) => c.value(check)))];
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

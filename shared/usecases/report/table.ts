/** The report for a terminal: a summary table, then each check's incidents and downtime by location. */
import { shortIso } from './text.ts';
import { INCIDENT_HEADER, incidentCells, LOCATION_HEADER, locationRows, SUMMARY_HEADER, summaryCells } from './summary.ts';
import type { Report } from './types.ts';

/** Text left-aligned, figures right-aligned (so digits line up), two spaces between columns. */
export function alignedRows(header: readonly string[], rows: readonly string[][], rightAligned: (column: number) => boolean, indent = ''): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => indent + cells.map((c, i) => (rightAligned(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatTable(report: Report): string {
  const lines = [`Report ${shortIso(report.from)} to ${shortIso(report.to)} (generated ${shortIso(report.generatedAt)})`, ''];
  lines.push(...alignedRows(SUMMARY_HEADER, report.checks.map(summaryCells), (i) => i > 0));
  for (const c of report.checks) {
    const locations = locationRows(c);
    if (c.incidents.length === 0 && locations.length === 0) continue;
    lines.push('', `${c.checkId}${c.name !== undefined ? ` (${c.name})` : ''}`);
    if (c.incidents.length > 0) lines.push('  incidents', ...alignedRows(INCIDENT_HEADER, c.incidents.map(incidentCells), (i) => i === 2, '    '));
    if (locations.length > 0) lines.push('  downtime by location', ...alignedRows(LOCATION_HEADER, locations, (i) => i > 0, '    '));
  }
  if (report.checks.length === 0) lines.push('(no checks)');
  return lines.join('\n') + '\n';
}

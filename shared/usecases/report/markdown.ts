/**
 * The report as GitHub-flavoured Markdown: the summary table, then a section per check with its
 * incidents and downtime by location. Cells escape `|` and line breaks, so ids and reasons cannot
 * break a table (https://github.github.com/gfm/#tables-extension-).
 */
import { shortIso } from './text.ts';
import { INCIDENT_HEADER, incidentCells, LOCATION_HEADER, locationRows, SUMMARY_HEADER, summaryCells } from './summary.ts';
import type { Report } from './types.ts';

const cell = (text: string) => text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, ' ');

function mdTable(header: readonly string[], rows: readonly string[][], rightAligned: (column: number) => boolean): string[] {
  const row = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [row(header), `|${header.map((_, i) => (rightAligned(i) ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map(row)];
}

export function formatMarkdown(report: Report): string {
  const lines = [`# Report ${shortIso(report.from)} to ${shortIso(report.to)}`, '', `Generated ${shortIso(report.generatedAt)}. The range is [from, to); maintenance and no-data time count as neither good nor bad.`, ''];
  lines.push(...mdTable(SUMMARY_HEADER, report.checks.map(summaryCells), (i) => i > 0));
  for (const c of report.checks) {
    lines.push('', `## ${cell(c.checkId)}${c.name !== undefined ? ` (${cell(c.name)})` : ''}`, '');
    lines.push(...(c.incidents.length > 0 ? mdTable(INCIDENT_HEADER, c.incidents.map(incidentCells), (i) => i === 2) : ['No incidents in the range.']));
    const locations = locationRows(c);
    lines.push('', ...(locations.length > 0 ? mdTable(LOCATION_HEADER, locations, (i) => i > 0) : ['No location was down in the range.']));
  }
  return lines.join('\n') + '\n';
}

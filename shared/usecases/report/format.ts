/** formatReport: the one entry point for every output form of a report. */
import { formatCsv } from './csv.ts';
import { formatMarkdown } from './markdown.ts';
import { formatTable } from './table.ts';
import type { Report, ReportFormat } from './types.ts';

/** The Report object itself; its key order is fixed by buildReport, so equal reports print equal. */
const formatJson = (report: Report) => `${JSON.stringify(report, null, 2)}\n`;

const FORMATTERS: { [F in ReportFormat]: (report: Report) => string } = { table: formatTable, csv: formatCsv, json: formatJson, md: formatMarkdown };

export function formatReport(report: Report, format: ReportFormat): string {
  return FORMATTERS[format](report);
}

export { buildReport, clipIncident, type ReportCheck, type ReportInput } from './build.ts';
export { COLUMNS, columnsHelp, type Column } from './columns.ts';
export { formatReport } from './format.ts';
export { incidentsFromNotifications, withMinuteLocations } from './incidents.ts';
export { REPORT_FORMATS, type CheckReport, type Report, type ReportFormat, type ReportIncident } from './types.ts';

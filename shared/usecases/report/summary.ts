/** The summary row per check that the table and Markdown forms print (the CSV has every column raw). */
import { percentText, sliText } from './columns.ts';
import { durationText, msText, shortIso, withPercent } from './text.ts';
import type { CheckReport, ReportIncident } from './types.ts';

export const SUMMARY_HEADER = ['CHECK', 'OBJECTIVE', 'SLI', 'BUDGET USED', 'BUDGET LEFT', 'DOWN', 'PARTIAL', 'MAINTENANCE', 'NO DATA', 'INCIDENTS', 'SAMPLES', 'P50', 'P95'] as const;

export function summaryCells(c: CheckReport): string[] {
  return [
    c.checkId,
    withPercent(percentText(c.objective)),
    withPercent(sliText(c.sli), 'no data'),
    withPercent(percentText(c.budgetUsed)),
    withPercent(percentText(c.budgetRemaining)),
    durationText(c.downtimeSeconds),
    durationText(c.partialSeconds),
    durationText(c.maintenanceSeconds),
    durationText(c.noDataSeconds),
    String(c.incidents.length),
    String(c.samples),
    msText(c.latencyP50Ms),
    msText(c.latencyP95Ms),
  ];
}

export function incidentCells(i: ReportIncident): string[] {
  return [
    shortIso(i.start),
    i.end !== undefined ? shortIso(i.end) : 'ongoing',
    i.durationSeconds !== undefined ? durationText(i.durationSeconds) : '-',
    i.firstReason ?? '-',
    i.locations.join(', ') || '-',
    i.id,
  ];
}

export const INCIDENT_HEADER = ['START', 'END', 'DURATION', 'FIRST REASON', 'LOCATIONS', 'INCIDENT'] as const;

/** Locations by downtime, longest first (then by name). */
export function locationRows(c: CheckReport): string[][] {
  return Object.entries(c.locationDowntime)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([location, seconds]) => [location, durationText(seconds), String(seconds)]);
}

export const LOCATION_HEADER = ['LOCATION', 'DOWNTIME', 'SECONDS'] as const;

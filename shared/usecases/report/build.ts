/**
 * buildReport: per check, the range's totals from its hour rollups (totalsOver), its SLI and error
 * budget (sliOf), latency quantiles from the hours' histograms, and its incidents clipped to the range.
 * Pure: the caller reads the hours and incidents (from the table, or from a backtest's RollupBook).
 */
import type { Slo } from '../../config/slo.ts';
import { latencyQuantile, sliOf, totalsOver } from '../../evaluate/slo/index.ts';
import type { HourRollup } from '../../evaluate/slo/types.ts';
import type { StoredIncident } from '../../store/items.ts';
import type { CheckReport, Report, ReportIncident } from './types.ts';

/** What the report reads of a check (a config `Check` is one). */
export interface ReportCheck {
  id: string;
  name?: string | undefined;
  slo?: Slo | undefined;
}

export interface ReportInput {
  /** Epoch ms; the range is [from, to). */
  from: number;
  to: number;
  /** Epoch ms: the report's clock, for incidents still open. */
  now: number;
  checks: readonly ReportCheck[];
  hours: (checkId: string) => readonly HourRollup[];
  incidents: (checkId: string) => readonly StoredIncident[];
}

/**
 * A check without an slo still has an availability: the default rule (PARTIAL is up, as quorum
 * decides paging). Its objective only scales the budget, which such a check does not report.
 */
const AVAILABILITY: Slo = { objective: 99.9, windowMs: 30 * 86_400_000, sli: 'availability', countPartial: false, burnRates: [] };

const iso = (ms: number) => new Date(ms).toISOString();
const percent = (fraction: number | undefined) => (fraction === undefined ? undefined : fraction * 100);

/** The part of an incident inside [from, to); undefined when it lies outside. */
export function clipIncident(incident: StoredIncident, from: number, to: number, now: number): ReportIncident | undefined {
  const started = Date.parse(incident.startedAt);
  const ended = incident.endedAt !== undefined ? Date.parse(incident.endedAt) : undefined;
  if (started >= to || (ended !== undefined && ended <= from)) return undefined;
  const start = Math.max(started, from);
  // Open and the range reaches the report's clock: it is still going on, so it has no end yet.
  const end = ended !== undefined ? Math.min(ended, to) : to < now ? to : undefined;
  const until = end ?? Math.max(start, Math.min(now, to));
  return {
    id: incident.incidentId,
    start: iso(start),
    ...(end !== undefined && { end: iso(end) }),
    durationSeconds: Math.round((until - start) / 1000),
    ...(incident.firstReason !== undefined && { firstReason: incident.firstReason }),
    locations: [...incident.locations],
  };
}

function sortedRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Keys in one fixed order, so JSON output is stable whatever produced the figures. */
function checkReport(check: ReportCheck, input: ReportInput): CheckReport {
  const totals = totalsOver(input.hours(check.id), input.from, input.to);
  const figures = sliOf(totals, check.slo ?? AVAILABILITY);
  const incidents = input.incidents(check.id)
    .map((i) => clipIncident(i, input.from, input.to, input.now))
    .filter((i): i is ReportIncident => i !== undefined)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const p50 = latencyQuantile(totals.buckets, 0.5);
  const p95 = latencyQuantile(totals.buckets, 0.95);
  const sli = percent(figures.sli);
  const budgetUsed = check.slo ? percent(figures.budgetUsed) : undefined;
  const budgetRemaining = check.slo ? percent(figures.budgetRemaining) : undefined;
  return {
    checkId: check.id,
    ...(check.name !== undefined && { name: check.name }),
    ...(check.slo && { objective: check.slo.objective }),
    ...(sli !== undefined && { sli }),
    ...(check.slo && { slo: check.slo }),
    ...(budgetUsed !== undefined && { budgetUsed }),
    ...(budgetRemaining !== undefined && { budgetRemaining }),
    upSeconds: totals.seconds.up,
    downtimeSeconds: totals.seconds.down,
    partialSeconds: totals.seconds.partial,
    maintenanceSeconds: totals.seconds.maintenance,
    noDataSeconds: totals.seconds.nodata,
    samples: totals.samples,
    ...(p50 !== undefined && { latencyP50Ms: p50 }),
    ...(p95 !== undefined && { latencyP95Ms: p95 }),
    incidents,
    locationDowntime: sortedRecord(totals.locationDown),
  };
}

export function buildReport(input: ReportInput): Report {
  return {
    from: iso(input.from),
    to: iso(input.to),
    generatedAt: iso(input.now),
    checks: input.checks.map((c) => checkReport(c, input)),
  };
}

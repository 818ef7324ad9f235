/**
 * What `vantage report` says about a range: per check, the SLO figures of the accounting in
 * shared/evaluate/slo (README "SLOs"), the seconds by class, and the incidents inside the range.
 */
import type { Slo } from '../../config/slo.ts';

export interface ReportIncident {
  id: string;
  /** ISO; the incident's start, or the range's start when it began before it. */
  start: string;
  /** ISO; the incident's end, or the range's end when it ended after it; absent while still open at the report's end. */
  end?: string;
  /** From start to end, or to the report's `now` while still open. */
  durationSeconds?: number;
  /** The failure reason of the location that failed first. */
  firstReason?: string;
  /** Every location that failed during the incident. */
  locations: string[];
}

export interface CheckReport {
  checkId: string;
  name?: string;
  /** Percent; absent for a check without an slo. */
  objective?: number;
  /** Percent; absent without eligible data ("no data", never 100). */
  sli?: number;
  slo?: Slo;
  /** Percent of the error budget over the range; absent without an slo or without eligible data. */
  budgetUsed?: number;
  budgetRemaining?: number;
  upSeconds: number;
  downtimeSeconds: number;
  partialSeconds: number;
  maintenanceSeconds: number;
  /** Range − accounted, plus minutes accounted as no data. */
  noDataSeconds: number;
  samples: number;
  /** Over the range's whole hours (the histogram is kept per hour). */
  latencyP50Ms?: number;
  latencyP95Ms?: number;
  /** Overlapping the range, clipped to it, oldest first. */
  incidents: ReportIncident[];
  /** Seconds per location, outside maintenance; keys sorted. */
  locationDowntime: Record<string, number>;
}

export interface Report {
  /** ISO; the range is [from, to). */
  from: string;
  to: string;
  generatedAt: string;
  checks: CheckReport[];
}

export const REPORT_FORMATS = ['table', 'csv', 'json', 'md'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

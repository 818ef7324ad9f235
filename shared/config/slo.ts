/**
 * Service level objectives, as the engine reads them (the `slo` block of a check or of `defaults`).
 * The accounting they are measured by is defined once, in shared/evaluate/slo/ and README "SLOs".
 */
import { formatDuration } from './duration.ts';

/** One multi-window burn-rate rule (Google SRE workbook, "Alerting on SLOs"): fires while both windows burn at ≥ factor. */
export interface BurnRule {
  /** `${severity}-${long}`, e.g. `page-1h`, `ticket-3d`: unique per check; it names the alert's episode. */
  name: string;
  severity: 'page' | 'ticket';
  factor: number;
  longMs: number;
  shortMs: number;
}

export interface Slo {
  /** Percent, strictly between 0 and 100. */
  objective: number;
  windowMs: number;
  sli: 'availability' | 'latency';
  /** Present iff sli is latency: a passing sample at or under it is good. */
  latencyThresholdMs?: number;
  /** A PARTIAL minute counts as down. @default false: quorum decides, as it does for paging. */
  countPartial: boolean;
  burnRates: BurnRule[];
}

/** How long hour rollups are kept (their ttl): a year's reports and a 90-day page, with room. */
export const ROLLUP_RETENTION_DAYS = 400;

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A rule's name: its severity and long window, `page-1h`, so a check's rules are told apart in alerts and ids. */
export function burnRuleName(severity: BurnRule['severity'], longMs: number): string {
  return `${severity}-${formatDuration(longMs)}`;
}

const rule = (severity: BurnRule['severity'], factor: number, longMs: number, shortMs: number): BurnRule =>
  Object.freeze({ name: burnRuleName(severity, longMs), severity, factor, longMs, shortMs });

/**
 * The Google SRE workbook's recommended multiwindow, multi-burn-rate rules for a 30-day 99.9% SLO
 * (https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts): 2% of the
 * budget in 1 h or 5% in 6 h pages, 10% in 3 days opens a ticket; each short window (1/12 of the long)
 * makes the alert stop soon after the burn does.
 */
export const DEFAULT_BURN_RULES: readonly BurnRule[] = Object.freeze([
  rule('page', 14.4, HOUR, 5 * MINUTE),
  rule('page', 6, 6 * HOUR, 30 * MINUTE),
  rule('ticket', 1, 72 * HOUR, 6 * HOUR),
]);

/** @default window 30 days: the workbook's, and a month of reports. */
export const DEFAULT_SLO_WINDOW_MS = 30 * 24 * HOUR;
/** The longest SLO window: a quarter; the rollups' ttl (ROLLUP_RETENTION_DAYS) keeps several. */
export const MAX_SLO_WINDOW_MS = 90 * 24 * HOUR;
export const MIN_SLO_WINDOW_MS = 24 * HOUR;
/** A burn rule's long window at most a week: longer, and a burn alert is a report. */
export const MAX_BURN_WINDOW_MS = 7 * 24 * HOUR;

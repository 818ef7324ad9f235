/**
 * Burn rates: how fast a check spends its error budget, over the windows of its multi-window,
 * multi-burn-rate rules (Google SRE workbook, "Alerting on SLOs", recommendation 6:
 * https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts). A rule fires
 * while both its long window (is the budget really going?) and its short one (is it still going
 * now?) burn at ≥ its factor; the short window is what lets the alert stop soon after the outage does.
 *
 * Pure: readings come from hour rollups, the caller (the sweep, replay) decides when to take them.
 */
import type { BurnRule, Slo } from '../../config/slo.ts';
import { errorRateOf, sliOf } from './sli.ts';
import { totalsOver } from './totals.ts';
import type { BudgetState } from '../types.ts';
import { HOUR_MS, MINUTE_MS, type HourRollup } from './types.ts';

/** One rule's windows as read at one instant. */
export interface BurnRuleReading {
  rule: BurnRule;
  /** Burn rate over the long window; absent without eligible data in it. */
  long?: number;
  short?: number;
  /** long ≥ factor and short ≥ factor. */
  firing: boolean;
}

/** What the policy is given about burn rates (Observations.burn). */
export interface BurnObservation {
  /** Epoch ms: when the readings were taken (the sweep's `now`). */
  at: number;
  /** One per rule of the check's `slo.burnRates`, in their order. */
  readings: BurnRuleReading[];
  /** Fraction of the error budget left over the whole `slo.windowMs`, when the caller read it. */
  budgetRemaining?: number;
}

/** Readings are taken every 5 minutes: the shortest default window is 5 minutes, and each reading costs reads. */
export const BURN_EVERY_MS = 5 * MINUTE_MS;

/** Whether the sweep at `now` takes readings: on every BURN_EVERY_MS boundary of the clock. */
export function isBurnReadingDue(now: number): boolean {
  return Math.floor(now / MINUTE_MS) % (BURN_EVERY_MS / MINUTE_MS) === 0;
}

/**
 * A rate within this relative distance under the factor counts as reaching it: `1 − 99.9 / 100` is
 * not 0.001 in binary floating point, and a window that spends exactly the threshold must fire.
 */
const RELATIVE_SLACK = 1e-9;

/** The error rate that spends exactly the budget over the SLO window: 1 − objective. */
export function budgetRateOf(slo: Pick<Slo, 'objective'>): number {
  return 1 - slo.objective / 100;
}

/**
 * Where the windows end: the end of the newest accounted minute that ended by `now`. Minutes are
 * accounted after they end, so at a sweep the minute that just ended may not be in the rollups yet;
 * ending the windows at `now` would count it as no data and shorten a 5-minute window by a fifth.
 */
export function burnWindowEnd(hours: readonly HourRollup[], now: number): number | undefined {
  // Newest hour first: the first with a minute ended by `now` holds the answer, so a 30-day read
  // looks at one or two hours' minutes, not all of them.
  const newestFirst = hours.filter((h) => h.hour < now).sort((a, b) => b.hour - a.hour);
  for (const h of newestFirst) {
    let end: number | undefined;
    for (const key of Object.keys(h.minutes)) {
      const minuteEnd = h.hour + (Number(key) + 1) * MINUTE_MS;
      if (minuteEnd <= now && (end === undefined || minuteEnd > end)) end = minuteEnd;
    }
    if (end !== undefined) return end;
  }
  return undefined;
}

function rateOver(hours: readonly HourRollup[], end: number, spanMs: number, slo: Slo): number | undefined {
  const from = end - spanMs;
  // Only the hours the window overlaps: a 5-minute window needs one or two of the 3 days read for the longest rule.
  const overlapping = hours.filter((h) => h.hour < end && h.hour + HOUR_MS > from);
  const errorRate = errorRateOf(totalsOver(overlapping, from, end), slo);
  return errorRate === undefined ? undefined : errorRate / budgetRateOf(slo);
}

const reaches = (rate: number | undefined, factor: number) => rate !== undefined && rate >= factor * (1 - RELATIVE_SLACK);

/**
 * Each rule's burn rates over windows ending at the newest accounted minute ≤ `now`. `hours` must
 * cover the longest rule's long window before that (more is fine). Nothing accounted: every rate
 * absent, nothing firing.
 */
export function burnReadings(hours: readonly HourRollup[], now: number, slo: Slo): BurnRuleReading[] {
  const end = burnWindowEnd(hours, now);
  return slo.burnRates.map((rule): BurnRuleReading => {
    if (end === undefined) return { rule, firing: false };
    const long = rateOver(hours, end, rule.longMs, slo);
    const short = rateOver(hours, end, rule.shortMs, slo);
    return {
      rule,
      ...(long !== undefined && { long }),
      ...(short !== undefined && { short }),
      firing: reaches(long, rule.factor) && reaches(short, rule.factor),
    };
  });
}

/** The error budget left over the whole SLO window ending where the readings' windows end; `hours` must cover it. */
export function budgetRemainingOver(hours: readonly HourRollup[], now: number, slo: Slo): number | undefined {
  const end = burnWindowEnd(hours, now);
  if (end === undefined) return undefined;
  return sliOf(totalsOver(hours, end - slo.windowMs, end), slo).budgetRemaining;
}

/**
 * Whether these readings can send a BUDGET_BURN, given the check's `state.budget`: a rule starts
 * firing, or one held back by a mute still fires. Only then is the budget left said, so only then
 * need the caller read the whole SLO window for it.
 */
export function mayAlert(readings: readonly BurnRuleReading[], budget: BudgetState | undefined): boolean {
  return readings.some((r) => r.firing && (!budget || !Object.hasOwn(budget.firing, r.rule.name) || (budget.unsent ?? []).includes(r.rule.name)));
}

/** How far back a caller must read hours for `burnReadings` (the longest long window, plus the partial hour at each end). */
export function burnLookbackMs(slo: Slo): number {
  return Math.max(0, ...slo.burnRates.map((r) => r.longMs)) + HOUR_MS;
}

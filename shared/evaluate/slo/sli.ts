/** The SLI and the error budget over some totals (README "SLOs": the budget formula). */
import type { Slo } from '../../config/slo.ts';
import type { SliFigures, Totals } from './types.ts';

/**
 * Good and bad, in seconds (availability) or samples (latency). Maintenance and no-data time is in
 * neither: it is nobody's budget, and an unseen minute is no evidence either way. A PARTIAL minute is
 * good unless `countPartial`: quorum decides, as it does for paging.
 */
function goodAndBad(t: Totals, slo: Slo): { good: number; bad: number } {
  if (slo.sli === 'latency') return { good: t.fast, bad: t.samples - t.fast };
  const { up, down, partial } = t.seconds;
  return slo.countPartial ? { good: up, bad: down + partial } : { good: up + partial, bad: down };
}

/** Without eligible data the SLI is undefined ("no data"), never 100%. */
export function sliOf(totals: Totals, slo: Slo): SliFigures {
  const { good, bad } = goodAndBad(totals, slo);
  const eligible = good + bad;
  if (eligible <= 0) return { good, bad, eligible };
  // allowed = (1 − objective) × eligible; used may pass 1 (overspent), so remaining may be negative.
  const budgetUsed = bad / ((1 - slo.objective / 100) * eligible);
  return { sli: good / eligible, good, bad, eligible, budgetUsed, budgetRemaining: 1 - budgetUsed };
}

/** bad / eligible, for burn rates (burn = errorRate / (1 − objective)); undefined without eligible data. */
export function errorRateOf(totals: Totals, slo: Slo): number | undefined {
  const { good, bad } = goodAndBad(totals, slo);
  return good + bad > 0 ? bad / (good + bad) : undefined;
}

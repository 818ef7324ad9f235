/**
 * The `slo` block's engine form, from the input the schema (./schema.ts) has checked field by field.
 * Kept apart from ./slo.ts, which the evaluator imports and which must stay free of zod.
 */
import { burnRuleName, DEFAULT_BURN_RULES, type BurnRule, type Slo } from './slo.ts';

export const SLO_SLIS = ['availability', 'latency'] as const;
export const SLO_SEVERITIES = ['page', 'ticket'] as const;

/** The `slo` block as the schema's fields parse it (durations in ms). */
export interface SloInput {
  objective: number;
  window: number;
  sli: Slo['sli'];
  latencyThreshold?: number;
  countPartial: boolean;
  burnRates?: Array<{ severity: BurnRule['severity']; factor: number; long: number; short: number }>;
}

/**
 * Without burnRates, the default rules that fit the window: a 3-day ticket rule cannot be read in a
 * 1-day window (README "SLOs"), and leaving it out beats making every short window spell out rules.
 */
export function sloOf(input: SloInput): Slo {
  const rules = input.burnRates?.map((r): BurnRule => ({ name: burnRuleName(r.severity, r.long), severity: r.severity, factor: r.factor, longMs: r.long, shortMs: r.short }))
    ?? DEFAULT_BURN_RULES.filter((r) => r.longMs <= input.window).map((r) => ({ ...r }));
  return {
    objective: input.objective,
    windowMs: input.window,
    sli: input.sli,
    ...(input.latencyThreshold !== undefined && { latencyThresholdMs: input.latencyThreshold }),
    countPartial: input.countPartial,
    burnRates: rules,
  };
}

/**
 * BUDGET_BURN: the error budget is going fast enough that someone should look (a `page` rule) or
 * open a ticket (a `ticket` rule). Decided from the burn-rate readings the sweep passes in
 * (Observations.burn, ./slo/burn.ts), never from results: burn rates are about minutes already
 * accounted, not about the newest run.
 *
 * Per rule, an *episode* runs from the reading that first fires to the first reading that does not.
 * It sends one BUDGET_BURN when it starts, and nothing when it ends: the budget spent does not come
 * back, and the outage's own RESOLVED already says the check is up. A rule re-arms only after a
 * reading that does not fire, so an outage that keeps burning alerts once, and one that stops (its
 * short window recovers) and starts again alerts again, under a new incident id.
 *
 * Several rules firing for one burn send one alert, the gravest (see budgetBurn).
 *
 * It is not part of the check's incident and does not change its state. A mute holds it back like
 * any other event; flapping does not (a budget burning while the state flaps is the news).
 */
import { BURN_SEVERITY } from '../events.ts';
import type { BurnRuleReading } from './slo/burn.ts';
import { entryOf } from './location.ts';
import { describe, iso, send, type Draft, type TickContext } from './tick.ts';
import type { BudgetState, BurnFacts, Notification, Observations } from './types.ts';

export const burnIncidentId = (checkId: string, rule: string, since: number) => `${checkId}:burn:${rule}:${iso(since)}`;

function burnNote(draft: Draft, reading: BurnRuleReading, since: number, at: number, objective: number, budgetRemaining: number | undefined, ctx: TickContext): Notification {
  const { rule } = reading;
  const incidentId = burnIncidentId(draft.checkId, rule.name, since);
  const burn: BurnFacts = {
    rule: rule.name, severity: rule.severity, factor: rule.factor, longWindowMs: rule.longMs, shortWindowMs: rule.shortMs,
    // A firing reading has both rates; `?? factor` only satisfies the type.
    longRate: reading.long ?? rule.factor, shortRate: reading.short ?? rule.factor, objective,
    ...(budgetRemaining !== undefined && { budgetRemaining }),
  };
  return {
    event: 'BUDGET_BURN', checkId: draft.checkId, at, incidentId, dedupeKey: `${incidentId}:BUDGET_BURN:1`,
    severity: BURN_SEVERITY[rule.severity],
    locations: ctx.policy.locations.map((l) => describe(l, entryOf(draft.locations, l))),
    since, burn, overall: draft.overall, previous: draft.overall, channels: [...ctx.policy.channels],
  };
}

/** Graver first: a page before a ticket, and among equals the shorter window, which fires sooner. */
const GRAVITY = { page: 0, ticket: 1 } as const;
const byGravity = (a: BurnRuleReading, b: BurnRuleReading) => GRAVITY[a.rule.severity] - GRAVITY[b.rule.severity] || a.rule.longMs - b.rule.longMs;

/**
 * Decides the burn-rate alerts for one observation, at the evaluation's last tick (so `ctx.mute` is
 * the mute covering `now`). Rules missing from the readings (removed from the config) end their
 * episodes. Without an observation, or for a check without an `slo`, nothing changes.
 *
 * One burn is one alert: a rule that starts firing while a rule at least as grave fires with its
 * alert out (or going out in this reading) starts its episode covered, and sends nothing of its own,
 * as Alertmanager's inhibition of lesser alerts would. A total outage trips every rule within
 * minutes; it pages once (the shortest page rule), and a ticket rule only speaks for a slow burn no
 * page rule sees. A covered episode never sends later: whoever was paged already has this burn.
 */
export function budgetBurn(draft: Draft, observation: Observations['burn'], ctx: TickContext, out: Notification[]): void {
  const objective = ctx.policy.slo?.objective;
  if (!observation || objective === undefined) return;
  const was = draft.budget;
  const firing: Record<string, number> = {};
  const unsent: string[] = [];
  const pending = (name: string) => was?.unsent?.includes(name) === true;
  const readings = observation.readings.filter((r) => r.firing).sort(byGravity);
  /** The gravest severity whose alert is out: episodes already sent (or covered) that still fire. */
  let covered: number | undefined;
  const cover = (severity: BurnRuleReading['rule']['severity']) => { covered = Math.min(covered ?? Infinity, GRAVITY[severity]); };
  for (const r of readings) {
    if (was && entryOf(was.firing, r.rule.name) !== undefined && !pending(r.rule.name)) cover(r.rule.severity);
  }
  for (const reading of readings) {
    const name = reading.rule.name;
    const since = was ? entryOf(was.firing, name) : undefined;
    firing[name] = since ?? observation.at;
    // Sent once per episode: when it starts, or at the first reading after the mute that held it.
    if (since !== undefined && !pending(name)) continue;
    if (covered !== undefined && covered <= GRAVITY[reading.rule.severity]) continue;
    const note = burnNote(draft, reading, firing[name], observation.at, objective, observation.budgetRemaining, ctx);
    if (send(draft, note, ctx, out)) cover(reading.rule.severity);
    else unsent.push(name);
  }
  const next: BudgetState | undefined = Object.keys(firing).length === 0 ? undefined : { firing, ...(unsent.length > 0 && { unsent }) };
  if (next) draft.budget = next;
  else delete draft.budget;
}

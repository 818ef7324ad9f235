/**
 * The sweep's burn-rate readings (shared/evaluate/slo/burn.ts decides what they mean): every
 * BURN_EVERY_MS, for each check with an `slo`, one Query of the hours its longest rule needs
 * (keys.ts pattern 22), and of the whole SLO window only when a rule fires or an episode is open,
 * since `budgetRemaining` is only said in a BUDGET_BURN and a 30-day read costs ten 3-day reads.
 *
 * The Query is eventually consistent, so the minute this sweep just wrote may not be in it: that
 * minute is applied to what was read with the core's idempotent `addMinute`, and the readings
 * always include it. A check whose hours cannot be read gets no observation: the policy then
 * decides nothing about burn (an absent reading is not "stopped burning").
 */
import type { Check } from '../../config/schema.ts';
import { addMinute, emptyHour } from '../../evaluate/slo/index.ts';
import { budgetRemainingOver, burnLookbackMs, burnReadings, isBurnReadingDue, type BurnObservation } from '../../evaluate/slo/burn.ts';
import { HOUR_MS, MINUTE_MS, type HourRollup, type MinuteRecord } from '../../evaluate/slo/types.ts';
import type { CheckState } from '../../evaluate/types.ts';
import { errorFields, type Logger } from '../../logging/logger.ts';
import { pool } from '../../pool.ts';
import type { RollupStore } from '../../store/rollups.ts';
import { ACCOUNT_CONCURRENCY } from './account.ts';

export interface BurnDeps {
  rollups: Pick<RollupStore, 'hours'>;
  logger: Logger;
  /** @default ACCOUNT_CONCURRENCY */
  concurrency?: number;
}

/** `hours` with `minute` applied (once: addMinute returns an hour that already has it unchanged), oldest first. */
export function withMinute(hours: readonly HourRollup[], checkId: string, minute: MinuteRecord | undefined): HourRollup[] {
  if (!minute) return [...hours];
  const hour = Math.floor(minute.start / HOUR_MS) * HOUR_MS;
  const found = hours.some((h) => h.hour === hour);
  const out = hours.map((h) => (h.hour === hour ? addMinute(h, minute) : h));
  if (!found) out.push(addMinute(emptyHour(checkId, hour), minute));
  return out.sort((a, b) => a.hour - b.hour);
}

async function observe(deps: BurnDeps, check: Check & { slo: NonNullable<Check['slo']> }, state: CheckState, now: number, minute: MinuteRecord | undefined): Promise<BurnObservation> {
  const { slo } = check;
  const recent = withMinute(await deps.rollups.hours(check.id, now - burnLookbackMs(slo), now), check.id, minute);
  const readings = burnReadings(recent, now, slo);
  if (!readings.some((r) => r.firing) && state.budget === undefined) return { at: now, readings };
  const whole = withMinute(await deps.rollups.hours(check.id, now - slo.windowMs - HOUR_MS, now), check.id, minute);
  const budgetRemaining = budgetRemainingOver(whole, now, slo);
  return { at: now, readings, ...(budgetRemaining !== undefined && { budgetRemaining }) };
}

/**
 * The burn observations of the sweep at `now`, by check id: empty unless a reading is due. `minutes`
 * are the minutes this sweep accounted (../slo/account.ts), by check id.
 */
/**
 * Per rollup store, the minute of each check's last burn reading in this process: a reading is due
 * for a whole minute (isBurnReadingDue), and a sweep that runs more often than once a minute
 * (`vantage dev`) reads once in it. An absent reading decides nothing, so skipping the repeats
 * changes no decision; a failed reading is not remembered and is tried again.
 */
const readHere = new WeakMap<object, Map<string, number>>();

export async function burnObservations(deps: BurnDeps, checks: ReadonlyArray<{ check: Check; state: CheckState }>, now: number, minutes: ReadonlyMap<string, MinuteRecord>, signal?: AbortSignal): Promise<Map<string, BurnObservation>> {
  const out = new Map<string, BurnObservation>();
  if (!isBurnReadingDue(now)) return out;
  const withSlo = checks.filter((c): c is { check: Check & { slo: NonNullable<Check['slo']> }; state: CheckState } => c.check.slo !== undefined && c.check.slo.burnRates.length > 0);
  const minute = Math.floor(now / MINUTE_MS);
  let read = readHere.get(deps.rollups);
  if (!read) readHere.set(deps.rollups, (read = new Map()));
  await pool(withSlo, deps.concurrency ?? ACCOUNT_CONCURRENCY, async ({ check, state }) => {
    if (signal?.aborted || read.get(check.id) === minute) return;
    try {
      out.set(check.id, await observe(deps, check, state, now, minutes.get(check.id)));
      read.set(check.id, minute);
    } catch (err) {
      deps.logger.error('burn rates not read; the policy decides nothing about them this time', { checkId: check.id, ...errorFields(err) });
    }
  });
  return out;
}

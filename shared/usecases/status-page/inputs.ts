/**
 * Reads what the status page shows for a config's checks: one BatchGetItem of the states, and per
 * check one Query of its hour rollups over the page's days (up to 2,160 small items) and one Query of
 * its newest incidents (STATUS_INCIDENTS items, newest first: the page lists no more, and an
 * incident older than those cannot be among them, so a range read of every incident is not needed).
 */
import { pool } from '../../pool.ts';
import type { CheckState } from '../../evaluate/index.ts';
import type { HourRollup } from '../../evaluate/slo/index.ts';
import type { Store } from '../../store/dynamo.ts';
import type { StoredIncident } from '../../store/items.ts';
import type { RollupStore } from '../../store/rollups.ts';
import { firstDay, STATUS_INCIDENTS, type StatusModelInput, type StatusPageCheck } from './model.ts';

export interface StatusPageSources {
  store: Pick<Store, 'getStates' | 'listIncidents'>;
  rollups: Pick<RollupStore, 'hours'>;
}

/** Checks read at once: two Queries each. */
const CONCURRENCY = 8;

export async function loadStatusPageInputs(
  sources: StatusPageSources,
  input: { checks: readonly StatusPageCheck[]; now: number; title?: string },
): Promise<StatusModelInput> {
  const checks = input.checks.filter((c) => c.enabled !== false);
  const from = firstDay(input.now);
  const states = new Map((await sources.store.getStates<CheckState>(checks.map((c) => c.id))).map((s) => [s.checkId, s]));
  const read = await pool(checks, CONCURRENCY, async (c) => {
    const [hours, incidents] = await Promise.all([
      sources.rollups.hours(c.id, from, input.now),
      sources.store.listIncidents(c.id, { limit: STATUS_INCIDENTS }),
    ]);
    return [c.id, { hours, incidents }] as const;
  });
  const byCheck = new Map<string, { hours: HourRollup[]; incidents: StoredIncident[] }>(read);
  return {
    now: input.now,
    ...(input.title !== undefined && { title: input.title }),
    checks,
    states,
    hours: (id) => byCheck.get(id)?.hours ?? [],
    incidents: (id) => byCheck.get(id)?.incidents ?? [],
  };
}

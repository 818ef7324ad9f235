/**
 * The sweep's accounting (README "SLOs", the accounting rules): at `now` the sweep accounts the minute
 * that just ended for every enabled check with a state, from the state it evaluated at `now` and the
 * check's scheduled results of that minute, and writes it into the hour's rollup once.
 *
 * Per check: one Query of the minute's results (keys.ts pattern 9, eventually consistent, half the
 * price: the minute has ended when it is read, and a result that lands after the read is not a
 * sample, as the accounting rules say) and one conditional UpdateItem (pattern 21). Checks run with
 * bounded concurrency, so a thousand checks do not open a thousand sockets; one check's failure is
 * logged and the others go on. The minute is then unaccounted (no data in reports) unless a retried
 * sweep at the same minute writes it: the write is idempotent, so retrying is always safe.
 */
import type { Check } from '../../config/schema.ts';
import { accountedMinute, accountMinute } from '../../evaluate/slo/index.ts';
import { MINUTE_MS, type MinuteRecord } from '../../evaluate/slo/types.ts';
import type { CheckState, Observations, PolicyInput } from '../../evaluate/types.ts';
import { errorFields, type Logger } from '../../logging/logger.ts';
import { pool } from '../../pool.ts';
import type { Store } from '../../store/dynamo.ts';
import { storedResultToRecord } from '../../store/items.ts';
import type { RollupStore } from '../../store/rollups.ts';

/** Checks accounted at once: each is two short requests, and the sweep has a minute for everything. */
export const ACCOUNT_CONCURRENCY = 16;

export interface AccountDeps {
  rollups: RollupStore;
  /** Where the minute's results are read. */
  results: Pick<Store, 'listResults'>;
  logger: Logger;
  /** @default ACCOUNT_CONCURRENCY */
  concurrency?: number;
}

/** One check as the sweep evaluated it at `now`. */
export interface Evaluated {
  check: Check;
  /** The state `evaluate(stored, [], policy, now, observations)` returned. */
  state: CheckState;
  policy: PolicyInput;
  observations: Observations;
}

export interface AccountOutcome {
  /** The minute each check was accounted as (written now or before), by check id; failed checks are absent. */
  minutes: Map<string, MinuteRecord>;
  /** Minutes this sweep wrote (a retried sweep writes none). */
  added: number;
  failed: number;
}

/**
 * Per rollup store (one per process: a Lambda container, `vantage dev`), the minute each check was
 * last accounted by this process. A sweep that runs more often than once a minute (`vantage dev`
 * sweeps every shortest interval, down to a second) would otherwise repeat the Query and the
 * UpdateItem, whose condition then fails, at every sweep of the minute. Only successes are kept, so
 * a retried sweep still retries the checks whose minute failed; and the table's condition, not this,
 * is what makes a minute count once across processes.
 */
const accountedHere = new WeakMap<object, Map<string, MinuteRecord>>();

export async function accountSweep(deps: AccountDeps, evaluated: readonly Evaluated[], now: number, signal?: AbortSignal): Promise<AccountOutcome> {
  const start = accountedMinute(now);
  const outcome: AccountOutcome = { minutes: new Map(), added: 0, failed: 0 };
  let done = accountedHere.get(deps.rollups);
  if (!done) accountedHere.set(deps.rollups, (done = new Map()));
  await pool(evaluated, deps.concurrency ?? ACCOUNT_CONCURRENCY, async ({ check, state, policy, observations }) => {
    if (signal?.aborted) return;
    const known = done.get(check.id);
    if (known?.start === start) {
      outcome.minutes.set(check.id, known);
      return;
    }
    try {
      // `to` is inclusive (resultRange): the minute's last millisecond.
      const stored = await deps.results.listResults(check.id, { from: new Date(start), to: new Date(start + MINUTE_MS - 1) });
      const minute = accountMinute(state, policy, now, stored.map(storedResultToRecord), observations);
      if (await deps.rollups.addMinute(check.id, minute)) outcome.added++;
      outcome.minutes.set(check.id, minute);
      done.set(check.id, minute);
    } catch (err) {
      outcome.failed++;
      deps.logger.error('minute not accounted; a retried sweep at this minute would add it', { checkId: check.id, minute: new Date(start).toISOString(), ...errorFields(err) });
    }
  });
  return outcome;
}

/**
 * One check's share of a stream batch: read the state, send what a previous invocation left in the
 * outbox, evaluate, write the state with the version condition, then publish and clear the outbox.
 *
 * The order is what makes alerts at-least-once (design.md, "Evaluation semantics"): a notification
 * is stored before it is published and removed only after, so a crash or a failed publish can repeat
 * a notification but never lose one. Each outbox entry is cleared by its dedupe key, and a retried or
 * concurrent clear removes only what this invocation sent.
 *
 * Two writers can now work on one check at once (the stream and the sweep). After losing a version
 * race, the state re-read carries the winner's outbox, which the winner is publishing right now; so a
 * retry publishes only what it decides itself, and leaves the rest to the winner (or, if the winner
 * dies, to the next invocation, which finds it as a leftover). That keeps a race from sending one
 * notification twice.
 */
import { buildAlertMessage } from '../../alert/message.ts';
import { factsOf } from '../../alert/facts.ts';
import type { Publisher } from '../../alert/publish.ts';
import type { ChannelConfig, Check, MaintenanceWindow } from '../../config/schema.ts';
import { VantageError } from '../../errors.ts';
import { clearPublished, evaluate, policyFor, type CheckState, type Evaluation, type Notification, type Observations, type ResultRecord } from '../../evaluate/index.ts';
import type { Store } from '../../store/dynamo.ts';
import { VersionConflictError } from '../../store/errors.ts';
import { incidentsToRecord } from './incidents.ts';
import type { Logger } from '../../logging/logger.ts';

export type EvaluatorStore = Pick<Store, 'getState' | 'putState' | 'putIncident' | 'getHeartbeats' | 'listSilences'>;

export interface ProcessCheckOptions {
  /**
   * Whether a notification found in the stored outbox (decided by an earlier invocation, not yet
   * cleared) is published now. @default every one: a leftover is a publish that failed or crashed.
   * The sweep passes a test of age instead, because a leftover that young is more likely a stream
   * invocation between its write and its publish than a failure.
   */
  deliverLeftover?: (n: Notification) => boolean;
}

export interface CheckProcessorDeps {
  store: EvaluatorStore;
  publisher: Publisher;
  /** The config's channels, to route each alert by the events a channel wants. */
  channels: Readonly<Record<string, ChannelConfig>>;
  /** The config's maintenance windows (`definitions.maintenance`); policyFor picks the ones that apply to each check. */
  maintenance: readonly MaintenanceWindow[];
  /** Epoch ms. */
  clock: () => number;
  logger: Logger;
  /** Reads and writes of one check before a lost version race is given up to Lambda's retry. @default 4 */
  maxAttempts?: number;
}

export interface CheckOutcome {
  /** State writes made (0 in steady state). */
  writes: number;
  /** Dedupe keys published, in order. */
  published: string[];
  /** Version races lost and re-applied. */
  conflicts: number;
}

/** Lost the version race more often than maxAttempts allows; Lambda retries the check's records. */
export class ConflictRetriesExhaustedError extends VantageError {
  constructor(checkId: string, attempts: number, cause: unknown) {
    super('STATE_CONFLICT_RETRIES_EXHAUSTED', `state of ${checkId} kept changing under ${attempts} attempts`, { cause });
  }
}

/** What was decided and not sent, one line each, so "why did nobody get paged" has an answer in the logs. */
function logSuppressed(check: Check, evaluation: Evaluation, logger: Logger): void {
  for (const { notification: n, by } of evaluation.suppressed) {
    logger.info('evaluation.suppressed', {
      checkId: check.id, event: n.event, dedupeKey: n.dedupeKey, by: by.kind, byName: by.name,
      ...(by.until !== undefined && { until: new Date(by.until).toISOString() }),
    });
  }
}

/**
 * `observations` are the batch's (or sweep's) evidence for this check: the locations' heartbeats and
 * the silences covering it as mutes (../silences.ts `mutesFor`). The maintenance windows come with the
 * policy, from `deps.maintenance`.
 */
export async function processCheck(
  check: Check,
  results: readonly ResultRecord[],
  observations: Observations,
  deps: CheckProcessorDeps,
  options: ProcessCheckOptions = {},
): Promise<CheckOutcome> {
  const { store, logger } = deps;
  const maxAttempts = deps.maxAttempts ?? 4;
  const outcome: CheckOutcome = { writes: 0, published: [], conflicts: 0 };
  const policy = policyFor(check, deps.maintenance);

  /** Writes `state` on top of the version it was read with and returns it as stored. */
  async function write(state: CheckState): Promise<CheckState> {
    const version = await store.putState(state);
    outcome.writes++;
    return { ...state, version };
  }

  /** Retries a write that lost a version race: re-read, re-apply, write again, a bounded number of times. */
  async function withRetries<T>(step: (current: CheckState | undefined, attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await store.getState<CheckState>(check.id);
      try {
        return await step(current, attempt);
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
        outcome.conflicts++;
        logger.info('state version conflict; re-reading', { checkId: check.id, attempt, expected: err.expectedVersion, actual: err.actualVersion });
        if (attempt >= maxAttempts) throw new ConflictRetriesExhaustedError(check.id, attempt, err);
      }
    }
  }

  /** Removes what was sent from the stored outbox, re-reading if another writer moved the state meanwhile. */
  async function clearSent(state: CheckState, sent: string[]): Promise<CheckState> {
    const cleared = clearPublished(state, sent);
    if (cleared === state) return state;
    try {
      return await write(cleared);
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      outcome.conflicts++;
      return withRetries(async (current) => {
        if (!current) return state;
        const again = clearPublished(current, sent);
        return again === current ? current : write(again);
      });
    }
  }

  /** Publishes the outbox entries `mine` admits, in order; stops at the first failure so nothing overtakes it. */
  async function deliver(state: CheckState, mine: (n: Notification) => boolean): Promise<CheckState> {
    const sent: string[] = [];
    let failure: unknown;
    for (const n of state.outbox.filter(mine)) {
      try {
        await deps.publisher.publish(buildAlertMessage(factsOf(n, check), check, deps.channels));
        sent.push(n.dedupeKey);
        logger.info('alert published', { checkId: check.id, event: n.event, dedupeKey: n.dedupeKey });
      } catch (err) {
        failure = err;
        break;
      }
    }
    outcome.published.push(...sent);
    const after = sent.length > 0 ? await clearSent(state, sent) : state;
    // The publisher's own error, rethrown unchanged once what was sent is cleared.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (failure !== undefined) throw failure;
    return after;
  }

  const leftover = options.deliverLeftover ?? (() => true);
  await withRetries(async (read, attempt) => {
    // A previous invocation decided these and could not publish them: they go out first, in order.
    // Not after a lost race: then they are the winner's, and the winner is sending them.
    const leftovers = attempt === 1 && read ? read.outbox.filter(leftover) : [];
    const current = read && leftovers.length > 0 ? await deliver(read, (n) => leftovers.includes(n)) : read;
    const evaluation = evaluate(current, results, policy, deps.clock(), observations);
    if (!evaluation.changed) return;
    // Before the state: a retry after a crash re-decides the same incident and rewrites the same item.
    for (const incident of incidentsToRecord(current, evaluation)) await store.putIncident(incident);
    const stored = await write(evaluation.state);
    // After the write, so a decision is logged once: a lost race re-decides, and its first try was never stored.
    logSuppressed(check, evaluation, logger);
    const decided = new Set(evaluation.notifications.map((n) => n.dedupeKey));
    if (decided.size > 0) await deliver(stored, (n) => decided.has(n.dedupeKey));
  });
  return outcome;
}

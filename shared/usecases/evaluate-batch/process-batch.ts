/**
 * A DynamoDB stream batch, check by check. Records are grouped by check in stream order, each check
 * is processed on its own, and a check that fails is reported with its first record's sequence
 * number (a partial batch response), so Lambda retries from there and checkpoints everything before.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 *
 * Checks run one after another, not in parallel: a shared failure (throttling, SNS down) then hits
 * checks in stream order, and the lowest reported sequence number decides what is retried. Records
 * after that point that did succeed are retried too; they are duplicates then, which change nothing
 * and publish nothing.
 */
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Check } from '../../config/schema.ts';
import type { ResultRecord } from '../../evaluate/index.ts';
import { resultRecordFromStreamImage, type StoredSilence } from '../../store/items.ts';
import { isResultInsert } from '../../store/keys.ts';
import { errorFields } from '../../logging/logger.ts';
import { mutesFor } from '../silences.ts';
import { processCheck, type CheckProcessorDeps } from './process-check.ts';

export interface BatchDeps extends CheckProcessorDeps {
  checks: ReadonlyMap<string, Check>;
}

interface CheckGroup {
  /** The SequenceNumber of the check's first record in this batch: where its retry must start. */
  firstSequenceNumber: string;
  results: ResultRecord[];
}


function groupByCheck(records: readonly DynamoDBRecord[], deps: BatchDeps): Map<string, CheckGroup> {
  const groups = new Map<string, CheckGroup>();
  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    // The event source filter already admits result inserts only; this guards against a missing filter.
    if (!isResultInsert(record) || sequenceNumber === undefined) continue;
    let result: ResultRecord;
    try {
      result = resultRecordFromStreamImage(record.dynamodb!.NewImage!);
    } catch (err) {
      // Retrying cannot make an unreadable item readable; holding the shard for it would stall every check.
      deps.logger.error('unreadable result record skipped', { sequenceNumber, ...errorFields(err) });
      continue;
    }
    const group = groups.get(result.checkId);
    if (group) group.results.push(result);
    else groups.set(result.checkId, { firstSequenceNumber: sequenceNumber, results: [result] });
  }
  return groups;
}

/** Newest heartbeat per location, read once for the whole batch (see Observations.lastSeen). */
async function lastSeenOf(checks: readonly Check[], deps: BatchDeps): Promise<Record<string, number>> {
  const locations = [...new Set(checks.flatMap((c) => c.locations))];
  if (locations.length === 0) return {};
  const heartbeats = await deps.store.getHeartbeats(locations);
  return Object.fromEntries(heartbeats.map((h) => [h.location, Date.parse(h.lastSeen)]));
}

/**
 * `signal` fires when too little of the invocation is left to start another check: the checks not yet
 * started are reported as failures and retried, rather than the timeout failing the whole batch.
 */
export async function processBatch(event: DynamoDBStreamEvent, deps: BatchDeps, signal?: AbortSignal): Promise<DynamoDBBatchResponse> {
  const { logger } = deps;
  const groups = groupByCheck(event.Records, deps);
  const failures: DynamoDBBatchItemFailure[] = [];
  const known: Array<[Check, CheckGroup]> = [];
  for (const [checkId, group] of groups) {
    const check = deps.checks.get(checkId);
    // Results of a check removed from the config: nothing left to alert on, and retrying will not bring it back.
    if (!check) logger.warn('results for an unknown check ignored', { checkId, results: group.results.length });
    else known.push([check, group]);
  }

  if (known.length === 0) return { batchItemFailures: failures };
  const retryAll = { batchItemFailures: known.map(([, group]) => ({ itemIdentifier: group.firstSequenceNumber })) };
  // Read once for the whole batch: one BatchGetItem of heartbeats and one Query of the SILENCE partition.
  const [heartbeats, silenced] = await Promise.allSettled([lastSeenOf(known.map(([check]) => check), deps), deps.store.listSilences()]);
  if (heartbeats.status === 'rejected') {
    // Without heartbeats a resting location looks silent; evaluating now would page falsely.
    logger.error('heartbeats unavailable; retrying the batch', errorFields(heartbeats.reason));
    return retryAll;
  }
  if (silenced.status === 'rejected') {
    // Evaluating without the silences would page for a silenced outage, and acknowledging the batch
    // unevaluated would drop its results. Failing it does neither: Lambda retries it from the stream.
    logger.error('silences unavailable; retrying the batch', errorFields(silenced.reason));
    return retryAll;
  }
  const lastSeen = heartbeats.value;
  const silences: readonly StoredSilence[] = silenced.value;

  for (const [check, group] of known) {
    if (signal?.aborted) {
      logger.warn('out of time; check left for the retry', { checkId: check.id, firstSequenceNumber: group.firstSequenceNumber });
      failures.push({ itemIdentifier: group.firstSequenceNumber });
      continue;
    }
    try {
      const outcome = await processCheck(check, group.results, { lastSeen, mutes: mutesFor(silences, check, deps.clock()) }, deps);
      if (outcome.writes > 0 || outcome.published.length > 0) {
        logger.info('check evaluated', { checkId: check.id, results: group.results.length, writes: outcome.writes, published: outcome.published.length, conflicts: outcome.conflicts });
      }
    } catch (err) {
      logger.error('check failed; its records will be retried', { checkId: check.id, firstSequenceNumber: group.firstSequenceNumber, ...errorFields(err) });
      failures.push({ itemIdentifier: group.firstSequenceNumber });
    }
  }
  return { batchItemFailures: failures };
}

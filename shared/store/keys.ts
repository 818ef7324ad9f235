/**
 * The single-table key design. Every item has string keys `pk` and `sk` and a `type` attribute.
 *
 * | item      | pk                 | sk                                    | notes                                   |
 * |-----------|--------------------|---------------------------------------|-----------------------------------------|
 * | RESULT    | `CHECK#<checkId>`  | `RESULT#<ts ISO 8601>#<location>[#<instance>]` | one probe run; `ttl` (30 days default) |
 * | STATE     | `CHECK#<checkId>`  | `STATE`                               | evaluator state; `version` guards writes|
 * | INCIDENT  | `CHECK#<checkId>`  | `INCIDENT#<startedAt ISO>#<incidentId>`| start, end, locations, first reason    |
 * | HEARTBEAT | `LOCATION#<name>`  | `HEARTBEAT`                           | last run of a location; `ttl`           |
 * | HEARTBEAT | `LOCATION#<name>`  | `HEARTBEAT#<instance>`                | last run of one private-location instance |
 * | MEMORY    | `LOCATION#<name>`  | `MEMORY`                              | the location's recheck/confirm bookkeeping, one map attribute per check away from rest; `ttl` |
 * | SILENCE   | `SILENCE`          | `SILENCE#<id>`                        | an ad-hoc silence (`vantage silence`); `ttl` = endsAt + 30 days |
 * | DELIVERY  | `CHANNEL#<channel>`| `DELIVERY#<target>#<dedupeKey>`       | one delivery's outcome (`delivered`, `failed`, `dead`); `ttl` 30 days (deliveries.ts) |
 * | HEALTH    | `CHANNEL#<channel>`| `HEALTH#<target>`                     | a target's consecutive failures and spell start (deliveries.ts) |
 * | LOCAL     | `LOCAL`            | `NOTIFIER`                            | `vantage dev` only: its local queue's endpoint and URLs (dev/local-notifier.ts); never in a deployed table |
 * | HEARTBEAT | `LOCATION#<name>`  | `HEARTBEAT#<instance>`                | an agent instance's beat (membership): `registeredAt`, `leavingAt?`, `definitions?`; `ttl` like the heartbeat's (agents.ts) |
 * | INBOX     | `LOCATION#<name>`  | `INBOX#<to>#<sentAt ISO>#<id>`        | a request to an agent instance (`<to>`) or any (`*`): `request` (JSON), `deadlineAt`; `ttl` = deadline + 1 h |
 * | REPLY     | `LOCATION#<name>`  | `REPLY#<id>`                          | a retest's answer to INBOX `<id>`: `result` (JSON); `ttl` 1 h |
 * | DEFINITIONS | `LOCATION#<name>` | `DEFINITIONS`                       | an agent location's checks: `version` (sha256), `document` (JSON), `writtenAt`; no `ttl` |
 * | ROLLUP    | `CHECK#<checkId>`  | `ROLLUP#<hour ISO 8601>`              | one check's accounted hour (rollups.ts): sums, `L#<location>` downtime, `m00`..`m59` minute codes; `ttl` = hour + ROLLUP_RETENTION_DAYS |
 *
 * `toISOString()` is fixed width (`2026-11-03T10:15:00.000Z`), so sorting the sort key as a string
 * sorts one check's results by time; the location suffix keeps two locations that start in the same
 * millisecond apart. A check's item collection reads, in key order: INCIDENT…, RESULT…, ROLLUP…, STATE.
 *
 * Access patterns (who, operation, cost):
 * 1. Probe writes results: BatchWriteItem of PutRequests, 25 per call. One write unit per started
 *    1 KB per item, so result items stay under 1 KB (no assertion lists, messages cut short).
 * 2. Evaluator receives results: the table stream (NEW_IMAGE) filtered to new result items, never a
 *    table read. Lambda event source filter (see {@link RESULT_INSERT_FILTER}):
 *    `{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["RESULT"]}}}}`.
 * 3. Evaluator reads a check's state: GetItem (`CHECK#id`, `STATE`), strongly consistent, 1 read unit
 *    per 4 KB.
 * 4. Evaluator writes a check's state: PutItem with `version = :read`, storing read + 1
 *    (`attribute_not_exists(pk)` when the read found none: version 0). Losing the race is a
 *    `VersionConflictError`. Steady state writes nothing, so this costs only on changes.
 * 5. Evaluator records incidents: PutItem (`CHECK#id`, `INCIDENT#start#id`); the resolve overwrites it.
 * 6. Probe writes its heartbeat: PutItem (`LOCATION#name`, `HEARTBEAT`), once per invocation, on the
 *    condition that it is newer than the stored one (the instances of a private location all write it);
 *    an instance also writes its own (`HEARTBEAT#<instance>`), read back with BatchGetItem by the sweep.
 * 11. Probe reads its memory: GetItem (`LOCATION#name`, `MEMORY`), eventually consistent (0.5 read
 *    unit), once per round; writes it with UpdateItem (SET/REMOVE of the changed checks' attributes)
 *    only when an entry changes, so steady state writes nothing.
 * 7. `vantage status` with a config: BatchGetItem of the known checks' STATE items (0.5 read unit each,
 *    eventually consistent) and of the known locations' HEARTBEAT items.
 * 8. `vantage status` without a config: Scan filtered to `type = STATE`. A filter does not reduce cost:
 *    it reads the whole table, results included (about 0.5 read unit per 4 KB scanned). Prefer 7.
 * 9. A check's history (`replay` export, status detail): Query `pk = CHECK#id AND sk BETWEEN
 *    RESULT#<from> AND RESULT#<to>`, newest first with ScanIndexForward=false.
 * 10. A check's incidents: Query `pk = CHECK#id AND begins_with(sk, 'INCIDENT#')`, newest first.
 * 12. `vantage silence add` writes a silence: PutItem (`SILENCE`, `SILENCE#<id>`) on
 *    `attribute_not_exists(pk)`, so a colliding id is an error, never an overwrite.
 * 13. The evaluator (once per stream batch and once per sweep) and `vantage silence list` read every
 *    silence: one Query of `pk = SILENCE`, paginated, eventually consistent (0.5 read unit per 4 KB
 *    read, at least 0.5 even when there are none; a silence is about 300 bytes, so a dozen cost 0.5).
 *    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html Silences all share one partition on purpose: the read is
 *    one Query, never a Scan, and the partition stays small because each silence goes 30 days after it
 *    ends (its `ttl`). A silence a second stale costs at most a second of muting.
 * 14. `vantage silence expire` ends a silence: UpdateItem on `attribute_exists(pk)` setting
 *    `endsAt = min(endsAt, at)`, `expiredAt` and the `ttl` that follows from the new end.
 * 15. The notifier reads a delivery before sending (GetItem, strongly consistent), records its outcome
 *    (PutItem) and counts the target's health (UpdateItem `ADD failures`, atomic; a success resets it
 *    only when it was failing, on a condition). `vantage channels test` Queries `pk = CHANNEL#name AND
 *    begins_with(sk, 'DELIVERY#')`. The notifier's IAM reaches only `CHANNEL#*` partitions.
 *
 * 16. An agent instance writes its beat: PutItem (`LOCATION#name`, `HEARTBEAT#<instance>`) every beat
 *    (10 s default), 1 write unit (a beat is about 300 bytes): 259,200 WRU a month, about $0.16 per
 *    instance on demand. It reads every beat of its location as often: Query `begins_with(sk,
 *    'HEARTBEAT#')`, strongly consistent, 1 read unit per 4 KB read (a dozen beats), about $0.03 a month.
 * 17. An agent instance polls its inbox: Query `begins_with(sk, 'INBOX#')`, strongly consistent (a
 *    request written a moment ago must be seen), once a second: at least 1 read unit each, 2.6 M RRU a
 *    month, about $0.33 per instance. Requests are few and small, so the poll stays at 1 unit. Reading
 *    the whole prefix (not `INBOX#<self>#` and `INBOX#*#` apart) keeps it one Query.
 * 18. A sender writes a request: PutItem (`INBOX#…`), 1 write unit. The instance that runs it first
 *    claims it: DeleteItem on `attribute_exists(pk)`, 1 write unit whether it wins or loses (a failed
 *    condition is still charged). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 * 19. A retest's answer: PutItem (`REPLY#<id>`), 1–2 write units (the whole ProbeResult as JSON); the
 *    asker polls it with GetItem, strongly consistent, every 250 ms until found or its deadline (1 read
 *    unit each, found or not), then deletes it (DeleteItem, 1–2 write units). A retest answered in
 *    about a second costs about 5 read units and 4–6 write units (request, claim, reply, its removal).
 * 20. An agent reads its location's checks: GetItem (`DEFINITIONS`), strongly consistent, at start and
 *    once a minute, 1 read unit per 4 KB of document (a 40 KB document: 10 units a minute, 432,000 a
 *    month, about $0.05). The deploy (and `vantage dev`) writes it: PutItem, 1 write unit per KB.
 * 21. The sweep accounts the minute that just ended, for every enabled check with a state
 *    (shared/usecases/slo/): one Query of that minute's results (pattern 9, eventually consistent,
 *    0.5 read unit: a minute's results of a few locations stay under 4 KB), then one UpdateItem of
 *    the hour's ROLLUP item that ADDs the minute's sums and SETs its `mNN` code on
 *    `attribute_not_exists(mNN)`, so a retried or doubled sweep adds nothing (a failed condition is
 *    still charged). 1 write unit while the item is under 1 KB, which an hour of passing minutes is;
 *    an outage's minute codes name their failing locations and can take it to 2–3. Per check a
 *    month: 43,800 WRU (about $0.027) and 21,900 RRU (about $0.003); `vantage cost` prices it
 *    (shared/usecases/cost/slo-usage.ts). This is the sweep's one write per minute.
 *    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 * 22. Burn rates and reports read hours: Query `pk = CHECK#id AND sk BETWEEN ROLLUP#<first hour> AND
 *    ROLLUP#<last hour>`, paginated, eventually consistent (0.5 read unit per 4 KB of the whole Query: the
 *    73 hours of a 3-day burn window, about 730 B each, are 7 units). The sweep reads the longest burn window every 5 minutes
 *    for checks with an `slo`, and the whole SLO window only while a rule fires. `vantage report` and the
 *    status page read their range once (90 days: 2,160 items, about 195 units).
 *
 * Partitions: one check's partition takes one write per location per run (at most 4 per location per
 * minute for 15 s intervals), far below the 1,000 writes per second a partition serves. The SILENCE
 * partition takes a write per `vantage silence` command and a read per evaluator invocation (a few
 * per second at most; a partition serves 3,000 read units per second). There is no LSI, so item collections have no 10 GB cap. No GSI is needed for the patterns above.
 */
import { VantageError } from '../errors.ts';
import { HOUR_MS } from '../evaluate/slo/types.ts';

export const ITEM_TYPES = ['RESULT', 'STATE', 'INCIDENT', 'HEARTBEAT', 'MEMORY', 'SILENCE', 'DELIVERY', 'HEALTH', 'INBOX', 'REPLY', 'DEFINITIONS', 'ROLLUP'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

/** The version of the item layout; readers reject items from a newer layout rather than misread them. */
export const SCHEMA_VERSION = 1;

/** The TTL attribute (epoch seconds). `TTL` is a DynamoDB reserved word: alias it in expressions. */
export const TTL_ATTRIBUTE = 'ttl';

/**
 * The stream event source filter for the evaluator: inserts of result items only. Updates and the
 * other item types never reach it.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html
 */
export const RESULT_INSERT_FILTER = { eventName: ['INSERT'], dynamodb: { NewImage: { type: { S: ['RESULT'] } } } } as const;

/** A stream record in the shape Lambda and the Streams API both deliver; only what the filter reads. */
interface StreamRecordLike {
  eventName?: string;
  dynamodb?: { NewImage?: { type?: { S?: string } } };
}

/**
 * {@link RESULT_INSERT_FILTER} as a predicate, for where no event source filter runs (the local
 * pipeline's stream poller) and as the evaluator's guard against a missing filter.
 */
export function isResultInsert(record: StreamRecordLike): boolean {
  return RESULT_INSERT_FILTER.eventName.includes(record.eventName as 'INSERT')
    && RESULT_INSERT_FILTER.dynamodb.NewImage.type.S.includes(record.dynamodb?.NewImage?.type?.S as 'RESULT');
}

export interface Key {
  pk: string;
  sk: string;
}

export const checkPk = (checkId: string) => `CHECK#${checkId}`;
/** Every silence in one partition, so reading them all is one Query (access pattern 13). */
export const SILENCE_PK = 'SILENCE';
export const SILENCE_PREFIX = 'SILENCE#';
export const locationPk = (location: string) => `LOCATION#${location}`;

export const RESULT_PREFIX = 'RESULT#';
export const INCIDENT_PREFIX = 'INCIDENT#';
export const STATE_SK = 'STATE';
export const HEARTBEAT_SK = 'HEARTBEAT';
export const MEMORY_SK = 'MEMORY';
/** An agent instance's beat follows this prefix; the location's own heartbeat is `HEARTBEAT` alone, outside it. */
export const INSTANCE_HEARTBEAT_PREFIX = `${HEARTBEAT_SK}#`;
export const INBOX_PREFIX = 'INBOX#';
export const REPLY_PREFIX = 'REPLY#';
export const DEFINITIONS_SK = 'DEFINITIONS';
export const ROLLUP_PREFIX = 'ROLLUP#';
/** The prefix of a check's attribute in the memory item; keeps check ids clear of pk, sk, type and ttl. */
export const MEMORY_ENTRY_PREFIX = 'C#';

function iso(ts: string | Date): string {
  const d = typeof ts === 'string' ? new Date(ts) : ts;
  if (Number.isNaN(d.getTime())) throw new VantageError('STORE_ITEM_INVALID', `not a timestamp: ${String(ts)}`);
  return d.toISOString();
}

/** Two instances of one private location can start the same check in the same millisecond; the instance keeps them apart. */
export function resultKey(checkId: string, ts: string | Date, location: string, instance?: string): Key {
  return { pk: checkPk(checkId), sk: `${RESULT_PREFIX}${iso(ts)}#${location}${instance !== undefined ? `#${instance}` : ''}` };
}

/**
 * Sort-key bounds covering every result in [from, to]. `#` sorts below the characters of a location
 * name, and `$` just above `#`, so the upper bound includes every location (and instance) at `to`.
 */
export function resultRange(from: string | Date, to: string | Date): { lower: string; upper: string } {
  return { lower: `${RESULT_PREFIX}${iso(from)}#`, upper: `${RESULT_PREFIX}${iso(to)}$` };
}

/** The key condition of access pattern 9: one check's results between two times. */
export function resultQuery(checkId: string, from: string | Date, to: string | Date): { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, { S: string }> } {
  const { lower, upper } = resultRange(from, to);
  return {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
    ExpressionAttributeValues: { ':pk': { S: checkPk(checkId) }, ':lower': { S: lower }, ':upper': { S: upper } },
  };
}

/** One check's hour starting at `hour` (epoch ms, a multiple of an hour). */
export function rollupKey(checkId: string, hour: number): Key {
  return { pk: checkPk(checkId), sk: `${ROLLUP_PREFIX}${iso(new Date(hour))}` };
}

/**
 * The key condition of access pattern 22: the hour items overlapping [from, to) (epoch ms). Hours are
 * keyed by their start, so the first is the hour containing `from` and the last the one containing `to - 1`.
 */
export function rollupQuery(checkId: string, from: number, to: number): { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, { S: string }> } {
  const first = Math.floor(from / HOUR_MS) * HOUR_MS;
  const last = Math.floor((to - 1) / HOUR_MS) * HOUR_MS;
  return {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
    ExpressionAttributeValues: { ':pk': { S: checkPk(checkId) }, ':lower': { S: rollupKey(checkId, first).sk }, ':upper': { S: rollupKey(checkId, last).sk } },
  };
}

export function stateKey(checkId: string): Key {
  return { pk: checkPk(checkId), sk: STATE_SK };
}

export function incidentKey(checkId: string, startedAt: string | Date, incidentId: string): Key {
  return { pk: checkPk(checkId), sk: `${INCIDENT_PREFIX}${iso(startedAt)}#${incidentId}` };
}

export function heartbeatKey(location: string): Key {
  return { pk: locationPk(location), sk: HEARTBEAT_SK };
}

export function instanceHeartbeatKey(location: string, instance: string): Key {
  return { pk: locationPk(location), sk: `${INSTANCE_HEARTBEAT_PREFIX}${instance}` };
}

/** A request to `to` (an instance id, or `*`); the sort key orders one addressee's requests by time. */
export function inboxKey(location: string, to: string, sentAt: string | Date, id: string): Key {
  return { pk: locationPk(location), sk: `${INBOX_PREFIX}${to}#${iso(sentAt)}#${id}` };
}

export function replyKey(location: string, id: string): Key {
  return { pk: locationPk(location), sk: `${REPLY_PREFIX}${id}` };
}

export function definitionsKey(location: string): Key {
  return { pk: locationPk(location), sk: DEFINITIONS_SK };
}

export function memoryKey(location: string): Key {
  return { pk: locationPk(location), sk: MEMORY_SK };
}

export function silenceKey(id: string): Key {
  return { pk: SILENCE_PK, sk: `${SILENCE_PREFIX}${id}` };
}

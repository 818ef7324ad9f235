/**
 * The DynamoDB store: every read and write of the single table (keys and access patterns: keys.ts).
 * The client is injected, so the Lambda handlers share one created at module scope, tests point one
 * at DynamoDB Local, and a mocked client can inject faults DynamoDB Local cannot produce.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ProbeResult } from '../probe/types.ts';
import { SilenceExistsError, StoreError, toStoreError, UnprocessedItemsError, VersionConflictError } from './errors.ts';
import {
  fromHeartbeatItem,
  fromIncidentItem,
  fromMemoryItem,
  fromResultItem,
  fromSilenceItem,
  fromStateItem,
  toHeartbeatItem,
  toIncidentItem,
  toResultItem,
  toSilenceItem,
  silenceTtl,
  memoryAttribute,
  toStateItem,
  DEFAULT_HEARTBEAT_TTL_DAYS,
  type Heartbeat,
  type HeartbeatInfo,
  type MemoryEntries,
  type StoredIncident,
  type StoredResult,
  type StoredSilence,
  type VersionedState,
} from './items.ts';
import { marksOf, opsKey, opsLocationOf, opsMarkUpdate, type InstanceMark, type OpsMarks } from './ops-marks.ts';
import { checkPk, heartbeatKey, INCIDENT_PREFIX, instanceHeartbeatKey, memoryKey, resultQuery, SCHEMA_VERSION, SILENCE_PK, silenceKey, stateKey, TTL_ATTRIBUTE, type Key } from './keys.ts';

export { createTable, type CreatedTable } from './table.ts';
export { SilenceExistsError, StoreError, UnprocessedItemsError, VersionConflictError } from './errors.ts';
export type { MemoryEntries, StoredSilence } from './items.ts';

/** BatchWriteItem takes at most 25 requests. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html */
const BATCH_WRITE_MAX = 25;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX = 100;
/**
 * Checks per memory UpdateItem: an update expression is at most 4 KB, and 50 clauses of `#aN = :eN`
 * with their names stay well inside it.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-expression-parameters
 */
const MEMORY_UPDATE_MAX = 50;

export interface BackoffOptions {
  /** Calls per batch, the first included. @default 8 */
  maxAttempts?: number;
  /** @default 50 */
  baseDelayMs?: number;
  /** @default 1_000 */
  maxDelayMs?: number;
}

export interface StoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** @default () => new Date() */
  now?: () => Date;
  /** Retry bound for UnprocessedItems/UnprocessedKeys (throttling itself is retried inside the SDK). */
  backoff?: BackoffOptions;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** @default 30 */
  resultTtlDays?: number;
  /** @default 7 */
  heartbeatTtlDays?: number;
}

export interface PutResultsOutcome {
  written: number;
  /** BatchWriteItem calls made, retries included. */
  calls: number;
}

export interface ListResultsOptions {
  /** Inclusive. @default the epoch */
  from?: string | Date;
  /** Inclusive. @default now */
  to?: string | Date;
  /** @default every result in range */
  limit?: number;
  /** @default false (oldest first) */
  newestFirst?: boolean;
}

export interface Store {
  /** Writes results in batches of 25, retrying unprocessed items; throws UnprocessedItemsError past the bound. */
  putResults(results: readonly ProbeResult[]): Promise<PutResultsOutcome>;
  /**
   * The location's heartbeat, kept only when newer than the stored one (every instance of a private
   * location writes it; the newest wins). With `info.instance`, that instance's own heartbeat too.
   */
  putHeartbeat(location: string, info: HeartbeatInfo): Promise<void>;
  getHeartbeats(locations: readonly string[]): Promise<Heartbeat[]>;
  /** The instance heartbeats of one private location (BatchGetItem); instances never heard from are absent. */
  getInstanceHeartbeats(location: string, instances: readonly string[]): Promise<Heartbeat[]>;
  /** A location's probe memory, one entry per check away from rest. Eventually consistent: the cheap read, once per round. */
  getMemory(location: string): Promise<MemoryEntries>;
  /** Sets and removes entries of a location's probe memory, each check its own attribute (UpdateItem SET/REMOVE), so writers of different checks never overwrite each other. */
  updateMemory(location: string, change: { set?: Readonly<MemoryEntries>; remove?: readonly string[] }): Promise<void>;
  /** The sweep's marks of silent instances (./ops-marks.ts), per location; locations without marks are absent. */
  getOpsMarks(locations: readonly string[]): Promise<Map<string, Record<string, InstanceMark>>>;
  /** Sets one instance's mark, or removes it with `undefined` (UpdateItem of that attribute alone). */
  putOpsMark(location: string, instance: string, mark: InstanceMark | undefined): Promise<void>;
  /** Strongly consistent: the evaluator must see the latest write before deciding. Undefined: never written (version 0). */
  getState<S extends VersionedState>(checkId: string): Promise<S | undefined>;
  /**
   * Writes the state if the stored version is still `expectedVersion` (default: `state.version`, the
   * version it was read with; 0: never written, so no state may exist). Stores and returns
   * `expectedVersion + 1`. Throws VersionConflictError when another writer got there first.
   */
  putState<S extends VersionedState>(state: S, expectedVersion?: number): Promise<number>;
  /** Eventually consistent BatchGetItem by id: the cheap way for `vantage status`. */
  getStates<S extends VersionedState>(checkIds: readonly string[]): Promise<S[]>;
  /** Scan of the whole table filtered to STATE items: costs a read of every item. Prefer getStates. */
  listStates<S extends VersionedState>(): Promise<S[]>;
  putIncident(incident: StoredIncident): Promise<void>;
  listIncidents(checkId: string, opts?: { limit?: number }): Promise<StoredIncident[]>;
  /**
   * A check's incidents overlapping [from, to) (epoch ms), open ones included, oldest first: for
   * reports and the status page. Reads every incident started before `to` (an incident open since
   * long ago overlaps any later range, and its start is all the key holds); incidents are few.
   */
  listIncidentsBetween(checkId: string, from: number, to: number): Promise<StoredIncident[]>;
  listResults(checkId: string, opts?: ListResultsOptions): Promise<StoredResult[]>;
  /** Writes a new silence; throws SilenceExistsError when its id is taken (never overwrites). */
  putSilence(silence: StoredSilence): Promise<void>;
  /** Every stored silence, ended ones included until their TTL removes them (one Query, eventually consistent), by startsAt then id. */
  listSilences(): Promise<StoredSilence[]>;
  /**
   * Ends a silence at `at` (endsAt = min(endsAt, at)) and records expiredAt (the first expiry wins).
   * Returns it as stored, or undefined when there is no silence with that id.
   */
  expireSilence(id: string, at: Date): Promise<StoredSilence | undefined>;
}

const keyOf = (item: Record<string, AttributeValue>): Key => ({ pk: item.pk?.S ?? '?', sk: item.sk?.S ?? '?' });

export function createStore(opts: StoreOptions): Store {
  const { client, tableName } = opts;
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = opts.random ?? Math.random;
  const maxAttempts = Math.max(1, opts.backoff?.maxAttempts ?? 8);
  const baseDelayMs = opts.backoff?.baseDelayMs ?? 50;
  const maxDelayMs = opts.backoff?.maxDelayMs ?? 1_000;

  /** "Full jitter": a random delay up to an exponentially growing cap. https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ */
  const backoff = (retry: number) => sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1)));

  const toAttrs = (item: object) => marshall(item, { removeUndefinedValues: true });

  async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toStoreError(operation, err);
    }
  }

  /** One chunk of ≤ 25 puts, retried until everything is processed or the attempts run out. */
  async function writeChunk(requests: WriteRequest[]): Promise<{ calls: number; left: WriteRequest[] }> {
    let pending = requests;
    let calls = 0;
    while (pending.length > 0 && calls < maxAttempts) {
      if (calls > 0) await backoff(calls);
      calls++;
      const out = await send('BatchWriteItem', () => client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } })));
      pending = out.UnprocessedItems?.[tableName] ?? [];
    }
    return { calls, left: pending };
  }

  async function batchGet(keys: Key[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let pending: Array<Record<string, AttributeValue>> = keys.slice(i, i + BATCH_GET_MAX).map((k) => toAttrs(k));
      let calls = 0;
      while (pending.length > 0) {
        if (calls >= maxAttempts) throw new StoreError('STORE_UNPROCESSED_KEYS', `${pending.length} key(s) still unprocessed after ${calls} BatchGetItem attempts`);
        if (calls > 0) await backoff(calls);
        calls++;
        const out = await send('BatchGetItem', () => client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending } } })));
        for (const item of out.Responses?.[tableName] ?? []) items.push(unmarshall(item));
        pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }
    return items;
  }

  async function queryAll(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>, limit?: number): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await send('Query', () => client.send(new QueryCommand({
        ...input,
        TableName: tableName,
        ...(limit !== undefined && { Limit: limit - items.length }),
        ...(start && { ExclusiveStartKey: start }),
      })));
      for (const item of out.Items ?? []) items.push(unmarshall(item));
      start = out.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return items;
  }

  return {
    async putResults(results) {
      // BatchWriteItem rejects a whole call that names one key twice. Two results with one key are one
      // item, so the later wins, exactly as two PutItems would leave it.
      const byKey = new Map<string, WriteRequest>();
      for (const r of results) {
        const item = toResultItem(r, opts.resultTtlDays !== undefined ? { ttlDays: opts.resultTtlDays } : {});
        byKey.delete(`${item.pk}\n${item.sk}`);
        byKey.set(`${item.pk}\n${item.sk}`, { PutRequest: { Item: toAttrs(item) } });
      }
      const requests = [...byKey.values()];
      let calls = 0;
      const unwritten: WriteRequest[] = [];
      // Every chunk is attempted even after one gives up, so one throttled chunk costs only its own items.
      for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
        const chunk = await writeChunk(requests.slice(i, i + BATCH_WRITE_MAX));
        calls += chunk.calls;
        unwritten.push(...chunk.left);
      }
      if (unwritten.length > 0) {
        throw new UnprocessedItemsError(requests.length - unwritten.length, unwritten.map((w) => keyOf(w.PutRequest?.Item ?? {})), maxAttempts);
      }
      return { written: requests.length, calls };
    },

    async putHeartbeat(location, info) {
      const ttl = opts.heartbeatTtlDays !== undefined ? { ttlDays: opts.heartbeatTtlDays } : {};
      const item = toHeartbeatItem(location, info, ttl);
      const newest = async () => {
        try {
          await client.send(new PutItemCommand({
            TableName: tableName,
            Item: toAttrs(item),
            // ISO 8601 in UTC at fixed width compares as a string in time order.
            ConditionExpression: 'attribute_not_exists(pk) OR lastSeen < :seen',
            ExpressionAttributeValues: { ':seen': { S: item.lastSeen } },
          }));
        } catch (err) {
          // Another instance wrote a newer one: that is the heartbeat to keep.
          if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return;
          throw toStoreError('PutItem heartbeat', err);
        }
      };
      const own = info.instance === undefined ? undefined : toHeartbeatItem(location, info, { ...ttl, instance: info.instance });
      await Promise.all([
        newest(),
        own && send('PutItem instance heartbeat', () => client.send(new PutItemCommand({ TableName: tableName, Item: toAttrs(own) }))),
      ]);
    },

    async getHeartbeats(locations) {
      const items = await batchGet([...new Set(locations)].map(heartbeatKey));
      return items.map(fromHeartbeatItem).sort((a, b) => a.location.localeCompare(b.location));
    },

    async getInstanceHeartbeats(location, instances) {
      const items = await batchGet([...new Set(instances)].map((i) => instanceHeartbeatKey(location, i)));
      return items.map(fromHeartbeatItem).sort((a, b) => (a.instance ?? '').localeCompare(b.instance ?? '', 'en', { numeric: true }));
    },

    async getMemory(location) {
      const out = await send('GetItem memory', () => client.send(new GetItemCommand({ TableName: tableName, Key: toAttrs(memoryKey(location)) })));
      return fromMemoryItem(out.Item ? unmarshall(out.Item) : undefined);
    },

    async updateMemory(location, { set = {}, remove = [] }) {
      const changes = [...Object.entries(set).map(([id, entry]) => ({ id, entry })), ...remove.map((id) => ({ id, entry: undefined }))];
      // A retired location's memory goes like its heartbeat does.
      const ttl = Math.floor(now().getTime() / 1000) + (opts.heartbeatTtlDays ?? DEFAULT_HEARTBEAT_TTL_DAYS) * 86_400;
      for (let i = 0; i < changes.length; i += MEMORY_UPDATE_MAX) {
        const chunk = changes.slice(i, i + MEMORY_UPDATE_MAX);
        const names: Record<string, string> = { '#type': 'type', '#ttl': TTL_ATTRIBUTE };
        const values: Record<string, unknown> = { ':type': 'MEMORY', ':v': SCHEMA_VERSION, ':ttl': ttl };
        const sets = ['#type = :type', 'schemaVersion = :v', '#ttl = :ttl'];
        const removes: string[] = [];
        chunk.forEach(({ id, entry }, j) => {
          names[`#a${j}`] = memoryAttribute(id);
          if (entry === undefined) removes.push(`#a${j}`);
          else {
            values[`:e${j}`] = entry;
            sets.push(`#a${j} = :e${j}`);
          }
        });
        const expression = `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`;
        await send('UpdateItem memory', () => client.send(new UpdateItemCommand({
          TableName: tableName,
          Key: toAttrs(memoryKey(location)),
          UpdateExpression: expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: toAttrs(values),
        })));
      }
    },

    async getOpsMarks(locations) {
      const out = new Map<string, Record<string, InstanceMark>>();
      for (const item of await batchGet([...new Set(locations)].map(opsKey))) {
        const marks = marksOf(item);
        if (Object.keys(marks).length > 0) out.set(opsLocationOf(item), marks);
      }
      return out;
    },

    async putOpsMark(location, instance, mark) {
      await send('UpdateItem ops', () => client.send(new UpdateItemCommand({ TableName: tableName, Key: toAttrs(opsKey(location)), ...opsMarkUpdate(instance, mark) })));
    },

    async getState<S extends VersionedState>(checkId: string) {
      const out = await send('GetItem state', () => client.send(new GetItemCommand({ TableName: tableName, Key: toAttrs(stateKey(checkId)), ConsistentRead: true })));
      return out.Item ? fromStateItem<S>(unmarshall(out.Item)) : undefined;
    },

    async putState(state, expectedVersion = state.version) {
      const version = expectedVersion + 1;
      const condition = expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } };
      try {
        await client.send(new PutItemCommand({
          TableName: tableName,
          Item: toAttrs(toStateItem(state, version, now())),
          ...condition,
          // Lets the conflict report the version it lost to, at no extra read cost.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }));
        return version;
      } catch (err) {
        if ((err as { name?: string }).name === 'ConditionalCheckFailedException') {
          const old = (err as { Item?: Record<string, AttributeValue> }).Item;
          const actual = old?.version?.N !== undefined ? Number(old.version.N) : 0;
          throw new VersionConflictError(state.checkId, expectedVersion, actual, { cause: err });
        }
        throw toStoreError('PutItem state', err);
      }
    },

    async getStates<S extends VersionedState>(checkIds: readonly string[]) {
      const items = await batchGet([...new Set(checkIds)].map(stateKey));
      return items.map((i) => fromStateItem<S>(i)).sort((a, b) => a.checkId.localeCompare(b.checkId));
    },

    async listStates<S extends VersionedState>() {
      const states: S[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await send('Scan states', () => client.send(new ScanCommand({
          TableName: tableName,
          FilterExpression: '#type = :state',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':state': { S: 'STATE' } },
          ...(start && { ExclusiveStartKey: start }),
        })));
        for (const item of out.Items ?? []) states.push(fromStateItem<S>(unmarshall(item)));
        start = out.LastEvaluatedKey;
      } while (start);
      return states.sort((a, b) => a.checkId.localeCompare(b.checkId));
    },

    async putIncident(incident) {
      await send('PutItem incident', () => client.send(new PutItemCommand({ TableName: tableName, Item: toAttrs(toIncidentItem(incident)) })));
    },

    async listIncidents(checkId, { limit } = {}) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: checkPk(checkId) }, ':prefix': { S: INCIDENT_PREFIX } },
        ScanIndexForward: false,
      }, limit);
      return items.map(fromIncidentItem);
    },

    async listIncidentsBetween(checkId, from, to) {
      if (to <= from) return [];
      // The upper bound is `to` itself; every stored key goes on with `#<id>`, so an incident that starts exactly at `to` sorts above it.
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
        ExpressionAttributeValues: { ':pk': { S: checkPk(checkId) }, ':lower': { S: INCIDENT_PREFIX }, ':upper': { S: `${INCIDENT_PREFIX}${new Date(to).toISOString()}` } },
      });
      return items.map(fromIncidentItem).filter((i) => i.endedAt === undefined || Date.parse(i.endedAt) > from);
    },

    async listResults(checkId, { from = new Date(0), to = now(), limit, newestFirst = false } = {}) {
      const items = await queryAll({ ...resultQuery(checkId, from, to), ScanIndexForward: !newestFirst }, limit);
      return items.map(fromResultItem);
    },

    async putSilence(silence) {
      try {
        await client.send(new PutItemCommand({ TableName: tableName, Item: toAttrs(toSilenceItem(silence)), ConditionExpression: 'attribute_not_exists(pk)' }));
      } catch (err) {
        if ((err as { name?: string }).name === 'ConditionalCheckFailedException') throw new SilenceExistsError(silence.id, { cause: err });
        throw toStoreError('PutItem silence', err);
      }
    },

    async listSilences() {
      const items = await queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: SILENCE_PK } } });
      return items.map(fromSilenceItem).sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id));
    },

    async expireSilence(id, at) {
      const when = at.toISOString();
      const key = toAttrs(silenceKey(id));
      const names = { '#ttl': TTL_ATTRIBUTE };
      try {
        // An update expression cannot take a minimum, so the condition does: the end moves only earlier.
        // ISO 8601 in UTC at fixed width compares as a string in time order.
        // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
        const out = await client.send(new UpdateItemCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET endsAt = :at, expiredAt = if_not_exists(expiredAt, :at), #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk) AND endsAt > :at',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: toAttrs({ ':at': when, ':ttl': silenceTtl(when) }),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }));
        return fromSilenceItem(unmarshall(out.Attributes ?? {}));
      } catch (err) {
        if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw toStoreError('UpdateItem silence', err);
        if (!(err as { Item?: unknown }).Item) return undefined;
      }
      // It had ended by `at` already: its end stays, and only the expiry is recorded.
      try {
        const out = await client.send(new UpdateItemCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET expiredAt = if_not_exists(expiredAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: toAttrs({ ':at': when }),
          ReturnValues: 'ALL_NEW',
        }));
        return fromSilenceItem(unmarshall(out.Attributes ?? {}));
      } catch (err) {
        // Its TTL removed it in between.
        if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
        throw toStoreError('UpdateItem silence', err);
      }
    },
  };
}

/** The sweep's view of the ops marks (shared/usecases/evaluate-batch/instance-silence.ts). */
export function opsMarksOf(store: Pick<Store, 'getOpsMarks' | 'putOpsMark'>): OpsMarks {
  return { get: (locations) => store.getOpsMarks(locations), set: (location, instance, mark) => store.putOpsMark(location, instance, mark) };
}

/**
 * The store against DynamoDB Local (started once for this file). A mocked client is used only to
 * produce UnprocessedItems, which DynamoDB Local never returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchWriteItemCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { mockClient } from 'aws-sdk-client-mock';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { createStore, StoreError, UnprocessedItemsError, VersionConflictError } from '../../shared/store/dynamo.ts';
import { fromResultItem, resultFromStreamImage, toResultItem } from '../../shared/store/items.ts';
import { RESULT_INSERT_FILTER } from '../../shared/store/keys.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

let db: TestDynamoDb;
beforeAll(async () => {
  db = await startTestDynamoDb();
});
afterAll(async () => {
  await db?.stop();
});

const T0 = Date.parse('2026-11-03T10:00:00.000Z');

function result(i: number, over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    checkId: `check-${i % 3}`,
    kind: 'http',
    target: 'http://127.0.0.1:8080/health',
    location: ['eu-west-1', 'us-east-1'][i % 2]!,
    startedAt: new Date(T0 + i * 1000).toISOString(),
    ok: i % 5 !== 0,
    status: i % 5 !== 0 ? 'up' : 'down',
    phases: { dns: 0.123, connect: 1.456, ttfb: 3.21, transfer: 0.4, total: 5.3333 },
    http: { status: i % 5 !== 0 ? 200 : 503, version: 'HTTP/1.1', redirects: 0, bodyBytes: 12 },
    assertions: [{ name: 'status in [2xx]', ok: i % 5 !== 0 }],
    ...(i % 5 === 0 && { failure: { reason: 'status_code' as const, message: 'status 503 not in [2xx]' } }),
    ...over,
  };
}

interface State {
  checkId: string;
  version: number;
  locations: Record<string, { failures: number }>;
  outbox: string[];
}

describe('putResults', () => {
  it('writes 60 results in batches of 25, each readable in time order', async () => {
    // Prepare
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const results = Array.from({ length: 60 }, (_, i) => result(i));

    // Act
    const outcome = await store.putResults(results);

    // Assess
    expect(outcome).toEqual({ written: 60, calls: 3 });
    const all = (await Promise.all(['check-0', 'check-1', 'check-2'].map((id) => store.listResults(id, { to: new Date(T0 + 3_600_000) })))).flat();
    expect(all).toHaveLength(60);
    const first = await store.listResults('check-0', { to: new Date(T0 + 3_600_000) });
    expect(first.map((r) => r.ts)).toEqual([...first.map((r) => r.ts)].sort());
    expect(first[0]).toEqual({
      checkId: 'check-0', location: 'eu-west-1', ts: '2026-11-03T10:00:00.000Z', target: 'http://127.0.0.1:8080/health', ok: false, status: 'down',
      failure: { reason: 'status_code', message: 'status 503 not in [2xx]' },
      phases: { dns: 0.1, connect: 1.5, ttfb: 3.2, transfer: 0.4, total: 5.3 },
      httpStatus: 503, httpVersion: 'HTTP/1.1', retries: 0,
    });
  });

  it('stores a TTL in epoch seconds 30 days after the result, on a table with TTL enabled', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });

    await store.putResults([result(1)]);

    const ttl = await db.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    const item = await db.client.send(new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: 'CHECK#check-1' }, sk: { S: '2026-11-03T10:00:01.000Z'.replace(/^/, 'RESULT#') + '#us-east-1' } },
    }));
    expect(item.Item?.ttl).toEqual({ N: String((T0 + 1000) / 1000 + 30 * 86_400) });
    expect(item.Item?.type).toEqual({ S: 'RESULT' });
    expect(item.Item?.assertions).toBeUndefined();
  });

  it('lists a newest-first page of a time range', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    await store.putResults(Array.from({ length: 30 }, (_, i) => result(i * 3)));

    const page = await store.listResults('check-0', { from: new Date(T0 + 10_000), to: new Date(T0 + 40_000), limit: 4, newestFirst: true });

    expect(page.map((r) => r.ts)).toEqual([39, 36, 33, 30].map((s) => new Date(T0 + s * 1000).toISOString()));
  });

  it('retries unprocessed items with backoff until every item lands', async () => {
    // Prepare: a client that forwards to DynamoDB Local but holds back 7 items on each of the first two calls.
    const { tableName } = await db.newTable();
    const real = db.client;
    const faulty = new DynamoDBClient(db.clientConfig);
    const mock = mockClient(faulty);
    let call = 0;
    const sent: number[] = [];
    mock.on(BatchWriteItemCommand).callsFake(async (input: { RequestItems: Record<string, WriteRequest[]> }) => {
      call++;
      const requests = input.RequestItems[tableName]!;
      sent.push(requests.length);
      const withheld = call <= 2 ? requests.slice(0, 7) : [];
      const forwarded = requests.slice(withheld.length);
      if (forwarded.length > 0) await real.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: forwarded } }));
      return { UnprocessedItems: withheld.length > 0 ? { [tableName]: withheld } : {} };
    });
    const delays: number[] = [];
    const store = createStore({
      client: faulty, tableName, random: () => 0.5, sleep: async (ms) => { delays.push(ms); },
      backoff: { baseDelayMs: 100, maxDelayMs: 150 },
    });

    // Act
    const outcome = await store.putResults(Array.from({ length: 30 }, (_, i) => result(i)));

    // Assess: chunk one (25) took three calls (25, 7, 7), chunk two (5) one.
    expect(sent).toEqual([25, 7, 7, 5]);
    expect(outcome).toEqual({ written: 30, calls: 4 });
    expect(delays).toEqual([50, 75]); // 0.5 × min(150, 100·2^(n-1))
    const landed = (await Promise.all(['check-0', 'check-1', 'check-2'].map((id) => createStore({ client: real, tableName }).listResults(id, { to: new Date(T0 + 3_600_000) })))).flat();
    expect(landed).toHaveLength(30);
    mock.restore();
    faulty.destroy();
  });

  it('throws UnprocessedItemsError with the unwritten keys once the attempts run out, after writing the rest', async () => {
    const { tableName } = await db.newTable();
    const faulty = new DynamoDBClient(db.clientConfig);
    const mock = mockClient(faulty);
    mock.on(BatchWriteItemCommand).callsFake(async (input: { RequestItems: Record<string, WriteRequest[]> }) => {
      const requests = input.RequestItems[tableName]!;
      // The first result never gets through; everything else does.
      const stuck = requests.filter((r) => r.PutRequest?.Item?.sk?.S?.startsWith('RESULT#2026-11-03T10:00:00.000Z'));
      const rest = requests.filter((r) => !stuck.includes(r));
      if (rest.length > 0) await db.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: rest } }));
      return { UnprocessedItems: stuck.length > 0 ? { [tableName]: stuck } : {} };
    });
    const store = createStore({ client: faulty, tableName, sleep: async () => {}, backoff: { maxAttempts: 4 } });

    const error = await store.putResults(Array.from({ length: 30 }, (_, i) => result(i))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnprocessedItemsError);
    expect(error).toMatchObject({ code: 'STORE_UNPROCESSED_ITEMS', written: 29, unwritten: [{ pk: 'CHECK#check-0', sk: 'RESULT#2026-11-03T10:00:00.000Z#eu-west-1' }] });
    expect(mock.commandCalls(BatchWriteItemCommand)).toHaveLength(5); // 4 for the first chunk, 1 for the second
    mock.restore();
    faulty.destroy();
  });

  it('writes two results with one key as one item, the later winning, instead of failing the batch', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const later = result(1, { ok: false, status: 'down', failure: { reason: 'timeout', message: 'later' } });

    const outcome = await store.putResults([result(1), result(2), later]);

    expect(outcome).toEqual({ written: 2, calls: 1 });
    expect(await store.listResults('check-1', { to: new Date(T0 + 60_000) })).toMatchObject([{ ok: false, failure: { message: 'later' } }]);
  });

  it('refuses a result without a location rather than writing a bad key', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const { location: _, ...noLocation } = result(1);

    await expect(store.putResults([noLocation])).rejects.toMatchObject({ code: 'STORE_ITEM_INVALID' });
  });
});

describe('putState', () => {
  it('writes the first state only where none exists, then only on the version it read, storing read + 1', async () => {
    // Prepare
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const fresh: State = { checkId: 'api', version: 0, locations: { 'eu-west-1': { failures: 1 } }, outbox: [] };

    // Act: two writers start from "no state"; then two writers start from version 1.
    const first = await store.putState(fresh);
    const racingFirst = await store.putState({ ...fresh, outbox: ['other writer'] }).catch((e: unknown) => e);
    const read = (await store.getState<State>('api'))!;
    const second = await store.putState({ ...read, locations: { 'eu-west-1': { failures: 2 } }, outbox: ['DOWN'] });
    const stale = await store.putState({ ...read, outbox: ['other writer'] }).catch((e: unknown) => e);

    // Assess
    expect([first, read.version, second]).toEqual([1, 1, 2]);
    expect(racingFirst).toBeInstanceOf(VersionConflictError);
    expect(racingFirst).toMatchObject({ code: 'STATE_VERSION_CONFLICT', expectedVersion: 0, actualVersion: 1 });
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect(stale).toMatchObject({ code: 'STATE_VERSION_CONFLICT', checkId: 'api', expectedVersion: 1, actualVersion: 2 });
    expect(await store.getState<State>('api')).toEqual({ checkId: 'api', version: 2, locations: { 'eu-west-1': { failures: 2 } }, outbox: ['DOWN'] });
  });

  it('takes an explicit expected version over the one in the state', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    await store.putState<State>({ checkId: 'api', version: 0, locations: {}, outbox: [] });

    const written = await store.putState<State>({ checkId: 'api', version: 7, locations: {}, outbox: [] }, 1);

    expect(written).toBe(2);
    expect((await store.getState<State>('api'))?.version).toBe(2);
  });

  it('reports a conflict when the expected state was deleted or never written', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });

    const error = await store.putState<State>({ checkId: 'ghost', version: 3, locations: {}, outbox: [] }).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'STATE_VERSION_CONFLICT', expectedVersion: 3, actualVersion: 0 });
    expect(await store.getState('ghost')).toBeUndefined();
  });

  it('reads many states by id, and all of them by scan', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    for (const id of ['b', 'a', 'c']) await store.putState<State>({ checkId: id, version: 0, locations: {}, outbox: [] });
    await store.putResults([result(1)]);
    await store.putHeartbeat('eu-west-1', { lastSeen: new Date(T0).toISOString(), checksRun: 3 });

    expect((await store.getStates<State>(['c', 'a', 'missing'])).map((s) => s.checkId)).toEqual(['a', 'c']);
    expect((await store.listStates<State>()).map((s) => s.checkId)).toEqual(['a', 'b', 'c']);
  });
});

describe('incidents and heartbeats', () => {
  it('overwrites an incident when it resolves and lists incidents newest first', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const first = { checkId: 'api', incidentId: 'api-1', startedAt: '2026-11-01T08:00:00.000Z', locations: ['eu-west-1', 'us-east-1'], firstReason: 'connect_refused' as const };
    const second = { checkId: 'api', incidentId: 'api-2', startedAt: '2026-11-02T08:00:00.000Z', locations: ['us-east-1'], firstReason: 'timeout' as const };

    await store.putIncident(first);
    await store.putIncident({ ...first, endedAt: '2026-11-01T08:05:00.000Z' });
    await store.putIncident(second);

    expect(await store.listIncidents('api')).toEqual([second, { ...first, endedAt: '2026-11-01T08:05:00.000Z' }]);
    expect(await store.listIncidents('api', { limit: 1 })).toEqual([second]);
  });

  it('keeps one heartbeat per location with a TTL', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });

    await store.putHeartbeat('eu-west-1', { lastSeen: '2026-11-03T10:00:00.000Z', checksRun: 4 });
    await store.putHeartbeat('eu-west-1', { lastSeen: '2026-11-03T10:01:00.000Z', checksRun: 5, failures: 1, durationMs: 812 });

    expect(await store.getHeartbeats(['eu-west-1', 'nowhere'])).toEqual([
      { location: 'eu-west-1', lastSeen: '2026-11-03T10:01:00.000Z', checksRun: 5, failures: 1, durationMs: 812 },
    ]);
    const raw = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'LOCATION#eu-west-1' }, sk: { S: 'HEARTBEAT' } } }));
    expect(raw.Item?.ttl).toEqual({ N: String(Date.parse('2026-11-03T10:01:00.000Z') / 1000 + 7 * 86_400) });
  });
});

describe('instances and the probe memory', () => {
  // Now, not a fixed date: DynamoDB Local deletes items whose TTL has passed whenever it likes.
  const NOW = Math.floor(Date.now() / 60_000) * 60_000;
  const at = (s: number) => new Date(NOW + s * 1000).toISOString();

  it('keeps the newest location heartbeat whichever instance wrote it, and each instance its own', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });

    await store.putHeartbeat('office', { lastSeen: at(30), checksRun: 3, instance: '2' });
    // Instance 1 finishes later but its minute was earlier: the location keeps instance 2's.
    await store.putHeartbeat('office', { lastSeen: at(10), checksRun: 2, instance: '1' });

    expect(await store.getHeartbeats(['office'])).toEqual([{ location: 'office', lastSeen: at(30), checksRun: 3, instance: '2' }]);
    expect(await store.getInstanceHeartbeats('office', ['1', '2', '3'])).toEqual([
      { location: 'office', lastSeen: at(10), checksRun: 2, instance: '1' },
      { location: 'office', lastSeen: at(30), checksRun: 3, instance: '2' },
    ]);
    const raw = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'LOCATION#office' }, sk: { S: 'HEARTBEAT#1' } } }));
    expect(raw.Item?.lastSeen).toEqual({ S: at(10) });
  });

  it('keeps two instances\' results of the same millisecond apart, with trigger and instance', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const base = result(1, { checkId: 'api', location: 'office', startedAt: at(0) });

    await store.putResults([{ ...base, instance: '1' }, { ...base, instance: '2', trigger: 'recheck' }, { ...result(2, { checkId: 'api', location: 'office', startedAt: at(0) }), trigger: 'confirm' }]);

    const stored = await store.listResults('api', { from: at(0), to: at(0) });
    expect(stored.map((r) => [r.instance ?? null, r.trigger ?? null])).toEqual([[null, 'confirm'], ['1', null], ['2', 'recheck']]);
  });

  it('sets and removes one check\'s memory entry without touching the others, and reads an absent item as empty', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const entry = (n: number) => ({ view: { lastTs: NOW + n, consecutiveFailures: n, consecutiveSuccesses: 0, failing: false }, recheckAt: NOW + n + 10_000 });

    const empty = await store.getMemory('eu-west-1');
    await store.updateMemory('eu-west-1', { set: { api: entry(1), web: entry(2) } });
    await store.updateMemory('eu-west-1', { set: { api: entry(3) }, remove: ['web'] });
    // 60 changes: more than one UpdateItem's worth.
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`c-${i}`, entry(i + 1)]));
    await store.updateMemory('us-east-1', { set: many });

    expect(empty).toEqual({});
    expect(await store.getMemory('eu-west-1')).toEqual({ api: entry(3) });
    expect(Object.keys(await store.getMemory('us-east-1'))).toHaveLength(60);
    const raw = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'LOCATION#eu-west-1' }, sk: { S: 'MEMORY' } } }));
    expect(raw.Item?.type).toEqual({ S: 'MEMORY' });
    expect(Number(raw.Item?.ttl?.N)).toBeGreaterThan(Date.now() / 1000);
  });
});

describe('errors at the boundary', () => {
  it('turns a missing table into a StoreError with a stable code', async () => {
    const store = createStore({ client: db.client, tableName: 'no-such-table' });

    const error = await store.getState('api').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'STORE_TABLE_NOT_FOUND' });
  });
});

/** Matches a record against an event source filter the way Lambda does for the shapes we use (exact string lists). */
function matchesFilter(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.includes(value);
  if (typeof pattern === 'object' && pattern !== null) {
    return Object.entries(pattern).every(([k, p]) => matchesFilter(p, (value as Record<string, unknown> | undefined)?.[k]));
  }
  return pattern === value;
}

describe('stream', () => {
  it('carries one INSERT with the new image per result, and the filter selects exactly those', async () => {
    // Prepare
    const { tableName, streamArn } = await db.newTable();
    const store = createStore({ client: db.client, tableName });

    // Act: results, plus writes the evaluator must never be triggered by.
    await store.putResults([result(1), result(2), result(3)]);
    await store.putHeartbeat('eu-west-1', { lastSeen: new Date(T0).toISOString(), checksRun: 3 });
    await store.putState<State>({ checkId: 'check-1', version: 0, locations: {}, outbox: [] });
    await store.putResults([result(1, { ok: false, status: 'down', failure: { reason: 'timeout', message: 'no answer' } })]); // overwrite: MODIFY

    // Assess
    const records = await readStream(streamArn);
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'INSERT', 'INSERT', 'INSERT', 'INSERT', 'MODIFY']);
    const selected = records.filter((r) => matchesFilter(RESULT_INSERT_FILTER, r));
    expect(selected).toHaveLength(3);
    // The first insert carries result 1 as first written; the overwrite came later as a MODIFY.
    expect(selected.map((r) => resultFromStreamImage(r.dynamodb!.NewImage!))).toEqual([1, 2, 3].map((i) => fromResultItem(toResultItem(result(i)))));
    expect(resultFromStreamImage(selected[1]!.dynamodb!.NewImage!)).toMatchObject({ checkId: 'check-2', location: 'eu-west-1', ts: '2026-11-03T10:00:02.000Z', ok: true, httpStatus: 200 });
  });
});

async function readStream(streamArn: string): Promise<_Record[]> {
  const description = await db.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const records: _Record[] = [];
  for (const shard of description.StreamDescription?.Shards ?? []) {
    let iterator = (await db.streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    // An open shard always returns a next iterator; stop at the first empty page.
    while (iterator) {
      const page = await db.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      records.push(...(page.Records ?? []));
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

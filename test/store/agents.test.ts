/**
 * The agent store against DynamoDB Local: beats (read back by the heartbeat reader too), the inbox
 * (claim races, malformed items), replies and the DEFINITIONS item. Times are near now, not fixed:
 * DynamoDB Local deletes items whose TTL has passed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DefinitionsError, definitionsHash, readDefinitions, type DefinitionsDocument } from '../../shared/config/definitions-file.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import type { ConfirmRequest, RetestRequest } from '../../shared/requests.ts';
import { ANY_INSTANCE, createAgentStore, definitionsItem, INBOX_TTL_AFTER_DEADLINE_S, REPLY_TTL_S, type AgentBeat } from '../../shared/store/agents.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { definitionsKey, inboxKey, ITEM_TYPES, locationPk, replyKey } from '../../shared/store/keys.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

let db: TestDynamoDb;
beforeAll(async () => {
  db = await startTestDynamoDb();
});
afterAll(async () => {
  await db?.stop();
});

const NOW = Math.floor(Date.now() / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const LOC = 'factory';

async function fresh(now = () => new Date(NOW)) {
  const { tableName } = await db.newTable();
  return { tableName, store: createAgentStore({ client: db.client, tableName, now }) };
}

async function raw(tableName: string, key: { pk: string; sk: string }) {
  const out = await db.client.send(new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }));
  return out.Item;
}

const confirm: ConfirmRequest = { type: 'vantage.confirm', checkIds: ['api'], from: 'eu-west-1', requestedAt: iso(NOW) };
const retest: RetestRequest = { type: 'vantage.retest', checkId: 'api', from: 'a-1', requestedAt: iso(NOW) };

function probeResult(over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    checkId: 'api', kind: 'http', target: 'http://127.0.0.1:8080/', location: LOC, startedAt: iso(NOW), ok: false, status: 'down',
    phases: { connect: 1.2, total: 3.4 }, assertions: [{ name: 'status in [2xx]', ok: false }],
    failure: { reason: 'status_code', message: 'status 503' }, ...over,
  };
}

function document(location = LOC): DefinitionsDocument {
  const content = { schemaVersion: 2 as const, location, checks: [], channels: {} };
  return { ...content, sha256: definitionsHash(content) };
}

describe('item types and keys', () => {
  it('names the new items and keeps them in the location partition', () => {
    expect(ITEM_TYPES).toEqual(expect.arrayContaining(['INBOX', 'REPLY', 'DEFINITIONS']));
    expect(inboxKey(LOC, '*', iso(NOW), 'x')).toEqual({ pk: 'LOCATION#factory', sk: `INBOX#*#${iso(NOW)}#x` });
    expect(replyKey(LOC, 'x')).toEqual({ pk: 'LOCATION#factory', sk: 'REPLY#x' });
    expect(definitionsKey(LOC)).toEqual({ pk: 'LOCATION#factory', sk: 'DEFINITIONS' });
  });
});

describe('beats', () => {
  it('round-trips every field, sorted by instance, with a 7-day TTL, and the heartbeat reader reads them', async () => {
    // Prepare
    const { tableName, store } = await fresh();
    const b: AgentBeat = { instance: 'b-2', lastSeen: iso(NOW), registeredAt: iso(NOW - 60_000), leavingAt: iso(NOW + 20_000), definitions: 'abc', host: 'h2', agentVersion: '0.1.0' };
    const a: AgentBeat = { instance: 'a-1', lastSeen: iso(NOW), registeredAt: iso(NOW - 30_000) };

    // Act
    await store.putBeat(LOC, b);
    await store.putBeat(LOC, a);
    await store.putBeat(LOC, { ...a, lastSeen: iso(NOW + 10_000) });

    // Assess
    expect(await store.listBeats(LOC)).toEqual([{ ...a, lastSeen: iso(NOW + 10_000) }, b]);
    const item = await raw(tableName, { pk: locationPk(LOC), sk: 'HEARTBEAT#b-2' });
    expect(item?.type).toEqual({ S: 'HEARTBEAT' });
    expect(item?.ttl).toEqual({ N: String(NOW / 1000 + 7 * 86_400) });
    const heartbeats = await createStore({ client: db.client, tableName }).getInstanceHeartbeats(LOC, ['a-1', 'b-2']);
    expect(heartbeats.map((h) => [h.instance, h.lastSeen])).toEqual([['a-1', iso(NOW + 10_000)], ['b-2', iso(NOW)]]);
  });

  it('leaves out the location heartbeat, other partitions and beats without registeredAt', async () => {
    const { tableName, store } = await fresh();
    await createStore({ client: db.client, tableName }).putHeartbeat(LOC, { lastSeen: iso(NOW), checksRun: 3 });
    await createStore({ client: db.client, tableName }).putHeartbeat('other', { lastSeen: iso(NOW), checksRun: 1, instance: 'z' });
    await db.client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ pk: locationPk(LOC), sk: 'HEARTBEAT#old', type: 'HEARTBEAT', schemaVersion: 1, instance: 'old', lastSeen: iso(NOW) }) }));
    await store.putBeat(LOC, { instance: 'a-1', lastSeen: iso(NOW), registeredAt: iso(NOW) });

    expect((await store.listBeats(LOC)).map((b) => b.instance)).toEqual(['a-1']);
  });

  it('reads every page of a large location', async () => {
    const { tableName, store } = await fresh();
    // A Query page stops at 1 MB: 40 beats of 30 KB take two pages.
    const host = 'h'.repeat(30_000);
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.putBeat(LOC, { instance: `i-${String(i).padStart(2, '0')}`, lastSeen: iso(NOW), registeredAt: iso(NOW), host })));

    const firstPage = await db.client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: marshall({ ':pk': locationPk(LOC) }) }));
    expect(firstPage.LastEvaluatedKey).toBeDefined();
    expect(await store.listBeats(LOC)).toHaveLength(40);
  });
});

describe('inbox', () => {
  it('writes a request with its deadline and a TTL an hour past it, and reads it back', async () => {
    // Prepare
    const { tableName, store } = await fresh();
    const deadline = new Date(NOW + 60_000);

    // Act
    const sent = await store.sendRequest(LOC, ANY_INSTANCE, confirm, deadline);

    // Assess
    expect(sent).toMatchObject({ to: '*', request: confirm, sentAt: iso(NOW), deadlineAt: iso(NOW + 60_000) });
    expect(sent.sk).toBe(`INBOX#*#${iso(NOW)}#${sent.id}`);
    expect(await store.readInbox(LOC)).toEqual([sent]);
    const item = await raw(tableName, { pk: locationPk(LOC), sk: sent.sk });
    expect(item?.ttl).toEqual({ N: String((NOW + 60_000) / 1000 + INBOX_TTL_AFTER_DEADLINE_S) });
    expect(item?.type).toEqual({ S: 'INBOX' });
  });

  it('skips malformed items without throwing', async () => {
    // Prepare
    const { tableName, store } = await fresh();
    const good = await store.sendRequest(LOC, 'a-1', retest, new Date(NOW + 10_000));
    const base = { pk: locationPk(LOC), type: 'INBOX', schemaVersion: 1, id: 'x', to: 'a-1', sentAt: iso(NOW), deadlineAt: iso(NOW + 10_000) };
    const bad = [
      { ...base, sk: 'INBOX#a#1', request: '{not json' },
      { ...base, sk: 'INBOX#a#2', request: JSON.stringify({ type: 'vantage.retest' }) },
      { ...base, sk: 'INBOX#a#3', request: JSON.stringify(retest), deadlineAt: 'soon' },
      { ...base, sk: 'INBOX#a#4', request: JSON.stringify(retest), schemaVersion: 99 },
      { ...base, sk: 'INBOX#a#5', request: JSON.stringify(retest), to: 7 },
      { ...base, sk: 'INBOX#a#6', request: JSON.stringify(retest), type: 'REPLY' },
    ];
    for (const item of bad) await db.client.send(new PutItemCommand({ TableName: tableName, Item: marshall(item) }));

    // Act
    const read = await store.readInbox(LOC);

    // Assess
    expect(read).toEqual([good]);
  });

  it('claim: of two concurrent claims exactly one wins, and the item is gone', async () => {
    const { tableName, store } = await fresh();
    const other = createAgentStore({ client: db.client, tableName });
    for (let round = 0; round < 10; round++) {
      const sent = await store.sendRequest(LOC, ANY_INSTANCE, confirm, new Date(NOW + 60_000));
      const [first, second] = await Promise.all([store.claim(LOC, sent), other.claim(LOC, sent)]);
      expect([first, second].filter(Boolean)).toHaveLength(1);
      expect(await raw(tableName, { pk: locationPk(LOC), sk: sent.sk })).toBeUndefined();
    }
    expect(await store.readInbox(LOC)).toEqual([]);
  });
});

describe('replies', () => {
  it('takeReply: undefined before the reply, the result once written (TTL 1 h), then gone', async () => {
    // Prepare
    const { tableName, store } = await fresh();
    const result = probeResult({ instance: 'b-2' });

    // Act
    const before = await store.takeReply(LOC, 'r1');
    await store.putReply(LOC, 'r1', result);
    const stored = await raw(tableName, replyKey(LOC, 'r1'));
    const taken = await store.takeReply(LOC, 'r1');
    const again = await store.takeReply(LOC, 'r1');

    // Assess
    expect(before).toBeUndefined();
    expect(stored?.ttl).toEqual({ N: String(NOW / 1000 + REPLY_TTL_S) });
    expect(taken).toEqual(result);
    expect(again).toBeUndefined();
  });

  it('refuses a reply that is not a probe result', async () => {
    const { tableName, store } = await fresh();
    await db.client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ ...replyKey(LOC, 'r2'), type: 'REPLY', schemaVersion: 1, result: '{"ok":true}' }) }));
    await expect(store.takeReply(LOC, 'r2')).rejects.toMatchObject({ code: 'STORE_ITEM_INVALID' });
  });
});

describe('definitions', () => {
  it('round-trips the document with its sha256 as the version', async () => {
    // Prepare
    const { store } = await fresh();
    const doc = document();

    // Act
    const missing = await store.getDefinitions(LOC);
    const written = await store.putDefinitions(LOC, doc);
    const read = await store.getDefinitions(LOC);

    // Assess
    expect(missing).toBeUndefined();
    expect(written).toEqual({ version: doc.sha256, document: JSON.stringify(doc), writtenAt: iso(NOW) });
    expect(read).toEqual(written);
    expect(readDefinitions(read!.document)).toMatchObject({ location: LOC, checks: [] });
  });

  it('definitionsItem is the plain item the CDK app writes, without a TTL; a tampered document is refused', () => {
    const doc = document();
    expect(definitionsItem(LOC, doc, new Date(NOW))).toEqual({
      pk: 'LOCATION#factory', sk: 'DEFINITIONS', type: 'DEFINITIONS', schemaVersion: 1, location: LOC,
      version: doc.sha256, document: JSON.stringify(doc), writtenAt: iso(NOW),
    });
    expect(() => definitionsItem(LOC, { ...doc, location: 'elsewhere' }, new Date(NOW))).toThrow(DefinitionsError);
  });

  it('a DEFINITIONS item this build cannot read is a StoreError, not a silent miss', async () => {
    const { tableName, store } = await fresh();
    await db.client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ ...definitionsKey(LOC), type: 'DEFINITIONS', schemaVersion: 1, version: 'v' }) }));
    await expect(store.getDefinitions(LOC)).rejects.toMatchObject({ code: 'STORE_ITEM_INVALID' });
  });
});

describe('cost', () => {
  it('an empty inbox poll and a reply miss each consume 1 read unit (DynamoDB Local reports capacity)', async () => {
    const { tableName, store } = await fresh();
    await store.sendRequest(LOC, 'a-1', retest, new Date(NOW + 10_000));
    const poll = await db.client.send(new QueryCommand({
      TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ConsistentRead: true,
      ExpressionAttributeValues: marshall({ ':pk': locationPk(LOC), ':p': 'INBOX#' }), ReturnConsumedCapacity: 'TOTAL',
    }));
    const miss = await db.client.send(new GetItemCommand({ TableName: tableName, Key: marshall(replyKey(LOC, 'none')), ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }));
    expect(poll.ConsumedCapacity?.CapacityUnits).toBe(1);
    expect(miss.ConsumedCapacity?.CapacityUnits).toBe(1);
  });
});

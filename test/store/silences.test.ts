/**
 * Silence items against DynamoDB Local: add (never overwrites), list (one Query, every page),
 * expire (the end only moves earlier; unknown ids are undefined), and the TTL that removes them.
 * Times are near now, not fixed: DynamoDB Local deletes items whose TTL has passed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeTimeToLiveCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createStore, SilenceExistsError, type StoredSilence } from '../../shared/store/dynamo.ts';
import { ItemCodecError, SILENCE_TTL_DAYS_AFTER_END, toSilenceItem } from '../../shared/store/items.ts';
import { ITEM_TYPES, silenceKey } from '../../shared/store/keys.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

let db: TestDynamoDb;
beforeAll(async () => {
  db = await startTestDynamoDb();
});
afterAll(async () => {
  await db?.stop();
});

const NOW = Math.floor(Date.now() / 1000) * 1000;
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function silence(n: number, over: Partial<StoredSilence> = {}): StoredSilence {
  return {
    id: `s-${n.toString(16).padStart(8, '0')}`,
    checks: ['api'],
    startsAt: iso(NOW),
    endsAt: iso(NOW + 30 * MIN),
    createdBy: 'alice@laptop',
    createdAt: iso(NOW),
    ...over,
  };
}

async function freshStore() {
  const { tableName } = await db.newTable();
  return { tableName, store: createStore({ client: db.client, tableName }) };
}

describe('silence items', () => {
  it('are a known item type, in their own partition', () => {
    expect(ITEM_TYPES).toContain('SILENCE');
    expect(silenceKey('s-0000abcd')).toEqual({ pk: 'SILENCE', sk: 'SILENCE#s-0000abcd' });
  });

  it('refuse a silence that matches nothing or has no readable end', () => {
    expect(() => toSilenceItem(silence(1, { checks: [], tags: {} }))).toThrow(ItemCodecError);
    expect(() => toSilenceItem(silence(1, { checks: undefined }))).toThrow(/checks or tags/);
    expect(() => toSilenceItem(silence(1, { endsAt: 'tomorrow' }))).toThrow(/endsAt/);
    expect(() => toSilenceItem(silence(1, { id: 'S-1' }))).toThrow(/id/);
  });
});

describe('putSilence and listSilences', () => {
  it('stores a silence with every field and a TTL 30 days after its end, and reads it back', async () => {
    // Prepare
    const { tableName, store } = await freshStore();
    const s = silence(1, { checks: ['api', 'web'], tags: { team: 'payments' }, comment: 'deploying v2' });

    // Act
    await store.putSilence(s);

    // Assess
    expect(await store.listSilences()).toEqual([s]);
    const raw = await db.client.send(new GetItemCommand({ TableName: tableName, Key: marshall(silenceKey(s.id)) }));
    expect(raw.Item?.type).toEqual({ S: 'SILENCE' });
    expect(raw.Item?.ttl).toEqual({ N: String((NOW + 30 * MIN) / 1000 + SILENCE_TTL_DAYS_AFTER_END * 86_400) });
    const ttl = await db.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
  });

  it('never overwrites: a second silence with the same id is SilenceExistsError and the first stays', async () => {
    const { store } = await freshStore();
    await store.putSilence(silence(7));

    const err = await store.putSilence(silence(7, { checks: ['other'] })).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(SilenceExistsError);
    expect((err as SilenceExistsError).code).toBe('SILENCE_EXISTS');
    expect((await store.listSilences()).map((s) => s.checks)).toEqual([['api']]);
  });

  it('lists every silence across pages, by start then id, and nothing else in the table', async () => {
    // Prepare: enough padding that the partition spans several 1 MB pages.
    const { tableName, store } = await freshStore();
    const comment = 'x'.repeat(60_000);
    const all = Array.from({ length: 40 }, (_, i) => silence(40 - i, { startsAt: iso(NOW + (i % 4) * MIN), comment }));
    for (const s of all) await store.putSilence(s);
    await store.putHeartbeat('eu-west-1', { lastSeen: iso(NOW), checksRun: 1 });
    const firstPage = await db.client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'SILENCE' } } }));

    // Act
    const listed = await store.listSilences();

    // Assess
    expect(listed).toHaveLength(40);
    const expected = [...all].sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id));
    expect(listed.map((s) => s.id)).toEqual(expected.map((s) => s.id));
    // The Query really was paginated: one page did not hold them all.
    expect(firstPage.LastEvaluatedKey).toBeDefined();
  });
});

describe('expireSilence', () => {
  it('moves the end to the expiry, records expiredAt and the TTL that follows from the new end', async () => {
    const { tableName, store } = await freshStore();
    await store.putSilence(silence(2));
    const at = new Date(NOW + 5 * MIN);

    const expired = await store.expireSilence('s-00000002', at);

    expect(expired).toEqual({ ...silence(2), endsAt: iso(NOW + 5 * MIN), expiredAt: iso(NOW + 5 * MIN) });
    expect(await store.listSilences()).toEqual([expired]);
    const raw = await db.client.send(new GetItemCommand({ TableName: tableName, Key: marshall(silenceKey('s-00000002')) }));
    expect(raw.Item?.ttl).toEqual({ N: String((NOW + 5 * MIN) / 1000 + SILENCE_TTL_DAYS_AFTER_END * 86_400) });
  });

  it('never moves the end later: a silence that had ended keeps its end, and a second expiry keeps the first', async () => {
    const { store } = await freshStore();
    await store.putSilence(silence(3, { endsAt: iso(NOW + 10 * MIN) }));

    const late = await store.expireSilence('s-00000003', new Date(NOW + 20 * MIN));
    const again = await store.expireSilence('s-00000003', new Date(NOW + 25 * MIN));

    expect(late).toMatchObject({ endsAt: iso(NOW + 10 * MIN), expiredAt: iso(NOW + 20 * MIN) });
    expect(again).toMatchObject({ endsAt: iso(NOW + 10 * MIN), expiredAt: iso(NOW + 20 * MIN) });
  });

  it('ends a future silence before it starts', async () => {
    const { store } = await freshStore();
    await store.putSilence(silence(4, { startsAt: iso(NOW + 60 * MIN), endsAt: iso(NOW + 90 * MIN) }));

    const expired = await store.expireSilence('s-00000004', new Date(NOW));

    expect(expired).toMatchObject({ startsAt: iso(NOW + 60 * MIN), endsAt: iso(NOW), expiredAt: iso(NOW) });
  });

  it('is undefined for an id that is not stored, and creates nothing', async () => {
    const { store } = await freshStore();

    expect(await store.expireSilence('s-deadbeef', new Date(NOW))).toBeUndefined();
    expect(await store.listSilences()).toEqual([]);
  });
});

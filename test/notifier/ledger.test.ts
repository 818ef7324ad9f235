/**
 * The delivery ledger on DynamoDB Local: records with their TTL, health counted atomically under
 * concurrent failures, and CHANNEL_FAILING claimed once per spell.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryKey, deliveryLedger, healthKey, type DeliveryLedger } from '../../shared/store/deliveries.ts';
import { ITEM_TYPES } from '../../shared/store/keys.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

let db: TestDynamoDb;
beforeAll(async () => { db = await startTestDynamoDb(); }, 60_000);
afterAll(() => db?.stop());

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

async function fresh(): Promise<{ ledger: DeliveryLedger; raw: (key: { pk: string; sk: string }) => Promise<Record<string, unknown> | undefined> }> {
  const { tableName } = await db.newTable();
  return {
    ledger: deliveryLedger(db.client, tableName),
    raw: async (key) => {
      const out = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }));
      return out.Item ? unmarshall(out.Item) : undefined;
    },
  };
}

describe('deliveryLedger', () => {
  it('records a delivery under CHANNEL#, with a 30-day ttl, and reads it back', async () => {
    const { ledger, raw } = await fresh();
    await ledger.record({ channel: 'hooks', target: 'webhook[0]', dedupeKey: 'api#1#DOWN', event: 'DOWN', checkId: 'api', status: 'failed', attempts: 1, lastStatus: 500, lastError: 'HTTP 500', at: T0, ms: 12 });
    await ledger.record({ channel: 'hooks', target: 'webhook[0]', dedupeKey: 'api#1#DOWN', event: 'DOWN', checkId: 'api', status: 'delivered', attempts: 2, lastStatus: 204, at: T0 + 1_000, ms: 9 });
    await ledger.record({ channel: 'hooks', target: 'slack', dedupeKey: 'api#1#DOWN', status: 'dead', attempts: 1, lastError: 'HTTP 404', at: T0 });
    await ledger.record({ channel: 'hooks', target: 'slack', dedupeKey: 'db#1#DOWN', status: 'delivered', attempts: 1, at: T0 });

    expect(await ledger.get('hooks', 'webhook[0]', 'api#1#DOWN')).toEqual({ channel: 'hooks', target: 'webhook[0]', dedupeKey: 'api#1#DOWN', event: 'DOWN', checkId: 'api', status: 'delivered', attempts: 2, lastStatus: 204, at: T0 + 1_000, ms: 9 });
    expect(await ledger.get('hooks', 'webhook[1]', 'api#1#DOWN')).toBeUndefined();
    const item = await raw(deliveryKey('hooks', 'webhook[0]', 'api#1#DOWN'));
    expect(item).toMatchObject({ pk: 'CHANNEL#hooks', sk: 'DELIVERY#webhook[0]#api#1#DOWN', type: 'DELIVERY', ttl: Math.floor((T0 + 1_000) / 1000) + 30 * 86_400 });
    expect((await ledger.list('hooks', 'api#1#DOWN')).map((r) => `${r.target}:${r.status}`).sort()).toEqual(['slack:dead', 'webhook[0]:delivered']);
    expect(await ledger.list('hooks')).toHaveLength(3);
    expect(ITEM_TYPES).toEqual(expect.arrayContaining(['DELIVERY', 'HEALTH']));
  });

  it('counts concurrent failures atomically: each seen once, and exactly one caller sees each count', async () => {
    const { ledger, raw } = await fresh();
    const after = await Promise.all(Array.from({ length: 12 }, (_, i) => ledger.failed('hooks', 'pagerduty', T0 + i, 'HTTP 503')));
    expect(after.map((h) => h.failures).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await ledger.getHealth('hooks', 'pagerduty')).toMatchObject({ failures: 12, lastError: 'HTTP 503' });
    // The spell starts at the first failure written, whichever that was.
    expect(after.map((h) => h.since).every((s) => s === after[0]!.since)).toBe(true);
    expect(await raw(healthKey('hooks', 'pagerduty'))).toMatchObject({ type: 'HEALTH', pk: 'CHANNEL#hooks', sk: 'HEALTH#pagerduty' });
  });

  it('claims CHANNEL_FAILING once per spell, gives a claim back, and starts a new spell after a success', async () => {
    const { ledger } = await fresh();
    expect(await ledger.succeeded('hooks', 'slack', T0)).toBeUndefined();
    const first = await ledger.failed('hooks', 'slack', T0, 'HTTP 500');
    const claims = await Promise.all(Array.from({ length: 5 }, () => ledger.markFailingNotified('hooks', 'slack', first.since!)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // A claim for another spell's start does not match this spell.
    expect(await ledger.markFailingNotified('hooks', 'slack', first.since! + 1)).toBe(false);
    await ledger.releaseFailingNotified('hooks', 'slack', first.since!);
    expect(await ledger.markFailingNotified('hooks', 'slack', first.since!)).toBe(true);

    const before = await ledger.succeeded('hooks', 'slack', T0 + 5_000);
    expect(before).toMatchObject({ failures: 1, since: T0, notifiedSince: T0 });
    expect(await ledger.getHealth('hooks', 'slack')).toEqual({ channel: 'hooks', target: 'slack', failures: 0, lastError: 'HTTP 500', lastFailureAt: T0 });
    const next = await ledger.failed('hooks', 'slack', T0 + 9_000, 'TIMEOUT');
    expect(next).toMatchObject({ failures: 1, since: T0 + 9_000 });
    expect(await ledger.markFailingNotified('hooks', 'slack', next.since!)).toBe(true);
  });
});

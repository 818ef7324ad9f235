/**
 * The SLO rollup items against DynamoDB Local: every field written and read back, a minute written
 * once however often (and however concurrently) it is added, hours read across Query pages and by
 * their overlap with [from, to), and the incidents read by overlap.
 * Hours are in November 2026, so their TTL (hour + 400 days) is in the future and DynamoDB Local keeps them.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLUP_RETENTION_DAYS } from '../../shared/config/slo.ts';
import { addMinute, emptyHour, type HourRollup, type MinuteClass, type MinuteRecord } from '../../shared/evaluate/slo/index.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { ItemCodecError, type StoredIncident } from '../../shared/store/items.ts';
import { ITEM_TYPES, rollupKey } from '../../shared/store/keys.ts';
import { createRollupStore, decodeMinuteCode, encodeMinuteCode, minuteUpdate, rollupItemOf } from '../../shared/store/rollups.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

let db: TestDynamoDb;
beforeAll(async () => {
  db = await startTestDynamoDb();
});
afterAll(async () => {
  await db?.stop();
});

const H0 = Date.parse('2026-11-20T10:00:00.000Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function minute(start: number, cls: MinuteClass, over: Partial<MinuteRecord> = {}): MinuteRecord {
  return { start, class: cls, failing: [], samples: 0, ok: 0, fast: 0, buckets: new Array<number>(11).fill(0), latencySumMs: 0, ...over };
}

/** The hours the pure core makes of these minutes: what the table must hold. */
function fold(checkId: string, minutes: readonly MinuteRecord[]): HourRollup[] {
  const hours = new Map<number, HourRollup>();
  for (const m of minutes) {
    const h = Math.floor(m.start / HOUR) * HOUR;
    hours.set(h, addMinute(hours.get(h) ?? emptyHour(checkId, h), m));
  }
  return [...hours.values()].sort((a, b) => a.hour - b.hour);
}

async function fresh(pageSize?: number) {
  const { tableName } = await db.newTable();
  return { tableName, rollups: createRollupStore(db.client, tableName, pageSize !== undefined ? { pageSize } : {}) };
}

const buckets = (...pairs: Array<[number, number]>) => {
  const b = new Array<number>(11).fill(0);
  for (const [i, n] of pairs) b[i] = n;
  return b;
};

describe('minute codes', () => {
  it('encode every class, its counts and its failing locations, and decode to the same code', () => {
    const codes = [
      { class: 'up', samples: 3, ok: 3, fast: 2, failing: [] },
      { class: 'down', samples: 3, ok: 0, fast: 0, failing: ['dc.berlin-2', 'eu-west-1', 'us-east-1'] },
      { class: 'partial', samples: 2, ok: 1, fast: 1, failing: ['ap-southeast-2'] },
      { class: 'maintenance', samples: 0, ok: 0, fast: 0, failing: [] },
      { class: 'nodata', samples: 0, ok: 0, fast: 0, failing: [] },
    ] as const;
    expect(codes.map((c) => encodeMinuteCode({ ...c, failing: [...c.failing] }))).toEqual(['u:3:3:2', 'd:3:0:0:dc.berlin-2 eu-west-1 us-east-1', 'p:2:1:1:ap-southeast-2', 'm:0:0:0', 'n:0:0:0']);
    for (const c of codes) expect(decodeMinuteCode(encodeMinuteCode({ ...c, failing: [...c.failing] }))).toEqual(c);
  });

  it('refuse what is not a minute code', () => {
    for (const bad of ['x:1:1:1', 'u:1:1', 'u:1:-1:0', 'u:a:1:1', 'u:1:1:1:eu:more']) expect(() => decodeMinuteCode(bad), bad).toThrow(ItemCodecError);
  });

  it('name every attribute through ExpressionAttributeNames: location names hold dots and dashes', () => {
    const u = minuteUpdate('api', minute(H0 + 7 * MIN, 'down', { failing: ['dc.berlin-2'], samples: 1 }));
    expect(Object.values(u.ExpressionAttributeNames)).toContain('L#dc.berlin-2');
    expect(u.UpdateExpression).not.toMatch(/[.]/);
    expect(u.ConditionExpression).toBe('attribute_not_exists(#m)');
    expect(u.ExpressionAttributeNames['#m']).toBe('m07');
  });
});

describe('rollup store', () => {
  it('is a known item type keyed by the hour', () => {
    expect(ITEM_TYPES).toContain('ROLLUP');
    expect(rollupKey('api', H0)).toEqual({ pk: 'CHECK#api', sk: 'ROLLUP#2026-11-20T10:00:00.000Z' });
  });

  it('writes every field of every minute and reads back the hour the core folds from them', async () => {
    // Prepare: every class, latency in several buckets, locations with dots and dashes.
    const { tableName, rollups } = await fresh();
    const minutes = [
      minute(H0, 'up', { samples: 3, ok: 3, fast: 3, buckets: buckets([1, 2], [3, 1]), latencySumMs: 412.5 }),
      minute(H0 + MIN, 'down', { failing: ['dc.berlin-2', 'eu-west-1'], samples: 3, ok: 0, fast: 0, buckets: buckets([10, 3]), latencySumMs: 30_000 }),
      minute(H0 + 2 * MIN, 'partial', { failing: ['dc.berlin-2'], samples: 2, ok: 1, fast: 0, buckets: buckets([6, 1], [9, 1]), latencySumMs: 5_800 }),
      minute(H0 + 3 * MIN, 'maintenance'),
      minute(H0 + 59 * MIN, 'nodata'),
      minute(H0 + HOUR + 30 * MIN, 'up', { samples: 1, ok: 1, fast: 0, buckets: buckets([4, 1]), latencySumMs: 480 }),
    ];

    // Act
    const added = [];
    for (const m of minutes) added.push(await rollups.addMinute('api', m));
    const hours = await rollups.hours('api', H0, H0 + 2 * HOUR);

    // Assess
    expect(added).toEqual(minutes.map(() => true));
    expect(hours).toEqual(fold('api', minutes));
    expect(hours[0]).toMatchObject({
      seconds: { up: 60, down: 60, partial: 60, maintenance: 60, nodata: 60 },
      samples: 8, ok: 4, fast: 3, latencySumMs: 36_212.5, buckets: buckets([1, 2], [3, 1], [6, 1], [9, 1], [10, 3]),
      locationDown: { 'dc.berlin-2': 120, 'eu-west-1': 60 },
    });
    expect(hours[0]!.minutes[1]).toEqual({ class: 'down', samples: 3, ok: 0, fast: 0, failing: ['dc.berlin-2', 'eu-west-1'] });
    const raw = await db.client.send(new GetItemCommand({ TableName: tableName, Key: marshall(rollupKey('api', H0)) }));
    const item = unmarshall(raw.Item!);
    expect(item).toMatchObject({ type: 'ROLLUP', schemaVersion: 1, checkId: 'api', hour: H0, ttl: H0 / 1000 + ROLLUP_RETENTION_DAYS * 86_400, m01: 'd:3:0:0:dc.berlin-2 eu-west-1' });
    // The UpdateItems add up to the item the hour's minutes describe (what `vantage cost` sizes).
    expect(item).toEqual(rollupItemOf(fold('api', minutes)[0]!));
    // Only nonzero sums are written: an hour of passing minutes carries no zeros to pay for.
    expect(Object.keys(item).filter((k) => k.startsWith('b')).sort()).toEqual(['b1', 'b10', 'b3', 'b6', 'b9']);
  });

  it('counts a minute once when it is added twice, and the first account stands', async () => {
    const { rollups } = await fresh();
    expect(await rollups.addMinute('api', minute(H0, 'down', { failing: ['eu-west-1'], samples: 2 }))).toBe(true);
    expect(await rollups.addMinute('api', minute(H0, 'down', { failing: ['eu-west-1'], samples: 2 }))).toBe(false);
    expect(await rollups.addMinute('api', minute(H0, 'up', { samples: 5, ok: 5, fast: 5 }))).toBe(false);
    const [hour] = await rollups.hours('api', H0, H0 + HOUR);
    expect(hour).toEqual(fold('api', [minute(H0, 'down', { failing: ['eu-west-1'], samples: 2 })])[0]);
  });

  it('counts a minute once when two sweeps add it at the same time', async () => {
    // Two stores with their own clients: two evaluator invocations.
    const { tableName } = await db.newTable();
    const a = createRollupStore(db.client, tableName);
    const other = new (db.client.constructor as typeof import('@aws-sdk/client-dynamodb').DynamoDBClient)(db.clientConfig);
    const b = createRollupStore(other, tableName);
    try {
      const rounds = await Promise.all(Array.from({ length: 10 }, (_, i) => Promise.all([
        a.addMinute('api', minute(H0 + i * MIN, 'up', { samples: 3, ok: 3, fast: 3 })),
        b.addMinute('api', minute(H0 + i * MIN, 'up', { samples: 3, ok: 3, fast: 3 })),
      ])));
      for (const pair of rounds) expect(pair.filter(Boolean)).toHaveLength(1);
      const [hour] = await a.hours('api', H0, H0 + HOUR);
      expect(hour).toMatchObject({ seconds: { up: 600 }, samples: 30 });
      expect(Object.keys(hour!.minutes)).toHaveLength(10);
    } finally {
      other.destroy();
    }
  });

  it('reads every hour overlapping [from, to), oldest first, across Query pages', async () => {
    const { rollups } = await fresh(2);
    // Seven hours, one minute in each, written newest first.
    for (let h = 6; h >= 0; h--) await rollups.addMinute('api', minute(H0 + h * HOUR + 5 * MIN, 'up', { samples: h, ok: h, fast: h }));
    await rollups.addMinute('db', minute(H0 + HOUR, 'down'));

    const all = await rollups.hours('api', H0, H0 + 7 * HOUR);
    expect(all.map((h) => h.hour)).toEqual([0, 1, 2, 3, 4, 5, 6].map((h) => H0 + h * HOUR));
    expect(all.map((h) => h.samples)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // An hour overlaps when it starts before `to` and ends after `from`.
    expect((await rollups.hours('api', H0 + HOUR + 59 * MIN, H0 + 3 * HOUR)).map((h) => h.hour)).toEqual([H0 + HOUR, H0 + 2 * HOUR]);
    expect((await rollups.hours('api', H0 + 2 * HOUR, H0 + 3 * HOUR + 1)).map((h) => h.hour)).toEqual([H0 + 2 * HOUR, H0 + 3 * HOUR]);
    expect(await rollups.hours('api', H0 + 3 * HOUR, H0 + 3 * HOUR)).toEqual([]);
    expect((await rollups.hours('db', H0, H0 + 7 * HOUR)).map((h) => h.checkId)).toEqual(['db']);
  });
});

describe('listIncidentsBetween', () => {
  it('reads the incidents overlapping [from, to), open ones included, oldest first', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const incident = (id: string, start: number, end?: number): StoredIncident => ({
      checkId: 'api', incidentId: id, startedAt: iso(start), ...(end !== undefined && { endedAt: iso(end) }), locations: ['eu-west-1'], firstReason: 'timeout',
    });
    const from = H0;
    const to = H0 + 24 * HOUR;
    await Promise.all([
      incident('ended-before', H0 - 2 * HOUR, H0),            // ends exactly at from: outside
      incident('across-from', H0 - HOUR, H0 + 10 * MIN),
      incident('inside', H0 + 3 * HOUR, H0 + 4 * HOUR),
      incident('open-since-long', H0 - 30 * 24 * HOUR),
      incident('starts-at-to', to),                            // starts exactly at to: outside
      incident('after', to + HOUR, to + 2 * HOUR),
    ].map((i) => store.putIncident(i)));
    await store.putIncident({ ...incident('other-check', H0 + HOUR), checkId: 'db' });

    const found = await store.listIncidentsBetween('api', from, to);

    expect(found.map((i) => i.incidentId)).toEqual(['open-since-long', 'across-from', 'inside']);
    expect(found[1]).toEqual(incident('across-from', H0 - HOUR, H0 + 10 * MIN));
    expect(await store.listIncidentsBetween('api', to, from)).toEqual([]);
  });
});

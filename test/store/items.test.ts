/**
 * Item codecs and item size. Write cost is one unit per started 1 KB, so a result item must stay
 * under 1 KB even at its largest (longest ids, a full failure message, every phase, a certificate).
 */
import { describe, expect, it } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { FAILURE_MESSAGE_MAX, TARGET_MAX, fromResultItem, resultRecordFromStreamImage, fromStateItem, resultFromStreamImage, toResultItem, toStateItem } from '../../shared/store/items.ts';
import { resultKey, resultRange } from '../../shared/store/keys.ts';

/** DynamoDB's item size rules: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html */
function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|^0+/g, '').replace(/0+$/, '').length / 2) + 1;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + valueSize(x), 0);
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + valueSize(x), 0);
  throw new Error(`unsized attribute ${JSON.stringify(v)}`);
}
const itemSize = (item: Record<string, AttributeValue>) => Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueSize(v), 0);

const largest: ProbeResult = {
  checkId: 'x'.repeat(64),
  kind: 'http',
  target: `https://${'h'.repeat(200)}.example.com/`,
  location: 'private-datacenter-frankfurt-rack-7',
  startedAt: '2026-11-03T10:00:00.123Z',
  ok: false,
  status: 'down',
  phases: { dns: 12.3456, connect: 123.456, tls: 234.567, ttfb: 4567.891, transfer: 1234.5678, total: 6172.8 },
  http: { status: 503, version: 'HTTP/1.1', redirects: 3, bodyBytes: 1048576 },
  tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', certExpiresAt: '2027-01-01T00:00:00.000Z', certDaysLeft: 59 },
  assertions: Array.from({ length: 40 }, (_, i) => ({ name: `body matches /pattern-${i}/`, ok: false, detail: 'y'.repeat(100) })),
  failure: { reason: 'body_mismatch', message: 'm'.repeat(5000) },
  retries: 3,
};

describe('result items', () => {
  it('stay under 1 KB at their largest, with no assertion list and a cut message', () => {
    const item = toResultItem(largest);
    const size = itemSize(marshall(item, { removeUndefinedValues: true }));

    expect(size).toBeLessThan(1024);
    expect(item.failure?.message).toHaveLength(FAILURE_MESSAGE_MAX);
    expect(item).not.toHaveProperty('assertions');
    expect(item.target).toHaveLength(TARGET_MAX);
  });

  it('measure about 300 bytes for a typical passing result', () => {
    const typical = toResultItem({ ...largest, checkId: 'api-health', target: 'https://api.example.com/health', location: 'eu-west-1', ok: true, status: 'up', failure: undefined, tls: undefined, retries: 0 });
    const size = itemSize(marshall(typical, { removeUndefinedValues: true }));

    expect(size).toBeGreaterThan(150);
    expect(size).toBeLessThan(400);
  });

  it('round-trip through marshalling as the stream delivers them', () => {
    const item = toResultItem(largest);

    const back = resultFromStreamImage(marshall(item, { removeUndefinedValues: true }));

    expect(back).toEqual({
      checkId: largest.checkId, location: largest.location, ts: '2026-11-03T10:00:00.123Z', target: `${largest.target.slice(0, TARGET_MAX - 1)}…`, ok: false, status: 'down',
      failure: { reason: 'body_mismatch', message: `${'m'.repeat(FAILURE_MESSAGE_MAX - 1)}…` },
      phases: { dns: 12.3, connect: 123.5, tls: 234.6, ttfb: 4567.9, transfer: 1234.6, total: 6172.8 },
      httpStatus: 503, httpVersion: 'HTTP/1.1', certExpiresAt: '2027-01-01T00:00:00.000Z', retries: 3,
    });
  });

  it('become the evaluator\'s ResultRecord straight from a stream image', () => {
    const image = marshall(toResultItem({ ...largest, target: 'http://127.0.0.1:8080/' }), { removeUndefinedValues: true });

    expect(resultRecordFromStreamImage(image)).toEqual({
      checkId: largest.checkId, location: largest.location, ts: Date.parse('2026-11-03T10:00:00.123Z'), ok: false, status: 'down',
      failure: { reason: 'body_mismatch', message: `${'m'.repeat(FAILURE_MESSAGE_MAX - 1)}…` },
      latencyMs: 6172.8, phases: { dns: 12.3, connect: 123.5, tls: 234.6, ttfb: 4567.9, transfer: 1234.6, total: 6172.8 },
      target: 'http://127.0.0.1:8080/', certExpiresAt: Date.parse('2027-01-01T00:00:00.000Z'),
    });
  });

  it('refuse items of another type or a newer layout', () => {
    const item = toResultItem(largest);

    expect(() => fromResultItem({ ...item, type: 'STATE' })).toThrow(expect.objectContaining({ code: 'STORE_ITEM_INVALID' }));
    expect(() => fromResultItem({ ...item, schemaVersion: 2 })).toThrow(/schemaVersion 2/);
  });
});

describe('keys', () => {
  it('sort one check\'s results by time, and the range bounds include every location at both ends', () => {
    const keys = [
      resultKey('api', '2026-11-03T10:00:59.999Z', 'us-east-1'),
      resultKey('api', '2026-11-03T10:00:00.000Z', 'eu-west-1'),
      resultKey('api', '2026-11-03T10:01:00.000Z', 'ap-south-1'),
      resultKey('api', '2026-11-03T10:00:00.000Z', 'ap-south-1'),
      resultKey('api', '2026-11-03T10:00:59.999Z', 'office', '2'),
      resultKey('api', '2026-11-03T10:00:00.000Z', 'office', '1'),
    ].map((k) => k.sk);
    const { lower, upper } = resultRange('2026-11-03T10:00:00.000Z', '2026-11-03T10:00:59.999Z');

    expect(keys[4]).toBe('RESULT#2026-11-03T10:00:59.999Z#office#2');
    expect([...keys].sort()).toEqual([keys[3], keys[1], keys[5], keys[4], keys[0], keys[2]]);
    expect(keys.filter((sk) => sk >= lower && sk <= upper)).toEqual([keys[0], keys[1], keys[3], keys[4], keys[5]]);
  });

  it('reject a timestamp that is not one', () => {
    expect(() => resultKey('api', 'yesterday', 'eu-west-1')).toThrow(expect.objectContaining({ code: 'STORE_ITEM_INVALID' }));
  });
});

describe('state items', () => {
  it('carry the version they were written as, and read it from the item, which the write condition checked', () => {
    const item = toStateItem({ checkId: 'api', version: 3, outbox: [] }, 4, new Date(0));
    expect(item.body.version).toBe(4);

    expect(fromStateItem({ ...item, version: 5 })).toEqual({ checkId: 'api', version: 5, outbox: [] });
  });
});

describe('an ICMP result\'s latency', () => {
  const icmp: ProbeResult = {
    checkId: 'router', kind: 'icmp', target: '10.0.0.1', location: 'office', startedAt: '2026-11-03T10:00:00.000Z',
    ok: true, status: 'up', assertions: [],
    // The total is mostly the 200 ms gaps between three echo requests; the RTT is what the target took.
    phases: { total: 412.34 },
    icmp: { sent: 3, received: 3, errors: 0, lossPercent: 0, rtt: { min: 0.81, avg: 1.234, max: 1.9, mdev: 0.4 } },
  };

  it('is the average round trip in the stored item and the evaluator\'s record, the total for every other kind', () => {
    const item = toResultItem(icmp);
    expect(item.icmp).toEqual({ sent: 3, received: 3, lossPercent: 0, rtt: { min: 0.8, avg: 1.2, max: 1.9 } });
    expect(resultRecordFromStreamImage(marshall(item, { removeUndefinedValues: true }) as Record<string, unknown>).latencyMs).toBe(1.2);
    const { icmp: _dropped, ...http } = { ...icmp, kind: 'http' as const };
    expect(resultRecordFromStreamImage(marshall(toResultItem(http), { removeUndefinedValues: true }) as Record<string, unknown>).latencyMs).toBe(412.3);
  });

  it('falls back to the total when no echo was answered', () => {
    const lost: ProbeResult = { ...icmp, ok: false, status: 'down', icmp: { sent: 3, received: 0, errors: 0, lossPercent: 100 } };
    expect(resultRecordFromStreamImage(marshall(toResultItem(lost), { removeUndefinedValues: true }) as Record<string, unknown>).latencyMs).toBe(412.3);
  });
});

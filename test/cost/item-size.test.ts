import { describe, expect, it } from 'vitest';
import { attributeValueBytes, dynamoItemBytes, writeUnits } from '../../shared/usecases/cost/index.ts';
import { toResultItem } from '../../shared/store/items.ts';

describe('dynamoItemBytes (CapacityUnitCalculations.html rules)', () => {
  it('counts names and values by type', () => {
    // a: 1 + 3 | n: 1 + (3 digits → 2 + 1) | b: 1 + 1 | m: 1 + (3 + 1 + "k" 1 + 1 digit → 2) = 4 + 4 + 2 + 8
    expect(dynamoItemBytes({ a: 'xyz', n: 123, b: true, m: { k: 1 } })).toBe(18);
  });

  it('counts strings in UTF-8 bytes', () => {
    expect(attributeValueBytes('é')).toBe(2);
    expect(attributeValueBytes('…')).toBe(3);
  });

  it('counts significant digits of numbers only', () => {
    expect(attributeValueBytes(1_000_000)).toBe(2); // one significant digit
    expect(attributeValueBytes(12.5)).toBe(3); // 125 → 3 digits
    expect(attributeValueBytes(1_793_000_000)).toBe(3); // 1793 → 4 digits
  });

  it('gives a list 3 bytes plus one per element', () => {
    expect(attributeValueBytes([])).toBe(3);
    expect(attributeValueBytes(['ab', 'c'])).toBe(3 + 1 + 2 + 1 + 1);
  });

  it('skips undefined attributes, which are never written', () => {
    expect(dynamoItemBytes({ a: 'x', b: undefined })).toBe(2);
  });

  it('charges one write unit per started KB', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
  });

  it('keeps a stored HTTPS result under 1 KB (one WRU), as keys.ts promises', () => {
    const item = toResultItem({
      checkId: 'checkout-api.production',
      kind: 'http',
      target: 'https://example.com/health',
      location: 'ap-southeast-1',
      startedAt: '2026-11-03T10:15:00.000Z',
      ok: false,
      status: 'down',
      phases: { dns: 1.23456, connect: 12.3456, tls: 23.456, ttfb: 150.5, transfer: 0.5, total: 190.1 },
      http: { status: 503, version: 'HTTP/1.1', redirects: 0, bodyBytes: 12 },
      assertions: [],
      failure: { reason: 'status_code', message: 'x'.repeat(500) },
    });
    const bytes = dynamoItemBytes(item as unknown as Record<string, unknown>);
    expect(bytes).toBeGreaterThan(300);
    expect(writeUnits(bytes)).toBe(1);
  });
});

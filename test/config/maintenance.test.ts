/**
 * Maintenance windows as the engine reads them: which checks a window covers, and its occurrences in
 * a span (recurring across DST changes, overlapping, one-off).
 */
import { describe, expect, it } from 'vitest';
import { occurrences, selectorApplies, windowApplies } from '../../shared/config/maintenance.ts';
import type { MaintenanceWindow } from '../../shared/config/schema.ts';
import { VantageError } from '../../shared/errors.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const spans = (list: Array<{ start: number; end: number }>) => list.map((o) => `${iso(o.start)}/${iso(o.end)}`);

describe('windowApplies', () => {
  const api = { id: 'api', tags: { team: 'payments', tier: '1' } };
  const db = { id: 'db', tags: { team: 'storage' } };
  const bare = { id: 'bare' };

  it('covers every check when it names neither checks nor tags', () => {
    const w: MaintenanceWindow = { name: 'all', start: 0, end: 1 };
    expect([api, db, bare].map((c) => windowApplies(w, c))).toEqual([true, true, true]);
  });

  it('covers any of its check ids', () => {
    const w: MaintenanceWindow = { name: 'w', checks: ['api', 'bare'], start: 0, end: 1 };
    expect([api, db, bare].map((c) => windowApplies(w, c))).toEqual([true, false, true]);
  });

  it('covers checks with all of its tags', () => {
    expect([api, db, bare].map((c) => windowApplies({ name: 'w', tags: { team: 'payments' }, start: 0, end: 1 }, c))).toEqual([true, false, false]);
    expect(windowApplies({ name: 'w', tags: { team: 'payments', tier: '2' }, start: 0, end: 1 }, api)).toBe(false);
  });

  it('needs both when it names checks and tags', () => {
    const w: MaintenanceWindow = { name: 'w', checks: ['api', 'db'], tags: { team: 'storage' }, start: 0, end: 1 };
    expect([api, db, bare].map((c) => windowApplies(w, c))).toEqual([false, true, false]);
  });

  it('reads tags by own key only', () => {
    expect(selectorApplies({ tags: { constructor: 'x' } }, bare)).toBe(false);
    expect(selectorApplies({ tags: { toString: 'x' } }, { id: 'c', tags: {} })).toBe(false);
  });
});

describe('occurrences', () => {
  const weekly: MaintenanceWindow = { name: 'weekly-deploy', cron: '30 2 * * 0', durationMs: 30 * MIN, timezone: 'Europe/Amsterdam' };

  it('gives a one-off window when it overlaps the span, end exclusive', () => {
    const w: MaintenanceWindow = { name: 'db-migration', start: Date.UTC(2026, 11, 5, 22), end: Date.UTC(2026, 11, 6, 1) };
    const all = [{ start: w.start as number, end: w.end as number }];
    expect(occurrences(w, Date.UTC(2026, 11, 5), Date.UTC(2026, 11, 7))).toEqual(all);
    expect(occurrences(w, Date.UTC(2026, 11, 6, 0, 59), Date.UTC(2026, 11, 6, 2))).toEqual(all);
    expect(occurrences(w, w.end as number, Date.UTC(2026, 11, 7))).toEqual([]);
    expect(occurrences(w, Date.UTC(2026, 11, 5), w.start as number)).toEqual([]);
    expect(occurrences(w, Date.UTC(2026, 11, 5), w.start as number + 1)).toEqual(all);
  });

  it('includes an occurrence that started before the span and is still open', () => {
    const sunday = Date.UTC(2026, 11, 6, 1, 30); // 02:30 CET
    expect(spans(occurrences(weekly, sunday + 29 * MIN, sunday + HOUR))).toEqual(['2026-12-06T01:30:00.000Z/2026-12-06T02:00:00.000Z']);
    expect(occurrences(weekly, sunday + 30 * MIN, sunday + HOUR)).toEqual([]);
    expect(occurrences(weekly, sunday - HOUR, sunday)).toEqual([]);
  });

  it('Europe/Amsterdam weekly Sunday 02:30 for 30m across the 2027-03-28 spring-forward: 03:30-04:00 CEST', () => {
    expect(spans(occurrences(weekly, Date.UTC(2027, 2, 20), Date.UTC(2027, 3, 5)))).toEqual([
      '2027-03-21T01:30:00.000Z/2027-03-21T02:00:00.000Z',
      '2027-03-28T01:30:00.000Z/2027-03-28T02:00:00.000Z',
      '2027-04-04T00:30:00.000Z/2027-04-04T01:00:00.000Z',
    ]);
  });

  it('Europe/Amsterdam weekly Sunday 02:30 for 30m across the 2026-10-25 fall-back: once, at 02:30 CEST', () => {
    expect(spans(occurrences(weekly, Date.UTC(2026, 9, 18), Date.UTC(2026, 10, 2)))).toEqual([
      '2026-10-18T00:30:00.000Z/2026-10-18T01:00:00.000Z',
      '2026-10-25T00:30:00.000Z/2026-10-25T01:00:00.000Z',
      '2026-11-01T01:30:00.000Z/2026-11-01T02:00:00.000Z',
    ]);
    // The second 02:30 (02:30 CET, 01:30Z) is not a window.
    expect(occurrences(weekly, Date.UTC(2026, 9, 25, 1, 15), Date.UTC(2026, 9, 25, 2))).toEqual([]);
  });

  it('America/New_York daily 01:30 for 1h across 2027-03-14 and 2026-11-01', () => {
    const daily: MaintenanceWindow = { name: 'nightly', cron: '30 1 * * *', durationMs: HOUR, timezone: 'America/New_York' };
    expect(spans(occurrences(daily, Date.UTC(2027, 2, 13, 6), Date.UTC(2027, 2, 15, 12)))).toEqual([
      '2027-03-13T06:30:00.000Z/2027-03-13T07:30:00.000Z', // 01:30 EST
      '2027-03-14T06:30:00.000Z/2027-03-14T07:30:00.000Z', // 01:30 EST; the window runs through the 02:00 gap to 03:30 EDT
      '2027-03-15T05:30:00.000Z/2027-03-15T06:30:00.000Z', // 01:30 EDT
    ]);
    expect(spans(occurrences(daily, Date.UTC(2026, 9, 31, 5), Date.UTC(2026, 10, 2, 12)))).toEqual([
      '2026-10-31T05:30:00.000Z/2026-10-31T06:30:00.000Z', // 01:30 EDT
      '2026-11-01T05:30:00.000Z/2026-11-01T06:30:00.000Z', // the first 01:30 (EDT) only
      '2026-11-02T06:30:00.000Z/2026-11-02T07:30:00.000Z', // 01:30 EST
    ]);
  });

  it('lets occurrences overlap when the duration is longer than the period (the consumer merges them)', () => {
    const w: MaintenanceWindow = { name: 'w', cron: '0 * * * *', durationMs: 90 * MIN, timezone: 'UTC' };
    const at = Date.UTC(2027, 0, 1, 12, 10);
    expect(spans(occurrences(w, at, at + MIN))).toEqual([
      '2027-01-01T11:00:00.000Z/2027-01-01T12:30:00.000Z',
      '2027-01-01T12:00:00.000Z/2027-01-01T13:30:00.000Z',
    ]);
  });

  it('defaults the zone to UTC and stops at the limit', () => {
    const w: MaintenanceWindow = { name: 'w', cron: '*/10 * * * *', durationMs: MIN };
    const from = Date.UTC(2027, 0, 1);
    expect(occurrences(w, from, from + DAY)).toHaveLength(144);
    expect(occurrences(w, from, from + DAY, 3).map((o) => iso(o.start))).toEqual(['2027-01-01T00:00:00.000Z', '2027-01-01T00:10:00.000Z', '2027-01-01T00:20:00.000Z']);
    expect(occurrences(w, from, from + 30 * DAY)).toHaveLength(30 * 144);
  });

  it('refuses a window whose cron was never validated', () => {
    expect(() => occurrences({ name: 'bad', cron: '61 * * * *', durationMs: MIN, timezone: 'UTC' }, 0, DAY)).toThrow(VantageError);
    expect(() => occurrences({ name: 'bad', cron: '0 * * * *', durationMs: MIN, timezone: 'Mars/Olympus' }, 0, DAY)).toThrow(VantageError);
  });
});

/**
 * The status page's figures against hour rollups built minute by minute through the core's
 * RollupBook, with every expected number worked out by hand below.
 */
import { describe, expect, it } from 'vitest';
import type { CheckState } from '../../shared/evaluate/index.ts';
import { bucketOf, MINUTE_MS, noSamples, RollupBook, type MinuteClass } from '../../shared/evaluate/slo/index.ts';
import type { StoredIncident } from '../../shared/store/items.ts';
import { buildStatusModel, currentState, DAY_MS, type StatusModelInput, type StatusPageCheck } from '../../shared/usecases/status-page/model.ts';
import { dayTitle } from '../../shared/usecases/status-page/render.ts';

const NOW = Date.parse('2026-12-01T12:30:20.000Z');
const at = (iso: string) => Date.parse(iso);

/** Accounts `minutes` minutes of one class from `fromIso`, each with one sample of `latencyMs`. */
function account(book: RollupBook, checkId: string, fromIso: string, minutes: number, cls: MinuteClass, latencyMs = 80): void {
  for (let i = 0; i < minutes; i += 1) {
    const s = noSamples();
    if (cls !== 'nodata') {
      s.samples = 1;
      s.ok = cls === 'down' ? 0 : 1;
      s.fast = s.ok;
      s.buckets[bucketOf(latencyMs)] = 1;
      s.latencySumMs = latencyMs;
    }
    book.add(checkId, { start: at(fromIso) + i * MINUTE_MS, class: cls, failing: cls === 'down' ? ['eu-west-1'] : [], ...s });
  }
}

/** The history of both checks (the same minutes; only countPartial differs). */
function history(checkId: string, book: RollupBook): void {
  account(book, checkId, '2026-09-02T23:00:00Z', 60, 'down'); // before the first day: off the page
  account(book, checkId, '2026-09-03T00:00:00Z', 10, 'up');
  account(book, checkId, '2026-11-03T00:00:00Z', 600, 'up');
  account(book, checkId, '2026-11-03T10:00:00Z', 2, 'down');
  account(book, checkId, '2026-11-03T10:02:00Z', 838, 'up');
  account(book, checkId, '2026-11-10T00:00:00Z', 720, 'up');
  account(book, checkId, '2026-11-10T12:00:00Z', 60, 'maintenance');
  account(book, checkId, '2026-11-20T00:00:00Z', 60, 'partial');
  account(book, checkId, '2026-11-20T01:00:00Z', 1380, 'up');
  account(book, checkId, '2026-11-25T00:00:00Z', 1440, 'maintenance');
  account(book, checkId, '2026-11-30T10:00:00Z', 60, 'up', 4000); // over 24 h ago: not in the latency
  account(book, checkId, '2026-11-30T20:00:00Z', 60, 'up', 250);
  account(book, checkId, '2026-12-01T00:00:00Z', 750, 'up'); // to 12:30, the last whole minute before NOW
}

const CHECKS: StatusPageCheck[] = [
  { id: 'api', name: 'API' },
  { id: 'strict', slo: { countPartial: true } },
];

function input(overrides: Partial<StatusModelInput> = {}): StatusModelInput {
  const book = new RollupBook();
  for (const c of CHECKS) history(c.id, book);
  return {
    now: NOW,
    checks: CHECKS,
    states: new Map(),
    hours: (id) => book.hours(id, 0, NOW),
    incidents: () => [],
    ...overrides,
  };
}

const dayIndex = (iso: string) => (at(iso) - at('2026-09-03T00:00:00Z')) / DAY_MS;

describe('buildStatusModel: the figures', () => {
  const model = buildStatusModel(input());
  const [api, strict] = model.checks;

  it('has 90 UTC days, oldest first, today last', () => {
    expect(api!.days).toHaveLength(90);
    expect(api!.days[0]!.day).toBe(at('2026-09-03T00:00:00Z'));
    expect(api!.days[89]!.day).toBe(at('2026-12-01T00:00:00Z'));
    expect(api!.days.every((d, i) => i === 0 || d.day - api!.days[i - 1]!.day === DAY_MS)).toBe(true);
  });

  it('counts a day by the availability rule: 2 minutes down of 1,440 accounted', () => {
    const d = api!.days[dayIndex('2026-11-03T00:00:00Z')]!;
    expect(d).toEqual({ day: at('2026-11-03T00:00:00Z'), uptime: 1438 / 1440, downSeconds: 120, partialSeconds: 0, maintenanceSeconds: 0, noDataSeconds: 0 });
    expect(dayTitle(d)).toBe('2026-11-03: 99.86% up, 2 min down');
  });

  it('leaves maintenance and unaccounted minutes out of the uptime, and reports them', () => {
    const d = api!.days[dayIndex('2026-11-10T00:00:00Z')]!;
    expect(d).toEqual({ day: at('2026-11-10T00:00:00Z'), uptime: 1, downSeconds: 0, partialSeconds: 0, maintenanceSeconds: 3600, noDataSeconds: 11 * 3600 });
    expect(dayTitle(d)).toBe('2026-11-10: 100% up, 1 h maintenance, 11 h no data');
  });

  it('counts a PARTIAL minute as up unless the check\'s SLO says countPartial', () => {
    const i = dayIndex('2026-11-20T00:00:00Z');
    expect(api!.days[i]).toMatchObject({ uptime: 1, partialSeconds: 3600 });
    expect(strict!.days[i]).toMatchObject({ uptime: 1380 / 1440, partialSeconds: 3600 });
    expect(dayTitle(strict!.days[i]!)).toBe('2026-11-20: 95.83% up, 1 h partial outage');
  });

  it('gives a day with nothing eligible no uptime: all maintenance, or nothing accounted', () => {
    const maintenance = api!.days[dayIndex('2026-11-25T00:00:00Z')]!;
    expect(maintenance.uptime).toBeUndefined();
    expect(maintenance.maintenanceSeconds).toBe(86_400);
    expect(dayTitle(maintenance)).toBe('2026-11-25: 24 h maintenance');
    const empty = api!.days[dayIndex('2026-10-01T00:00:00Z')]!;
    expect(empty).toEqual({ day: at('2026-10-01T00:00:00Z'), downSeconds: 0, partialSeconds: 0, maintenanceSeconds: 0, noDataSeconds: 86_400 });
    expect(dayTitle(empty)).toBe('2026-10-01: no data');
  });

  it('counts today up to the minute in progress, and not the minutes before the first day', () => {
    expect(api!.days[89]).toEqual({ day: at('2026-12-01T00:00:00Z'), uptime: 1, downSeconds: 0, partialSeconds: 0, maintenanceSeconds: 0, noDataSeconds: 0 });
    expect(api!.days[0]).toMatchObject({ uptime: 1, downSeconds: 0, noDataSeconds: 86_400 - 600 });
  });

  it('sums the 90 days: good and bad seconds over every day', () => {
    const up = 10 + 600 + 838 + 720 + 1380 + 60 + 60 + 750;
    expect(api!.uptime90).toBeCloseTo((up + 60) / (up + 60 + 2), 12);
    expect(strict!.uptime90).toBeCloseTo(up / (up + 60 + 2), 12);
  });

  it('reads latency from the hours of the last 24 h: 750 samples ≤ 100 ms and 60 ≤ 300 ms', () => {
    // 810 samples. p50: rank 405 in (50, 100] holding 750 → 50 + 50 × 405/750. p95: rank 769.5, 19.5 into (200, 300] holding 60.
    expect(api!.latencyP50Ms).toBeCloseTo(50 + (50 * 405) / 750, 9);
    expect(api!.latencyP95Ms).toBeCloseTo(200 + (100 * 19.5) / 60, 9);
  });

  it('has no figures at all for a check with no rollups', () => {
    const [none] = buildStatusModel({ ...input(), checks: [{ id: 'new' }] }).checks;
    expect(none!.uptime90).toBeUndefined();
    expect(none!.latencyP50Ms).toBeUndefined();
    expect(none!.days.every((d) => d.uptime === undefined && d.noDataSeconds === 86_400 || d.day === at('2026-12-01T00:00:00Z'))).toBe(true);
    expect(none!.days[89]!.noDataSeconds).toBe(750 * 60);
  });
});

function state(overrides: Partial<CheckState> = {}): CheckState {
  const loc = { lastTs: NOW - 30_000, consecutiveFailures: 0, consecutiveSuccesses: 0, failing: false };
  return { schemaVersion: 1, checkId: 'api', version: 3, since: 0, overall: 'DOWN', locations: { a: { ...loc }, b: { ...loc } }, outbox: [], ...overrides };
}

describe('currentState', () => {
  it.each([
    ['the overall state', state(), 'DOWN'],
    ['MAINTENANCE while a mute holds', state({ mute: { kind: 'silence', name: 's-1', start: NOW - 1000, end: NOW + 1 } }), 'MAINTENANCE'],
    ['the overall state once the mute ended (end exclusive)', state({ mute: { kind: 'maintenance', name: 'w', start: NOW - 1000, end: NOW } }), 'DOWN'],
    ['NO DATA when every location is silent', state({ locations: { a: { lastTs: 1, consecutiveFailures: 0, consecutiveSuccesses: 0, failing: false, silentAfter: 1 } } }), 'NO DATA'],
    ['the overall state while one location still reports', state({ overall: 'PARTIAL', locations: { ...state().locations, a: { lastTs: 1, consecutiveFailures: 0, consecutiveSuccesses: 0, failing: false, silentAfter: 1 } } }), 'PARTIAL'],
    ['NO DATA with no state', undefined, 'NO DATA'],
  ] as const)('%s', (_, s, expected) => {
    expect(currentState(s, NOW)).toBe(expected);
  });
});

describe('buildStatusModel: maintenance', () => {
  it('says until when a check is in maintenance, and only then', () => {
    const end = NOW + 3_600_000;
    const checks: StatusPageCheck[] = [{ id: 'api' }, { id: 'web' }];
    const states = new Map<string, CheckState>([
      ['api', state({ checkId: 'api', mute: { kind: 'maintenance', name: 'db-upgrade', start: NOW - 1000, end } })],
      ['web', state({ checkId: 'web', mute: { kind: 'silence', name: 's-1', start: NOW - 9000, end: NOW } })],
    ]);
    const model = buildStatusModel({ ...input(), checks, states });
    expect(model.checks.map((c) => [c.checkId, c.state, c.maintenanceUntil])).toEqual([['api', 'MAINTENANCE', end], ['web', 'DOWN', undefined]]);
    expect(JSON.stringify(model)).not.toContain('db-upgrade');
  });
});

describe('buildStatusModel: checks, groups and incidents', () => {
  it('groups by the first tag\'s value, groups in order of first appearance, untagged checks last; leaves disabled checks off', () => {
    const checks: StatusPageCheck[] = [
      { id: 'a', tags: { team: 'web', tier: '1' } },
      { id: 'b' },
      { id: 'c', tags: { team: 'db' } },
      { id: 'd', tags: { team: 'web' } },
      { id: 'off', enabled: false, tags: { team: 'web' } },
    ];
    const model = buildStatusModel({ ...input(), checks, title: 'Acme' });
    expect(model.title).toBe('Acme');
    expect(model.generatedAt).toBe(NOW);
    expect(model.checks.map((c) => [c.checkId, c.group])).toEqual([['a', 'web'], ['d', 'web'], ['c', 'db'], ['b', undefined]]);
  });

  it('lists the five newest incidents overlapping the 90 days, newest first, an open one without an end', () => {
    const incident = (start: string, end?: string, reason?: StoredIncident['firstReason']): StoredIncident => ({
      checkId: 'api', incidentId: `api:${start}`, startedAt: start, locations: ['a'], ...(end && { endedAt: end }), ...(reason && { firstReason: reason }),
    });
    const stored = [
      incident('2026-08-01T00:00:00.000Z', '2026-08-01T01:00:00.000Z'), // ended before the first day
      incident('2026-09-02T23:50:00.000Z', '2026-09-03T00:10:00.000Z', 'dns'), // overlaps the first day
      incident('2026-10-01T00:00:00.000Z', '2026-10-01T00:05:00.000Z'),
      incident('2026-11-01T00:00:00.000Z', '2026-11-01T00:05:00.000Z'),
      incident('2026-11-02T00:00:00.000Z', '2026-11-02T00:05:00.000Z'),
      incident('2026-12-01T12:00:00.000Z', undefined, 'timeout'),
    ];
    const [api] = buildStatusModel({ ...input(), checks: [{ id: 'api' }], incidents: () => stored }).checks;
    expect(api!.incidents).toEqual([
      { start: at('2026-12-01T12:00:00Z'), firstReason: 'timeout' },
      { start: at('2026-11-02T00:00:00Z'), end: at('2026-11-02T00:05:00Z') },
      { start: at('2026-11-01T00:00:00Z'), end: at('2026-11-01T00:05:00Z') },
      { start: at('2026-10-01T00:00:00Z'), end: at('2026-10-01T00:05:00Z') },
      { start: at('2026-09-02T23:50:00Z'), end: at('2026-09-03T00:10:00Z'), firstReason: 'dns' },
    ]);
  });
});

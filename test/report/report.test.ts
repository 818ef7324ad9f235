/**
 * buildReport and formatReport on the known history of ./history.ts, every figure worked out by
 * hand there and below, in every format (CSV and JSON parsed back, table and Markdown read for the
 * figures a person would look for).
 */
import { describe, expect, it } from 'vitest';
import type { Slo } from '../../shared/config/slo.ts';
import { buildReport, clipIncident, COLUMNS, formatReport, type CheckReport, type Report } from '../../shared/usecases/report/index.ts';
import { csvField } from '../../shared/usecases/report/csv.ts';
import { FROM, historyHours, historyIncidents, TO } from './history.ts';

const slo = (objective: number, countPartial: boolean): Slo => ({ objective, windowMs: 30 * 86_400_000, sli: 'availability', countPartial, burnRates: [] });
const CHECKS = [
  { id: 'api', name: 'Public API', slo: slo(98, false) },
  { id: 'strict', slo: slo(98, true) },
  { id: 'plain' },
];
const NOW = Date.UTC(2026, 10, 3, 9, 30);

function report(from = FROM, to = TO): Report {
  return buildReport({ from, to, now: NOW, checks: CHECKS, hours: (id) => historyHours(id, from, to), incidents: historyIncidents });
}

const byId = (r: Report, id: string): CheckReport => r.checks.find((c) => c.checkId === id)!;

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += ch;
  }
  if (field !== '' || row.length > 0) throw new Error(`CSV does not end in CRLF: ${JSON.stringify(text.slice(-20))}`);
  return rows;
}

describe('buildReport over two whole days', () => {
  const r = report();

  it('counts the seconds by class: 43 min down across an hour boundary, 30 min maintenance, 2 h no data (one hour missing, one explicit), 15 min partial', () => {
    const api = byId(r, 'api');
    expect(api).toMatchObject({ upSeconds: 160_320, downtimeSeconds: 2_580, partialSeconds: 900, maintenanceSeconds: 1_800, noDataSeconds: 7_200, samples: 8_190 });
    // Every second of the range is in exactly one class.
    expect(api.upSeconds + api.downtimeSeconds + api.partialSeconds + api.maintenanceSeconds + api.noDataSeconds).toBe(172_800);
  });

  it('takes the SLI and budget by the slo, PARTIAL good without countPartial and bad with it', () => {
    // api: good = up + partial = 161 220, bad = 2 580, eligible 163 800 (maintenance and no data in neither)
    //   sli = 161 220 / 163 800 = 98.424908…%; allowed = 2% × 163 800 = 3 276 s; used = 2 580 / 3 276 = 78.754578…%
    const api = byId(r, 'api');
    expect(api.objective).toBe(98);
    expect(api.sli).toBeCloseTo((161_220 / 163_800) * 100, 10);
    expect(api.budgetUsed).toBeCloseTo((2_580 / 3_276) * 100, 10);
    expect(api.budgetRemaining).toBeCloseTo(100 - (2_580 / 3_276) * 100, 10);
    // strict: good = 160 320, bad = 2 580 + 900 = 3 480; sli = 97.875457…%; used = 3 480 / 3 276 = 106.227…%: overspent
    const strict = byId(r, 'strict');
    expect(strict.sli).toBeCloseTo((160_320 / 163_800) * 100, 10);
    expect(strict.budgetUsed).toBeCloseTo((3_480 / 3_276) * 100, 10);
    expect(strict.budgetRemaining).toBeCloseTo(-6.227106227, 8);
  });

  it('takes a latency SLI from the samples: fast / samples, maintenance minutes carrying none', () => {
    // Every passing sample is 80 ms, under the 500 ms threshold, so fast = ok. Failing samples:
    //   the outage: 5 + 18 = 23 min with eu, us failing (46) and 20 min with all three (60); the partial: 15 (ap)
    //   fast = 8 190 − 121 = 8 069; sli = 8 069 / 8 190 = 98.522588…%; allowed = 2% × 8 190 = 163.8; used = 121 / 163.8
    const latency: Slo = { ...slo(98, false), sli: 'latency', latencyThresholdMs: 500 };
    const lat = byId(buildReport({ from: FROM, to: TO, now: NOW, checks: [{ id: 'lat', slo: latency }], hours: (id) => historyHours(id), incidents: () => [] }), 'lat');
    expect(lat.sli).toBeCloseTo((8_069 / 8_190) * 100, 10);
    expect(lat.budgetUsed).toBeCloseTo((121 / 163.8) * 100, 8);
    expect(lat.downtimeSeconds).toBe(2_580);
  });

  it('gives a check without an slo its availability by the default rule, and no objective or budget', () => {
    const plain = byId(r, 'plain');
    expect(plain.sli).toBeCloseTo((161_220 / 163_800) * 100, 10);
    expect(plain).not.toHaveProperty('objective');
    expect(plain).not.toHaveProperty('budgetUsed');
    expect(plain).not.toHaveProperty('budgetRemaining');
    expect(plain).not.toHaveProperty('slo');
  });

  it('lists the incident in the range with its first reason, not the one before it, and downtime per location outside maintenance', () => {
    const api = byId(r, 'api');
    expect(api.incidents).toEqual([{ id: 'api:2026-11-01T10:40:00.000Z', start: '2026-11-01T10:40:00.000Z', end: '2026-11-01T11:23:00.000Z', durationSeconds: 2_580, firstReason: 'connect_timeout', locations: ['eu', 'us', 'ap'] }]);
    expect(api.locationDowntime).toEqual({ ap: 2_100, eu: 2_580, us: 2_580 });
    expect(Object.keys(api.locationDowntime)).toEqual(['ap', 'eu', 'us']);
  });

  it('estimates latency from the whole hours: every sample 80 ms, in the (50, 100] bucket, interpolated', () => {
    // rank q × n inside one bucket: 50 + 50 × q
    expect(byId(r, 'api')).toMatchObject({ latencyP50Ms: 75, latencyP95Ms: 97.5 });
  });
});

describe('buildReport over a range cut inside hours', () => {
  // [10:50, 11:10) on Nov 1: minutes 10:50–11:09 all DOWN, read from the two edge hours' minute codes.
  const from = Date.UTC(2026, 10, 1, 10, 50);
  const to = Date.UTC(2026, 10, 1, 11, 10);
  const api = byId(report(from, to), 'api');

  it('counts the edge hours by their minutes and clips the incident to the range', () => {
    expect(api).toMatchObject({ upSeconds: 0, downtimeSeconds: 1_200, partialSeconds: 0, maintenanceSeconds: 0, noDataSeconds: 0, samples: 60, sli: 0 });
    // All bad: used = 1 200 / (2% × 1 200) = 50 × = 5 000%.
    expect(api.budgetUsed).toBeCloseTo(5_000, 8);
    expect(api.budgetRemaining).toBeCloseTo(-4_900, 8);
    // ap failed 10:50–11:04 of it (15 min); eu and us all 20.
    expect(api.locationDowntime).toEqual({ ap: 900, eu: 1_200, us: 1_200 });
    expect(api.incidents).toEqual([expect.objectContaining({ start: '2026-11-01T10:50:00.000Z', end: '2026-11-01T11:10:00.000Z', durationSeconds: 1_200 })]);
  });

  it('has no latency figures: edge hours keep no histogram', () => {
    expect(api.latencyP50Ms).toBeUndefined();
    expect(formatReport(report(from, to), 'csv').split('\r\n')[1]).toMatch(/,60,,\s*$/);
  });

  it('says "no data" for a range with nothing eligible, never 100%', () => {
    const gap = byId(report(Date.UTC(2026, 10, 2, 3), Date.UTC(2026, 10, 2, 5)), 'api');
    expect(gap.sli).toBeUndefined();
    expect(gap.budgetRemaining).toBeUndefined();
    expect(gap.noDataSeconds).toBe(7_200);
    expect(formatReport(report(Date.UTC(2026, 10, 2, 3), Date.UTC(2026, 10, 2, 5)), 'table')).toContain('no data');
  });
});

describe('clipIncident', () => {
  const incident = (startedAt: string, endedAt?: string) => ({ checkId: 'x', incidentId: 'x:1', startedAt, ...(endedAt && { endedAt }), locations: ['eu'] });
  const from = Date.parse('2026-11-01T00:00:00Z');
  const to = Date.parse('2026-11-02T00:00:00Z');

  it('cuts an incident that straddles both ends to the range', () => {
    expect(clipIncident(incident('2026-10-31T23:00:00Z', '2026-11-02T01:00:00Z'), from, to, to + 1)).toMatchObject({ start: '2026-11-01T00:00:00.000Z', end: '2026-11-02T00:00:00.000Z', durationSeconds: 86_400 });
  });

  it('ends an open incident at the range end when the range is in the past, and leaves it open (duration so far) when the range reaches now', () => {
    expect(clipIncident(incident('2026-11-01T23:00:00Z'), from, to, to + 3_600_000)).toMatchObject({ end: '2026-11-02T00:00:00.000Z', durationSeconds: 3_600 });
    const open = clipIncident(incident('2026-11-01T23:00:00Z'), from, to, Date.parse('2026-11-01T23:30:00Z'))!;
    expect(open.end).toBeUndefined();
    expect(open.durationSeconds).toBe(1_800);
  });

  it('leaves out incidents outside the range: ended at its start, or started at its end', () => {
    expect(clipIncident(incident('2026-10-31T22:00:00Z', '2026-11-01T00:00:00Z'), from, to, to)).toBeUndefined();
    expect(clipIncident(incident('2026-11-02T00:00:00Z'), from, to, to)).toBeUndefined();
  });
});

describe('formatReport', () => {
  const r = report();

  it('csv: the contract header, one row per check, figures as plain numbers with up to 3 decimals', () => {
    const rows = parseCsv(formatReport(r, 'csv'));
    expect(rows[0]!.join(',')).toBe('check,objective,sli,budget_used,budget_remaining,up_seconds,downtime_seconds,partial_seconds,maintenance_seconds,no_data_seconds,incidents,samples,latency_p50_ms,latency_p95_ms');
    expect(rows.slice(1)).toEqual([
      // sli rounded down (98.4249… → 98.424); budget rounded (78.75457… → 78.755, 21.2454… → 21.245); 97.5 ms → 98
      ['api', '98', '98.424', '78.755', '21.245', '160320', '2580', '900', '1800', '7200', '1', '8190', '75', '98'],
      ['strict', '98', '97.875', '106.227', '-6.227', '160320', '2580', '900', '1800', '7200', '1', '8190', '75', '98'],
      ['plain', '', '98.424', '', '', '160320', '2580', '900', '1800', '7200', '1', '8190', '75', '98'],
    ]);
  });

  it('csv: quotes a field with a comma, a quote or a line break (RFC 4180 section 2)', () => {
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('plain-id')).toBe('plain-id');
    expect(parseCsv(`${['x,y', 'q"', 'ok'].map(csvField).join(',')}\r\n`)).toEqual([['x,y', 'q"', 'ok']]);
  });

  it('csv: rounds an SLI just short of 100 down, so any bad time shows', () => {
    const column = COLUMNS.find((c) => c.name === 'sli')!;
    expect(column.value({ ...byId(r, 'api'), sli: 99.99996 })).toBe('99.999');
    expect(column.value({ ...byId(r, 'api'), sli: 99.99 })).toBe('99.99');
  });

  it('json: the Report object itself, keys in a fixed order', () => {
    const text = formatReport(r, 'json');
    expect(JSON.parse(text)).toEqual(r);
    const api = JSON.parse(text).checks[0];
    expect(Object.keys(api)).toEqual(['checkId', 'name', 'objective', 'sli', 'slo', 'budgetUsed', 'budgetRemaining', 'upSeconds', 'downtimeSeconds', 'partialSeconds', 'maintenanceSeconds', 'noDataSeconds', 'samples', 'latencyP50Ms', 'latencyP95Ms', 'incidents', 'locationDowntime']);
    expect(Object.keys(JSON.parse(text))).toEqual(['from', 'to', 'generatedAt', 'checks']);
    expect(formatReport(report(), 'json')).toBe(text);
  });

  it('table: the figures, aligned columns, and each incident and location line', () => {
    const text = formatReport(r, 'table');
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('CHECK'));
    const summary = lines.slice(header, header + 4);
    // Right-aligned figures: every summary line ends each column at the header's column end.
    const sliEnd = summary[0]!.indexOf('SLI') + 'SLI'.length;
    for (const line of summary.slice(1)) expect(line.slice(sliEnd - 7, sliEnd)).toMatch(/^\d\d\.\d{3}%$/);
    expect(summary[1]).toMatch(/^api\s+98%\s+98\.424%\s+78\.755%\s+21\.245%\s+43m\s+15m\s+30m\s+2h\s+1\s+8190\s+75 ms\s+98 ms$/);
    expect(summary[2]).toContain('-6.227%');
    expect(summary[3]).toMatch(/^plain\s+-\s+98\.424%\s+-\s+-\s+43m/);
    expect(text).toMatch(/2026-11-01T10:40:00Z\s+2026-11-01T11:23:00Z\s+43m\s+connect_timeout\s+eu, us, ap/);
    expect(text).toMatch(/eu\s+43m\s+2580/);
    expect(text).toMatch(/ap\s+35m\s+2100/);
    expect(text).toContain('api (Public API)');
  });

  it('md: a summary table with the figures, then each check\'s incidents and downtime by location', () => {
    const text = formatReport(r, 'md');
    expect(text).toContain('| CHECK | OBJECTIVE | SLI | BUDGET USED | BUDGET LEFT | DOWN | PARTIAL | MAINTENANCE | NO DATA | INCIDENTS | SAMPLES | P50 | P95 |');
    expect(text).toContain('| api | 98% | 98.424% | 78.755% | 21.245% | 43m | 15m | 30m | 2h | 1 | 8190 | 75 ms | 98 ms |');
    expect(text).toContain('| plain | - | 98.424% | - | - | 43m |');
    expect(text).toContain('## api (Public API)');
    expect(text).toContain('| 2026-11-01T10:40:00Z | 2026-11-01T11:23:00Z | 43m | connect_timeout | eu, us, ap | api:2026-11-01T10:40:00.000Z |');
    expect(text).toContain('| ap | 35m | 2100 |');
    // Every row of each table has as many cells as its header (no id or reason broke a row).
    const tables = text.split(/\n(?!\|)/).map((block) => block.split('\n').filter((l) => l.startsWith('|'))).filter((t) => t.length > 0);
    expect(tables).toHaveLength(1 + 2 * CHECKS.length);
    for (const table of tables) for (const row of table) expect(row.split('|').length).toBe(table[0]!.split('|').length);
  });
});

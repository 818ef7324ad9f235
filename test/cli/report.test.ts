/**
 * `vantage report` as a user runs it (the real process, `node cli/vantage.mjs report …`): from a
 * results file through the backtest, and from DynamoDB Local with rollups written by the sweep's own
 * store, against figures worked out by hand here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLUMNS } from '../../shared/usecases/report/index.ts';
import type { Report } from '../../shared/usecases/report/index.ts';
import { LATENCY_BUCKETS_MS, MINUTE_MS, type MinuteClass, type MinuteRecord } from '../../shared/evaluate/slo/types.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { createRollupStore } from '../../shared/store/rollups.ts';
import { runCli } from '../support/cli.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function vantage(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'cli/vantage.mjs'), ...args], { cwd, env: { PATH: process.env['PATH'] ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const CONFIG = `
defaults:
  interval: 1m
  locations: [eu, us, ap]
checks:
  - id: api
    http: { url: https://api.example.com/health }
    slo: { objective: 99 }
  - id: web
    http: { url: https://www.example.com/ }
`;

const T0 = Date.UTC(2026, 10, 3, 10, 0, 0);
const OFFSET: Record<string, number> = { eu: 5_000, us: 6_000, ap: 7_000 };

/**
 * Two hours, 10:00–12:00, one result a minute per location (eu at :05, us :06, ap :07, so no result
 * shares a millisecond with a sweep), 80 ms.
 * api fails everywhere (connect_timeout) in the runs of minutes 30–49; web never fails.
 *   failing after 2 failed runs: from 10:31:05 (eu) and 10:31:06 (us): quorum 2 of 3, DOWN at 10:31:06
 *   up after 2 passing runs: 10:51:05, :06, :07 → RESOLVED at 10:51:07
 * The sweep at t accounts [t − 60 s, t) with the state at t:
 *   10:32:00 sees DOWN → minute 10:31 down; … 10:51:00 still DOWN → minute 10:50 down; 10:52:00 UP.
 *   down: 10:31–10:50 = 20 min = 1 200 s; up 100 min = 6 000 s; no data 0 (every minute swept)
 *   sli = 6 000 / 7 200 = 83.333…%; allowed = 1% × 7 200 = 72 s; used = 1 200 / 72 = 1 666.667%
 *   incident: 10:30:05 (eu's first failed run) to 10:51:07 = 1 262 s, first reason connect_timeout
 *   downtime per location: each failing in all 20 down minutes → 1 200 s; samples 120 × 3 = 360
 */
function recorded(): string {
  const lines: string[] = [];
  for (let minute = 0; minute < 120; minute++) {
    for (const loc of ['eu', 'us', 'ap']) {
      const ts = new Date(T0 + minute * MINUTE_MS + OFFSET[loc]!).toISOString();
      const down = minute >= 30 && minute <= 49;
      lines.push(JSON.stringify({ checkId: 'api', location: loc, ts, ok: !down, status: down ? 'down' : 'up', latencyMs: 80, ...(down && { failure: { reason: 'connect_timeout', message: 'no answer in 5s' } }) }));
      lines.push(JSON.stringify({ checkId: 'web', location: loc, ts, ok: true, status: 'up', latencyMs: 80 }));
    }
  }
  return lines.join('\n') + '\n';
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-report-'));
  writeFileSync(join(dir, 'checks.yaml'), CONFIG);
  writeFileSync(join(dir, 'results.jsonl'), recorded());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RANGE = ['--from', '2026-11-03T10:00:00Z', '--to', '2026-11-03T12:00:00Z'];

describe('vantage report --results', () => {
  it('reports the known outage: its downtime, SLI, budget and one incident with its first reason', async () => {
    const r = await vantage(['report', '--results', 'results.jsonl', ...RANGE, '--format', 'json'], dir);
    expect(r.stderr).toBe('vantage: using ./checks.yaml\n');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ from: '2026-11-03T10:00:00.000Z', to: '2026-11-03T12:00:00.000Z' });
    const [api, web] = report.checks;
    expect(api).toMatchObject({ checkId: 'api', objective: 99, upSeconds: 6_000, downtimeSeconds: 1_200, partialSeconds: 0, maintenanceSeconds: 0, noDataSeconds: 0, samples: 360, locationDowntime: { ap: 1_200, eu: 1_200, us: 1_200 } });
    expect(api!.sli).toBeCloseTo((6_000 / 7_200) * 100, 10);
    expect(api!.budgetUsed).toBeCloseTo((1_200 / 72) * 100, 8);
    expect(api!.incidents).toEqual([{ id: 'api:2026-11-03T10:30:05.000Z', start: '2026-11-03T10:30:05.000Z', end: '2026-11-03T10:51:07.000Z', durationSeconds: 1_262, firstReason: 'connect_timeout', locations: ['eu', 'us', 'ap'] }]);
    expect(web).toMatchObject({ checkId: 'web', sli: 100, upSeconds: 7_200, downtimeSeconds: 0, incidents: [], locationDowntime: {} });
    expect(web).not.toHaveProperty('objective');
  });

  it('writes CSV to --out, whole, with the documented header', async () => {
    const r = await vantage(['report', '-c', 'checks.yaml', '-r', 'results.jsonl', ...RANGE, '--check', 'api', '--format', 'csv', '--out', 'report.csv'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('written to report.csv');
    const [header, row, ...rest] = readFileSync(join(dir, 'report.csv'), 'utf8').split('\r\n');
    expect(header).toBe(COLUMNS.map((c) => c.name).join(','));
    // 83.333…% rounded down; 1 666.666…% used → 1666.667; remaining 1 − 16.666… → −1566.667
    expect(row).toBe('api,99,83.333,1666.667,-1566.667,6000,1200,0,0,0,1,360,75,98');
    expect(rest).toEqual(['']);
    expect(existsSync(join(dir, 'report.csv.partial'))).toBe(false);
  });
});

describe('vantage report --results, up to now', () => {
  it('counts the minute that just ended: a file is replayed up to --to, with no wait for a sweep', async () => {
    // Two runs in each location in the minute before this one, all passing.
    const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    const lines = ['eu', 'us', 'ap'].flatMap((loc) => [5_000, 35_000].map((at) =>
      JSON.stringify({ checkId: 'web', location: loc, ts: new Date(minute + at + OFFSET[loc]!).toISOString(), ok: true, status: 'up', latencyMs: 80 })));
    writeFileSync(join(dir, 'recent.jsonl'), `${lines.join('\n')}\n`);

    const r = await vantage(['report', '--results', 'recent.jsonl', '--from', '10m', '--check', 'web', '--format', 'json'], dir);

    expect(r.code).toBe(0);
    const [web] = (JSON.parse(r.stdout) as Report).checks;
    // From the table the range would end at that minute's start (the sweep may not have run yet), and show no samples.
    expect(web).toMatchObject({ checkId: 'web', samples: 6, sli: 100 });
    expect(web!.upSeconds).toBeGreaterThanOrEqual(60);
  });
});

describe('vantage report: bad input', () => {
  // In-process (the same main the bin runs): these need no data, only the messages and exit codes.
  const run = (args: string[]) => runCli(['report', '--config', join(dir, 'checks.yaml'), ...args]);
  const results = () => join(dir, 'results.jsonl');

  it('lists every flag problem at once, and names the known checks for an unknown --check (exit 2)', async () => {
    const r = await run(['--results', results(), '--from', 'yesterday', '--format', 'xml', '--check', 'nope', '--endpoint', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('vantage report: 4 problems:');
    expect(r.stderr).toContain('--from: expected an ISO 8601 time with a zone');
    expect(r.stderr).toContain('got "yesterday"');
    expect(r.stderr).toContain('--format: expected one of table, csv, json, md, got "xml"');
    expect(r.stderr).toContain('--results reads a file, not the table');
    expect(r.stderr).toContain(`--check: "nope" not in ${join(dir, 'checks.yaml')}; its checks: api, web`);
  });

  it('refuses a range that is empty once rounded to the minute, and a missing --from', async () => {
    const empty = await run(['--results', results(), '--from', '2026-11-03T10:00:30Z', '--to', '2026-11-03T10:00:50Z']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--from (2026-11-03T10:00:00.000Z) must be before --to (2026-11-03T10:00:00.000Z)');
    const missing = await run(['--results', results()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--from is required');
  });

  it('judges the table flags with the others', async () => {
    const r = await run(['--endpoint', 'ftp://127.0.0.1:1', '--from', '1d', '--format', 'xlsx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2 problems:');
    expect(r.stderr).toContain('--endpoint must be an http:// or https:// URL');
    expect(r.stderr).toContain('--format: expected one of');
  });

  it('lists every bad line of a results file', async () => {
    writeFileSync(join(dir, 'bad.jsonl'), `${JSON.stringify({ checkId: 'api', ts: '2026-11-03T10:00:00', ok: true, status: 'up' })}\nnot json\n${JSON.stringify({ checkId: 'other', ts: 1, ok: true, status: 'up' })}\n`);
    const r = await run(['--results', join(dir, 'bad.jsonl'), '--from', '1d']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 problem(s)');
    expect(r.stderr).toMatch(/line 1: ts: expected an ISO 8601 time with a zone/);
    expect(r.stderr).toMatch(/line 2: not JSON/);
    expect(r.stderr).toContain('line 3: unknown checkId "other"');
  });

  it('documents every CSV column in --help, with its unit', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of COLUMNS) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${c.unit} +\\S`, 'm'));
  });
});

describe('vantage report from the table', () => {
  let db: TestDynamoDb;
  let tableName: string;

  beforeAll(async () => {
    db = await startTestDynamoDb();
    tableName = (await db.newTable()).tableName;
  }, 60_000);
  afterAll(() => db?.stop());

  const minute = (start: number, cls: MinuteClass, failing: string[] = []): MinuteRecord => {
    const samples = cls === 'nodata' ? 0 : 2;
    const ok = samples - Math.min(samples, failing.length);
    const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    buckets[2] = samples; // 150 ms: (100, 200]
    return { start, class: cls, failing, samples, ok, fast: ok, buckets, latencySumMs: 150 * samples };
  };

  /**
   * api, locations eu and us, 12:00–14:00 on Nov 3, written minute by minute through the sweep's store:
   *   12:50–13:09 DOWN (20 min across the 13:00 boundary), both failing     → 1 200 s, eu 1 200, us 1 200
   *   13:20–13:29 maintenance                                                →   600 s
   *   13:40–13:44 PARTIAL, eu failing                                        →   300 s, eu + 300
   *   13:50–13:59 never accounted                                            →   600 s no data
   *   the rest up: 7 200 − 1 200 − 600 − 300 − 600                           → 4 500 s
   *   sli (countPartial false) = (4 500 + 300) / (4 800 + 1 200) = 80%; allowed 1% × 6 000 = 60 s; used 2 000%
   */
  it('reads the hour rollups and incidents of the range', async () => {
    const rollups = createRollupStore(db.client, tableName);
    const start = Date.UTC(2026, 10, 3, 12, 0);
    for (let m = 0; m < 120; m++) {
      const t = start + m * MINUTE_MS;
      if (m >= 110) continue;
      const rec = m >= 50 && m < 70 ? minute(t, 'down', ['eu', 'us']) : m >= 80 && m < 90 ? minute(t, 'maintenance') : m >= 100 && m < 105 ? minute(t, 'partial', ['eu']) : minute(t, 'up');
      expect(await rollups.addMinute('api', rec)).toBe(true);
    }
    await createStore({ client: db.client, tableName }).putIncident({ checkId: 'api', incidentId: 'api:2026-11-03T12:49:30.000Z', startedAt: '2026-11-03T12:49:30.000Z', endedAt: '2026-11-03T13:10:05.000Z', locations: ['us', 'eu'], firstReason: 'status_code' });

    const r = await vantage(['report', '--endpoint', db.endpoint, '--table', tableName, '--from', '2026-11-03T12:00:00Z', '--to', '2026-11-03T14:00:00Z', '--check', 'api', '--format', 'json'], dir);
    expect(r.stderr).toBe('vantage: using ./checks.yaml\n');
    expect(r.code).toBe(0);
    const [api] = (JSON.parse(r.stdout) as Report).checks;
    expect(api).toMatchObject({ upSeconds: 4_500, downtimeSeconds: 1_200, partialSeconds: 300, maintenanceSeconds: 600, noDataSeconds: 600, samples: 220, locationDowntime: { eu: 1_500, us: 1_200 } });
    expect(api!.sli).toBeCloseTo(80, 10);
    expect(api!.budgetUsed).toBeCloseTo(2_000, 8);
    // 150 ms in (100, 200]: 100 + 100 × q
    expect(api!.latencyP50Ms).toBeCloseTo(150, 10);
    expect(api!.incidents).toEqual([{ id: 'api:2026-11-03T12:49:30.000Z', start: '2026-11-03T12:49:30.000Z', end: '2026-11-03T13:10:05.000Z', durationSeconds: 1_235, firstReason: 'status_code', locations: ['us', 'eu'] }]);

    const table = await vantage(['report', '--endpoint', db.endpoint, '--table', tableName, '--from', '2026-11-03T12:00:00Z', '--to', '2026-11-03T14:00:00Z', '--check', 'api'], dir);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^api\s+99%\s+80%\s+2000%\s+-1900%\s+20m\s+5m\s+10m\s+10m\s+1\s+220\s+150 ms\s+195 ms$/m);
  }, 60_000);

  it('reads a relative --from as before now, and ends the range at the last minute surely accounted', async () => {
    const before = Date.now();
    const r = await vantage(['report', '--endpoint', db.endpoint, '--table', tableName, '--from', '30m', '--check', 'api', '--format', 'json'], dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const from = Date.parse(report.from);
    const to = Date.parse(report.to);
    // from = floor(now − 30 min), to = floor(now) − 1 min, for the process's one `now`: 29 minutes.
    expect(to - from).toBe(29 * MINUTE_MS);
    expect(to).toBeGreaterThanOrEqual(Math.floor(before / MINUTE_MS) * MINUTE_MS - MINUTE_MS);
    expect(to).toBeLessThanOrEqual(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS);
    // Nothing accounted in it: all no data, and no SLI rather than 100%.
    expect(report.checks[0]).toMatchObject({ noDataSeconds: 29 * 60, upSeconds: 0, incidents: [] });
    expect(report.checks[0]).not.toHaveProperty('sli');
  });

  it('says which table it could not read (exit 2)', async () => {
    const r = await vantage(['report', '--endpoint', db.endpoint, '--table', 'no-such-table', '--from', '1d'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no table named no-such-table');
  });
});

/**
 * `vantage export` against DynamoDB Local: results written by the store come back as JSON Lines in
 * time order, in exactly the form `vantage replay --results` reads (each line parses to the record
 * the evaluator builds from the same item), paginated, filtered and with the checks chosen as the
 * help says.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { timeOf } from '../../cli/commands/export.ts';
import { parseResultLines } from '../../shared/evaluate/backtest.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { storedResultToRecord } from '../../shared/store/items.ts';
import { resultPages } from '../../shared/store/result-pages.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const T0 = Date.UTC(2026, 10, 3, 12, 0, 0);
const LOCATIONS = ['eu', 'us'];

function result(checkId: string, location: string, ms: number, down: boolean, extra: Partial<ProbeResult> = {}): ProbeResult {
  return {
    checkId, location, kind: 'http', target: `https://${checkId}.example.com/`, startedAt: new Date(ms).toISOString(),
    ok: !down, status: down ? 'down' : 'up', phases: { dns: 1, connect: 2, total: 40 + (ms % 7) }, assertions: [],
    ...(down && { failure: { reason: 'status_code', message: 'status 503' } }),
    http: { status: down ? 503 : 200, version: '1.1', redirects: 0, bodyBytes: 2 },
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', certExpiresAt: '2027-01-01T00:00:00.000Z' } as ProbeResult['tls'],
    retries: 0,
    ...extra,
  };
}

/** `api` every minute from both locations (down in minutes 2-4), `web` from eu every 30 s, one agent result with an instance. */
function recorded(): ProbeResult[] {
  const out: ProbeResult[] = [];
  for (let minute = 0; minute < 8; minute++) {
    for (const [i, loc] of LOCATIONS.entries()) out.push(result('api', loc, T0 + minute * 60_000 + i * 1_000, minute >= 2 && minute <= 4));
    out.push(result('web', 'eu', T0 + minute * 60_000 + 500, false), result('web', 'eu', T0 + minute * 60_000 + 30_500, false));
  }
  out.push(result('api', 'office', T0 + 90_000, false, { instance: '2', trigger: 'confirm' }));
  return out;
}

let db: TestDynamoDb;
let tableName: string;
let dir: string;
const stored = recorded();

async function cli(argv: string[], opts: { cwd?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: {}, isTTY: false, signal: new AbortController().signal, cwd: opts.cwd ?? dir };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const connection = () => ['--endpoint', db.endpoint, '--table', tableName];
const span = (fromMs = T0, toMs = T0 + 8 * 60_000) => ['--from', new Date(fromMs).toISOString(), '--to', new Date(toMs).toISOString()];
const lines = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  db = await startTestDynamoDb();
  ({ tableName } = await db.newTable());
  const store = createStore({ client: db.client, tableName });
  await store.putResults(stored);
  // Only `api` ever failed, so only it has a state item (steady state writes none).
  await store.putState({ checkId: 'api', version: 0, locations: {} } as never, 0);
  dir = mkdtempSync(join(tmpdir(), 'vantage-export-'));
}, 60_000);

afterAll(async () => {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vantage export', () => {
  it('writes every result of the checks in the span, oldest first, each line the record the evaluator builds from the item', async () => {
    const r = await cli(['export', '--check', 'api', '--check', 'web', ...connection(), ...span()]);
    expect(r.stderr).toContain('33 result(s) of 2 check(s)');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(stored.length);
    const times = out.map((l) => Date.parse(l.ts as string));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const parsed = parseResultLines(r.stdout);
    expect(parsed.issues).toEqual([]);
    const store = createStore({ client: db.client, tableName });
    const fromTable = [...await store.listResults('api', { from: new Date(T0), to: new Date(T0 + 8 * 60_000) }), ...await store.listResults('web', { from: new Date(T0), to: new Date(T0 + 8 * 60_000) })];
    const byKey = (x: { checkId: string; location: string; ts: number }) => `${x.checkId}@${x.location}@${x.ts}`;
    const expected = new Map(fromTable.map((s) => storedResultToRecord(s)).map((rec) => [byKey(rec), rec]));
    for (const { record } of parsed.results) expect(record).toEqual(expected.get(byKey(record)));
    expect(parsed.results).toHaveLength(expected.size);
  });

  it('keeps the instance, trigger and HTTP status beside what replay reads', async () => {
    const r = await cli(['export', '--check', 'api', ...connection(), ...span()]);
    const agent = lines(r.stdout).find((l) => l.location === 'office');
    expect(agent).toMatchObject({ checkId: 'api', instance: '2', trigger: 'confirm', httpStatus: 200, retries: 0, certExpiresAt: '2027-01-01T00:00:00.000Z' });
    const down = lines(r.stdout).find((l) => l.ok === false);
    expect(down).toMatchObject({ status: 'down', failure: { reason: 'status_code', message: 'status 503' }, latencyMs: expect.any(Number) });
  });

  it('bounds the span at both ends, inclusive, and filters by location', async () => {
    const from = T0 + 2 * 60_000;
    const to = T0 + 3 * 60_000 + 1_000;
    const r = await cli(['export', '--check', 'api', '--location', 'us', ...connection(), ...span(from, to)]);
    expect(lines(r.stdout).map((l) => [l.location, l.ts])).toEqual([
      ['us', new Date(T0 + 2 * 60_000 + 1_000).toISOString()],
      ['us', new Date(T0 + 3 * 60_000 + 1_000).toISOString()],
    ]);
    expect(r.stderr).toContain('2 result(s) of 1 check(s) in us');
  });

  it('without --check or --config exports the checks with a state item, and says so', async () => {
    const r = await cli(['export', ...connection(), ...span()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the checks with a state item in the table: api');
    expect(new Set(lines(r.stdout).map((l) => l.checkId))).toEqual(new Set(['api']));
  });

  it('with --config exports the config\'s checks', async () => {
    const config = join(dir, 'two.yaml');
    writeFileSync(config, 'checks:\n  - id: web\n    http: { url: "https://web.example.com/" }\n');
    const r = await cli(['export', '--config', config, ...connection(), ...span()]);
    expect(r.stderr).toContain('the checks in the config: web');
    expect(lines(r.stdout)).toHaveLength(16);
  });

  it('--out writes the file whole, and nothing under its name when the table cannot be read', async () => {
    const out = join(dir, 'out.jsonl');
    const r = await cli(['export', '--check', 'web', '--out', out, ...connection(), ...span()]);
    expect(r.stdout).toBe('');
    expect(lines(readFileSync(out, 'utf8'))).toHaveLength(16);

    const missing = join(dir, 'missing.jsonl');
    const bad = await cli(['export', '--check', 'web', '--out', missing, '--endpoint', db.endpoint, '--table', 'no-such-table', ...span()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no table named no-such-table');
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(`${missing}.partial`)).toBe(false);
  });

  it('--out into a directory that does not exist: exit 2 naming the file', async () => {
    const r = await cli(['export', '--check', 'web', '--out', join(dir, 'nowhere', 'out.jsonl'), ...connection(), ...span()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot write');
    expect(r.stderr).toContain('ENOENT');
  });

  it('refuses zone-less times and a span that ends before it starts', async () => {
    const zoneless = await cli(['export', '--check', 'api', ...connection(), '--from', '2026-11-03T12:00:00', '--to', 'now']);
    expect(zoneless.code).toBe(2);
    expect(zoneless.stderr).toContain('--from: expected an ISO 8601 time with a zone');
    const backwards = await cli(['export', '--check', 'api', ...connection(), '--from', 'now', '--to', 'now-1h']);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('is after --to');
  });

  it('reads relative times against now', () => {
    const now = Date.UTC(2026, 11, 1, 20, 0, 0);
    expect(timeOf('now', '--to', now)).toBe(now);
    expect(timeOf('now-2h', '--from', now)).toBe(now - 7_200_000);
    expect(timeOf('-30m', '--from', now)).toBe(now - 1_800_000);
    expect(timeOf('2026-12-01T19:00:00+01:00', '--from', now)).toBe(Date.UTC(2026, 11, 1, 18, 0, 0));
    expect(timeOf(String(now), '--from', now)).toBe(now);
    expect(() => timeOf('99999999999999999', '--to', now)).toThrow('--to: expected an ISO 8601 time');
    expect(() => timeOf('now-2x', '--from', now)).toThrow('--from: expected');
  });
});

describe('resultPages', () => {
  it('reads a check a page at a time, oldest first, losing nothing at page boundaries', async () => {
    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of resultPages('api', { client: db.client, tableName, from: T0, to: T0 + 8 * 60_000, pageSize: 4 })) {
      pages.push(page.length);
      seen.push(...page.map((r) => `${r.ts}#${r.location}`));
    }
    expect(pages.length).toBeGreaterThan(3);
    expect(Math.max(...pages)).toBeLessThanOrEqual(4);
    expect(seen).toHaveLength(17);
    expect(seen).toEqual([...seen].sort());
  });
});

/**
 * `vantage status --html DIR` against DynamoDB Local: states written by the real store, minutes
 * accounted by the real rollup store, an incident as the evaluator records it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckState } from '../../shared/evaluate/index.ts';
import { MINUTE_MS, noSamples, type MinuteClass } from '../../shared/evaluate/slo/index.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { createRollupStore } from '../../shared/store/rollups.ts';
import { runCli } from '../support/cli.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const CONFIG = {
  defaults: { locations: ['us-east-1', 'eu-west-1'], interval: '60s', timeout: '2s' },
  checks: [
    { id: 'api', name: 'Public <API>', tags: { team: 'core' }, http: { url: 'http://127.0.0.1:1/health' } },
    { id: 'web', http: { url: 'http://127.0.0.1:1/' } },
    { id: 'old', enabled: false, http: { url: 'http://127.0.0.1:1/old' } },
  ],
};

/** The CLI reads the real clock, so the history is written relative to it. */
const NOW = Date.now();
const LAST_MINUTE = Math.floor(NOW / MINUTE_MS) * MINUTE_MS - MINUTE_MS;

function state(checkId: string, overall: CheckState['overall']): CheckState {
  const loc = { lastTs: NOW - 30_000, consecutiveFailures: overall === 'DOWN' ? 3 : 0, consecutiveSuccesses: 0, failing: overall === 'DOWN' };
  return { schemaVersion: 1, checkId, version: 0, since: NOW - 3_600_000, overall, locations: { 'us-east-1': { ...loc }, 'eu-west-1': { ...loc } }, outbox: [] };
}

let db: TestDynamoDb;
let tableName: string;
let dir: string;
let configPath: string;

beforeAll(async () => {
  db = await startTestDynamoDb();
  tableName = (await db.newTable('status-html')).tableName;
  const store = createStore({ client: db.client, tableName });
  await store.putState(state('api', 'DOWN'));
  await store.putState(state('web', 'UP'));
  const rollups = createRollupStore(db.client, tableName);
  // api: the last 60 minutes, the 2 newest down: 58 of 60 eligible minutes up is 96.66% (floored).
  for (let k = 0; k < 60; k += 1) {
    const cls: MinuteClass = k < 2 ? 'down' : 'up';
    await rollups.addMinute('api', { start: LAST_MINUTE - k * MINUTE_MS, class: cls, failing: cls === 'down' ? ['eu-west-1', 'us-east-1'] : [], ...noSamples() });
  }
  await store.putIncident({ checkId: 'api', incidentId: `api:${new Date(LAST_MINUTE - MINUTE_MS).toISOString()}`, startedAt: new Date(LAST_MINUTE - MINUTE_MS).toISOString(), locations: ['eu-west-1', 'us-east-1'], firstReason: 'connect_refused' });
  dir = mkdtempSync(join(tmpdir(), 'vantage-status-html-'));
  configPath = join(dir, 'checks.yaml');
  writeFileSync(configPath, JSON.stringify(CONFIG));
});

afterAll(async () => {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const connection = () => ['--endpoint', db.endpoint, '--table', tableName];

describe('vantage status --html', () => {
  it('writes DIR/index.html (creating DIR), says where, and still prints the table and exits 1 for a DOWN check', async () => {
    const out = join(dir, 'site', 'nested');
    const run = await runCli(['status', ...connection(), '--config', configPath, '--html', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^CHECK\s+STATE/);
    expect(run.stdout).toContain(`wrote the status page to ${join(out, 'index.html')}\n`);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<h3 id="c0">Public &lt;API&gt;</h3>');
    expect(html).toContain('<h2 id="g0">core</h2>');
    expect(html).toContain('<h3 id="c1">web</h3>');
    expect(html).not.toContain('>old<');
    expect(html).toContain('<b>96.66%</b> uptime, 90 days');
    expect(html).toContain('<b>ongoing</b> · <span class="reason">connect_refused</span>');
    expect(html.match(/<li class="d /g)).toHaveLength(2 * 90);
  });

  it('keeps stdout JSON Lines under --json: the path goes to stderr', async () => {
    const out = join(dir, 'json');
    const run = await runCli(['status', ...connection(), '--config', configPath, '--json', '--html', out]);
    expect(run.stderr).toBe(`wrote the status page to ${join(out, 'index.html')}\n`);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { checkId: string });
    expect(lines.map((l) => l.checkId)).toEqual(['api', 'web']);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
  });

  it('without a config, shows every stored state by its id', async () => {
    const out = join(dir, 'scan');
    const run = await runCli(['status', ...connection(), '--html', out]);
    expect(run.code).toBe(1);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<h3 id="c0">api</h3>');
    expect(html).toContain('<h3 id="c1">web</h3>');
  });

  it('says so and exits 2 when DIR cannot be written', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const run = await runCli(['status', ...connection(), '--config', configPath, '--html', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`vantage status: cannot write ${join(file, 'index.html')}`);
  });
});

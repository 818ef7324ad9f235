/**
 * `vantage status` against DynamoDB Local, with states made by the real policy and written by the
 * real store, as the evaluator writes them; plus the ways it can be pointed at the wrong place.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAgents, toAgentLocationStatus, type AgentLocationStatus } from '../../cli/commands/status-agents.ts';
import { formatStatus, toCheckStatus } from '../../cli/commands/status.ts';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { evaluate, policyFor, type CheckState, type ResultRecord } from '../../shared/evaluate/index.ts';
import { createAgentStore } from '../../shared/store/agents.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { runCli } from '../support/cli.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const LOCATIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
const CONFIG = {
  defaults: { locations: LOCATIONS, interval: '10s', timeout: '2s' },
  checks: [
    { id: 'api', http: { url: 'http://127.0.0.1:1/health' } },
    { id: 'web', http: { url: 'http://127.0.0.1:1/' } },
    { id: 'quiet', tcp: { host: '127.0.0.1', port: 1 } },
    { id: 'db', tcp: { host: '127.0.0.1', port: 2 } },
    { id: 'cache', tcp: { host: '127.0.0.1', port: 3 } },
  ],
};
const config = loadConfigObject(CONFIG);
const checkOf = (id: string) => config.checks.find((c) => c.id === id) as Check;
const T0 = Date.parse('2026-11-20T10:00:00.000Z');

/** Two failed rounds from the given locations (and passes from the others), through the real policy. */
function stateAfterFailures(id: string, failing: string[]): CheckState {
  const results: ResultRecord[] = [0, 1].flatMap((round) => LOCATIONS.map((location) => ({
    checkId: id, location, ts: T0 + round * 10_000, ok: !failing.includes(location), status: failing.includes(location) ? 'down' as const : 'up' as const,
    latencyMs: 5, ...(failing.includes(location) && { failure: { reason: 'status_code', message: 'status 503' } }),
  })));
  return evaluate(undefined, results, policyFor(checkOf(id)), T0 + 10_000).state;
}

/** Wall-clock based, because the command reads the real clock: db's window holds for another hour, cache's ended a minute ago. */
const NOW = Date.now();
const HOUR = 3_600_000;
const WINDOW_END = Math.ceil((NOW + HOUR) / 1000) * 1000;
const dbMute = { kind: 'maintenance' as const, name: 'weekly-deploy', start: NOW - 600_000, end: WINDOW_END };
const cacheMute = { kind: 'silence' as const, name: 's-0a1b2c3d', start: NOW - HOUR, end: NOW - 60_000 };

let db: TestDynamoDb;
let tableName: string;
let dir: string;
let configPath: string;

beforeAll(async () => {
  db = await startTestDynamoDb();
  tableName = (await db.newTable('status')).tableName;
  const store = createStore({ client: db.client, tableName });
  await store.putState(stateAfterFailures('api', LOCATIONS));
  await store.putState(stateAfterFailures('web', ['eu-west-1']));
  // As the evaluator writes a check failing inside a window: counted DOWN, with the mute that covers it.
  await store.putState({ ...stateAfterFailures('db', LOCATIONS), mute: dbMute });
  await store.putState({ ...stateAfterFailures('cache', ['us-east-1']), mute: cacheMute });
  for (const l of LOCATIONS) await store.putHeartbeat(l, { lastSeen: new Date().toISOString(), checksRun: 3, failures: l === 'eu-west-1' ? 2 : 1 });
  dir = mkdtempSync(join(tmpdir(), 'vantage-status-'));
  configPath = join(dir, 'checks.yaml');
  writeFileSync(configPath, JSON.stringify(CONFIG));
});

afterAll(async () => {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vantage status', () => {
  it('prints each configured check with its state, failing locations and the locations\' last runs; exits 1 when one is DOWN', async () => {
    const run = await runCli(['status', '--endpoint', db.endpoint, '--table', tableName, '--config', configPath]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('api '))).toMatch(/DOWN\s+since 2026-11-20T10:00:00.000Z\s+us-east-1 failing \(status_code\), eu-west-1 failing \(status_code\), ap-southeast-1 failing \(status_code\)/);
    expect(lines.find((l) => l.startsWith('web '))).toMatch(/PARTIAL .*us-east-1 up, eu-west-1 failing \(status_code\), ap-southeast-1 up/);
    // Never written: the evaluator writes nothing while a check stays up.
    expect(lines.find((l) => l.startsWith('quiet '))).toMatch(/UP\?/);
    expect(run.stdout).toMatch(/eu-west-1\s+\d+s ago \(3 check\(s\), 2 failed\)/);
  });

  it('without a config, lists every stored state as JSON, and the table can come from VANTAGE_TABLE', async () => {
    const run = await runCli(['status', '--endpoint', db.endpoint, '--json'], { env: { VANTAGE_TABLE: tableName } });

    expect(run.code).toBe(1);
    const rows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { checkId: string; overall: string; version: number });
    expect(rows.map((r) => [r.checkId, r.overall, r.version]).sort()).toEqual([['api', 'DOWN', 1], ['cache', 'PARTIAL', 1], ['db', 'DOWN', 1], ['web', 'PARTIAL', 1]]);
  });

  it('shows a check inside a window as MAINTENANCE with its counted state, the window and until when; a mute that has ended is not shown', async () => {
    const run = await runCli(['status', '--endpoint', db.endpoint, '--table', tableName, '--config', configPath]);
    const lines = run.stdout.split('\n');
    const until = new Date(WINDOW_END).toISOString().replace('.000Z', 'Z');

    expect(lines[0]).toMatch(/^CHECK\s+STATE\s+INCIDENT\s+LOCATIONS$/);
    expect(lines.find((l) => l.startsWith('db '))).toMatch(new RegExp(`^db\\s+MAINTENANCE \\(DOWN\\) window weekly-deploy until ${until}\\s+since 2026-11-20T10:00:00.000Z\\s+us-east-1 failing`));
    expect(lines.find((l) => l.startsWith('cache '))).toMatch(/^cache\s+PARTIAL\s+since/);
    // Down is down: a window holds the pages back, not the exit code.
    expect(run.code).toBe(1);
  });

  it('includes the current mute in --json, with ISO times', async () => {
    const run = await runCli(['status', '--endpoint', db.endpoint, '--table', tableName, '--config', configPath, '--json']);
    const rows = new Map(run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { checkId: string; overall: string; mute?: unknown }).map((r) => [r.checkId, r]));

    expect(rows.get('db')).toMatchObject({ overall: 'DOWN', mute: { kind: 'maintenance', name: 'weekly-deploy', start: new Date(dbMute.start).toISOString(), end: new Date(WINDOW_END).toISOString() } });
    expect(rows.get('cache')).not.toHaveProperty('mute');
    expect(rows.get('api')).not.toHaveProperty('mute');
  });

  it('names the table and how to fix it when the table does not exist', async () => {
    const run = await runCli(['status', '--endpoint', db.endpoint, '--table', 'no-such-table']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no table named no-such-table: pass --table or set VANTAGE_TABLE/);
  });

  it('says whether vantage dev is running when nothing answers at the endpoint', async () => {
    const server = net.createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((done) => server.close(done));

    const run = await runCli(['status', '--endpoint', `http://127.0.0.1:${port}`]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read http:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED.*is `vantage dev` still running/);
  });

  it('needs a region for AWS', async () => {
    const run = await runCli(['status'], { env: {} });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no region: pass --region or set AWS_REGION/);
  });
});

describe('formatStatus', () => {
  it('shows a never-written check as UP? with the reason, and heartbeat ages', () => {
    const now = T0 + 90_000;
    const text = formatStatus([toCheckStatus('quiet', undefined, ['a', 'b'], now)], [{ location: 'a', lastSeen: new Date(T0).toISOString(), checksRun: 1 }], now);

    expect(text).toContain('quiet  UP?');
    expect(text).toContain('a up, b up');
    expect(text).toMatch(/UP\? = no state stored/);
    expect(text).toMatch(/a\s+90s ago \(1 check\(s\), 0 failed\)/);
  });

  it('shows a silence by its id, and decides by the clock passed in whether the mute still holds (its end is exclusive)', () => {
    const state = { ...stateAfterFailures('quiet', ['us-east-1']), mute: { kind: 'silence' as const, name: 's-0a1b2c3d', start: T0, end: T0 + 1_800_000 } };

    expect(formatStatus([toCheckStatus('quiet', state, LOCATIONS, T0 + 1_799_999)], [], T0)).toMatch(/^quiet {2}MAINTENANCE \(PARTIAL\) silence s-0a1b2c3d until 2026-11-20T10:30:00Z {2}since /m);
    expect(toCheckStatus('quiet', state, LOCATIONS, T0 + 1_800_000)).not.toHaveProperty('mute');
  });
});

describe('vantage status, agent locations', () => {
  const AGENT_CONFIG = {
    deployment: { homeRegion: 'eu-west-1', agentLocations: [{ name: 'office', instances: 3 }] },
    defaults: { locations: ['office'], interval: '1m' },
    checks: [{ id: 'printer', tcp: { host: '127.0.0.1', port: 9 } }],
  };
  let agentTable: string;
  let agentConfigPath: string;
  let current: string;
  const OLD = 'deadbeef'.repeat(8);

  beforeAll(async () => {
    agentTable = (await db.newTable('status-agents')).tableName;
    agentConfigPath = join(dir, 'agents.yaml');
    writeFileSync(agentConfigPath, JSON.stringify(AGENT_CONFIG));
    const agents = createAgentStore({ client: db.client, tableName: agentTable });
    current = (await agents.putDefinitions('office', toDefinitions(loadConfigObject(AGENT_CONFIG), 'office'))).version;
    // Wall clock, as the command reads it: a and b are members, c joined 5 s ago, d left ten minutes ago.
    const now = Date.now();
    const at = (ago: number) => new Date(now - ago).toISOString();
    await agents.putBeat('office', { instance: 'host-a', registeredAt: at(HOUR), lastSeen: at(2_000), definitions: current, host: 'a.lan' });
    await agents.putBeat('office', { instance: 'host-b', registeredAt: at(HOUR), lastSeen: at(4_000), definitions: OLD });
    await agents.putBeat('office', { instance: 'host-c', registeredAt: at(5_000), lastSeen: at(5_000), definitions: current });
    await agents.putBeat('office', { instance: 'host-d', registeredAt: at(HOUR), lastSeen: at(620_000), leavingAt: at(600_000), definitions: current });
  });

  it('lists each instance with its last beat, whether it is a member now, a clean leave, and flags stale definitions', async () => {
    const run = await runCli(['status', '--endpoint', db.endpoint, '--table', agentTable, '--config', agentConfigPath]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('AGENT'))).toMatch(new RegExp(`^AGENT LOCATION office: 2 of 3 expected instance\\(s\\) member\\(s\\), definitions ${current.slice(0, 8)} \\(written \\S+Z\\)$`));
    expect(lines.find((l) => l.trim().startsWith('INSTANCE'))).toMatch(/^ {2}INSTANCE\s+LAST BEAT\s+MEMBER\s+DEFINITIONS$/);
    expect(lines.find((l) => l.includes('host-a'))).toMatch(new RegExp(`^ {2}host-a\\s+[23]s ago\\s+yes\\s+${current.slice(0, 8)}$`));
    expect(lines.find((l) => l.includes('host-b'))).toMatch(new RegExp(`^ {2}host-b\\s+[45]s ago\\s+yes\\s+deadbeef STALE \\(current ${current.slice(0, 8)}\\)$`));
    expect(lines.find((l) => l.includes('host-c'))).toMatch(/^ {2}host-c\s+[56]s ago\s+no\s+\w{8}$/);
    expect(lines.find((l) => l.includes('host-d'))).toMatch(/^ {2}host-d\s+10m ago\s+no \(left \S+Z\)\s+\w{8}$/);
  });

  it('includes the same in --json, one object per agent location after the checks', async () => {
    const run = await runCli(['status', '--endpoint', db.endpoint, '--table', agentTable, '--config', agentConfigPath, '--json']);

    const rows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.checkId ?? r.agentLocation)).toEqual(['printer', 'office']);
    const office = rows[1] as unknown as AgentLocationStatus;
    expect(office).toMatchObject({ agentLocation: 'office', expected: 3, members: 2, definitions: current });
    expect(office.instances.map((i) => [i.instance, i.member, i.stale, i.left ?? false])).toEqual([
      ['host-a', true, false, false], ['host-b', true, true, false], ['host-c', false, false, false], ['host-d', false, false, true],
    ]);
    expect(office.instances[0]).toMatchObject({ host: 'a.lan', definitions: current });
    expect(office.instances[0]!.lastBeatAgeMs).toBeGreaterThanOrEqual(2_000);
  });
});

describe('toAgentLocationStatus', () => {
  const location = { name: 'office', instances: 2 };
  const beat = { instance: 'x-1', registeredAt: new Date(T0 - 60_000).toISOString(), lastSeen: new Date(T0).toISOString(), definitions: 'a'.repeat(64) };

  it('flags nothing as stale when no DEFINITIONS item exists, and says so', () => {
    const s = toAgentLocationStatus(location, [beat], undefined, T0 + 1000);
    expect(s.instances[0]).toMatchObject({ member: true, stale: false, lastBeatAgeMs: 1000 });
    expect(formatAgents([s])).toContain('definitions none written');
  });

  it('is no member once three beats have passed without one', () => {
    expect(toAgentLocationStatus(location, [beat], undefined, T0 + 30_000).members).toBe(1);
    expect(toAgentLocationStatus(location, [beat], undefined, T0 + 30_001).members).toBe(0);
  });
});

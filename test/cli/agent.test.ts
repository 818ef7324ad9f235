/**
 * `vantage agent` as a user runs it: its usage errors (all of them in one run), `vantage agent health`
 * on a fresh, an old and a missing health file, a location with no DEFINITIONS item (exit 2, naming
 * the location and the table), and SIGTERM on a real process against DynamoDB Local: it announces its
 * leave in its beat, says so in its log, and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../shared/config/load.ts';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { createAgentStore } from '../../shared/store/agents.ts';
import { runCli } from '../support/cli.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { NODE, ROOT } from '../support/dev-pipeline.ts';
import { waitFor } from '../support/processes.ts';

let dir: string;
let db: TestDynamoDb;
let tableName: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-agent-cli-'));
  db = await startTestDynamoDb();
  tableName = (await db.newTable()).tableName;
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vantage agent: usage', () => {
  it('names every flag problem in one run, with exit 2', async () => {
    const out = await runCli(['agent', '--instance', 'Not An Id', '--heartbeat', '500ms']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--location is required');
    expect(out.stderr).toContain('--instance "Not An Id" is not an instance id');
    expect(out.stderr).toContain('--heartbeat 500ms is below the minimum of 1s');
  });

  it('rejects a location name that no deployment could declare', async () => {
    const out = await runCli(['agent', '--location', 'Edge Site!']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--location "Edge Site!" is not a location name');
  });

  it('rejects a heartbeat that is not a duration, and an unknown flag', async () => {
    const bad = await runCli(['agent', '--location', 'edge', '--heartbeat', 'often']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--heartbeat "often" is not a duration');
    const unknown = await runCli(['agent', '--location', 'edge', '--heartbaet', '1s']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/heartbaet/);
  });

  it('takes the location and instance from the environment, and checks them the same', async () => {
    const out = await runCli(['agent'], { env: { VANTAGE_LOCATION: 'edge', VANTAGE_INSTANCE: '-bad' } });
    expect(out.code).toBe(2);
    expect(out.stderr).not.toContain('--location is required');
    expect(out.stderr).toContain('--instance "-bad" is not an instance id');
  });

  it('says in its help what it needs and how it gets credentials', async () => {
    const out = await runCli(['agent', '--help']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/outbound HTTPS/);
    expect(out.stdout).toMatch(/Nothing listens/);
    expect(out.stdout).toMatch(/credential_process/);
    expect(out.stdout).toMatch(/role_arn/);
    const list = await runCli(['--help']);
    expect(list.stdout).toMatch(/^ {2}agent +/m);
  });
});

describe('vantage agent health', () => {
  const file = (name: string, doc: object) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(doc));
    return path;
  };

  it('is healthy while the last beat is younger than 3 beats, unhealthy after', async () => {
    const fresh = file('fresh.json', { lastBeat: new Date().toISOString(), beatMs: 1_000, location: 'edge', instance: 'a1', members: ['a1', 'a2'] });
    const ok = await runCli(['agent', 'health', '--health-file', fresh]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^healthy: a1 at edge: last beat \d+\.\ds ago; members a1, a2\n$/);

    const old = file('old.json', { lastBeat: new Date(Date.now() - 10_000).toISOString(), beatMs: 1_000, location: 'edge', instance: 'a1' });
    const stale = await runCli(['agent', 'health', '--health-file', old]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^unhealthy: a1 at edge: last beat 1\d\.\ds ago, more than 3s\n$/);

    // --max-age overrides the beats in the file.
    expect((await runCli(['agent', 'health', '--health-file', old, '--max-age', '1m'])).code).toBe(0);
  });

  it('without beatMs in the file, allows 3 default heartbeats (30s)', async () => {
    const path = file('no-beat.json', { lastBeat: new Date(Date.now() - 20_000).toISOString() });
    expect((await runCli(['agent', 'health', '--health-file', path])).code).toBe(0);
    const older = file('no-beat-old.json', { lastBeat: new Date(Date.now() - 40_000).toISOString() });
    expect((await runCli(['agent', 'health', '--health-file', older])).code).toBe(1);
  });

  it('is unhealthy, with one line saying why, for a missing or unreadable file', async () => {
    const missing = await runCli(['agent', 'health', '--health-file', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^unhealthy: no health file at .*nope\.json.*\n$/);
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{');
    const bad = await runCli(['agent', 'health'], { env: { VANTAGE_HEALTH_FILE: garbage } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`unhealthy: ${garbage} is not JSON\n`);
  });

  it('rejects a bad --max-age with exit 2', async () => {
    const out = await runCli(['agent', 'health', '--max-age', 'soon']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--max-age "soon" is not a duration');
  });
});

describe('vantage agent against DynamoDB Local', () => {
  it('exits 2 naming the location and the table when the location has no checks there', async () => {
    const out = await runCli(['agent', '--location', 'nowhere', '--endpoint', db.endpoint, '--table', tableName, '--health-file', join(dir, 'nowhere.json')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('nowhere');
    expect(out.stderr).toContain(tableName);
  }, 30_000);

  it('on SIGTERM announces its leave, keeps its beat until then, and exits 0', async () => {
    const config = loadConfigText([
      'deployment: { homeRegion: us-east-1, agentLocations: [{ name: edge }] }',
      'checks:',
      '  - id: tcp-local',
      '    locations: [edge]',
      '    interval: 10s',
      '    tcp: { host: 127.0.0.1, port: 9 }',
      '',
    ].join('\n'));
    const agents = createAgentStore({ client: db.client, tableName });
    await agents.putDefinitions('edge', toDefinitions(config, 'edge'));

    const healthFile = join(dir, 'edge.json');
    const child = spawn(NODE, ['cli/vantage.mjs', 'agent', '--location', 'edge', '--instance', 'solo', '--heartbeat', '1s', '--endpoint', db.endpoint, '--table', tableName, '--health-file', healthFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        stderr += `(stdout) ${l}\n`;
      }
    });
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const seen = (message: string) => lines.find((l) => l.message === message);
    const detail = () => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`;

    const started = await waitFor('agent started', () => seen('agent started'), 30_000, detail);
    expect(started).toMatchObject({ location: 'edge', instance: 'solo' });
    // A member once it has been seen for 2 beats: then the health file says so too.
    await waitFor('itself among the members', () => lines.find((l) => l.message === 'members' && JSON.stringify(l).includes('solo')), 30_000, detail);
    let healthy = false;
    const healthy1 = async () => { healthy = (await runCli(['agent', 'health', '--health-file', healthFile])).code === 0; };
    for (const deadline = Date.now() + 30_000; !healthy && Date.now() < deadline;) {
      await healthy1();
      if (!healthy) await new Promise((r) => setTimeout(r, 200));
    }
    expect(healthy, detail()).toBe(true);

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const code = await exit;
    const exitedAt = Date.now();
    expect(code, detail()).toBe(0);
    const leaving = seen('agent leaving');
    expect(leaving, detail()).toBeDefined();
    expect(seen('agent stopped'), detail()).toBeDefined();
    const beat = (await agents.listBeats('edge')).find((b) => b.instance === 'solo');
    expect(beat?.leavingAt).toBeDefined();
    // It ran its share until the leave it announced (2 beats on), so the others could take over then.
    expect(Date.parse(beat!.leavingAt!)).toBeGreaterThanOrEqual(signalledAt + 2 * 1_000 - 50);
    expect(exitedAt).toBeGreaterThanOrEqual(Date.parse(beat!.leavingAt!));
  }, 60_000);
});

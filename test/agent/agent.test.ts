/**
 * `runAgent` instances in one process against DynamoDB Local, probing a loopback HTTP server every 5 s
 * with 1 s beats: they share the checks (one result per check per scheduled round, from its owner), a
 * failure is retested on the other instance, a graceful stop hands over with no gap and no duplicate,
 * and a killed instance's checks move to the others once its beats are 3 beats old. Real time, so
 * the assertions are relations (per round, per owner, before or after a moment read from the table),
 * never durations.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { createAgentStore, type AgentStore } from '../../shared/store/agents.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { AgentError, defaultInstanceId, runAgent, type AgentOptions } from '../../shared/usecases/agent/agent.ts';
import { ownerOf } from '../../shared/usecases/instances.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const BEAT = 1_000;
const INTERVAL = 5_000;
const LOCATION = 'edge';

let db: TestDynamoDb;
let server: Server;
let base: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-agent-'));
  db = await startTestDynamoDb();
  let flips = 0;
  server = createServer((req, res) => {
    // /flip fails every other request: a first attempt fails and its retest passes.
    const status = req.url === '/flip' ? (flips++ % 2 === 0 ? 500 : 200) : 200;
    res.writeHead(status).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function configText(ids: readonly string[], extra: string[] = []): string {
  return [
    `deployment: { homeRegion: us-east-1, agentLocations: [{ name: ${LOCATION} }] }`,
    `defaults: { locations: [${LOCATION}], interval: 5s, timeout: 1s, retries: 1 }`,
    'checks:',
    ...ids.map((id) => `  - { id: ${id}, http: { url: "${base}/${id === 'flip' ? 'flip' : 'ok'}" } }`),
    ...extra,
    '',
  ].join('\n');
}

interface Running {
  id: string;
  leave: AbortController;
  kill: AbortController;
  done: Promise<void>;
  lines: Array<Record<string, unknown>>;
}

/** A location's table with its checks, and agents started on it; every recorded result is kept in `results`. */
async function fleet(ids: readonly string[]) {
  const { tableName } = await db.newTable();
  const agentStore = createAgentStore({ client: db.client, tableName });
  await agentStore.putDefinitions(LOCATION, toDefinitions(loadConfigText(configText(ids)), LOCATION));
  const store = createStore({ client: db.client, tableName });
  const results: ProbeResult[] = [];
  const recording: AgentOptions['store'] = {
    putResults: async (batch) => {
      const out = await store.putResults(batch);
      results.push(...batch);
      return out;
    },
    putHeartbeat: (location, info) => store.putHeartbeat(location, info),
    getMemory: (location) => store.getMemory(location),
    updateMemory: (location, change) => store.updateMemory(location, change),
  };
  const agents = new Map<string, Running>();
  const start = (id: string, over: Partial<AgentOptions> = {}) => {
    const leave = new AbortController();
    const kill = new AbortController();
    const lines: Array<Record<string, unknown>> = [];
    const done = runAgent({
      location: LOCATION, instance: id, store: recording, agentStore, beatMs: BEAT, signal: leave.signal, kill: kill.signal,
      write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      ...over,
    });
    const running = { id, leave, kill, done, lines };
    agents.set(id, running);
    return running;
  };
  const stopAll = async () => {
    for (const a of agents.values()) a.kill.abort();
    await Promise.all([...agents.values()].map((a) => a.done));
  };
  const log = () => [...agents.values()].flatMap((a) => a.lines.map((l) => JSON.stringify(l))).join('\n');
  return { tableName, agentStore, results, start, stopAll, agents, log };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls until `probe` gives something truthy; the timeout only keeps a broken run from hanging. */
async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs: number, detail: () => string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await delay(100);
  }
}
/** The scheduled round a result belongs to: every check here has one location and a 5 s interval, so rounds are at multiples of 5 s. */
const roundOf = (r: ProbeResult) => Math.floor(Date.parse(r.startedAt) / INTERVAL) * INTERVAL;
const scheduled = (results: readonly ProbeResult[]) => results.filter((r) => r.trigger === undefined);

/** Scheduled results per check and round. */
function perRound(results: readonly ProbeResult[]): Map<string, ProbeResult[]> {
  const rounds = new Map<string, ProbeResult[]>();
  for (const r of scheduled(results)) {
    const key = `${r.checkId}@${roundOf(r)}`;
    rounds.set(key, [...(rounds.get(key) ?? []), r]);
  }
  return rounds;
}

/** When every instance listed is a member: the newest registration plus the 2-beat join delay. */
async function joinedAt(agentStore: AgentStore, ids: readonly string[]): Promise<number> {
  const beats = await agentStore.listBeats(LOCATION);
  return Math.max(...ids.map((id) => Date.parse(beats.find((b) => b.instance === id)!.registeredAt))) + 2 * BEAT;
}

/** Rounds [from, until) on the 5 s grid. */
function roundsBetween(from: number, until: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / INTERVAL) * INTERVAL; t < until; t += INTERVAL) out.push(t);
  return out;
}

const CHECKS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

describe('two instances', () => {
  it('share the checks, retest a failure on the other instance, and hand over on a graceful stop with no gap and no duplicate', async () => {
    const ids = [...CHECKS, 'flip'];
    const owners = (members: string[]) => new Map(ids.map((id) => [id, ownerOf(id, members)]));
    const both = owners(['a', 'b']);
    expect(new Set(CHECKS.map((id) => both.get(id)))).toEqual(new Set(['a', 'b'])); // each has a share
    const f = await fleet(ids);
    const healthFile = join(dir, 'a', 'health.json');
    const a = f.start('a', { healthFile, host: 'host-a', agentVersion: '9.9.9' });
    f.start('b');
    try {
      await waitFor('both instances beating', async () => (await f.agentStore.listBeats(LOCATION)).length === 2, 20_000, f.log);
      const joined = await joinedAt(f.agentStore, ['a', 'b']);
      // Two whole rounds with both members, then a leaves 1 s after a round (leavingAt 2 beats later, mid-interval).
      const leaveAfter = Math.ceil(joined / INTERVAL) * INTERVAL + 2 * INTERVAL + 1_000;
      await delay(leaveAfter - Date.now());
      a.leave.abort();
      await a.done;
      const leavingAt = Date.parse((await f.agentStore.listBeats(LOCATION)).find((x) => x.instance === 'a')!.leavingAt!);
      // Two more whole rounds on b alone.
      const end = Math.ceil(leavingAt / INTERVAL) * INTERVAL + 2 * INTERVAL + 1_500;
      await delay(end - Date.now());
      await f.stopAll();

      const rounds = perRound(f.results);
      const detail = () => `${[...rounds.entries()].map(([k, rs]) => `${k}: ${rs.map((r) => `${r.instance}${r.retries ? '+retest' : ''}`).join(',')}`).join('\n')}\n${f.log()}`;
      // No duplicate, ever: one scheduled result per check per round.
      for (const [key, rs] of rounds) expect(rs.length, `${key}\n${detail()}`).toBe(1);
      // No gap from the moment both were members to the end, across the hand-over at leavingAt.
      const window = roundsBetween(joined, end - 1_500 + 1);
      for (const t of window) for (const id of ids) expect(rounds.has(`${id}@${t}`), `${id}@${t} missing\n${detail()}`).toBe(true);
      for (const t of window) {
        for (const id of CHECKS) {
          const [r] = rounds.get(`${id}@${t}`)!;
          // Before leavingAt each check ran on its owner among both; from leavingAt, on b.
          expect(r!.instance, `${id}@${t}`).toBe(t < leavingAt ? both.get(id) : 'b');
        }
        const [flip] = rounds.get(`flip@${t}`)!;
        expect(flip).toMatchObject({ ok: true, retries: 1 });
        // The failure's retest ran on the other instance while there was one, on b itself after. (A
        // round just before leavingAt may find a gone by the time it asks: then it retests here.)
        if (t < leavingAt - 2 * BEAT) expect(flip!.instance, `flip@${t}\n${detail()}`).toBe(both.get('flip') === 'a' ? 'b' : 'a');
        if (t >= leavingAt) expect(flip!.instance, `flip@${t}`).toBe('b');
      }
      expect(a.lines.find((l) => l.message === 'agent leaving')).toMatchObject({ leavingAt: new Date(leavingAt).toISOString(), instance: 'a', location: LOCATION });
      expect(a.lines.at(-1)).toMatchObject({ message: 'agent stopped', how: 'leave' });
      const health = JSON.parse(readFileSync(healthFile, 'utf8')) as Record<string, unknown>;
      expect(health).toMatchObject({ location: LOCATION, instance: 'a', beatMs: BEAT, members: expect.arrayContaining(['b']) });
      expect(health.member).toBe((health.members as string[]).includes('a'));
      expect(Date.parse(health.lastBeat as string)).toBeGreaterThan(joined);
      const beat = (await f.agentStore.listBeats(LOCATION)).find((x) => x.instance === 'a')!;
      expect(beat).toMatchObject({ host: 'host-a', agentVersion: '9.9.9', definitions: expect.stringMatching(/^[0-9a-f]{64}$/) });
    } finally {
      await f.stopAll();
    }
  }, 120_000);
});

describe('three instances', () => {
  it('share the checks three ways, and a killed instance\'s checks move to the others once its beats are 3 beats old', async () => {
    const members = ['a', 'b', 'c'];
    const three = new Map(CHECKS.map((id) => [id, ownerOf(id, members)]));
    const two = new Map(CHECKS.map((id) => [id, ownerOf(id, ['a', 'b'])]));
    const cs = CHECKS.filter((id) => three.get(id) === 'c');
    expect(cs.length).toBeGreaterThan(0);
    const f = await fleet(CHECKS);
    for (const id of members) f.start(id);
    const c = f.agents.get('c')!;
    try {
      await waitFor('three instances beating', async () => (await f.agentStore.listBeats(LOCATION)).length === 3, 20_000, f.log);
      const joined = await joinedAt(f.agentStore, members);
      await delay(Math.ceil(joined / INTERVAL) * INTERVAL + 2 * INTERVAL + 1_000 - Date.now());
      const killedAt = Date.now();
      c.kill.abort();
      await c.done;
      const lastBeat = Date.parse((await f.agentStore.listBeats(LOCATION)).find((x) => x.instance === 'c')!.lastSeen);
      const dropped = lastBeat + 3 * BEAT;
      await waitFor('the others to run c\'s checks', () => scheduled(f.results).some((r) => cs.includes(r.checkId!) && Date.parse(r.startedAt) > killedAt), 30_000, f.log);
      const end = Math.ceil(Date.now() / INTERVAL) * INTERVAL + INTERVAL + 1_500;
      await delay(end - Date.now());
      await f.stopAll();

      const rounds = perRound(f.results);
      const detail = () => [...rounds.entries()].map(([k, rs]) => `${k}: ${rs.map((r) => r.instance).join(',')}`).join('\n');
      for (const [key, rs] of rounds) expect(rs.length, `${key}\n${detail()}`).toBe(1);
      // Nothing from c after it was killed (a cut-short probe is never recorded).
      expect(f.results.filter((r) => r.instance === 'c' && Date.parse(r.startedAt) >= killedAt)).toEqual([]);
      for (const [key, [r]] of rounds) {
        const [id, at] = [key.split('@')[0]!, Number(key.split('@')[1])];
        if (at < joined) continue;
        // While c counted as live its checks were c's (or not run once it was gone); after the others dropped it, shared by the two.
        if (at <= dropped) expect(r!.instance, key).toBe(three.get(id));
        else expect(r!.instance, key).toBe(two.get(id));
      }
      // Every round from when the others dropped c is covered, c's checks included.
      for (const t of roundsBetween(dropped, end - 1_500 + 1)) for (const id of CHECKS) expect(rounds.has(`${id}@${t}`), `${id}@${t}\n${detail()}`).toBe(true);
      const survivor = f.agents.get('a')!;
      expect(survivor.lines.filter((l) => l.message === 'members').map((l) => l.members)).toContainEqual(['a', 'b']);
      expect(c.lines.at(-1)).toMatchObject({ message: 'agent stopped', how: 'kill' });
    } finally {
      await f.stopAll();
    }
  }, 120_000);
});

describe('definitions', () => {
  it('refuses to start without a DEFINITIONS item, naming the location and the table', async () => {
    const { tableName } = await db.newTable();
    const agentStore = createAgentStore({ client: db.client, tableName });
    const store = createStore({ client: db.client, tableName });

    const err = await runAgent({ location: LOCATION, instance: 'a', store, agentStore, table: tableName, write: () => {}, signal: new AbortController().signal }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: 'AGENT_NO_DEFINITIONS' });
    expect((err as Error).message).toContain(LOCATION);
    expect((err as Error).message).toContain(tableName);
  });

  it('refuses a document for another location', async () => {
    const f = await fleet(['c1']);
    const other = loadConfigText(configText(['c1']).replace(`agentLocations: [{ name: ${LOCATION} }]`, `agentLocations: [{ name: ${LOCATION} }, { name: far }]`).replace(`locations: [${LOCATION}]`, `locations: [${LOCATION}, far]`));
    await f.agentStore.putDefinitions(LOCATION, toDefinitions(other, 'far'));

    const err = await runAgent({ location: LOCATION, instance: 'a', store: createStore({ client: db.client, tableName: f.tableName }), agentStore: f.agentStore, write: () => {}, signal: new AbortController().signal }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'DEFINITIONS_INVALID' });
    expect((err as Error).message).toContain('far');
  });

  it('reads new definitions before the next minute, logs the version, runs them from that minute and reports them in the beat', async () => {
    const f = await fleet(['c1']);
    // A clock 8 s before a minute boundary, so the read before it comes 3 s after the start.
    const offset = Math.ceil((Date.now() + 20_000) / 60_000) * 60_000 - 8_000 - Date.now();
    const clock = () => Date.now() + offset;
    const a = f.start('a', { clock });
    try {
      await waitFor('agent started', () => a.lines.find((l) => l.message === 'agent started'), 20_000, f.log);
      const next = toDefinitions(loadConfigText(configText(['c1', 'added'])), LOCATION);
      await f.agentStore.putDefinitions(LOCATION, next);

      const changed = await waitFor('definitions', () => a.lines.find((l) => l.message === 'definitions'), 30_000, f.log);
      await waitFor('a result of the new check', () => f.results.find((r) => r.checkId === 'added'), 30_000, f.log);
      await waitFor('the beat to report the new version', async () => (await f.agentStore.listBeats(LOCATION))[0]?.definitions === next.sha256, 10_000, f.log);

      expect(changed).toMatchObject({ level: 'INFO', version: next.sha256, previous: a.lines.find((l) => l.message === 'agent started')!.definitions, checks: 2 });
      // The minute before the boundary has ended: the handler's own line for it carries the instance too.
      expect(a.lines.find((l) => l.message === 'probe cycle')).toMatchObject({ instance: 'a', location: LOCATION, trigger: 'scheduled' });
    } finally {
      await f.stopAll();
    }
  }, 60_000);
});

describe('defaultInstanceId', () => {
  it('is the hostname and pid, lowercased, with other characters as dashes, within 64 characters', () => {
    expect(defaultInstanceId('Probe-Host.example', 4242)).toBe('probe-host.example-4242');
    expect(defaultInstanceId('_weird host!', 7)).toBe('weird-host--7');
    expect(defaultInstanceId('', 7)).toBe('agent-7');
    const long = defaultInstanceId('h'.repeat(100), 123456);
    expect(long).toHaveLength(64);
    expect(long.endsWith('-123456')).toBe(true);
    for (const id of [defaultInstanceId('Probe-Host.example', 4242), defaultInstanceId('_weird host!', 7), long]) expect(id).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}$/);
  });
});

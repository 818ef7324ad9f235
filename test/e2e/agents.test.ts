/**
 * End to end: an agent location served by real `vantage agent` processes, started from the command
 * `vantage dev --json` prints, against that pipeline (DynamoDB Local, its stream, the evaluator, the
 * notifier) and a webhook receiver and HTTP target this test runs on 127.0.0.1. Eight checks in
 * location `edge` only, every 10 s, one retest, heartbeats every second:
 *   (a) two instances share the checks: each run of a check is on one instance, both run some;
 *   (b) a failure's retest runs on the other instance, and the recorded result names it;
 *   (c) a third joins, then one is SIGKILLed: its checks move to the others, at most one run missed;
 *   (d) all are SIGKILLed: LOCATION_SILENT reaches the receiver once per check; two restart and the
 *       silence resolves; no notification reaches the receiver twice (by dedupeKey).
 * Results are read from the table (Query CHECK#<id>, RESULT#…). The waits are hang guards; the only
 * bounds asserted are in units of the check interval (runs missed), never wall-clock time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../shared/store/dynamo.ts';
import type { StoredResult } from '../../shared/store/items.ts';
import { ownerOf } from '../../shared/usecases/instances.ts';
import { closeServer, listenLoopback, webhookReceiver, type ReceivedHook } from '../support/http-servers.ts';
import { collectDev, spawnDev, stopDev } from '../support/dev-pipeline.ts';
import { waitFor } from '../support/processes.ts';

const LOCATION = 'edge';
const INTERVAL_MS = 10_000;
const CHECKS = ['api', 'web', 'auth', 'cdn', 'db', 'queue', 'search', 'billing'];
/** The check whose target fails in (b). */
const FAILING = 'api';

type Hook = ReceivedHook<{ event: string; checkId: string; dedupeKey: string; incidentId: string }>;
type DevEvent = { ts: string; type: string; at: number } & Record<string, unknown>;
type LogLine = { at: number } & Record<string, unknown>;

interface Agent {
  id: string;
  child: ChildProcess;
  lines: LogLine[];
  exit: Promise<number | null>;
}

const failing = new Set<string>();
let target: http.Server;
const { server: receiver, hooks } = webhookReceiver<Hook['body']>();
let workdir: string;
let dev: ChildProcess;
let devExit: Promise<unknown>;
const events: DevEvent[] = [];
let devText = '';
let command: string[] = [];
let client: DynamoDBClient;
let store: Store;
const agents: Agent[] = [];

const detail = () => [
  `dev events:\n${events.slice(-15).map((e) => JSON.stringify(e)).join('\n')}`,
  ...agents.map((a) => `${a.id}:\n${a.lines.slice(-8).map((l) => JSON.stringify(l)).join('\n')}`),
  `hooks: ${JSON.stringify(hooks.map((h) => `${h.body.event} ${h.body.checkId}`))}`,
  `dev stderr:\n${devText}`,
].join('\n');
const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs: number) => waitFor(what, probe, timeoutMs, detail);

/** Polls an async probe until it gives a value (a hang guard, like waitFor). */
async function untilAsync<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function writeConfig(dir: string, targetPort: number, receiverPort: number): string {
  const file = join(dir, 'checks.yaml');
  writeFileSync(file, [
    `deployment: { homeRegion: us-east-1, agentLocations: [{ name: ${LOCATION} }] }`,
    'defaults:',
    `  interval: ${INTERVAL_MS / 1000}s`,
    '  timeout: 2s',
    `  locations: [${LOCATION}]`,
    '  retries: 1',
    '  alerting: { failureThreshold: 2, recoveryThreshold: 2, channels: [receiver] }',
    'channels:',
    `  receiver: { webhook: ["http://127.0.0.1:${receiverPort}/hook"] }`,
    'checks:',
    ...CHECKS.flatMap((id) => [`  - id: ${id}`, `    http: { url: "http://127.0.0.1:${targetPort}/${id}" }`]),
    '',
  ].join('\n'));
  return file;
}

/** `<the printed command> --instance ID --heartbeat 1s`, in its own process group (killed whole in afterAll). */
function startAgent(id: string): Agent {
  const [bin, ...args] = command;
  const child = spawn(bin!, [...args, '--instance', id, '--heartbeat', '1s'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VANTAGE_HEALTH_FILE: join(workdir, `${id}.json`) },
  });
  const agent: Agent = { id, child, lines: [], exit: new Promise((done) => child.once('exit', (code) => done(code))) };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      agent.lines.push({ ...(JSON.parse(line) as object), at: Date.now() });
    } catch {
      agent.lines.push({ at: Date.now(), text: line });
    }
  });
  child.stderr!.on('data', (c: Buffer) => agent.lines.push({ at: Date.now(), stderr: c.toString('utf8') }));
  agents.push(agent);
  return agent;
}

function killGroup(agent: Agent): void {
  try {
    process.kill(-agent.child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The members this agent saw last (its `members` log lines), sorted. */
const membersOf = (agent: Agent): string[] => {
  const last = agent.lines.filter((l) => l.message === 'members').at(-1);
  return Array.isArray(last?.members) ? [...(last.members as string[])].sort() : [];
};
const allSee = (live: Agent[], members: string[]) => live.every((a) => JSON.stringify(membersOf(a)) === JSON.stringify([...members].sort()));

const scheduled = (results: StoredResult[]) => results.filter((r) => r.trigger === undefined);
async function resultsOf(checkId: string, fromMs: number): Promise<StoredResult[]> {
  return (await store.listResults(checkId, { from: new Date(fromMs), to: new Date(Date.now() + 60_000) })).sort((a, b) => a.ts.localeCompare(b.ts));
}

/** Scheduled results closer together than half an interval: one run recorded twice (by two instances). */
function doubleRuns(results: StoredResult[]): Array<[StoredResult, StoredResult]> {
  const runs = scheduled(results);
  const doubles: Array<[StoredResult, StoredResult]> = [];
  for (let i = 1; i < runs.length; i++) {
    if (Date.parse(runs[i]!.ts) - Date.parse(runs[i - 1]!.ts) < INTERVAL_MS / 2) doubles.push([runs[i - 1]!, runs[i]!]);
  }
  return doubles;
}

/** For a failure message: each instance's member changes as it logged them, to tell a double run at a membership change from one in steady state. */
const membershipLog = () => agents.map((a) => `${a.id}: ${a.lines.filter((l) => l.message === 'members').map((l) => `${new Date(l.at).toISOString().slice(11, 23)} [${String(l.members)}]`).join(' ')}`).join('\n');
const pairText = (pairs: Array<[StoredResult, StoredResult]>) => pairs.map(([x, y]) => `${x.ts} ${x.instance} ${x.trigger ?? 'scheduled'} / ${y.ts} ${y.instance} ${y.trigger ?? 'scheduled'}`).join('; ');
const noDoubleRuns = (id: string, results: StoredResult[]) => {
  const pairs = doubleRuns(results);
  expect(pairs.length, `${id} ran twice: ${pairText(pairs)}\n${membershipLog()}`).toBe(0);
};

/** Waits until every check has `n` scheduled results from `fromMs` on. */
async function roundsSince(fromMs: number, n: number, timeoutMs: number): Promise<Map<string, StoredResult[]>> {
  return untilAsync(`${n} scheduled runs of every check`, async () => {
    const all = new Map<string, StoredResult[]>();
    for (const id of CHECKS) all.set(id, await resultsOf(id, fromMs));
    return [...all.values()].every((rs) => scheduled(rs).length >= n) && all;
  }, timeoutMs);
}

beforeAll(async () => {
  target = http.createServer((req, res) => {
    const down = failing.has((req.url ?? '').slice(1));
    res.writeHead(down ? 503 : 200, { 'content-type': 'text/plain' }).end(down ? 'down' : 'ok');
  });
  const [targetPort, receiverPort] = [await listenLoopback(target), await listenLoopback(receiver)];
  workdir = mkdtempSync(join(tmpdir(), 'vantage-e2e-agents-'));
  dev = spawnDev(writeConfig(workdir, targetPort, receiverPort));
  devExit = collectDev(dev, events, (text) => { devText += text; });

  const ready = await until('the ready event', () => events.find((e) => e.type === 'ready'), 60_000);
  expect(ready.locations).toEqual([]);
  expect(ready.agentLocations).toEqual([LOCATION]);
  const agentLine = await until('the agent command', () => events.find((e) => e.type === 'agent'), 10_000);
  console.log(`agent: ${String(agentLine.command)}`);
  command = String(agentLine.command).split(' ');
  client = new DynamoDBClient({ region: 'us-east-1', endpoint: String(ready.dynamodb), credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  store = createStore({ client, tableName: String(ready.tableName) });
}, 90_000);

afterAll(async () => {
  for (const a of agents) killGroup(a);
  await Promise.all(agents.map((a) => a.exit));
  client?.destroy();
  await stopDev(dev, devExit);
  await Promise.all([closeServer(target), closeServer(receiver)]);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('vantage agent instances against vantage dev', () => {
  let twoFrom = 0;

  it('prints a command that starts an agent against this pipeline', () => {
    const e = events.find((x) => x.type === 'agent')!;
    expect(e.location).toBe(LOCATION);
    expect(command[0]).toMatch(/^\//);
    expect(command[1]).toMatch(/^\/.*\/cli\/vantage\.mjs$/);
    expect(command.slice(2, 6)).toEqual(['agent', '--location', LOCATION, '--endpoint']);
    expect(command[6]).toBe(events.find((x) => x.type === 'ready')!.dynamodb);
    expect(command.slice(7)).toEqual(['--table', events.find((x) => x.type === 'ready')!.tableName]);
  });

  it('(a) two instances share the checks: each run on one instance, both run some', async () => {
    // The premise: with these ids the checks split between two and between three instances.
    const owners2 = new Set(CHECKS.map((id) => ownerOf(id, ['a1', 'a2'])));
    expect(owners2.size).toBe(2);
    const [a1, a2] = [startAgent('a1'), startAgent('a2')];
    await until('both instances seeing both as members', () => allSee([a1, a2], ['a1', 'a2']), 60_000);
    twoFrom = Date.now();
    const byCheck = await roundsSince(twoFrom, 3, 120_000);
    const ran = new Set<string>();
    for (const [id, results] of byCheck) {
      noDoubleRuns(id, results);
      const instances = new Set(scheduled(results).map((r) => r.instance));
      // Membership did not change, so the owner did not either.
      expect([...instances], id).toEqual([ownerOf(id, ['a1', 'a2'])]);
      for (const i of instances) ran.add(String(i));
    }
    expect([...ran].sort()).toEqual(['a1', 'a2']);
  }, 180_000);

  it('(b) a failure is retested on the other instance, and the result names it', async () => {
    const owner = ownerOf(FAILING, ['a1', 'a2']);
    const from = Date.now();
    failing.add(FAILING);
    const failed = await untilAsync('a recorded failure', async () => (await resultsOf(FAILING, from)).find((r) => !r.ok), 60_000);
    failing.delete(FAILING);
    expect(failed.retries).toBe(1);
    expect(failed.instance).toBeDefined();
    expect(failed.instance).not.toBe(owner);
    expect(['a1', 'a2']).toContain(failed.instance);
    console.log(`${FAILING} (owner ${owner}) failed at ${failed.ts}; its retest ran on ${failed.instance}`);
  }, 90_000);

  it('(c) a third joins, one is SIGKILLed: its checks are taken over, at most one run missed', async () => {
    const [a1, a2] = agents;
    const a3 = startAgent('a3');
    await until('all three seeing three members', () => allSee([a1!, a2!, a3], ['a1', 'a2', 'a3']), 60_000);
    const threeFrom = Date.now();
    await roundsSince(threeFrom, 1, 60_000);

    const killedAt = Date.now();
    killGroup(a1!);
    await a1!.exit;
    await until('the others dropping a1', () => allSee([a2!, a3], ['a2', 'a3']), 60_000);
    const droppedAt = Date.now();
    console.log(`a1 dropped from the members ${droppedAt - killedAt} ms after SIGKILL (heartbeat 1 s)`);
    const byCheck = await roundsSince(droppedAt, 2, 120_000);

    const orphans = CHECKS.filter((id) => ownerOf(id, ['a1', 'a2', 'a3']) === 'a1');
    expect(orphans.length).toBeGreaterThan(0);
    for (const id of CHECKS) {
      const results = await resultsOf(id, twoFrom);
      noDoubleRuns(id, results);
      const runs = scheduled(results).map((r) => Date.parse(r.ts));
      const before = runs.filter((t) => t < killedAt).at(-1)!;
      const after = runs.find((t) => t >= killedAt)!;
      // Runs are an interval apart; a gap under 2.5 intervals is at most one run missed.
      expect(after - before, `${id}: the gap across the kill`).toBeLessThan(2.5 * INTERVAL_MS);
      if (orphans.includes(id)) console.log(`${id} (a1's) ran at ${new Date(before).toISOString()} on a1, next at ${new Date(after).toISOString()} on ${scheduled(results).find((r) => Date.parse(r.ts) === after)?.instance}: a gap of ${after - before} ms (interval ${INTERVAL_MS})`);
      const now = scheduled(byCheck.get(id)!).map((r) => r.instance);
      expect(new Set(now), id).toEqual(new Set([ownerOf(id, ['a2', 'a3'])]));
    }
  }, 240_000);

  it('(d) all killed: LOCATION_SILENT once per check; two restarted: it resolves; nothing twice', async () => {
    const killedAt = Date.now();
    for (const a of agents) killGroup(a);
    await Promise.all(agents.map((a) => a.exit));
    const silent = await until('LOCATION_SILENT for every check', () => CHECKS.every((id) => hooks.some((h) => h.body.event === 'LOCATION_SILENT' && h.body.checkId === id && h.at >= killedAt)), 120_000);
    expect(silent).toBe(true);
    console.log(`LOCATION_SILENT for all ${CHECKS.length} checks ${Date.now() - killedAt} ms after the last agent died (interval ${INTERVAL_MS} ms: silent after 3)`);

    const restartedAt = Date.now();
    const [b1, b2] = [startAgent('a1'), startAgent('a2')];
    await until('both restarted instances members', () => allSee([b1, b2], ['a1', 'a2']), 60_000);
    const heard = (id: string) => events.some((e) => e.type === 'state' && e.checkId === id && e.at >= restartedAt
      && (e.locations as Record<string, { silent: boolean }>)[LOCATION]?.silent === false);
    await until('every check heard from edge again', () => CHECKS.every(heard), 120_000);
    // One more sweep after that, which must not page again.
    const resolvedAt = Date.now();
    await until('a sweep-interval of quiet', () => Date.now() - resolvedAt > INTERVAL_MS, INTERVAL_MS * 3);

    for (const id of CHECKS) expect(hooks.filter((h) => h.body.event === 'LOCATION_SILENT' && h.body.checkId === id), id).toHaveLength(1);
    const counts = hooks.reduce<Record<string, number>>((n, h) => ({ ...n, [h.body.event]: (n[h.body.event] ?? 0) + 1 }), {});
    console.log(`the receiver got ${hooks.length} notification(s): ${JSON.stringify(counts)}`);
    const keys = hooks.map((h) => h.body.dedupeKey);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  }, 240_000);
});

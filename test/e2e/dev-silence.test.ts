/**
 * End to end: `vantage silence` against a running `vantage dev`, both as a user runs them (child
 * processes on the pinned Node). Three locations at a 1 s interval, failureThreshold 2 and quorum 2,
 * against an HTTP target and a webhook receiver this test runs on 127.0.0.1:
 *   add a silence for the check → list shows it → the target fails, the check is counted DOWN, and
 *   nothing is delivered (no SNS notification, no webhook) → expire the silence → the DOWN follows,
 *   from the sweep (every shortest interval in `vantage dev`), as a new incident from the expiry.
 *
 * The test synchronises on the `--json` events and on what the receiver gets. It asserts no timing
 * upper bound; the waits are hang guards, and the measured times are printed.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSilence } from '../../shared/store/items.ts';
import { closeServer, listenLoopback, webhookReceiver, type ReceivedHook } from '../support/http-servers.ts';
import { collectDev, stopDev, DEV_LOCATIONS, NODE, ROOT, spawnDev, writeDevConfig } from '../support/dev-pipeline.ts';
import { waitFor } from '../support/processes.ts';

const LOCATIONS = DEV_LOCATIONS;
const CHECK = 'e2e-silenced';
const INTERVAL_MS = 1_000;
/** How long the failing check is watched while silenced: many evaluations and sweeps, each of which would page. */
const SILENCED_WATCH_MS = 6_000;

type Hook = ReceivedHook<{ event: string; checkId: string; incidentId: string; since?: string }>;
type DevEvent = { ts: string; type: string; at: number } & Record<string, unknown>;

let failing = false;
let target: http.Server;
const { server: receiver, hooks } = webhookReceiver<Hook['body']>();
let workdir: string;
let child: ChildProcess;
let childExit: Promise<unknown>;
const events: DevEvent[] = [];
let stderr = '';
let connection: string[];
let added: StoredSilence;

const lastSeen = () => `last events:\n${events.slice(-20).map((e) => JSON.stringify(e)).join('\n')}\nhooks: ${JSON.stringify(hooks.map((h) => h.body.event))}\nstderr:\n${stderr}`;
const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs: number) => waitFor(what, probe, timeoutMs, lastSeen);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hooksOf = (event: string, since = 0) => hooks.filter((h) => h.body.event === event && h.at >= since);
const notificationsOf = (event: string, since = 0) => events.filter((e) => e.type === 'notification' && e.event === event && e.at >= since);
const statesOf = (overall: string, since = 0) => events.filter((e) => e.type === 'state' && e.checkId === CHECK && e.overall === overall && e.at >= since);

/** `vantage silence …` as a separate process, against the running pipeline. */
async function vantageSilence(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await promisify(execFile)(NODE, ['cli/vantage.mjs', 'silence', ...args, ...connection], { cwd: ROOT });
    return { code: 0, stdout: out.stdout, stderr: out.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

beforeAll(async () => {
  target = http.createServer((_req, res) => res.writeHead(failing ? 503 : 200, { 'content-type': 'text/plain' }).end(failing ? 'down' : 'ok'));
  const [targetPort, receiverPort] = [await listenLoopback(target), await listenLoopback(receiver)];

  workdir = mkdtempSync(join(tmpdir(), 'vantage-e2e-silence-'));
  const config = writeDevConfig(workdir, { checkId: CHECK, targetPort, receiverPort, intervalSeconds: INTERVAL_MS / 1000, timeout: '800ms' });

  child = spawnDev(config);
  childExit = collectDev(child, events, (text) => { stderr += text; });

  const ready = await until('the ready event', () => events.find((e) => e.type === 'ready'), 60_000);
  connection = ['--endpoint', String(ready.dynamodb), '--table', String(ready.tableName)];
  expect(ready.sweepEveryMs).toBe(INTERVAL_MS);
  const readyAt = Date.now();
  await until('a passing result from every location', () => LOCATIONS.every((l) => events.some((e) => e.type === 'result' && e.location === l && e.ok === true && e.at >= readyAt)), 20_000);
}, 90_000);

afterAll(async () => {
  await stopDev(child, childExit);
  await Promise.all([closeServer(target), closeServer(receiver)]);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('vantage silence against vantage dev', () => {
  it('adds a silence for the check and lists it', async () => {
    const out = await vantageSilence('add', '--check', CHECK, '--for', '10m', '--comment', 'e2e: planned outage', '--by', 'e2e', '--json');
    expect(out.stderr).toMatch(/not verified/);
    expect(out.code).toBe(0);
    added = JSON.parse(out.stdout) as StoredSilence;
    expect(added).toMatchObject({ checks: [CHECK], createdBy: 'e2e', comment: 'e2e: planned outage' });
    expect(Date.parse(added.endsAt) - Date.parse(added.startsAt)).toBe(10 * 60_000);

    const list = await vantageSilence('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${added.id}\\s+checks ${CHECK}\\s+\\S+\\s+\\S+\\s+active, \\d+m( \\d+s)? left\\s+e2e\\s+e2e: planned outage`));
  }, 30_000);

  it('while silenced, the failing check is counted DOWN and nothing is delivered', async () => {
    const t0 = Date.now();
    failing = true;

    // The evaluator still counts: the state goes DOWN (shown as MAINTENANCE (DOWN) elsewhere).
    const down = await until('the check counted DOWN', () => statesOf('DOWN', t0)[0], 30_000);
    console.log(`counted DOWN ${down.at - t0} ms after the target failed`);
    await sleep(SILENCED_WATCH_MS);

    expect(events.filter((e) => e.type === 'result' && e.checkId === CHECK && e.ok === false && e.at >= t0).length).toBeGreaterThanOrEqual(LOCATIONS.length * 2);
    expect(notificationsOf('DOWN', t0)).toEqual([]);
    expect(hooks.filter((h) => h.at >= t0)).toEqual([]);
    // And the evaluator says why, with the silence's id.
    const suppressed = events.filter((e) => e.type === 'log' && e.message === 'evaluation.suppressed');
    expect(suppressed.map((e) => (e.fields as Record<string, unknown>))).toContainEqual(expect.objectContaining({ checkId: CHECK, event: 'DOWN', by: 'silence', byName: added.id }));
  }, 60_000);

  it('expiring it lets the DOWN out, as a new incident from the expiry', async () => {
    // Before the command: the DOWN may arrive while its process is still exiting.
    const beforeExpire = Date.now();
    const out = await vantageSilence('expire', added.id);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`silence ${added.id} expired at`);
    const list = await vantageSilence('list', '--all', '--json');
    const stored = list.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as StoredSilence & { state: string }).find((s) => s.id === added.id)!;
    expect(stored.state).toBe('expired');

    const down = await until('DOWN at the receiver after the expiry', () => hooksOf('DOWN', beforeExpire)[0], 30_000);
    console.log(`DOWN reached the receiver ${down.at - Date.parse(stored.endsAt)} ms after the silence's stored end (sweep every ${INTERVAL_MS} ms)`);
    expect(down.at).toBeGreaterThanOrEqual(Date.parse(stored.endsAt));
    expect(down.body.checkId).toBe(CHECK);
    if (down.body.since !== undefined) expect(Date.parse(down.body.since)).toBeGreaterThanOrEqual(Date.parse(stored.endsAt));
    // One decision: publishing is at least once (a stream invocation can publish a DOWN the sweep is
    // publishing at that moment, README "When a failure becomes an alert"), so repeats share its key.
    expect(new Set(notificationsOf('DOWN').map((e) => e.dedupeKey)).size).toBe(1);
    expect(notificationsOf('DOWN').every((e) => typeof e.dedupeKey === 'string')).toBe(true);

    // Exactly one: the next sweeps and results find it sent.
    await sleep(4 * INTERVAL_MS);
    expect(hooksOf('DOWN')).toHaveLength(1);
  }, 60_000);
});

/**
 * End to end: `vantage dev` as a user runs it (a child process on the pinned Node), on a config with
 * 1 s intervals, three locations, failureThreshold 2 and quorum 2, against an HTTP target and a
 * webhook receiver that this test runs on 127.0.0.1. Everything between them is the real pipeline:
 * probe handler, DynamoDB Local and its stream, the evaluator handler, fauxqs and the notifier.
 *
 * The test synchronises on the `--json` events (ready, results) and on what the receiver gets; the
 * only timing bound it asserts is the issue's: DOWN within interval × threshold + 5 s.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listenLoopback, webhookReceiver, type ReceivedHook } from '../support/http-servers.ts';
import { collectDev, DEV_LOCATIONS, spawnDev, writeDevConfig } from '../support/dev-pipeline.ts';
import { waitFor } from '../support/processes.ts';

const LOCATIONS = DEV_LOCATIONS;
const INTERVAL_MS = 1_000;
const THRESHOLD = 2;
const DOWN_BOUND_MS = INTERVAL_MS * THRESHOLD + 5_000;
/** How long the test keeps watching after an alert, to see that no second one follows. */
const QUIET_MS = 4_000;

type Hook = ReceivedHook<{ event: string; checkId: string; incidentId: string; locations: Array<{ location: string }> }>;
type DevEvent = { ts: string; type: string } & Record<string, unknown>;

/** The target: healthy, down for everyone, or down for the locations listed (told apart by User-Agent). */
let failFor: 'none' | 'all' | string[] = 'none';
const userAgents = new Set<string>();
let target: http.Server;
const { server: receiver, hooks } = webhookReceiver<Hook['body']>();

let workdir: string;
let child: ChildProcess;
let childExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
const events: DevEvent[] = [];
let stderr = '';

/** The last events (and what else helps) when a wait times out. */
const lastSeen = () => `last events:\n${events.slice(-15).map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${stderr}`;
const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs: number) => waitFor(what, probe, timeoutMs, lastSeen);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hooksOf = (event: string, since = 0) => hooks.filter((h) => h.body.event === event && h.at >= since);

/** Results from every location after `since`, all with the wanted outcome. */
function roundSeen(since: number, ok: (location: string) => boolean): boolean {
  return LOCATIONS.every((l) => events.some((e) => e.type === 'result' && e.location === l && Date.parse(e.ts) >= since && e.ok === ok(l)));
}

/** The pids whose parent is `pid`, from /proc (Linux, like CI). */
function childrenOf(pid: number): Array<{ pid: number; comm: string }> {
  const out: Array<{ pid: number; comm: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised comm: state, ppid, …
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(entry), comm });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); done(false); });
    socket.once('error', () => done(true));
  });
}

beforeAll(async () => {
  target = http.createServer((req, res) => {
    const ua = req.headers['user-agent'] ?? '';
    userAgents.add(ua);
    const failing = failFor === 'all' || (Array.isArray(failFor) && failFor.some((l) => ua.includes(`location=${l}`)));
    res.writeHead(failing ? 503 : 200, { 'content-type': 'text/plain' }).end(failing ? 'down' : 'ok');
  });
  const [targetPort, receiverPort] = [await listenLoopback(target), await listenLoopback(receiver)];

  workdir = mkdtempSync(join(tmpdir(), 'vantage-e2e-'));
  const config = writeDevConfig(workdir, { checkId: 'e2e-api', targetPort, receiverPort, intervalSeconds: 1, timeout: '800ms' });

  child = spawnDev(config);
  childExit = collectDev(child, events, (text) => { stderr += text; });

  // DynamoDB Local's JVM starts in a few seconds, slower on a busy 2-core machine.
  await until('the ready event', () => events.some((e) => e.type === 'ready'), 60_000);
  const readyAt = Date.now();
  await until('a passing round from every location', () => roundSeen(readyAt, () => true), 10_000);
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await childExit;
  }
  await Promise.all([closeServer(target), closeServer(receiver)]);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('vantage dev, end to end', () => {
  it('probes from every location, naming it in the User-Agent', () => {
    for (const l of LOCATIONS) expect([...userAgents]).toContain(`Vantage/1.0 (location=${l})`);
  });

  it('taking the target down gives exactly one DOWN at the receiver, within interval × threshold + 5 s', async () => {
    const t0 = Date.now();
    failFor = 'all';

    const down = await until('DOWN at the receiver', () => hooksOf('DOWN', t0)[0], DOWN_BOUND_MS + 5_000);
    const tookMs = down.at - t0;
    console.log(`DOWN reached the receiver ${tookMs} ms after the target went down (bound ${DOWN_BOUND_MS} ms)`);
    expect(tookMs).toBeLessThanOrEqual(DOWN_BOUND_MS);
    expect(down.body).toMatchObject({ event: 'DOWN', checkId: 'e2e-api' });
    // From the notifier, as deployed: Vantage's headers, the dedupe key to drop repeats by.
    expect(down.headers['vantage-event']).toBe('DOWN');
    expect(down.headers['vantage-dedupe-key']).toBe((down.body as unknown as { dedupeKey: string }).dedupeKey);
    expect(down.headers['vantage-delivery-attempt']).toBe('1');
    await sleep(QUIET_MS);
    expect(hooksOf('DOWN', t0)).toHaveLength(1);
    expect(hooksOf('PARTIAL', t0)).toHaveLength(0);
  }, 30_000);

  it('bringing it back gives exactly one RESOLVED', async () => {
    const t0 = Date.now();
    failFor = 'none';

    const resolved = await until('RESOLVED at the receiver', () => hooksOf('RESOLVED', t0)[0], 20_000);
    console.log(`RESOLVED reached the receiver ${resolved.at - t0} ms after the target came back`);
    const down = hooksOf('DOWN')[0]!;
    expect(resolved.body.incidentId).toBe(down.body.incidentId);
    await sleep(QUIET_MS);
    expect(hooksOf('RESOLVED', t0)).toHaveLength(1);
    expect(hooksOf('DOWN')).toHaveLength(1);
  }, 30_000);

  it('failing it for one location only gives PARTIAL and no DOWN', async () => {
    const t0 = Date.now();
    failFor = ['eu-west-1'];

    const partial = await until('PARTIAL at the receiver', () => hooksOf('PARTIAL', t0)[0], 20_000);
    console.log(`PARTIAL reached the receiver ${partial.at - t0} ms after eu-west-1 started failing`);
    expect(partial.body.locations.map((l) => l.location)).toContain('eu-west-1');
    // The other two locations keep passing, so the quorum of 2 is never reached.
    await until('more passing rounds from the other locations', () => roundSeen(partial.at + 2 * INTERVAL_MS, (l) => l !== 'eu-west-1'), 10_000);
    await sleep(QUIET_MS);
    expect(hooksOf('DOWN', t0)).toHaveLength(0);
    expect(hooksOf('PARTIAL', t0)).toHaveLength(1);

    const t1 = Date.now();
    failFor = 'none';
    const resolved = await until('RESOLVED of the partial incident', () => hooksOf('RESOLVED', t1)[0], 20_000);
    expect(resolved.body.incidentId).toBe(partial.body.incidentId);
  }, 45_000);

  it('SIGTERM stops every process and port it started within 5 s', async () => {
    const ready = events.find((e) => e.type === 'ready')!;
    const ports = [ready.dynamodb, ready.sns].map((url) => Number(new URL(String(url)).port));
    const kids = childrenOf(child.pid!);
    const java = kids.find((k) => k.comm === 'java');
    expect(java, `children of vantage dev: ${JSON.stringify(kids)}`).toBeDefined();
    for (const port of ports) expect(await refused(port)).toBe(false);

    const t0 = Date.now();
    child.kill('SIGTERM');
    const exit = await Promise.race([childExit, sleep(10_000).then(() => undefined)]);
    const tookMs = Date.now() - t0;
    console.log(`vantage dev exited ${tookMs} ms after SIGTERM`);

    expect(exit, 'vantage dev did not exit within 10 s').toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThanOrEqual(5_000);
    expect(events.at(-1)).toMatchObject({ type: 'stopped', exitCode: 0 });
    for (const k of kids) expect(alive(k.pid), `${k.comm} (pid ${k.pid}) is still running`).toBe(false);
    for (const port of ports) expect(await refused(port), `port ${port} still accepts connections`).toBe(true);
  }, 20_000);
});

/**
 * Nothing outlives `vantage dev`, however it is stopped. Each case starts it the way a user does,
 * `npm start` or `npx vantage dev`, as the top process of a new process group (as `docker run` or a
 * systemd unit would), waits for its `ready` event, stops it one way, and then watches /proc until
 * every process under the top one is gone: npm's `sh -c`, the Vantage node process and DynamoDB
 * Local's JVM (which runs in a process group of its own, so no group signal reaches it).
 *
 * - SIGTERM to npm (what `docker stop` and systemd send): npm kills only its shell and exits; node
 *   must notice its new parent and stop in order (`stopping` with reason `parent exited`).
 * - SIGKILL to node: no cleanup runs at all; the JVM must still die (pdeathsig or the watchdog).
 * - SIGINT to the whole group (Ctrl-C in a terminal), SIGHUP to node, and a stdout whose reader has
 *   gone: a clean stop.
 *
 * The bounds are hang guards, far above the measured times (which are logged).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PORTS } from '../../dev/demo-targets.ts';
import { descendants, killAll, readProc, running, waitFor, type Proc } from '../support/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** DynamoDB Local's JVM starts in a few seconds, slower on a busy 2-core machine. */
const READY_WITHIN_MS = 45_000;
/** The parent poll is 500 ms and a clean stop takes about one second. */
const GONE_WITHIN_MS = 15_000;

type DevEvent = { type: string } & Record<string, unknown>;

interface Tree {
  top: ChildProcess;
  events: DevEvent[];
  stderr: () => string;
  /** Every process under the top one once it was ready, the top included. */
  family: Proc[];
  node: Proc;
  java: Proc;
  /** DynamoDB Local's and the SNS emulator's ports, from the ready event. */
  ports: number[];
}

let workdir: string;
let config: string;
const started: ChildProcess[] = [];
const tracked: Proc[] = [];

beforeAll(() => {
  workdir = mkdtempSync(join(tmpdir(), 'vantage-lifecycle-'));
  config = join(workdir, 'checks.yaml');
  // A port nobody listens on: the probes fail fast and keep the pipeline busy, which is the point.
  writeFileSync(config, 'defaults: { interval: 1s, timeout: 500ms, locations: [a, b] }\nchecks:\n  - id: nothing\n    tcp: { host: 127.0.0.1, port: 9 }\n');
});

afterEach(() => {
  // The JVM has a process group of its own, so it is killed by pid; the rest go with the top's group.
  for (const top of started.splice(0)) {
    try {
      process.kill(-top.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  killAll(tracked.splice(0));
});

afterAll(() => { if (workdir) rmSync(workdir, { recursive: true, force: true }); });

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}

async function launch(command: string, args: string[]): Promise<Tree & { exit: Promise<number | null> }> {
  // detached: a new process group led by the top process, like a container's or a unit's.
  const top = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(top);
  const exit = new Promise<number | null>((done) => top.once('exit', (code) => done(code)));
  const self = readProc(top.pid!);
  if (self) tracked.push(self);
  const events: DevEvent[] = [];
  let stderr = '';
  let stdoutNoise = '';
  createInterface({ input: top.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as DevEvent);
    } catch {
      stdoutNoise += `${line}\n`; // npm's own `> vantage@0.1.0 start` banner
    }
  });
  top.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  const detail = () => `events: ${events.slice(-5).map((e) => JSON.stringify(e)).join('\n')}\nstdout: ${stdoutNoise}\nstderr: ${stderr}`;

  const ready = await waitFor('the ready event', () => events.find((e) => e.type === 'ready') ?? (top.exitCode !== null && 'exited'), READY_WITHIN_MS, detail);
  if (ready === 'exited') throw new Error(`${command} ${args.join(' ')} exited with ${top.exitCode} before it was ready\n${detail()}`);
  // Read again: at spawn time the top may not have exec'd yet (`env` in front of npm's node).
  const family = [readProc(top.pid!) ?? self!, ...descendants(top.pid!)];
  tracked.push(...family);
  // By the bin's path (cli/vantage.mjs, or the .bin/vantage link npx runs); npx's own node process
  // has a bare `vantage` among its arguments, which this does not match.
  const node = family.find((p) => p.exe.startsWith('node') && p.cmdline.some((arg) => /(\/vantage|vantage\.mjs)$/.test(arg)));
  const java = family.find((p) => p.exe === 'java');
  const tree = JSON.stringify(family.map((p) => ({ pid: p.pid, ppid: p.ppid, exe: p.exe })));
  expect(node, `no vantage node process among ${tree}`).toBeDefined();
  expect(java, `no java among ${tree}`).toBeDefined();
  const ports = [ready.dynamodb, ready.sns].map((url) => Number(new URL(String(url)).port));
  return { top, exit, events, stderr: () => stderr, family, node: node!, java: java!, ports };
}

async function expectAllGone(t: Tree, after: string, t0: number): Promise<void> {
  await waitFor(`every process to end after ${after}`, () => t.family.every((p) => !running(p)), GONE_WITHIN_MS,
    () => `still running: ${JSON.stringify(t.family.filter(running).map((p) => ({ pid: p.pid, exe: p.exe, cmd: p.cmdline.join(' ') })))}\nstderr: ${t.stderr()}`);
  console.log(`${after}: ${t.family.map((p) => p.exe).join(', ')} all gone within ${Date.now() - t0} ms`);
  for (const port of t.ports) expect(await accepts(port), `port ${port} still accepts connections`).toBe(false);
}

/** The node process stopped itself in order, rather than being killed. */
function expectCleanStop(t: Tree, reason: string): void {
  expect(t.events.find((e) => e.type === 'stopping')).toMatchObject({ reason });
  expect(t.events.at(-1)).toMatchObject({ type: 'stopped', exitCode: 0 });
}

const npxDev = () => launch('npx', ['vantage', 'dev', '--config', config, '--json']);
const nodeDev = () => launch(join(ROOT, 'node_modules/.bin/node'), ['cli/vantage.mjs', 'dev', '--config', config, '--json']);

/** Whether this process could listen on 127.0.0.1:port now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = net.createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

describe('nothing outlives vantage dev', () => {
  it('npm start: SIGTERM to npm stops node, DynamoDB Local and the demo targets', async () => {
    const demoPorts = Object.values(DEMO_PORTS);
    // The demo's fixed ports lie in Linux's ephemeral range (32768-60999), where another test file's
    // port-0 listener may sit for a moment: wait for them, as a user would stop the other program.
    // A hang guard, not a bound: the assertions below are unchanged.
    for (let tries = 0; tries < 300 && !(await Promise.all(demoPorts.map(bindable))).every(Boolean); tries++) await new Promise((r) => setTimeout(r, 100));
    const t = await launch('npm', ['start', '--', '--json']);
    for (const port of demoPorts) expect(await accepts(port)).toBe(true);

    const t0 = Date.now();
    t.top.kill('SIGTERM');

    await expectAllGone(t, 'SIGTERM to npm start', t0);
    expectCleanStop(t, 'parent exited');
    for (const port of demoPorts) expect(await accepts(port), `demo port ${port} still open`).toBe(false);
  }, 60_000);

  it('npx vantage dev: SIGTERM to npx stops node and DynamoDB Local', async () => {
    const t = await npxDev();

    const t0 = Date.now();
    t.top.kill('SIGTERM');

    await expectAllGone(t, 'SIGTERM to npx', t0);
    expectCleanStop(t, 'parent exited');
  }, 60_000);

  it('SIGKILL of the node process still takes DynamoDB Local with it', async () => {
    const t = await npxDev();
    expect(t.node.pid, 'the Vantage node process, not npx').not.toBe(t.top.pid);

    const t0 = Date.now();
    process.kill(t.node.pid, 'SIGKILL');

    await expectAllGone(t, 'SIGKILL to node', t0);
    expect(t.events.some((e) => e.type === 'stopping')).toBe(false);
  }, 60_000);

  it('Ctrl-C (SIGINT to the whole group) stops everything cleanly', async () => {
    const t = await npxDev();

    const t0 = Date.now();
    process.kill(-t.top.pid!, 'SIGINT');

    await expectAllGone(t, 'SIGINT to the group', t0);
    expectCleanStop(t, 'SIGINT');
  }, 60_000);

  it('a closed stdout (the reader of `vantage dev | tee` gone) stops everything cleanly', async () => {
    const t = await nodeDev();

    const t0 = Date.now();
    // The next result line then fails with EPIPE; unheard, that error would crash node mid-stop.
    t.top.stdout!.destroy();

    await expectAllGone(t, 'closing stdout', t0);
    expect(await t.exit).toBe(0);
  }, 60_000);

  it('SIGHUP (the terminal closed) stops everything cleanly', async () => {
    const t = await npxDev();

    const t0 = Date.now();
    process.kill(t.node.pid, 'SIGHUP');

    await expectAllGone(t, 'SIGHUP to node', t0);
    expectCleanStop(t, 'SIGHUP');
  }, 60_000);
});

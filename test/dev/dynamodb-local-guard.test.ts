/**
 * DynamoDB Local dies with the process that started it even when that process is killed with SIGKILL
 * and runs no cleanup: through `setpriv --pdeathsig` where util-linux has it, through the pipe
 * watchdog where it does not. Each case kills a real host process (test/support/dynamodb-local-host.ts)
 * and watches /proc until the JVM, and the watchdog, are gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { findSetpriv } from '../../shared/emulators/death-guard.ts';
import { descendants, killAll, readProc, running, waitFor, type Proc } from '../support/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** A hang guard only: the JVM goes in well under a second (the time is logged). */
const GONE_WITHIN_MS = 15_000;

const tracked: Proc[] = [];
afterEach(() => killAll(tracked.splice(0)));

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}

async function startHost(args: string[]): Promise<{ host: ChildProcess; pid: number; guard: string; port: number }> {
  const host = spawn(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'test/support/dynamodb-local-host.ts'), ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const self = readProc(host.pid!);
  if (self) tracked.push(self);
  let stderr = '';
  host.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const line = await new Promise<string>((done, fail) => {
    createInterface({ input: host.stdout }).once('line', done);
    host.once('exit', (code) => fail(new Error(`host exited with ${code} before starting DynamoDB Local:\n${stderr}`)));
  });
  const started = JSON.parse(line) as { pid: number; guard: string; port: number };
  return { host, ...started };
}

async function killHostAndWatch(args: string[], guard: string) {
  // Prepare
  const { host, pid, port, guard: used } = await startHost(args);
  const family = descendants(host.pid!);
  tracked.push(...family);
  const java = family.find((p) => p.pid === pid);
  expect(used).toBe(guard);
  expect(java?.exe, JSON.stringify(family)).toBe('java');
  expect(await accepts(port)).toBe(true);

  // Act
  const t0 = Date.now();
  host.kill('SIGKILL');

  // Assess
  await waitFor('the JVM and every other process the host started to end', () => family.every((p) => !running(p)), GONE_WITHIN_MS,
    () => JSON.stringify(family.filter(running)));
  console.log(`${guard}: ${family.map((p) => p.exe).join(', ')} gone ${Date.now() - t0} ms after SIGKILL of their parent`);
  // The processes being gone is the evidence. The port is not: once freed, another test file's
  // DynamoDB Local, picking a free port at the same moment, may already listen on it.
}

describe('DynamoDB Local outlives no one', () => {
  it.skipIf(!findSetpriv())('with setpriv: the kernel kills the JVM when its parent is SIGKILLed', async () => {
    await killHostAndWatch([], 'pdeathsig');
  }, 60_000);

  it('without setpriv: the watchdog kills the JVM when its parent is SIGKILLed', async () => {
    await killHostAndWatch(['--watchdog'], 'watchdog');
  }, 60_000);
});

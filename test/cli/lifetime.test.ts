/**
 * cli/lifetime.ts in real processes: a process whose parent exits learns of it (it is reparented
 * and nothing tells it), SIGHUP stops it, and the stop deadline ends a process that would otherwise
 * linger while one that ends on its own is not held back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, readProc, type Proc } from '../support/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const HOST = join(ROOT, 'test/support/lifetime-host.ts');

const groups: ChildProcess[] = [];
const tracked: Proc[] = [];
afterEach(() => {
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  killAll(tracked.splice(0));
});

function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}

async function nextJson(it: AsyncIterator<string>): Promise<Record<string, unknown>> {
  for (;;) {
    const { value, done } = await it.next();
    if (done) throw new Error('output ended');
    if (value.startsWith('{')) return JSON.parse(value) as Record<string, unknown>;
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((done) => child.once('close', (code) => done({ code, stderr })));
}

describe('watchLifetime', () => {
  it('reports "parent exited" when the shell that started it exits', async () => {
    // The shell starts the host in the background and exits when we write a line, as npm's
    // `sh -c` does when npm kills it: the host is reparented and never signalled.
    const sh = spawn('sh', ['-c', '"$0" "$1" watch & read _', NODE, HOST], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    groups.push(sh);
    const out = lines(sh);
    const { ready } = await nextJson(out);
    const host = readProc(Number(ready));
    expect(host?.ppid).toBe(sh.pid);
    tracked.push(host!);

    sh.stdin.end('\n');

    expect(await nextJson(out)).toEqual({ reason: 'parent exited' });
  }, 20_000);

  it('reports SIGHUP, and does not die of it', async () => {
    const host = spawn(NODE, [HOST, 'watch'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.push(host);
    const exited = exitOf(host);
    const out = lines(host);
    await nextJson(out);

    host.kill('SIGHUP');

    expect(await nextJson(out)).toEqual({ reason: 'SIGHUP' });
    expect(await exited).toEqual({ code: 0, stderr: '' });
  }, 20_000);
});

describe('exitNoLaterThan', () => {
  it('ends a process that would otherwise live on, with the given code', async () => {
    const host = spawn(NODE, [HOST, 'deadline', '300'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.push(host);

    expect(await exitOf(host)).toEqual({ code: 3, stderr: 'overdue\n' });
  }, 20_000);

  it('does not hold back a process that ends on its own', async () => {
    const host = spawn(NODE, [HOST, 'deadline-idle', '60000'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.push(host);

    // Had the timer kept the process alive, this would wait 60 s and the test would time out.
    expect(await exitOf(host)).toEqual({ code: 0, stderr: '' });
  }, 20_000);
});

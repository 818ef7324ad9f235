/**
 * `vantage dev` when its environment lets it down: no Java (it says how to install it and exits 2),
 * and DynamoDB Local dying under it (reported, exit 1, nothing left running; it never hangs).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
let workdir: string;
let config: string;

beforeAll(() => {
  workdir = mkdtempSync(join(tmpdir(), 'vantage-e2e-fail-'));
  config = join(workdir, 'checks.yaml');
  // A target nobody listens on: the probes fail fast, which is fine here.
  writeFileSync(config, 'defaults: { interval: 1s, timeout: 500ms, locations: [a, b] }\nchecks:\n  - id: nothing\n    tcp: { host: 127.0.0.1, port: 9 }\n');
});
afterAll(() => { if (workdir) rmSync(workdir, { recursive: true, force: true }); });

function startDev(env: Record<string, string | undefined>) {
  const child = spawn(join(ROOT, 'node_modules/.bin/node'), ['cli/vantage.mjs', 'dev', '--config', config, '--json'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Array<Record<string, unknown>> = [];
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (l) => { try { events.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not an event */ } });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, events, exit, stderr: () => stderr };
}

function javaChildOf(pid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) === 'java' && Number(stat.slice(close + 2).split(' ')[1]) === pid) return Number(entry);
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

describe('vantage dev failures', () => {
  it('without Java, says how to install it and exits 2', async () => {
    const dev = startDev({ JAVA_HOME: join(workdir, 'no-java-here'), PATH: process.env.PATH });

    expect(await within(dev.exit, 15_000)).toBe(2);
    expect(dev.stderr()).toMatch(/DynamoDB Local needs Java 17 or newer/);
    expect(dev.stderr()).toMatch(/apt-get install default-jre-headless/);
    expect(dev.stderr()).toMatch(/brew install openjdk/);
  }, 20_000);

  it('reports a crashed DynamoDB Local and exits 1 instead of hanging, leaving no port open', async () => {
    const dev = startDev({});
    const deadline = Date.now() + 60_000;
    while (!dev.events.some((e) => e.type === 'ready')) {
      if (Date.now() > deadline || dev.child.exitCode !== null) throw new Error(`no ready event; stderr: ${dev.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ready = dev.events.find((e) => e.type === 'ready')!;
    const snsPort = Number(new URL(String(ready.sns)).port);
    const java = javaChildOf(dev.child.pid!);
    expect(java).toBeDefined();

    process.kill(java!, 'SIGKILL');

    const code = await within(dev.exit, 10_000);
    if (code === 'timeout') dev.child.kill('SIGKILL');
    expect(code).toBe(1);
    expect(dev.stderr()).toMatch(/DynamoDB Local on port \d+ killed by SIGKILL unexpectedly/);
    expect(dev.events.some((e) => e.type === 'fatal')).toBe(true);
    const refused = await new Promise<boolean>((done) => {
      const s = net.connect(snsPort, '127.0.0.1');
      s.once('connect', () => { s.destroy(); done(false); });
      s.once('error', () => done(true));
    });
    expect(refused).toBe(true);
  }, 90_000);
});

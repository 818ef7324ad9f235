/**
 * HTTP/2 targets that time out or are cancelled mid-request. Before the fix, destroying the socket
 * under a pending h2 request made undici fail `assert(client[kPending] === 0)` outside any promise:
 * an uncaught exception that ended `vantage run` before it printed anything. These run the real
 * `vantage` bin in its own process (a crash there is an exit code, not a vitest error), mixed with
 * healthy checks, and cancel h2 requests in this process at each stage.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import type http2 from 'node:http2';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHttp } from '../../shared/probe/http.ts';
import type { ProbeOutcome } from '../../shared/probe/types.ts';
import { makeTestPki, type TestPki } from '../../testkit/certs.ts';
import { httpCheck, startH2Only, startHttp, tlsOptions, writePems, type PemDir, type Running } from '../support/http-servers.ts';

const REPO = join(import.meta.dirname, '../..');
const TIMEOUT_MS = 600;

let pki: TestPki;
let pems: PemDir;
const servers: Running[] = [];
const timers = new Set<NodeJS.Timeout>();
const later = (ms: number, fn: () => void) => {
  const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
  timers.add(t);
};
/** Called when the server has a stream carrying `x-test-id`, so a test can act at that point. */
const onStream = new Map<string, (stream: http2.ServerHttp2Stream) => void>();

const live = (s: http2.ServerHttp2Stream) => !s.destroyed && !s.closed;

/** One h2-only server per behaviour, chosen by path. */
function h2Behaviour(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stream.on('error', () => {});
  const id = headers['x-test-id'];
  if (typeof id === 'string') onStream.get(id)?.(stream);
  switch (headers[':path']) {
    case '/never':
      return; // HEADERS never come
    case '/late':
      later(TIMEOUT_MS * 3, () => live(stream) && stream.respond({ ':status': 200 }) && undefined);
      return;
    case '/slowish':
      later(TIMEOUT_MS / 4, () => { if (live(stream)) { stream.respond({ ':status': 200 }); stream.end('late but fine'); } });
      return;
    case '/big':
      stream.respond({ ':status': 200 });
      stream.end(Buffer.alloc(1024 * 1024, 0x61));
      return;
    case '/stalled-body':
      stream.respond({ ':status': 200 });
      stream.write('part of it');
      return; // the rest never comes
    default:
      stream.respond({ ':status': 200 });
      stream.end('ok over h2');
  }
}

let h2: Running;
let h1: Running;

beforeAll(async () => {
  pki = await makeTestPki();
  pems = writePems(pki);
  h2 = await startH2Only(tlsOptions(pki.server), h2Behaviour);
  h1 = await startHttp((_req, res) => res.end('ok over http/1.1'));
  servers.push(h2, h1);
});

afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  await Promise.all(servers.map((s) => s.close()));
  pems.remove();
});

interface BinRun { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** The real bin in a child process; killed if it outlives the test, so nothing is left running. */
async function vantage(args: string[]): Promise<BinRun> {
  const child = spawn(process.execPath, [join(REPO, 'cli/vantage.mjs'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  child.stderr.on('data', (d: Buffer) => { stderr += d; });
  const guard = setTimeout(() => child.kill('SIGKILL'), 25_000);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(guard);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('HTTP/2 probes that time out inside `vantage run`', () => {
  it('prints every result, classified, and exits normally', async () => {
    const config = join(pems.dir, 'h2-run.yaml');
    const h2check = (id: string, path: string) => `  - { id: ${id}, http: { url: "${h2.url(path)}", tls: { ca: ca.pem } } }`;
    writeFileSync(config, [
      // retries 1 (the default) retests each failure once: twice the teardowns.
      `defaults: { interval: 30s, timeout: ${TIMEOUT_MS}ms }`,
      'checks:',
      h2check('h2-never', '/never'),
      h2check('h2-late', '/late'),
      h2check('h2-stalled-body', '/stalled-body'),
      h2check('h2-ok', '/'),
      h2check('h2-slowish', '/slowish'),
      `  - { id: h1-ok, http: { url: "${h1.url('/')}" } }`,
      h2check('h2-never-again', '/never'),
      '',
    ].join('\n'));

    const r = await vantage(['run', '--config', config, '--json', '--concurrency', '4']);

    expect(r.stderr).not.toMatch(/AssertionError|kPending/);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1); // some checks are down: the "a check is down" exit, not a crash
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ProbeOutcome & { checkId: string; status: string });
    const by = Object.fromEntries(results.map((x) => [x.checkId, x]));
    expect(results.map((x) => x.checkId).sort()).toEqual(['h1-ok', 'h2-late', 'h2-never', 'h2-never-again', 'h2-ok', 'h2-slowish', 'h2-stalled-body']);
    for (const id of ['h2-never', 'h2-late', 'h2-never-again']) {
      expect(by[id]!.status).toBe('down');
      expect(by[id]!.failure?.reason).toBe('timeout');
      expect(by[id]!.failure?.message).toMatch(/waiting for the response headers$/);
      expect(by[id]!.tls?.alpn).toBe('h2');
    }
    expect(by['h2-stalled-body']!.failure?.reason).toBe('timeout');
    expect(by['h2-stalled-body']!.failure?.message).toMatch(/reading the body \(10 bytes so far\)$/);
    expect(by['h2-stalled-body']!.http).toMatchObject({ status: 200, version: 'HTTP/2' });
    expect(by['h2-ok']).toMatchObject({ status: 'up', http: { version: 'HTTP/2' } });
    expect(by['h2-slowish']).toMatchObject({ status: 'up', http: { version: 'HTTP/2' } });
    expect(by['h1-ok']).toMatchObject({ status: 'up', http: { version: 'HTTP/1.1' } });
  });
});

describe('cancelling an HTTP/2 request in this process', () => {
  const uncaught: unknown[] = [];
  const record = (err: unknown) => { uncaught.push(err); };
  beforeAll(() => { process.on('uncaughtException', record); });
  afterAll(() => { process.off('uncaughtException', record); });

  let ids = 0;
  /** Probes `path` and aborts `afterMs` after the server has the request's stream. */
  async function cancelled(path: string, afterMs: number): Promise<ProbeOutcome> {
    const id = String(++ids);
    const check = httpCheck({ url: h2.url(path), headers: { 'x-test-id': id }, tls: { ca: 'ca.pem' } }, { timeout: '10s', baseDir: pems.dir });
    const cancel = new AbortController();
    let streamClosed!: Promise<unknown>;
    const arrived = new Promise<void>((resolve) => {
      onStream.set(id, (stream) => {
        // Not events.once: that rejects on 'error', and a reset stream may emit one first.
        streamClosed = new Promise((resolve) => stream.once('close', resolve));
        later(afterMs, () => cancel.abort());
        resolve();
      });
    });
    const r = await probeHttp(check, { signal: cancel.signal, timeoutMs: check.timeout });
    await arrived;
    // The server sees the stream go: the request was cancelled, not left open on a dead session.
    await streamClosed;
    onStream.delete(id);
    // undici's own timers and socket events after the teardown are where the assertion fired.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return r;
  }

  it('before the response headers', async () => {
    const r = await cancelled('/never', 150);
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('timeout');
    expect(r.failure?.message).toMatch(/waiting for the response headers$/);
    expect(r.tls?.alpn).toBe('h2');
    expect(uncaught).toEqual([]);
  });

  it('while reading the body', async () => {
    const r = await cancelled('/stalled-body', 150);
    expect(r.failure?.reason).toBe('timeout');
    expect(r.failure?.message).toMatch(/reading the body \(10 bytes so far\)$/);
    expect(r.http).toMatchObject({ status: 200, version: 'HTTP/2' });
    expect(uncaught).toEqual([]);
  });

  it('at the body cap, where the prober stops reading and resets the stream', async () => {
    const big = httpCheck({ url: h2.url('/big'), maxBodyBytes: 100_000, assert: { bodyMatches: ['a'] }, tls: { ca: 'ca.pem' } }, { baseDir: pems.dir });
    const r = await probeHttp(big, { signal: AbortSignal.timeout(big.timeout), timeoutMs: big.timeout });
    expect(r.failure?.reason).toBe('body_too_large');
    expect(r.http?.version).toBe('HTTP/2');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(uncaught).toEqual([]);
  });

  it('many times over, interleaved with healthy probes on the same server', async () => {
    const ok = httpCheck({ url: h2.url('/'), tls: { ca: 'ca.pem' } }, { baseDir: pems.dir });
    for (let i = 0; i < 10; i++) {
      const [a, b] = await Promise.all([
        cancelled(i % 2 ? '/never' : '/stalled-body', i % 3),
        probeHttp(ok, { signal: AbortSignal.timeout(ok.timeout), timeoutMs: ok.timeout }),
      ]);
      expect(a.failure?.reason).toBe('timeout');
      expect(b.failure).toBeUndefined();
    }
    expect(uncaught).toEqual([]);
  });
});

/**
 * The first probe of a fresh process measures what the hundredth does, once the engine has warmed
 * up (shared/probe/warmup.ts, run by the probe function's init and the CLI). Each process here is
 * fresh (test/support/probe-child.ts) and probes the same loopback HTTPS server a dozen times; the
 * first probe is compared with that process's own later probes, cold processes with warm ones, and
 * the connect time with curl's. Every bound is relative to a baseline measured in the same run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Phases } from '../../shared/probe/types.ts';
import { warmUp } from '../../shared/probe/warmup.ts';
import { makeTestPki } from '../../testkit/certs.ts';
import { startHttps, startTcp, tlsOptions, writePems, type PemDir, type Running } from '../support/http-servers.ts';

const PROCESSES = 4;
const PROBES = 12;

let server: Running;
let pems: PemDir;
beforeAll(async () => {
  const pki = await makeTestPki();
  pems = writePems(pki);
  server = await startHttps(tlsOptions(pki.server), (_req, res) => res.end('ok'));
});
afterAll(async () => {
  await server.close();
  pems.remove();
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function freshProcess(warm: boolean): Promise<Phases[]> {
  const plan = { warm, baseDir: pems.dir, probes: [{ spec: { url: server.url('/'), tls: { ca: 'ca.pem' } }, times: PROBES }] };
  const child = spawn(process.execPath, [join(import.meta.dirname, '../support/probe-child.ts'), JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    await once(child, 'exit');
  } finally {
    clearTimeout(guard);
  }
  return (JSON.parse(stdout) as { probes: Array<{ phases: Phases }> }).probes.map((p) => p.phases);
}

interface Summary { first: number; firstConnect: number; later: number }
/** connect + tls of the first probe, and the median of the probes after the second. */
function summarise(phases: Phases[]): Summary {
  const handshake = (p: Phases) => p.connect! + p.tls!;
  return { first: handshake(phases[0]!), firstConnect: phases[0]!.connect!, later: median(phases.slice(2).map(handshake)) };
}

/** Not spawnSync: the server is in this process and must keep answering while curl runs. */
async function curlConnectMs(url: string): Promise<number | undefined> {
  if (spawnSync('curl', ['--version']).status !== 0) return undefined;
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const curl = spawn('curl', ['-sk', '--max-time', '10', '-o', '/dev/null', '-w', '%{time_connect}', url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    curl.stdout.on('data', (d: Buffer) => { out += d; });
    const [code] = await once(curl, 'exit');
    if (code === 0) samples.push(Number(out) * 1000);
  }
  return samples.length ? median(samples) : undefined;
}

describe('the first probe of a fresh process', () => {
  it('measures connect and TLS like the later ones once warmed up, and unlike them without', { timeout: 120_000 }, async () => {
    const cold: Summary[] = [];
    const warm: Summary[] = [];
    // Alternating, so machine load drifting during the test weighs on both alike.
    for (let i = 0; i < PROCESSES; i++) {
      cold.push(summarise(await freshProcess(false)));
      warm.push(summarise(await freshProcess(true)));
    }
    const excess = (s: Summary[]) => median(s.map((x) => x.first - x.later));
    const report = {
      coldFirst: median(cold.map((x) => x.first)), warmFirst: median(warm.map((x) => x.first)), later: median(warm.map((x) => x.later)),
      coldExcess: excess(cold), warmExcess: excess(warm),
    };
    // The cold first probe is what the warm-up is for: several ms of connect and TLS on loopback.
    expect(report.coldExcess, JSON.stringify(report)).toBeGreaterThan(report.later);
    // Warm, most of that is gone (measured here: 7.5–11 ms of excess cold, 1–1.4 ms warm).
    expect(report.warmExcess, JSON.stringify(report)).toBeLessThan(report.coldExcess / 3);
    expect(report.warmFirst, JSON.stringify(report)).toBeLessThan(report.later * 3);

    // curl on the same server (TLS verification aside: time_connect is the TCP handshake).
    const curl = await curlConnectMs(server.url('/'));
    if (curl !== undefined) {
      const warmConnect = median(warm.map((x) => x.firstConnect));
      const coldConnect = median(cold.map((x) => x.firstConnect));
      // Near curl's (a C process, ~0.15 ms), or at least a quarter of the cold connect measured in
      // this run: curl's figure hardly moves with load while node's does, and on a loaded 2-core
      // machine a warm 1.2 ms against curl's 0.146 ms failed a bare 8× bound (cold was 7.5 ms).
      expect(warmConnect, JSON.stringify({ curl, warmConnect, coldConnect })).toBeLessThan(Math.max(curl * 8, coldConnect / 4));
    }
  });
});

describe('phases are taken at the right events', () => {
  it('ttfb ends at the first byte of the status line; the rest of the headers belongs to transfer', async () => {
    const { probeHttp } = await import('../../shared/probe/http.ts');
    const { httpCheck } = await import('../support/http-servers.ts');
    const timers = new Set<NodeJS.Timeout>();
    const split = await startTcp((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\n');
        timers.add(setTimeout(() => s.end('content-length: 2\r\nconnection: close\r\n\r\nok'), 150));
      });
    });
    try {
      const check = httpCheck({ url: split.url('/') });
      const r = await probeHttp(check, { signal: AbortSignal.timeout(check.timeout), timeoutMs: check.timeout });
      expect(r.failure).toBeUndefined();
      expect(r.phases.transfer).toBeGreaterThanOrEqual(150);
      expect(r.phases.ttfb).toBeLessThan(r.phases.transfer!);
      // The phases follow one another: their sum is the total but for Vantage's own bookkeeping.
      const sum = r.phases.dns! + r.phases.connect! + r.phases.ttfb! + r.phases.transfer!;
      expect(sum).toBeLessThanOrEqual(r.phases.total);
      expect(sum).toBeGreaterThan(r.phases.total * 0.9);
    } finally {
      for (const t of timers) clearTimeout(t);
      await split.close();
    }
  });
});

describe('warmUp', () => {
  it('succeeds once per process and leaves no server, socket or timer behind', async () => {
    const counts = () => {
      const n: Record<string, number> = {};
      for (const k of process.getActiveResourcesInfo()) if (/TCP|TLS|Timeout|HTTP2/i.test(k)) n[k] = (n[k] ?? 0) + 1;
      return n;
    };
    const grown = (before: Record<string, number>) => Object.entries(counts()).filter(([k, n]) => n > (before[k] ?? 0));
    const before = counts();
    const first = warmUp();
    expect(warmUp()).toBe(first);
    const report = await first;
    expect(report).toMatchObject({ ok: true });
    // Sockets finish closing on the next turns of the loop.
    for (let i = 0; i < 50 && grown(before).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(grown(before)).toEqual([]);
  });
});

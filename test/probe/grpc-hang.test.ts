/**
 * gRPC over TLS to a port that accepts TCP and never answers the handshake: every probe settles at
 * its timeout and leaves no socket behind, and `vantage check` exits. Before the fix the connector's
 * socket stayed open forever (grpc-js destroys neither a pending handshake nor its socket when the
 * channel closes), so `check` never exited and `vantage dev` leaked ~3 sockets a second.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { loadProbers, runChecks } from '../../shared/probe/index.ts';
import { startRawServer, type RawServer } from '../support/grpc-server.ts';

const BIN = fileURLToPath(new URL('../../cli/vantage.mjs', import.meta.url));

/** Open descriptors of this process (vitest runs each file in its own fork). */
const openFds = () => readdirSync('/proc/self/fd').length;

let silent: RawServer;
let accepted = 0;
let open = 0;

beforeAll(async () => {
  silent = await startRawServer((socket) => {
    accepted++;
    open++;
    // Reads and drops the ClientHello, never answering it; reading is what lets it see the client's FIN.
    socket.resume();
    socket.on('close', () => open--);
  });
});
afterAll(() => silent.close());

function checks(n: number, timeout: string) {
  return loadConfigObject({
    checks: Array.from({ length: n }, (_, i) => ({ id: `g${i}`, timeout, grpc: { target: silent.target, tls: true } })),
  }).checks;
}

async function settle(condition: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return condition();
}

describe('gRPC TLS to a port that never answers the handshake', () => {
  it('settles all 500 probes as tls_handshake and the open descriptors do not grow', async () => {
    const list = checks(500, '60ms');
    await loadProbers(list);
    // A first batch opens what stays open for the process (grpc-js's module state, the event loop's own).
    await runChecks(list.slice(0, 20), { concurrency: 20 });
    await settle(() => open === 0);
    const before = openFds();
    const acceptedBefore = accepted;

    const results = await runChecks(list, { concurrency: 20 });

    expect(results).toHaveLength(500);
    expect(new Set(results.map((r) => r.failure?.reason))).toEqual(new Set(['tls_handshake']));
    expect(accepted - acceptedBefore).toBe(500);
    // The server sees every connection closed: nothing is left half-open on either side.
    expect(await settle(() => open === 0)).toBe(true);
    // Each leaked probe held two descriptors (ours and the server's end); 500 probes would add 1000.
    expect(openFds() - before).toBeLessThanOrEqual(8);
  });

  it('`vantage check grpc://… --tls` exits 1 within its timeout plus the start-up a refused port takes', async () => {
    const run = (target: string, timeout: string) => new Promise<{ code: number | null; ms: number; stdout: string }>((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, [BIN, 'check', `grpc://${target}`, '--tls', '--timeout', timeout], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      // Bounds the test if the fix regresses: the child would otherwise never exit.
      const kill = setTimeout(() => child.kill('SIGKILL'), 25_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(kill);
        resolve({ code, ms: performance.now() - t0, stdout });
      });
    });
    const closed = await startRawServer(() => {});
    const refusedTarget = closed.target;
    await closed.close();
    // Start-up, probe and exit of the same command where the probe fails at once: the baseline.
    const baseline = await run(refusedTarget, '500ms');
    expect(baseline.code).toBe(1);

    const hung = await run(silent.target, '500ms');
    expect(hung.code).toBe(1);
    expect(hung.stdout).toContain('tls_handshake');
    // Generous: twice the baseline for a noisy machine, plus the timeout and the runner's grace.
    expect(hung.ms).toBeLessThan(2 * baseline.ms + 500 + 1000);
  });
});

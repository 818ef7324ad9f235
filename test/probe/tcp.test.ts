import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TcpCheck } from '../../shared/config/schema.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { runProbe } from '../../shared/probe/index.ts';
import { probeTcp } from '../../shared/probe/tcp.ts';
import { MAX_PENDING_BYTES } from '../../shared/probe/tcp-steps.ts';
import { makeTestPki, type TestPki } from '../../testkit/certs.ts';
import {
  bannerServer, closingServer, redisLikeServer, refusedPort, resettingServer, sayAndCloseServer, silentServer,
  tlsRedisLikeServer, tlsServer, type Running,
} from '../support/tcp-servers.ts';
import { hangBound } from '../support/timing.ts';

let dir: string;
let pki: TestPki;
const servers: Running[] = [];

async function serve(s: Promise<Running>): Promise<Running> {
  const r = await s;
  servers.push(r);
  return r;
}

/** A check built by the real loader, as a user's config would be; `ca` and friends are files in `dir`. */
function tcpCheck(tcp: Record<string, unknown>, timeout = '2s'): TcpCheck {
  return loadConfigObject({ checks: [{ id: 'tcp-test', timeout, tcp }] }, { baseDir: dir }).checks[0] as TcpCheck;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-tcp-'));
  pki = await makeTestPki();
  writeFileSync(join(dir, 'ca.pem'), pki.ca.cert);
  writeFileSync(join(dir, 'other-ca.pem'), pki.otherCa.cert);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('probeTcp: connect only', () => {
  it('is up when the port accepts, with connect phase and remote address; no dns phase for an IP literal', async () => {
    const srv = await serve(bannerServer());
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port }));
    expect(r).toMatchObject({ ok: true, status: 'up', kind: 'tcp', target: `127.0.0.1:${srv.port}`, remoteAddress: '127.0.0.1' });
    expect(r.failure).toBeUndefined();
    expect(r.phases.dns).toBeUndefined();
    expect(r.phases.tls).toBeUndefined();
    expect(r.phases.connect).toBeGreaterThanOrEqual(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.connect!);
    expect(r.assertions).toEqual([]);
  });

  it('times the lookup as the dns phase for a host name (localhost, IPv4 only)', async () => {
    const srv = await serve(bannerServer());
    const r = await runProbe(tcpCheck({ host: 'localhost', port: srv.port, ipFamily: 4 }));
    expect(r.ok).toBe(true);
    expect(r.remoteAddress).toBe('127.0.0.1');
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.dns! + r.phases.connect!);
  });

  it('classifies a refused connection as connect_refused', async () => {
    const port = await refusedPort();
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port }));
    expect(r).toMatchObject({ ok: false, status: 'down', failure: { reason: 'connect_refused' } });
    expect(r.failure!.message).toContain('ECONNREFUSED');
    expect(r.tcp).toBeUndefined();
  });

  it('gives connect_timeout when the signal fires before the connection is up', async () => {
    const srv = await serve(silentServer());
    const ctl = new AbortController();
    ctl.abort();
    const r = await probeTcp(tcpCheck({ host: '127.0.0.1', port: srv.port }), { signal: ctl.signal, timeoutMs: 1000 });
    expect(r.ok).toBe(false);
    expect(r.failure).toEqual({ reason: 'connect_timeout', message: 'timed out after 1000ms connecting' });
  });
});

describe('probeTcp: send and expect', () => {
  it('matches an SSH banner and reports what was received, printable', async () => {
    const srv = await serve(bannerServer());
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, expect: '^SSH-2\\.0-' }));
    expect(r.ok).toBe(true);
    expect(r.assertions).toEqual([{ name: 'received matches /^SSH-2\\.0-/', ok: true, detail: '"SSH-2.0-"' }]);
    expect(r.tcp?.received).toBe('SSH-2.0-Test\\r\\n');
  });

  it('fails with expect_mismatch when the banner does not match, quoting what was received', async () => {
    const srv = await serve(bannerServer());
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, expect: '^SSH-1\\.' }, '500ms'));
    // The banner server keeps the connection open, so the mismatch is only known at the deadline.
    expect(r.ok).toBe(false);
    expect(r.assertions).toEqual([{ name: 'received matches /^SSH-1\\./', ok: false, detail: 'received "SSH-2.0-Test\\r\\n"' }]);
    expect(r.failure).toEqual({ reason: 'expect_mismatch', message: 'no match for /^SSH-1\\./ within 500ms; received "SSH-2.0-Test\\r\\n"' });
  });

  it('runs a Redis-like PING/+PONG exchange, each expect consuming its match', async () => {
    const srv = await serve(redisLikeServer());
    const r = await runProbe(tcpCheck({
      host: '127.0.0.1', port: srv.port,
      steps: [{ send: 'PING\r\n' }, { expect: '^\\+PONG\\r$' }, { send: 'PING\r\n' }, { expect: '^\\+PONG\\r$' }, { send: 'ECHO\r\n' }, { expect: '^-ERR' }],
    }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.assertions.map((a) => a.ok)).toEqual([true, true, true]);
    expect(r.tcp?.received).toBe("+PONG\\r\\n+PONG\\r\\n-ERR unknown command 'ECHO'\\r\\n");
  });

  it('does not let a second expect match data the first one consumed', async () => {
    // One PONG only: the second expect must wait for new data, and times out with nothing unmatched.
    const srv = await serve(redisLikeServer());
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, steps: [{ send: 'PING\r\n' }, { expect: 'PONG\r\n' }, { expect: 'PONG' }] }, '500ms'));
    expect(r.assertions.map((a) => a.ok)).toEqual([true, false]);
    expect(r.failure).toEqual({ reason: 'timeout', message: 'no match for /PONG/ within 500ms; received ""' });
  });

  it('fails with expect_mismatch when the peer answers something else and closes', async () => {
    const srv = await serve(sayAndCloseServer('-ERR max clients\r\n'));
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, send: 'PING\r\n', expect: '^\\+PONG' }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('expect_mismatch');
    expect(r.failure?.message).toBe('connection closed before /^\\+PONG/ matched; received "-ERR max clients\\r\\n"');
    expect(r.tcp?.received).toBe('-ERR max clients\\r\\n');
  });

  it('fails with expect_mismatch and an empty receive when the server closes at once', async () => {
    const srv = await serve(closingServer());
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, expect: 'SSH' }));
    expect(r).toMatchObject({ ok: false, failure: { reason: 'expect_mismatch' }, tcp: { received: '' } });
    expect(r.assertions).toEqual([{ name: 'received matches /SSH/', ok: false, detail: 'received ""' }]);
  });

  it('is up against a server that closes at once when there is nothing to expect (connect only)', async () => {
    const srv = await serve(closingServer());
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port }));
    expect(r.ok).toBe(true);
  });

  it('classifies a reset while waiting as connection_reset', async () => {
    const srv = await serve(resettingServer());
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, send: 'HELLO\r\n', expect: 'WORLD' }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('connection_reset');
    expect(r.failure?.message).toContain('ECONNRESET');
  });

  it('times out against a server that never speaks, and closes its socket', async () => {
    const srv = await serve(silentServer());
    const t0 = performance.now();
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, expect: 'SSH' }, '500ms'));
    const took = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, status: 'down', failure: { reason: 'timeout', message: 'no match for /SSH/ within 500ms; received ""' } });
    // The silent server never speaks, so a probe that ignored its timeout would not return at all.
    expect(took).toBeLessThan(hangBound(500));
    expect(r.phases.connect).toBeGreaterThanOrEqual(0);
  });

  it('fails with expect_mismatch once more than 64 KiB arrive without a match, and reports only the tail', async () => {
    const flood = 'x'.repeat(MAX_PENDING_BYTES + 10_000);
    const srv = await serve(bannerServer(flood));
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, expect: 'never' }));
    expect(r.failure?.reason).toBe('expect_mismatch');
    expect(r.failure?.message).toMatch(/^no match for \/never\/ in the 65536 bytes received; starts "x{200}… \(\d+ more chars\)"$/);
    expect(r.tcp?.received).toBe('x'.repeat(200));
  });

  it('escapes control bytes in what it reports', async () => {
    const srv = await serve(sayAndCloseServer(Buffer.from([0x00, 0x1b, 0x5b, 0x41, 0x5c, 0x0a])));
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, expect: 'OK' }));
    expect(r.tcp?.received).toBe('\\x00\\x1b[A\\\\\\n');
  });
});

describe('probeTcp: TLS', () => {
  it('speaks TLS to a banner server trusted through the test CA, with a tls phase and tls facts', async () => {
    const srv = await serve(tlsServer({ cert: pki.server.cert, key: pki.server.key }));
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, tls: { ca: 'ca.pem' }, expect: '^SSH-2\\.0-Test' }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.phases.tls).toBeGreaterThanOrEqual(0);
    expect(r.tls).toMatchObject({ authorized: true, version: expect.stringMatching(/^TLSv1\.[23]$/) });
    expect(r.tls?.chain?.[0]?.subject).toBe('CN=localhost');
  });

  it('runs send/expect steps over TLS', async () => {
    const srv = await serve(tlsRedisLikeServer({ cert: pki.server.cert, key: pki.server.key }));
    const r = await runProbe(tcpCheck({ host: 'localhost', ipFamily: 4, port: srv.port, tls: { ca: 'ca.pem' }, send: 'PING\r\n', expect: '^\\+PONG' }));
    expect(r.ok).toBe(true);
    expect(r.assertions).toEqual([{ name: 'received matches /^\\+PONG/', ok: true, detail: '"+PONG"' }]);
  });

  it('fails with cert_untrusted when the CA does not match, before any step runs', async () => {
    const srv = await serve(tlsServer({ cert: pki.server.cert, key: pki.server.key }));
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, tls: { ca: 'other-ca.pem' }, expect: 'SSH' }));
    expect(r).toMatchObject({ ok: false, failure: { reason: 'cert_untrusted' }, assertions: [] });
    expect(r.phases.connect).toBeGreaterThanOrEqual(0);
    expect(r.phases.tls).toBeUndefined();
  });

  it('fails with cert_untrusted when the server presents a client-auth-only certificate (INVALID_PURPOSE)', async () => {
    const srv = await serve(tlsServer({ cert: pki.client.cert, key: pki.client.key }));
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, tls: { ca: 'ca.pem' } }));
    expect(r.failure?.reason).toBe('cert_untrusted');
    expect(r.failure?.message).toContain('INVALID_PURPOSE');
  });

  it('fails with cert_hostname when serverName is not on the certificate', async () => {
    const srv = await serve(tlsServer({ cert: pki.server.cert, key: pki.server.key }));
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, tls: { ca: 'ca.pem', serverName: 'db.example' } }));
    expect(r.failure?.reason).toBe('cert_hostname');
  });

  it('gives tls_handshake when the server accepts TCP but never answers the handshake', async () => {
    const srv = await serve(silentServer());
    const t0 = performance.now();
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, tls: true }, '500ms'));
    expect(performance.now() - t0).toBeLessThan(hangBound(500));
    expect(r.failure).toEqual({ reason: 'tls_handshake', message: 'timed out after 500ms in the TLS handshake' });
  });

  it('gives tls_handshake when the server speaks plain text instead of TLS', async () => {
    const srv = await serve(bannerServer('SSH-2.0-Test\r\n'));
    const r = await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, tls: true }));
    expect(r.failure?.reason).toBe('tls_handshake');
  });
});

describe('probeTcp: cleanup', () => {
  it('closes its connection after up, mismatch and timeout, so the server sees none left open', async () => {
    const srv = await serve(bannerServer());
    await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, expect: 'SSH' }));
    await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port, expect: 'nope' }, '300ms'));
    await runProbe(tcpCheck({ host: '127.0.0.1', port: srv.port }));
    expect(srv.connections).toBe(3);
    // The server learns of each close asynchronously; wait for it rather than guess a delay.
    await vi.waitFor(() => expect(srv.open).toBe(0), { timeout: 2000, interval: 20 });
  });
});

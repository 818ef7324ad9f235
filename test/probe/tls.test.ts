import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TlsCheck } from '../../shared/config/schema.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { runProbe } from '../../shared/probe/index.ts';
import { probeTls } from '../../shared/probe/tls.ts';
import { makeCert, makeTestPki, type Issued, type TestPki } from '../../testkit/certs.ts';
import { bannerServer, refusedPort, silentServer, tlsServer, type Running } from '../support/tcp-servers.ts';
import { hangBound } from '../support/timing.ts';

let dir: string;
let pki: TestPki;
const servers: Running[] = [];

async function serve(s: Promise<Running>): Promise<Running> {
  const r = await s;
  servers.push(r);
  return r;
}

function serveCert(c: Issued): Promise<Running> {
  return serve(tlsServer({ cert: c.cert, key: c.key }));
}

/** A check built by the real loader, as a user's config would be; `ca` is a file in `dir`. */
function tlsCheck(tls: Record<string, unknown>, timeout = '2s'): TlsCheck {
  return loadConfigObject({ checks: [{ id: 'tls-test', timeout, tls }] }, { baseDir: dir }).checks[0] as TlsCheck;
}

/** notAfter as written in the certificate: whole seconds. */
function notAfterOf(c: Issued): string {
  return new Date(Math.floor(c.raw.notAfter.getTime() / 1000) * 1000).toISOString();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-tls-'));
  pki = await makeTestPki();
  writeFileSync(join(dir, 'ca.pem'), pki.ca.cert);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('probeTls: trusted certificates', () => {
  it('is up with the chain, the earliest expiry to the second and about 90 days left', async () => {
    const srv = await serveCert(pki.server);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(r.failure).toBeUndefined();
    expect(r).toMatchObject({ ok: true, status: 'up', kind: 'tls', target: `127.0.0.1:${srv.port}`, remoteAddress: '127.0.0.1' });
    expect(r.tls).toMatchObject({ authorized: true, version: expect.stringMatching(/^TLSv1\.[23]$/), certExpiresAt: notAfterOf(pki.server) });
    expect(r.tls?.cipher).toMatch(/^TLS_/);
    expect(r.tls?.certDaysLeft).toBeGreaterThanOrEqual(89);
    expect(r.tls?.certDaysLeft).toBeLessThanOrEqual(90);
    expect(r.tls?.chain).toEqual([
      { subject: 'CN=localhost', issuer: 'CN=Vantage Test CA', notAfter: notAfterOf(pki.server) },
      // The server sent only its leaf; Node completed the chain from `ca`.
      { subject: 'CN=Vantage Test CA', issuer: 'CN=Vantage Test CA', notAfter: notAfterOf(pki.ca), fromTrustStore: true },
    ]);
    expect(r.assertions).toEqual([
      { name: 'certificate verifies for 127.0.0.1', ok: true },
      { name: 'certificate valid for >= 14 days', ok: true, detail: `${r.tls!.certDaysLeft} days left (${notAfterOf(pki.server)})` },
    ]);
    expect(r.phases.connect).toBeGreaterThanOrEqual(0);
    expect(r.phases.tls).toBeGreaterThan(0);
    expect(r.phases.dns).toBeUndefined();
  });

  it('times dns for a host name and verifies the certificate against it', async () => {
    const srv = await serveCert(pki.server);
    const r = await runProbe(tlsCheck({ host: 'localhost', ipFamily: 4, port: srv.port, ca: 'ca.pem' }));
    expect(r.ok).toBe(true);
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
    expect(r.assertions[0]).toEqual({ name: 'certificate verifies for localhost', ok: true });
  });

  it('fails with cert_expiring for a certificate with 5 days left under the default of 14', async () => {
    const srv = await serveCert(pki.expiringSoon);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('cert_expiring');
    expect(r.tls).toMatchObject({ authorized: true, certExpiresAt: notAfterOf(pki.expiringSoon) });
    expect(r.tls?.certDaysLeft).toBeGreaterThanOrEqual(4);
    expect(r.tls?.certDaysLeft).toBeLessThanOrEqual(5);
  });

  it('passes the same certificate with certMinDaysLeft 3', async () => {
    const srv = await serveCert(pki.expiringSoon);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem', assert: { certMinDaysLeft: 3 } }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
  });
});

describe('probeTls: verification failures still report what was presented', () => {
  it('classifies an expired certificate as cert_expired and reports its past expiry', async () => {
    const srv = await serveCert(pki.expired);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('cert_expired');
    expect(r.failure?.message).toContain('CERT_HAS_EXPIRED');
    expect(r.tls?.authorized).toBe(false);
    expect(r.tls?.certExpiresAt).toBe(notAfterOf(pki.expired));
    expect(Date.parse(r.tls!.certExpiresAt!)).toBeLessThan(Date.now());
    expect(r.tls?.certDaysLeft).toBeLessThan(0);
    expect(r.assertions[0]).toEqual({ name: 'certificate verifies for 127.0.0.1', ok: false, detail: 'CERT_HAS_EXPIRED' });
  });

  it('classifies a self-signed certificate as cert_untrusted', async () => {
    const srv = await serveCert(pki.selfSigned);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(r.failure?.reason).toBe('cert_untrusted');
    expect(r.failure?.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(r.tls?.chain).toEqual([{ subject: 'CN=localhost', issuer: 'CN=localhost', notAfter: notAfterOf(pki.selfSigned) }]);
  });

  it('classifies a certificate from an unknown CA as cert_untrusted when no ca is given (system roots)', async () => {
    const srv = await serveCert(pki.server);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port }));
    expect(r.failure?.reason).toBe('cert_untrusted');
    expect(r.tls?.certExpiresAt).toBe(notAfterOf(pki.server));
  });

  it('classifies a certificate issued for another purpose (client auth only) as cert_untrusted', async () => {
    const srv = await serveCert(pki.client);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(r.failure?.reason).toBe('cert_untrusted');
    expect(r.assertions[0]?.detail).toBe('INVALID_PURPOSE');
  });

  it('classifies a certificate for another name as cert_hostname', async () => {
    const srv = await serveCert(pki.wrongHost);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(r.failure?.reason).toBe('cert_hostname');
    expect(r.failure?.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.tls?.chain?.[0]?.subject).toBe('CN=wrong.example');
  });

  it('verifies against serverName, not the address dialled', async () => {
    const srv = await serveCert(pki.wrongHost);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem', serverName: 'wrong.example' }));
    expect(r.failure).toBeUndefined();
    expect(r.assertions[0]).toEqual({ name: 'certificate verifies for wrong.example', ok: true });
  });
});

describe('probeTls: SNI', () => {
  let srv: Running;
  let a: Issued;
  let b: Issued;
  beforeAll(async () => {
    a = await makeCert({ commonName: 'a.test', altNames: ['a.test'], issuer: pki.ca, notAfterDays: 30 });
    b = await makeCert({ commonName: 'b.test', altNames: ['b.test'], issuer: pki.ca, notAfterDays: 60 });
    const contexts = new Map([['a.test', createSecureContext({ cert: a.cert, key: a.key })], ['b.test', createSecureContext({ cert: b.cert, key: b.key })]]);
    // Without a matching name (or with no SNI at all) the server falls back to its default, pki.server.
    srv = await serve(tlsServer({ cert: pki.server.cert, key: pki.server.key, SNICallback: (name, cb) => cb(null, contexts.get(name)) }));
  });

  it('sends serverName as SNI and verifies the certificate the server picked for it', async () => {
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem', serverName: 'b.test' }));
    expect(r.failure).toBeUndefined();
    expect(r.tls?.chain?.[0]).toEqual({ subject: 'CN=b.test', issuer: 'CN=Vantage Test CA', notAfter: notAfterOf(b) });
    expect(r.tls?.certExpiresAt).toBe(notAfterOf(b));
  });

  it('gets the other certificate for the other name', async () => {
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem', serverName: 'a.test' }));
    expect(r.ok).toBe(true);
    expect(r.tls?.chain?.[0]?.subject).toBe('CN=a.test');
    expect(r.tls?.certExpiresAt).toBe(notAfterOf(a));
  });

  it('sends no SNI for an IP literal and gets the default certificate', async () => {
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(r.ok).toBe(true);
    expect(r.tls?.chain?.[0]?.subject).toBe('CN=localhost');
  });
});

describe('probeTls: insecureSkipVerify', () => {
  it('lets a self-signed certificate pass while reporting authorized: false', async () => {
    const srv = await serveCert(pki.selfSigned);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, insecureSkipVerify: true }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.tls?.authorized).toBe(false);
    expect(r.assertions.map((x) => x.name)).toEqual(['certificate valid for >= 14 days']);
  });

  it('still fails an expired certificate, as cert_expired', async () => {
    const srv = await serveCert(pki.expired);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, insecureSkipVerify: true }));
    expect(r.failure?.reason).toBe('cert_expired');
    expect(r.tls?.certExpiresAt).toBe(notAfterOf(pki.expired));
  });

  it('still applies certMinDaysLeft', async () => {
    const srv = await serveCert(pki.expiringSoon);
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, insecureSkipVerify: true }));
    expect(r.failure?.reason).toBe('cert_expiring');
  });
});

describe('probeTls: the target is not a healthy TLS server', () => {
  it('gives tls_handshake when the server speaks plain text', async () => {
    const srv = await serve(bannerServer());
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(r).toMatchObject({ ok: false, failure: { reason: 'tls_handshake' } });
    expect(r.tls).toBeUndefined();
  });

  it('gives tls_handshake at its timeout when the server never answers the handshake', async () => {
    const srv = await serve(silentServer());
    const t0 = performance.now();
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }, '500ms'));
    // The silent server never answers, so a probe that ignored its timeout would not return at all.
    expect(performance.now() - t0).toBeLessThan(hangBound(500));
    expect(r.failure).toEqual({ reason: 'tls_handshake', message: 'timed out after 500ms in the TLS handshake' });
  });

  it('gives connect_timeout when the signal fires before the connection is up', async () => {
    const srv = await serveCert(pki.server);
    const r = await probeTls(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }), { signal: AbortSignal.abort(), timeoutMs: 750 });
    expect(r.failure).toEqual({ reason: 'connect_timeout', message: 'timed out after 750ms connecting' });
  });

  it('gives connect_refused for a closed port', async () => {
    const r = await runProbe(tlsCheck({ host: '127.0.0.1', port: await refusedPort(), ca: 'ca.pem' }));
    expect(r.failure?.reason).toBe('connect_refused');
  });

  it('opens one connection per probe and leaves none open', async () => {
    const srv = await serveCert(pki.expired);
    await runProbe(tlsCheck({ host: '127.0.0.1', port: srv.port, ca: 'ca.pem' }));
    expect(srv.connections).toBe(1);
    await expect.poll(() => srv.open, { timeout: 2000, interval: 20 }).toBe(0);
  });
});

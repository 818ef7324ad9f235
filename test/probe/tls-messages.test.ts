/**
 * TLS failure messages a person can act on, over https:// (the HTTP prober), tls:// and gRPC with
 * TLS, against real TLS servers with certificates generated here: the untrusted certificate's
 * issuer and the --ca hint, the names a mismatched certificate covers, an expired certificate's
 * date, and a port that speaks plain text where TLS was expected (and the reverse). No message
 * carries OpenSSL's own text or a newline.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { runProbe } from '../../shared/probe/index.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { makeCert, makeTestPki, type Issued, type TestPki } from '../../testkit/certs.ts';
import { startHealthServer, type HealthServer } from '../support/grpc-server.ts';
import { startHttps, startTcp, tlsOptions, type Running } from '../support/http-servers.ts';

let dir: string;
let pki: TestPki;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-tls-msg-'));
  pki = await makeTestPki();
  writeFileSync(join(dir, 'ca.pem'), pki.ca.cert);
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  rmSync(dir, { recursive: true, force: true });
});

/** One TLS certificate served three ways: HTTPS, a gRPC health server, and (the HTTPS port) for tls://. */
interface Served {
  https: Running;
  grpc: HealthServer;
}

async function serve(cert: Issued): Promise<Served> {
  const https = await startHttps(tlsOptions(cert), (_req, res) => res.end('ok'));
  const grpc = await startHealthServer({ tls: cert });
  closers.push(() => https.close(), () => grpc.close());
  return { https, grpc };
}

function run(check: Record<string, unknown>): Promise<ProbeResult> {
  return runProbe(loadConfigObject({ checks: [{ id: 'msg', timeout: '3s', ...check }] }, { baseDir: dir }).checks[0]!);
}

/** The same target over the three protocols; `tls` is the shared tls block (ca, serverName). */
async function everyWay(s: Served, tls: Record<string, unknown> | undefined): Promise<Record<'https' | 'tls' | 'grpc', ProbeResult>> {
  return {
    https: await run({ http: { url: s.https.url('/'), ...(tls && { tls }) } }),
    tls: await run({ tls: { host: '127.0.0.1', port: s.https.port, ...tls } }),
    grpc: await run({ grpc: { target: s.grpc.target, tls: tls ?? true } }),
  };
}

/** What must never reach a person: OpenSSL's `error:0A00010B:SSL routines:…:file.c:77:` and newlines. */
function expectReadable(message: string | undefined): void {
  expect(message).toBeDefined();
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).not.toMatch(/error:[0-9A-F]{8}:|SSL routines|\.c:\d+/);
}

describe('certificate problems, over https://, tls:// and gRPC', () => {
  it('an untrusted certificate names its issuer and suggests --ca', async () => {
    // Signed by the test CA, probed without it: the system roots do not know it.
    const results = await everyWay(await serve(pki.server), undefined);
    for (const [via, r] of Object.entries(results)) {
      expect([via, r.failure?.reason]).toEqual([via, 'cert_untrusted']);
      expect(r.failure?.message, via).toBe(
        'certificate CN=localhost issued by CN=Vantage Test CA is not trusted: its issuer is not a trusted CA, and the server did not send it; '
        + 'if that CA is yours, pass its certificate with --ca FILE (tls.ca in the config) (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
      );
      expectReadable(r.failure?.message);
    }
  });

  it('a self-signed certificate says so, and how to trust it', async () => {
    const results = await everyWay(await serve(pki.selfSigned), { ca: 'ca.pem' });
    for (const [via, r] of Object.entries(results)) {
      expect(r.failure?.message, via).toBe('certificate CN=localhost is self-signed and not trusted: pass it with --ca FILE (tls.ca in the config) to trust it (DEPTH_ZERO_SELF_SIGNED_CERT)');
    }
  });

  it('a hostname mismatch lists the names the certificate has', async () => {
    const many = await leafFor(['api.example.com', 'www.example.com', '10.0.0.7']);
    const results = await everyWay(await serve(many), { ca: 'ca.pem' });
    for (const [via, r] of Object.entries(results)) {
      expect([via, r.failure?.reason]).toEqual([via, 'cert_hostname']);
      expect(r.failure?.message, via).toBe(
        'certificate is for api.example.com, www.example.com, 10.0.0.7, not 127.0.0.1: probe one of those names, or set --server-name NAME (tls.serverName) (ERR_TLS_CERT_ALTNAME_INVALID)',
      );
    }
  });

  it('a hostname mismatch against serverName names the configured name', async () => {
    const results = await everyWay(await serve(pki.server), { ca: 'ca.pem', serverName: 'api.example.com' });
    for (const [via, r] of Object.entries(results)) {
      expect(r.failure?.message, via).toMatch(/^certificate is for localhost, 127\.0\.0\.1, not api\.example\.com: /);
    }
  });

  it('an expired certificate gives its notAfter date', async () => {
    const results = await everyWay(await serve(pki.expired), { ca: 'ca.pem' });
    const notAfter = new Date(Math.floor(pki.expired.raw.notAfter.getTime() / 1000) * 1000).toISOString();
    for (const [via, r] of Object.entries(results)) {
      expect([via, r.failure?.reason]).toEqual([via, 'cert_expired']);
      expect(r.failure?.message, via).toBe(`certificate CN=localhost expired on ${notAfter} (CERT_HAS_EXPIRED)`);
    }
  });
});

describe('TLS and plain text on the wrong port', () => {
  let plainHttp: Running;
  let tlsAlert: Running;
  let plainGrpc: HealthServer;
  beforeAll(async () => {
    // A plain HTTP server answering a ClientHello as nginx does: a 400 in plain text, then close.
    plainHttp = await startTcp((s) => {
      s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
      s.resume();
    });
    // A TLS server answering bytes that are not TLS with a fatal protocol_version alert record.
    tlsAlert = await startTcp((s) => {
      s.once('data', () => s.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])));
      s.resume();
    });
    plainGrpc = await startHealthServer();
    closers.push(() => plainHttp.close(), () => tlsAlert.close(), () => plainGrpc.close());
  });

  it('https:// and tls:// to a plain-HTTP port say the server answered in plain text', async () => {
    const https = await run({ http: { url: `https://127.0.0.1:${plainHttp.port}/` } });
    const tls = await run({ tls: { host: '127.0.0.1', port: plainHttp.port } });
    for (const r of [https, tls]) {
      expect(r.failure).toEqual({ reason: 'tls_handshake', message: 'the server answered in plain text, not TLS: is this port http://? (ERR_SSL_WRONG_VERSION_NUMBER)' });
    }
  });

  it('gRPC with TLS to a plaintext gRPC server says the same', async () => {
    const r = await run({ grpc: { target: plainGrpc.target, tls: true } });
    expect(r.failure?.reason).toBe('tls_handshake');
    expect(r.failure?.message).toMatch(/^the server answered in plain text, not TLS: /);
  });

  it('http:// to a port that answers in TLS says the port speaks TLS', async () => {
    const r = await run({ http: { url: `http://127.0.0.1:${tlsAlert.port}/` } });
    expect(r.failure).toEqual({ reason: 'protocol_error', message: 'the server answered with TLS, not plain HTTP: this port speaks TLS, is it https://?' });
  });
});

/** A leaf from the test CA for exactly these names. */
function leafFor(altNames: string[]): Promise<Issued> {
  return makeCert({ commonName: altNames[0]!, altNames, issuer: pki.ca });
}

describe('failureFrom: chosen by code, one line', () => {
  it('never uses an OpenSSL error\'s own text, and names an unknown ERR_SSL_ code in words', async () => {
    const { failureFrom } = await import('../../shared/probe/classify.ts');
    const openssl = (code: string) => Object.assign(new Error('40ADE177727F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert bad record mac:../deps/openssl/ssl/record/rec_layer_s3.c:918:\n'), { code, library: 'SSL routines' });
    expect(failureFrom(openssl('ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC'), 'tls')).toEqual({ reason: 'tls_handshake', message: 'TLS handshake failed: sslv3 alert bad record mac (ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC)' });
    expect(failureFrom(openssl('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'tls').message).toBe('TLS handshake failed: the server requires a client certificate: pass --cert FILE --key FILE (tls.cert and tls.key) (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)');
    // An OpenSSL error with a code outside every table still keeps its text out.
    expect(failureFrom(Object.assign(new Error('x:error:0A000001:y\n'), { code: 'SOMETHING_NEW', library: 'SSL routines' }), 'tls').message).toBe('TLS handshake failed (SOMETHING_NEW)');
    // Any other error keeps its message, on one line.
    expect(failureFrom(Object.assign(new Error('line one\n  line two\r\n'), { code: 'ECONNRESET' }), 'response').message).toBe('line one line two (ECONNRESET)');
  });

  it('reads subjectAltName entries as Node writes them, quoted ones included', async () => {
    const { altNamesOf } = await import('../../shared/probe/tls-peer.ts');
    expect(altNamesOf('DNS:a.example, IP Address:10.0.0.1, DNS:"b,c.example"')).toEqual(['a.example', '10.0.0.1', 'b,c.example']);
    expect(altNamesOf(undefined)).toEqual([]);
  });
});

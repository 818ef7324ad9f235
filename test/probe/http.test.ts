/**
 * The HTTP prober against real servers on loopback: plain HTTP/1.1, HTTPS with a generated PKI, and
 * an HTTP/2-only server. Checks are built through the config loader, as users write them.
 */
import { writeFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { probeHttp } from '../../shared/probe/http.ts';
import type { ProbeContext } from '../../shared/probe/types.ts';
import { makeTestPki, type TestPki } from '../../testkit/certs.ts';
import { httpCheck, probeContext, startH2Only, startHttp, startHttps, startTcp, tlsOptions, writePems, type PemDir, type Running } from '../support/http-servers.ts';

function probe(spec: Record<string, unknown>, opts: { timeout?: string; baseDir?: string; ctx?: Partial<ProbeContext> } = {}) {
  const check = httpCheck(spec, opts);
  return probeHttp(check, probeContext(check, opts.ctx));
}

describe('undici modules imported by path', () => {
  it('are the same values the package index exports', async () => {
    const undici = await import('undici');
    expect((await import('undici/lib/dispatcher/client.js')).default).toBe(undici.Client);
    expect((await import('undici/lib/core/connect.js')).default).toBe(undici.buildConnector);
  });
});

describe('plain HTTP/1.1', () => {
  let server: Running;
  /** Request headers as the server received them, by path. */
  const seen = new Map<string, http.IncomingHttpHeaders & { method?: string }>();

  beforeAll(async () => {
    server = await startHttp((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.set(url.pathname, { ...req.headers, method: req.method });
      const status = Number(url.searchParams.get('status') ?? 200);
      const delay = Number(url.searchParams.get('delay') ?? 0);
      if (delay > 0) setTimeout(respond, delay);
      else respond();
      function respond() {
        switch (url.pathname) {
          case '/json':
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'up', n: 3, items: [{ id: 'a' }, { id: 'b' }], nil: null, ok: true }));
            return;
          case '/text':
            res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-build': 'v1.2.3' }).end('hello vantage');
            return;
          case '/slow-headers':
            setTimeout(() => res.writeHead(200).end('late'), 100);
            return;
          case '/slow':
            setTimeout(() => res.writeHead(200).end('slow'), 250);
            return;
          case '/r1':
            res.writeHead(302, { location: '/r2' }).end('moved');
            return;
          case '/r2':
            res.writeHead(301, { location: `${server.url('/text')}` }).end();
            return;
          case '/see-other':
            res.writeHead(303, { location: '/landing' }).end();
            return;
          case '/away':
            // Same server, but another host name: credentials must not follow.
            res.writeHead(307, { location: `http://localhost:${server.port}/landing` }).end();
            return;
          case '/bad-location':
            res.writeHead(302, { location: 'ftp://127.0.0.1/file' }).end();
            return;
          case '/chunked':
            res.writeHead(200);
            res.write('x'.repeat(60));
            res.end('y'.repeat(40));
            return;
          default:
            res.writeHead(status).end('ok');
        }
      }
    });
  });
  afterAll(() => server.close());

  it('reports an up target with its status, version, body size and phases', async () => {
    const r = await probe({ url: server.url('/text') });
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.target).toBe(server.url('/text'));
    expect(r.http).toEqual({ status: 200, version: 'HTTP/1.1', redirects: 0, bodyBytes: 'hello vantage'.length });
    expect(r.remoteAddress).toBe('127.0.0.1');
    expect(r.assertions).toEqual([{ name: 'status in [2xx]', ok: true, detail: '200' }]);
    expect(r.phases.dns).toBe(0); // an IP literal needs no resolution
    expect(r.phases.connect).toBeGreaterThan(0);
    expect(r.phases.tls).toBeUndefined();
    expect(r.phases.ttfb).toBeGreaterThan(0);
    expect(r.phases.transfer).toBeGreaterThanOrEqual(0);
    // Phases are consecutive intervals of one timeline: they never add up to more than the total.
    const parts = r.phases.dns! + r.phases.connect! + r.phases.ttfb! + r.phases.transfer!;
    expect(parts).toBeLessThanOrEqual(r.phases.total + 0.001);
  });

  it('judges the status against codes and classes', async () => {
    const down = await probe({ url: server.url('/?status=503') });
    expect(down.ok).toBe(false);
    expect(down.failure).toMatchObject({ reason: 'status_code', message: 'status 503, expected one of 2xx' });
    expect(down.http?.status).toBe(503);

    expect((await probe({ url: server.url('/?status=503'), validStatusCodes: ['5xx'] })).ok).toBe(true);
    expect((await probe({ url: server.url('/?status=404'), validStatusCodes: [200, 404] })).ok).toBe(true);
    expect((await probe({ url: server.url('/?status=404'), validStatusCodes: ['2xx', 403] })).failure?.reason).toBe('status_code');
  });

  it('sends a Vantage User-Agent with the location unless the check sets one', async () => {
    await probe({ url: server.url('/ua1') }, { ctx: { location: 'eu-west-1' } });
    expect(seen.get('/ua1')?.['user-agent']).toBe('Vantage/1.0 (location=eu-west-1)');
    await probe({ url: server.url('/ua2') });
    expect(seen.get('/ua2')?.['user-agent']).toBe('Vantage/1.0 (location=local)');
    await probe({ url: server.url('/ua3'), headers: { 'User-Agent': 'custom/2', 'X-Extra': 'yes' } });
    expect(seen.get('/ua3')?.['user-agent']).toBe('custom/2');
    expect(seen.get('/ua3')?.['x-extra']).toBe('yes');
    // One request per connection, and the server is told so.
    expect(seen.get('/ua3')?.connection).toBe('close');
  });

  it('sends the method and body', async () => {
    const r = await probe({ url: server.url('/post'), method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(r.ok).toBe(true);
    expect(seen.get('/post')).toMatchObject({ method: 'POST', 'content-type': 'application/json', 'content-length': '7' });
    const head = await probe({ url: server.url('/text'), method: 'HEAD' });
    expect(head.ok).toBe(true);
    expect(head.http?.bodyBytes).toBe(0);
  });

  it('asserts headers by regex, and a missing header fails', async () => {
    const ok = await probe({ url: server.url('/text'), assert: { headers: { 'Content-Type': '^text/plain', 'x-build': '^v1\\.' } } });
    expect(ok.ok).toBe(true);
    expect(ok.assertions.map((a) => a.ok)).toEqual([true, true, true]);

    const wrong = await probe({ url: server.url('/text'), assert: { headers: { 'content-type': 'json' } } });
    expect(wrong.failure).toEqual({ reason: 'header_mismatch', message: 'header content-type "text/plain; charset=utf-8" does not match /json/' });

    const missing = await probe({ url: server.url('/text'), assert: { headers: { 'x-missing': '.*' } } });
    expect(missing.failure).toEqual({ reason: 'header_mismatch', message: 'header x-missing is missing' });
    expect(missing.assertions[1]).toEqual({ name: 'header x-missing matches /.*/', ok: false, detail: 'missing' });
  });

  it('asserts the body with regexes', async () => {
    expect((await probe({ url: server.url('/text'), assert: { bodyMatches: ['hello', 'vant.ge$'], bodyNotMatches: ['error'] } })).ok).toBe(true);
    const m = await probe({ url: server.url('/text'), assert: { bodyMatches: ['goodbye'] } });
    expect(m.failure).toEqual({ reason: 'body_mismatch', message: 'body does not match /goodbye/' });
    const n = await probe({ url: server.url('/text'), assert: { bodyNotMatches: ['hello'] } });
    expect(n.failure).toEqual({ reason: 'body_mismatch', message: 'body matches /hello/' });
  });

  it('asserts JSON paths by equality with the configured scalar', async () => {
    const ok = await probe({ url: server.url('/json'), assert: { jsonPath: { '$.status': 'up', '$.n': 3, '$.items[1].id': 'b', '$.nil': null, '$.ok': true } } });
    expect(ok.failure).toBeUndefined();
    expect(ok.assertions).toHaveLength(6);

    const bad = await probe({ url: server.url('/json'), assert: { jsonPath: { '$.status': 'down', '$.n': '3', '$.items[5].id': 'x' } } });
    expect(bad.failure).toEqual({ reason: 'body_mismatch', message: '$.status is "up", expected "down"' });
    expect(bad.assertions.slice(1)).toEqual([
      { name: '$.status == "down"', ok: false, detail: '"up"' },
      { name: '$.n == "3"', ok: false, detail: '3' },
      { name: '$.items[5].id == "x"', ok: false, detail: 'not present' },
    ]);

    const notJson = await probe({ url: server.url('/text'), assert: { jsonPath: { '$.status': 'up' } } });
    expect(notJson.failure).toEqual({ reason: 'body_mismatch', message: '$.status: body is not JSON' });
  });

  it('records every assertion, and reports the most fundamental failure', async () => {
    const r = await probe({
      url: server.url('/text?status=500&delay=20'),
      assert: { headers: { 'x-build': 'v9' }, bodyMatches: ['nope'], maxResponseTime: '10ms' },
    });
    expect(r.failure?.reason).toBe('status_code');
    expect(r.assertions.map((a) => [a.name, a.ok])).toEqual([
      ['status in [2xx]', false],
      ['header x-build matches /v9/', false],
      ['body matches /nope/', false],
      ['response time <= 10ms', false],
    ]);
  });

  it('fails a slow response with slow_response only when everything else passed', async () => {
    const r = await probe({ url: server.url('/slow'), assert: { maxResponseTime: '100ms', bodyMatches: ['slow'] } });
    expect(r.failure?.reason).toBe('slow_response');
    expect(r.failure?.message).toMatch(/^took \d+ms, limit 100ms$/);
    expect(r.phases.total).toBeGreaterThanOrEqual(240);
  });

  it('follows redirects on a new connection each, summing phases', async () => {
    const before = server.connections;
    const r = await probe({ url: server.url('/r1') });
    expect(r.ok).toBe(true);
    expect(r.http).toMatchObject({ status: 200, redirects: 2, bodyBytes: 'hello vantage'.length });
    expect(server.connections - before).toBe(3);
    expect(r.target).toBe(server.url('/r1'));
    const parts = r.phases.dns! + r.phases.connect! + r.phases.ttfb! + r.phases.transfer!;
    expect(parts).toBeLessThanOrEqual(r.phases.total + 0.001);
  });

  it('judges the redirect itself when redirects are not followed', async () => {
    const r = await probe({ url: server.url('/r1'), followRedirects: false });
    expect(r.failure).toMatchObject({ reason: 'status_code', message: 'status 302, expected one of 2xx' });
    expect(r.http).toMatchObject({ status: 302, redirects: 0, bodyBytes: 5 });
    expect((await probe({ url: server.url('/r1'), followRedirects: false, validStatusCodes: [302] })).ok).toBe(true);
  });

  it('turns a POST into a GET after 303, like browsers', async () => {
    const r = await probe({ url: server.url('/see-other'), method: 'POST', body: 'x=1', headers: { 'content-type': 'text/plain' } });
    expect(r.ok).toBe(true);
    expect(seen.get('/landing')?.method).toBe('GET');
    expect(seen.get('/landing')?.['content-type']).toBeUndefined();
  });

  it('does not carry credentials to another host on redirect', async () => {
    const r = await probe(
      { url: server.url('/away'), headers: { Authorization: 'Bearer ${env:TOKEN}', 'X-Trace': 'kept' } },
      { ctx: { env: { TOKEN: 'tok-away-123' } } },
    );
    expect(r.ok).toBe(true);
    expect(seen.get('/away')?.authorization).toBe('Bearer tok-away-123');
    expect(seen.get('/landing')?.authorization).toBeUndefined();
    expect(seen.get('/landing')?.['x-trace']).toBe('kept');
    expect(seen.get('/landing')?.host).toBe(`localhost:${server.port}`);
  });

  it('refuses a redirect to a scheme it cannot probe', async () => {
    const r = await probe({ url: server.url('/bad-location') });
    expect(r.failure).toEqual({ reason: 'protocol_error', message: 'redirect to unsupported scheme ftp:' });
  });

  it('stops reading at maxBodyBytes, and a body exactly at the cap passes', async () => {
    const over = await probe({ url: server.url('/chunked'), maxBodyBytes: 99 });
    expect(over.failure?.reason).toBe('body_too_large');
    expect(over.http?.status).toBe(200);
    const exact = await probe({ url: server.url('/chunked'), maxBodyBytes: 100, assert: { bodyMatches: ['^x{60}y{40}$'] } });
    expect(exact.ok).toBe(true);
    expect(exact.http?.bodyBytes).toBe(100);
  });

  it('measures ttfb against a server that waits before answering, on a new connection per probe', async () => {
    const before = server.connections;
    const runs = 3;
    const dns: number[] = [];
    const connect: number[] = [];
    for (let i = 0; i < runs; i++) {
      // `localhost` (from /etc/hosts, IPv4 only) so that a real lookup is timed.
      const r = await probe({ url: `http://localhost:${server.port}/slow-headers`, ipFamily: 4 });
      expect(r.ok).toBe(true);
      expect(r.remoteAddress).toBe('127.0.0.1');
      expect(r.phases.ttfb).toBeGreaterThanOrEqual(90);
      expect(r.phases.dns).toBeGreaterThan(0);
      expect(r.phases.connect).toBeGreaterThan(0);
      expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.ttfb!);
      dns.push(r.phases.dns!);
      connect.push(r.phases.connect!);
    }
    // The server's 100 ms wait belongs to ttfb alone: a phase that absorbed it would be ≥ 100 ms in
    // every run, while a scheduling stall on a busy machine hits one run, not the fastest of three.
    expect(Math.min(...dns)).toBeLessThan(90);
    expect(Math.min(...connect)).toBeLessThan(90);
    expect(server.connections - before).toBe(runs);
  });
});

describe('a server that keeps the connection open', () => {
  let server: Running;
  let closedByClient = 0;
  beforeAll(async () => {
    // Answers every request with keep-alive, whatever the request asked for, and never closes first.
    server = await startTcp((s) => {
      s.on('data', () => s.write('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok'));
      s.on('end', () => { closedByClient++; s.end(); });
      s.on('error', () => {});
    });
  });
  afterAll(() => server.close());

  it('still gets a new connection per probe, closed by the prober when the probe returns', async () => {
    const runs = 3;
    for (let i = 0; i < runs; i++) {
      const r = await probe({ url: server.url('/') });
      expect(r.ok).toBe(true);
      expect(r.http).toMatchObject({ status: 200, bodyBytes: 2 });
      expect(r.phases.connect).toBeGreaterThan(0);
      expect(server.connections).toBe(i + 1);
      await expect.poll(() => closedByClient).toBe(i + 1);
    }
  });
});

describe('HTTP/1.0', () => {
  let server: Running;
  beforeAll(async () => {
    server = await startTcp((s) => {
      s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold school'));
    });
  });
  afterAll(() => server.close());

  it('reports the version the server answered with, and validHttpVersions judges it', async () => {
    const r = await probe({ url: server.url('/') });
    expect(r.ok).toBe(true);
    expect(r.http).toMatchObject({ version: 'HTTP/1.0', bodyBytes: 10 });
    const strict = await probe({ url: server.url('/'), validHttpVersions: ['HTTP/1.1'] });
    expect(strict.failure).toEqual({ reason: 'http_version', message: 'HTTP/1.0, expected one of HTTP/1.1' });
  });
});

describe('HTTPS', () => {
  let pki: TestPki;
  let pems: PemDir;
  const servers: Running[] = [];
  let trusted: Running, selfSigned: Running, expired: Running, wrongHost: Running, sni: Running, mtls: Running, expiring: Running, h2: Running;

  beforeAll(async () => {
    pki = await makeTestPki();
    pems = writePems(pki);
    const ok: Parameters<typeof startHttps>[1] = (_req, res) => res.writeHead(200).end('secure');
    const { createSecureContext } = await import('node:tls');
    const contexts = {
      'wrong.example': createSecureContext(tlsOptions(pki.wrongHost)),
      localhost: createSecureContext(tlsOptions(pki.server)),
    };
    servers.push(
      (trusted = await startHttps(tlsOptions(pki.server), ok)),
      (selfSigned = await startHttps(tlsOptions(pki.selfSigned), ok)),
      (expired = await startHttps(tlsOptions(pki.expired), ok)),
      (wrongHost = await startHttps(tlsOptions(pki.wrongHost), ok)),
      (sni = await startHttps(tlsOptions(pki.server, {
        SNICallback: (name, cb) => cb(null, contexts[name as keyof typeof contexts] ?? contexts.localhost),
      }), ok)),
      (mtls = await startHttps(tlsOptions(pki.server, { requestCert: true, rejectUnauthorized: true, ca: pki.ca.cert }), ok)),
      (expiring = await startHttps(tlsOptions(pki.expiringSoon), ok)),
      (h2 = await startH2Only(tlsOptions(pki.server), (stream) => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end('over h2');
      })),
    );
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    pems.remove();
  });

  const withCa = (url: string, extra: Record<string, unknown> = {}, tls: Record<string, unknown> = {}) =>
    probe({ url, tls: { ca: 'ca.pem', ...tls }, ...extra }, { baseDir: pems.dir });

  it('passes with the CA from tls.ca and reports TLS facts and the earliest expiry', async () => {
    const r = await withCa(trusted.url('/'));
    expect(r.failure).toBeUndefined();
    expect(r.http).toMatchObject({ status: 200, version: 'HTTP/1.1' });
    expect(r.tls).toMatchObject({ version: 'TLSv1.3', alpn: 'http/1.1', authorized: true });
    expect(r.tls?.cipher).toMatch(/^TLS_/);
    expect(r.tls?.chain?.map((c) => c.subject)).toEqual(['CN=localhost', 'CN=Vantage Test CA']);
    // The leaf (90 days) expires before the CA (365 days).
    expect(r.tls?.certExpiresAt).toBe(pki.server.raw.notAfter.toISOString());
    expect(r.tls?.certDaysLeft).toBeGreaterThanOrEqual(88);
    expect(r.phases.tls).toBeGreaterThan(0);
    const parts = r.phases.dns! + r.phases.connect! + r.phases.tls! + r.phases.ttfb! + r.phases.transfer!;
    expect(parts).toBeLessThanOrEqual(r.phases.total + 0.001);
  });

  it('builds the peer certificate once per probe, and reports the same chain with and without verification', async () => {
    const { TLSSocket } = await import('node:tls');
    // Client sockets only: their remote port is the server's.
    const callsTo = (port: number) => spy.mock.contexts.filter((s) => (s as import('node:tls').TLSSocket).remotePort === port).length;
    const spy = vi.spyOn(TLSSocket.prototype, 'getPeerCertificate');
    try {
      const verified = await withCa(trusted.url('/'));
      expect(verified.tls?.chain?.map((c) => c.subject)).toEqual(['CN=localhost', 'CN=Vantage Test CA']);
      expect(verified.tls?.chain?.map((c) => c.issuer)).toEqual(['CN=Vantage Test CA', 'CN=Vantage Test CA']);
      expect(verified.tls?.certExpiresAt).toBe(pki.server.raw.notAfter.toISOString());
      expect(callsTo(trusted.port)).toBe(1);
      // Verified against serverName (a check of our own): still the one certificate Node built.
      const named = await withCa(sni.url('/'), {}, { serverName: 'localhost' });
      expect(named.tls?.chain?.map((c) => c.subject)).toEqual(['CN=localhost', 'CN=Vantage Test CA']);
      expect(callsTo(sni.port)).toBe(1);
      // Verification off and the chain untrusted: Node checks no hostname, so the report builds it.
      const skipped = await probe({ url: selfSigned.url('/'), tls: { insecureSkipVerify: true } });
      expect(skipped.tls?.chain?.map((c) => c.subject)).toEqual(['CN=localhost']);
      expect(skipped.tls?.certExpiresAt).toBe(pki.selfSigned.raw.notAfter.toISOString());
      expect(callsTo(selfSigned.port)).toBe(1);
      // Verification off over a trusted chain: the hostname check runs, and its certificate is reused.
      const skippedTrusted = await withCa(trusted.url('/'), {}, { insecureSkipVerify: true });
      expect(skippedTrusted.tls?.chain).toEqual(verified.tls?.chain);
      expect(callsTo(trusted.port)).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('makes a full handshake on a new connection for every probe', async () => {
    const reused: boolean[] = [];
    const count = (s: import('node:tls').TLSSocket) => reused.push(s.isSessionReused());
    trusted.server.on('secureConnection', count);
    try {
      for (let i = 0; i < 3; i++) expect((await withCa(trusted.url('/'))).phases.tls).toBeGreaterThan(0);
    } finally {
      trusted.server.off('secureConnection', count);
    }
    expect(reused).toEqual([false, false, false]);
  });

  it('classifies certificate problems', async () => {
    expect((await withCa(selfSigned.url('/'))).failure?.reason).toBe('cert_untrusted');
    expect((await withCa(expired.url('/'))).failure?.reason).toBe('cert_expired');
    expect((await withCa(wrongHost.url('/'))).failure?.reason).toBe('cert_hostname');
    // Without tls.ca the system roots do not know the test CA.
    const noCa = await probe({ url: trusted.url('/') });
    expect(noCa.failure?.reason).toBe('cert_untrusted');
    expect(noCa.failure?.message).toMatch(/UNABLE_TO_(GET_ISSUER_CERT_LOCALLY|VERIFY_LEAF_SIGNATURE)/);
  });

  it('lets an untrusted certificate through with insecureSkipVerify, and says so', async () => {
    const r = await probe({ url: selfSigned.url('/'), tls: { insecureSkipVerify: true } });
    expect(r.ok).toBe(true);
    expect(r.tls?.authorized).toBe(false);
  });

  it('selects the certificate by serverName (SNI) and verifies against that name', async () => {
    const other = await withCa(sni.url('/'), {}, { serverName: 'wrong.example' });
    expect(other.ok).toBe(true);
    expect(other.tls?.chain?.[0]?.subject).toBe('CN=wrong.example');
    const local = await withCa(sni.url('/'), {}, { serverName: 'localhost' });
    expect(local.ok).toBe(true);
    expect(local.tls?.chain?.[0]?.subject).toBe('CN=localhost');
    // The name the certificate is checked against is serverName, not the address dialled.
    const mismatch = await withCa(trusted.url('/'), {}, { serverName: 'wrong.example' });
    expect(mismatch.failure?.reason).toBe('cert_hostname');
  });

  it('presents a client certificate to an mTLS server only when configured', async () => {
    const without = await withCa(mtls.url('/'));
    expect(without.ok).toBe(false);
    expect(without.failure?.reason).toBe('tls_handshake');
    const withCert = await withCa(mtls.url('/'), {}, { cert: 'client.pem', key: 'client-key.pem' });
    expect(withCert.failure).toBeUndefined();
    expect(withCert.http?.status).toBe(200);
  });

  it('takes the client key from a secret reference through the injected resolver', async () => {
    const asked: unknown[] = [];
    const r = await probe(
      { url: mtls.url('/'), tls: { ca: 'ca.pem', cert: 'client.pem', key: { secretsManager: 'vantage/client-key' } } },
      { baseDir: pems.dir, ctx: { resolveSecret: async (ref) => { asked.push(ref); return pki.client.key; } } },
    );
    expect(r.failure).toBeUndefined();
    expect(asked).toEqual([{ secretsManager: 'vantage/client-key' }]);
  });

  it('reports an unusable key file as a setup failure without dialling the target', async () => {
    writeFileSync(join(pems.dir, 'garbage-key.pem'), '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    const before = mtls.connections;
    const r = await withCa(mtls.url('/'), {}, { cert: 'client.pem', key: 'garbage-key.pem' });
    expect(r.failure?.reason).toBe('internal');
    expect(r.failure?.message).toMatch(/^cannot prepare TLS: /);
    expect(mtls.connections).toBe(before);
  });

  it('fails certMinDaysLeft with cert_expiring after recording the other assertions', async () => {
    const r = await withCa(expiring.url('/'), { assert: { certMinDaysLeft: 14 } });
    expect(r.failure?.reason).toBe('cert_expiring');
    expect(r.assertions.map((a) => a.ok)).toEqual([true, false]);
    expect(r.assertions[1]?.detail).toMatch(/^[45] days left/);
    expect((await withCa(trusted.url('/'), { assert: { certMinDaysLeft: 14 } })).ok).toBe(true);
  });

  it('speaks HTTP/2 when offered by ALPN, and reports it', async () => {
    const r = await withCa(h2.url('/'), { http2: true, validHttpVersions: ['HTTP/2'], assert: { bodyMatches: ['over h2'] } });
    expect(r.failure).toBeUndefined();
    expect(r.http).toMatchObject({ status: 200, version: 'HTTP/2', bodyBytes: 7 });
    expect(r.tls?.alpn).toBe('h2');
    expect(r.phases.tls).toBeGreaterThan(0);
    expect(r.phases.ttfb).toBeGreaterThan(0);
    expect(r.phases.transfer).toBeGreaterThanOrEqual(0);
  });

  it('offers h2 then http/1.1 by default, as Blackbox Exporter does, and uses what the server picks', async () => {
    const h2only = await withCa(h2.url('/'), { assert: { bodyMatches: ['over h2'] } });
    expect(h2only.failure).toBeUndefined();
    expect(h2only.http?.version).toBe('HTTP/2');
    expect(h2only.tls?.alpn).toBe('h2');
    const h1only = await withCa(trusted.url('/'));
    expect(h1only.failure).toBeUndefined();
    expect(h1only.http?.version).toBe('HTTP/1.1');
    expect(h1only.tls?.alpn).toBe('http/1.1');
  });

  it('fails with http_version when http2: true and the server picks HTTP/1.1', async () => {
    const r = await withCa(trusted.url('/'), { http2: true });
    expect(r.http?.version).toBe('HTTP/1.1');
    expect(r.failure).toEqual({ reason: 'http_version', message: 'HTTP/1.1, but http2: true requires HTTP/2' });
    expect(r.assertions.at(-1)).toEqual({ name: 'version is HTTP/2', ok: false, detail: 'HTTP/1.1' });
  });

  it('offers only http/1.1 with http2: false, so an HTTP/2-only server fails the handshake', async () => {
    const r = await withCa(h2.url('/'), { http2: false });
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('tls_handshake');
    const h1 = await withCa(trusted.url('/'), { http2: false });
    expect(h1.failure).toBeUndefined();
    expect(h1.tls?.alpn).toBe('http/1.1');
  });

  it('accepts Blackbox Exporter\'s spelling HTTP/2.0 in validHttpVersions', async () => {
    const r = await withCa(h2.url('/'), { validHttpVersions: ['HTTP/2.0'] });
    expect(r.failure).toBeUndefined();
    expect(r.assertions[1]).toEqual({ name: 'version in [HTTP/2]', ok: true, detail: 'HTTP/2' });
    const h1 = await withCa(trusted.url('/'), { validHttpVersions: ['HTTP/2.0'] });
    expect(h1.failure).toEqual({ reason: 'http_version', message: 'HTTP/1.1, expected one of HTTP/2' });
  });
});

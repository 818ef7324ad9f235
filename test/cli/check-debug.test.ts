/**
 * `vantage check --debug` against real loopback servers: what each protocol's log shows, that no
 * secret survives in any spelling anywhere in it, and what a failure's line says without --debug.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../testkit/certs.ts';
import { runCli } from '../support/cli.ts';
import { startDnsStub, type DnsStub } from '../support/dns-server.ts';
import { startHealthServer } from '../support/grpc-server.ts';
import { startHttp, startHttps, tlsOptions, type Running } from '../support/http-servers.ts';
import { bannerServer, redisLikeServer } from '../support/tcp-servers.ts';

/** Characters that every encoding spells differently: JSON escapes the quote, URL-encoding the rest. */
const TOKEN = 'tok"en/with+special=chars&1';
const env = { TOKEN };

/** Every form an echoing server below puts the token in. */
function forms(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    Buffer.from(value).toString('base64'),
    Buffer.from(`Bearer ${value}`).toString('base64'),
    JSON.stringify(value).slice(1, -1),
  ];
}

/** Where the cut at 4 KiB falls inside the token: this many of its characters are before it. */
const BEFORE_CUT = 12;

describe('vantage check --debug', () => {
  let pki: TestPki;
  let dir: string;
  let echo: Running;
  let failing: Running;
  beforeAll(async () => {
    pki = await makeTestPki();
    dir = mkdtempSync(join(tmpdir(), 'vantage-debug-'));
    writeFileSync(join(dir, 'ca.pem'), pki.ca.cert);
    // Echoes the Authorization header (and another secret-bearing header) back in every encoding,
    // then pads so that the 4 KiB cut falls inside one last copy of the token.
    echo = await startHttp((req, res) => {
      const auth = String(req.headers.authorization);
      const custom = String(req.headers['x-custom']);
      const lines = [
        `auth=${auth}`,
        `raw=${custom}`,
        `url=${encodeURIComponent(custom)}`,
        `b64=${Buffer.from(custom).toString('base64')}`,
        `b64auth=${Buffer.from(auth).toString('base64')}`,
        `json=${JSON.stringify({ token: custom })}`,
      ].join('\n');
      const head = `${lines}\n`;
      const pad = 'p'.repeat(4096 - Buffer.byteLength(head) - BEFORE_CUT);
      res.writeHead(200, { 'content-type': 'text/plain', 'x-echo': auth });
      res.end(`${head}${pad}${custom}tail`);
    });
    failing = await startHttp((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('\n  Internal error: database is down\n<p>more</p>\n');
    });
  });
  afterAll(async () => {
    await echo.close();
    await failing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs an HTTP exchange: lookup, connect, request, response, body head, assertions and phases', async () => {
    const run = await runCli(['check', echo.url('/echo?x=1').replace('127.0.0.1', 'localhost'), '--debug', '--retries', '0',
      '-H', 'Authorization: Bearer ${env:TOKEN}', '-H', 'X-Custom: ${env:TOKEN}'], { env });
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/dns {8}resolved localhost\n +addresses: 127\.0\.0\.1/);
    expect(out).toMatch(/connect {4}connected\n +local: 127\.0\.0\.1:\d+\n +remote: 127\.0\.0\.1:\d+/);
    expect(out).toContain('request    GET /echo?x=1 HTTP/1.1');
    expect(out).toContain('user-agent: Vantage/1.0 (location=local)');
    expect(out).toContain('response   HTTP/1.1 200');
    expect(out).toContain('content-type: text/plain');
    expect(out).toMatch(/body {7}first 4096 of \d+ bytes \(cut at 4096\)/);
    expect(out).toContain('assertion  pass status in [2xx]');
    expect(out).toMatch(/phases \(ms\): dns [\d.]+ {2}connect [\d.]+ {2}ttfb [\d.]+ {2}transfer [\d.]+ {2}total [\d.]+/);
    expect(out).toContain('result: UP');
  });

  it('redacts a secret-bearing header in the request, the response headers and an echoing body, in every encoding', async () => {
    const run = await runCli(['check', echo.url('/echo'), '--debug', '--retries', '0',
      '-H', 'Authorization: Bearer ${env:TOKEN}', '-H', 'X-Custom: ${env:TOKEN}'], { env });
    const out = run.stdout;
    expect(out).toContain('Authorization: [redacted]');
    expect(out).toContain('X-Custom: [redacted]');
    expect(out).toContain('x-echo: [redacted]');
    for (const line of ['auth=[redacted]', 'raw=[redacted]', 'url=[redacted]', 'b64=[redacted]', 'b64auth=[redacted]', 'json={"token":"[redacted]"}']) {
      expect(out).toContain(`| ${line}`);
    }
    for (const f of forms(TOKEN)) expect(out).not.toContain(f);
    // The copy the cut splits: its first characters are not left showing before the cut.
    expect(out).not.toContain(TOKEN.slice(0, BEFORE_CUT));
    expect(out).toMatch(/p\[redacted\]…\n/);
    expect(out).not.toContain('tok"en');
  });

  it('logs HTTPS over h2: version, cipher, ALPN and the presented chain with names', async () => {
    const server = http2.createSecureServer({ ...tlsOptions(pki.server), allowHTTP1: true }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await runCli(['check', `https://localhost:${port}/`, '--debug', '--ca', join(dir, 'ca.pem'), '--retries', '0'], { env });
      expect(run.code).toBe(0);
      const out = run.stdout;
      expect(out).toMatch(/tls {8}handshake done\n +version: TLSv1\.3\n +cipher: TLS_\w+\n +alpn: h2\n +verified: true/);
      expect(out).toMatch(/certificate 0\n +subject: CN=localhost\n +issuer: CN=Vantage Test CA\n +notAfter: \d{4}-\d\d-\d\dT[\d:.]+Z\n +san: DNS:localhost\n +san: IP Address:127\.0\.0\.1/);
      expect(out).toMatch(/certificate 1 \(from the trust store, not presented\)\n +subject: CN=Vantage Test CA/);
      expect(out).toContain('request    GET / HTTP/2');
      expect(out).toContain('response   HTTP/2 200');
      expect(out).toMatch(/\| ok\n/);
    } finally {
      server.close();
    }
  });

  it('logs HTTPS over http/1.1 when that is what ALPN chose', async () => {
    const server = await startHttps(tlsOptions(pki.server, { ALPNProtocols: ['http/1.1'] }), (_req, res) => res.end('ok'));
    try {
      const run = await runCli(['check', server.url('/'), '--debug', '--ca', join(dir, 'ca.pem'), '--retries', '0'], { env });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('alpn: http/1.1');
      expect(run.stdout).toContain('request    GET / HTTP/1.1');
      expect(run.stdout).toContain('san: IP Address:127.0.0.1');
    } finally {
      await server.close();
    }
  });

  it('logs a DNS query and its answers with their TTLs', async () => {
    const stub: DnsStub = await startDnsStub();
    try {
      const run = await runCli(['check', `dns://${stub.server}/api.example.com?type=A`, '--debug', '--retries', '0'], { env });
      expect(run.code).toBe(0);
      const out = run.stdout;
      expect(out).toMatch(new RegExp(`request {4}query api\\.example\\.com\\. IN A\\n +server: 127\\.0\\.0\\.1:${stub.port}\\n +transport: udp`));
      expect(out).toContain('response   NOERROR, 2 answer(s)');
      expect(out).toContain('answer: api.example.com.\\t300\\tIN\\tA\\t10.0.0.1');
      expect(out).toContain('answer: api.example.com.\\t300\\tIN\\tA\\t10.0.0.2');
      expect(out).toContain('assertion  pass rcode in [NOERROR]');
    } finally {
      await stub.close();
    }
  });

  it('logs a TCP connection and each send and expect step', async () => {
    const server = await redisLikeServer();
    try {
      const run = await runCli(['check', `tcp://127.0.0.1:${server.port}`, '--send', 'PING\r\n', '--expect', '^\\+PONG', '--debug', '--retries', '0'], { env });
      expect(run.code).toBe(0);
      const out = run.stdout;
      expect(out).toMatch(/connect {4}connected\n +local: 127\.0\.0\.1:\d+\n +remote: 127\.0\.0\.1:\d+/);
      expect(out).toMatch(/step 1: send\n +data: PING\\r\\n\n +bytes: 6\n +written: true/);
      expect(out).toContain('step 2: expect /^\\+PONG/ matched');
      expect(out).toContain('matched: +PONG');
      expect(out).toContain('assertion  pass received matches /^\\+PONG/');
    } finally {
      await server.close();
    }
  });

  it('logs a gRPC health check: the channel, the call and the status', async () => {
    const server = await startHealthServer();
    server.setStatus('api', 'NOT_SERVING');
    try {
      const run = await runCli(['check', `grpc://${server.target}/api`, '--debug', '--retries', '0'], { env });
      expect(run.code).toBe(1);
      const out = run.stdout;
      expect(out).toMatch(/connect {4}channel ready\n +remote: 127\.0\.0\.1/);
      expect(out).toMatch(/grpc {7}call grpc\.health\.v1\.Health\/Check\n +service: api/);
      expect(out).toContain('grpc       health status NOT_SERVING');
      expect(out).toContain('assertion  FAIL status is SERVING');
    } finally {
      await server.close();
    }
  });

  it('shows a failed expect with what was received instead', async () => {
    const server = await bannerServer('220 hello\r\n');
    try {
      const run = await runCli(['check', `tcp://127.0.0.1:${server.port}`, '--expect', '^SSH-', '--debug', '--retries', '0', '--timeout', '300ms'], { env });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('step 1: expect /^SSH-/ did not match');
      expect(run.stdout).toContain('unmatched: 220 hello\\r\\n');
      expect(run.stdout).toContain('assertion  FAIL received matches /^SSH-/');
    } finally {
      await server.close();
    }
  });
});

describe('vantage check on failure', () => {
  let failing: Running;
  let echo: Running;
  beforeAll(async () => {
    failing = await startHttp((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('\n  Internal error: database is down\n<p>more</p>\n');
    });
    echo = await startHttp((req, res) => {
      res.writeHead(503);
      res.end(`denied for ${String(req.headers.authorization)}\n`);
    });
  });
  afterAll(async () => {
    await failing.close();
    await echo.close();
  });

  it('quotes the body\'s first line and names the failing assertion without --debug', async () => {
    const run = await runCli(['check', failing.url('/'), '--retries', '0'], { env });
    expect(run.code).toBe(1);
    const row = run.stdout.split('\n')[1]!;
    expect(row).toContain('failed: status in [2xx] (500)');
    expect(row).toContain('body: "Internal error: database is down"');
    expect(run.stdout).not.toContain('<p>more</p>');
  });

  it('puts the --debug log first, then the same table', async () => {
    const run = await runCli(['check', failing.url('/'), '--retries', '0', '--debug'], { env });
    expect(run.stdout).toContain('assertion  FAIL status in [2xx]');
    expect(run.stdout).toContain('result: DOWN: status_code: status 500, expected one of 2xx');
    expect(run.stdout).toMatch(/\| {3}Internal error: database is down/);
    expect(run.stdout).toContain('body: "Internal error: database is down"');
  });

  it('redacts a secret the body\'s first line echoes', async () => {
    const run = await runCli(['check', echo.url('/'), '--retries', '0', '-H', 'Authorization: Bearer ${env:TOKEN}'], { env });
    expect(run.stdout).toContain('body: "denied for [redacted]"');
    for (const f of forms(TOKEN)) expect(run.stdout).not.toContain(f);
  });

  it('sends the log to stderr with --json, leaving stdout one JSON object', async () => {
    const run = await runCli(['check', failing.url('/'), '--retries', '0', '--debug', '--json'], { env });
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'down', http: { status: 500 } });
    expect(run.stderr).toContain('response   HTTP/1.1 500');
  });
});

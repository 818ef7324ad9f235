/** `vantage check` end to end: flags → the same validated check a config would give → a real probe. */
import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../testkit/certs.ts';
import { runCli } from '../support/cli.ts';
import { startDnsStub, type DnsStub } from '../support/dns-server.ts';
import { closedPort, startHttp, startHttps, startTcp, tlsOptions, type Running } from '../support/http-servers.ts';

let http: Running;
let https: Running;
let selfSigned: Running;
let banner: Running;
let dns: DnsStub;
let pki: TestPki;
let dir: string;
const seenHeaders: Record<string, string | undefined>[] = [];
/** Requests per path: a `/flaky/...` path fails its first request and passes every later one. */
const hits = new Map<string, number>();

beforeAll(async () => {
  pki = await makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'vantage-cli-'));
  writeFileSync(join(dir, 'ca.pem'), pki.ca.cert);
  http = await startHttp((req, res) => {
    seenHeaders.push({ authorization: req.headers.authorization, 'user-agent': req.headers['user-agent'] });
    const n = (hits.get(req.url!) ?? 0) + 1;
    hits.set(req.url!, n);
    if (req.url!.startsWith('/flaky/')) { res.writeHead(n === 1 ? 503 : 200).end(); return; }
    if (req.url === '/echo') { res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ auth: req.headers.authorization })); return; }
    if (req.url === '/fail') { res.writeHead(500).end('{"status":"broken"}'); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  https = await startHttps(tlsOptions(pki.server), (_req, res) => res.writeHead(200).end('secure'));
  selfSigned = await startHttps(tlsOptions(pki.selfSigned), (_req, res) => res.writeHead(200).end('self'));
  banner = await startTcp((s: net.Socket) => s.end('VANTAGE-TEST ready\r\n'));
  dns = await startDnsStub();
});

afterAll(async () => {
  await Promise.all([http.close(), https.close(), selfSigned.close(), banner.close(), dns.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('vantage check', () => {
  it('probes a healthy HTTP endpoint: exit 0, JSON with phases and status', async () => {
    const r = await runCli(['check', http.url('/health'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ok: true, status: 'up', http: { status: 200, version: 'HTTP/1.1' } });
    expect(result.checkId).toBeUndefined();
    for (const phase of ['connect', 'ttfb', 'total']) expect(result.phases[phase]).toBeGreaterThanOrEqual(0);
  });

  it('a 500 is down (exit 1) unless --expect-status allows it', async () => {
    const down = await runCli(['check', http.url('/fail'), '--json']);
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout)).toMatchObject({ ok: false, status: 'down', failure: { reason: 'status_code' } });
    const allowed = await runCli(['check', http.url('/fail'), '--expect-status', '500', '--body-regex', 'broken']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/UP/);
  });

  it('prints a readable table with every phase column', async () => {
    const r = await runCli(['check', http.url('/health')]);
    const [header, row] = r.stdout.split('\n');
    expect(header).toMatch(/^CHECK\s+LOCATION\s+STATUS\s+DNS\s+CONNECT\s+TLS\s+TTFB\s+TRANSFER\s+TOTAL\s+DETAIL$/);
    expect(row).toContain(http.url('/health'));
    expect(row).toContain('200 HTTP/1.1');
  });

  it('sends ${env:NAME} headers but never prints the secret', async () => {
    seenHeaders.length = 0;
    const secret = 'tok-8c1f0e52d7a94b3e';
    const r = await runCli(['check', http.url('/fail'), '--json', '--header', 'Authorization: Bearer ${env:API_TOKEN}'], { env: { API_TOKEN: secret } });
    expect(seenHeaders[0]?.authorization).toBe(`Bearer ${secret}`);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('names its location in the User-Agent', async () => {
    seenHeaders.length = 0;
    await runCli(['check', http.url('/health'), '--location', 'eu-west-1']);
    expect(seenHeaders[0]?.['user-agent']).toBe('Vantage/1.0 (location=eu-west-1)');
  });

  it('verifies TLS against --ca, rejects a self-signed certificate, and lets --insecure through', async () => {
    const trusted = await runCli(['check', https.url('/'), '--ca', join(dir, 'ca.pem'), '--server-name', 'localhost', '--json']);
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout).tls.version).toMatch(/^TLSv1\.[23]$/);
    const untrusted = await runCli(['check', selfSigned.url('/'), '--json']);
    expect(untrusted.code).toBe(1);
    expect(JSON.parse(untrusted.stdout).failure.reason).toBe('cert_untrusted');
    const insecure = await runCli(['check', selfSigned.url('/'), '--insecure', '--json']);
    expect(insecure.code).toBe(0);
  });

  it('checks a certificate with tls:// and --min-days', async () => {
    const r = await runCli(['check', `tls://127.0.0.1:${https.port}`, '--ca', join(dir, 'ca.pem'), '--server-name', 'localhost', '--min-days', '100', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).failure.reason).toBe('cert_expiring');
  });

  it('tcp:// connects and matches --expect; a closed port is connect_refused', async () => {
    const up = await runCli(['check', `tcp://127.0.0.1:${banner.port}`, '--expect', '^VANTAGE-TEST', '--json']);
    expect(up.code).toBe(0);
    const refused = await runCli(['check', `tcp://127.0.0.1:${await closedPort()}`, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).failure.reason).toBe('connect_refused');
  });

  it('dns:// queries the given server for the given type', async () => {
    const r = await runCli(['check', `dns://${dns.server}/example.com?type=MX`, '--expect', '\\tMX\\t10 mail\\.example\\.com', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.dns.rcode).toBe('NOERROR');
    expect(result.dns.answers).toHaveLength(2);
    // The table shows the records as the regexes see them, tabs included.
    const human = await runCli(['check', `dns://${dns.server}/example.com?type=MX`]);
    expect(human.stdout).toContain('dns answers:\n');
    expect(human.stdout).toContain('example.com.\t300\tIN\tMX\t10 mail.example.com.\n');
    const nx = await runCli(['check', `dns://${dns.server}/nope.example.com?type=A&transport=tcp`, '--json']);
    expect(nx.code).toBe(1);
    expect(JSON.parse(nx.stdout)).toMatchObject({ dns: { rcode: 'NXDOMAIN' }, failure: { reason: 'dns_rcode' } });
  });

  it('rejects bad input with exit 2 and a reason', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['check', 'ftp://example.com'], /unsupported scheme "ftp:"/],
      [['check', 'not a url'], /is not a URL/],
      [['check', http.url('/'), '--timeout', 'soon'], /timeout: invalid duration "soon"/],
      [['check', http.url('/'), '--expect-status', '999'], /validStatusCodes\[0\]/],
      [['check', 'tcp://127.0.0.1'], /tcp:\/\/ needs host:port/],
      [['check', http.url('/'), '--header', 'no-colon'], /is not "Name: value"/],
      [['check'], /give exactly one target/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(message);
    }
  });

  it('retests a failure once by default, as a deployed check does; --retries 0 does not', async () => {
    const retried = await runCli(['check', http.url('/flaky/default'), '--json']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ status: 'up', retries: 1 });
    expect(hits.get('/flaky/default')).toBe(2);

    const once = await runCli(['check', http.url('/flaky/none'), '--retries', '0', '--json']);
    expect(once.code).toBe(1);
    expect(JSON.parse(once.stdout)).toMatchObject({ status: 'down', retries: 0, failure: { reason: 'status_code' } });
    expect(hits.get('/flaky/none')).toBe(1);

    const table = await runCli(['check', http.url('/flaky/table'), '--retries', '3']);
    expect(table.stdout).toMatch(/UP .*after 1 retest/);

    for (const bad of ['4', '-1', 'x']) {
      const r = await runCli(['check', http.url('/'), '--retries', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/retries/);
    }
  });
});

describe('vantage check never shows URL userinfo', () => {
  const PASSWORD = 'pw-S3cret-77';
  const leaked = (text: string) => [PASSWORD, 'alice:', Buffer.from(`alice:${PASSWORD}`).toString('base64')].filter((s) => text.includes(s));

  it('in the table or the JSON, even when the server echoes the Basic header it became', async () => {
    const url = http.url('/echo').replace('http://', `http://alice:${PASSWORD}@`);
    const table = await runCli(['check', url, '--retries', '0']);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain(http.url('/echo'));
    const json = await runCli(['check', url, '--retries', '0', '--json']);
    expect(JSON.parse(json.stdout).target).toBe(http.url('/echo'));
    expect(seenHeaders.at(-1)?.authorization).toBe(`Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`);
    for (const r of [table, json]) expect(leaked(r.stdout + r.stderr)).toEqual([]);
  });

  it('in usage errors that quote the argument', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['check', `http://alice:${PASSWORD}@[not-a-host`], /is not a URL/],
      [['check', `http://alice:${PASSWORD}@127.0.0.1/`, '--timeout', 'soon'], /invalid duration/],
      [['check', `ftp://alice:${PASSWORD}@127.0.0.1/`], /unsupported scheme/],
      [['run', '--config', 'x.yaml', `https://alice:${PASSWORD}@127.0.0.1/`], /Unexpected argument 'https:\/\/127\.0\.0\.1\/'/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(message);
      expect(leaked(r.stdout + r.stderr), argv.join(' ')).toEqual([]);
    }
  });
});

/**
 * The round trip: a blackbox.yml and the Prometheus jobs that call it, imported, then probed against
 * real loopback targets (HTTP 200 and 500, a TCP banner server, a line server that answers only a
 * newline-terminated PING, the DNS stub, a gRPC health server, and ICMP to 127.0.0.1 where ping works). Each imported check must give the
 * verdict the exporter's documented behaviour gives, and, when prometheus-blackbox-exporter is
 * installed (Debian's package; .ci/run installs it), the verdict the real exporter gives for the same
 * module and target through /probe.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter, type Exporter } from '../../bench/peers.ts';
import { importBlackbox } from '../../shared/config/import/blackbox.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { runProbe } from '../../shared/probe/index.ts';
import { PING } from '../support/netns.ts';
import { startDnsStub, type DnsStub } from '../support/dns-server.ts';
import { startHealthServer, type HealthServer } from '../support/grpc-server.ts';
import { startHttp, type Running as HttpRunning } from '../support/http-servers.ts';
import { bannerServer, start, type Running } from '../support/tcp-servers.ts';

const MODULES = `
modules:
  http_2xx:
    prober: http
    timeout: 3s
    http: { preferred_ip_protocol: ip4, ip_protocol_fallback: false }
  http_500:
    prober: http
    timeout: 3s
    http: { valid_status_codes: [500], preferred_ip_protocol: ip4 }
  http_no_error:
    prober: http
    timeout: 3s
    http:
      fail_if_body_matches_regexp: ['(?i)error']
      fail_if_header_not_matches: [{ header: Content-Type, regexp: '^text/plain' }]
  http_1_0_only:
    prober: http
    timeout: 3s
    http: { valid_http_versions: [HTTP/1.0] }
  tcp_ssh:
    prober: tcp
    timeout: 2s
    tcp: { query_response: [{ expect: '^SSH-2.0-' }], preferred_ip_protocol: ip4 }
  tcp_smtp:
    prober: tcp
    timeout: 2s
    tcp: { query_response: [{ expect: '^220 ' }] }
  tcp_ping:
    prober: tcp
    timeout: 2s
    tcp: { query_response: [{ send: PING }, { expect: '^PONG$' }] }
  dns_a:
    prober: dns
    timeout: 3s
    dns:
      query_name: api.example.com
      query_type: A
      preferred_ip_protocol: ip4
      validate_answer_rrs:
        fail_if_none_matches_regexp: ['api\\.example\\.com\\.\\t\\d+\\tIN\\tA\\t10\\.0\\.0\\.1']
  dns_not_10_0_0_2:
    prober: dns
    timeout: 3s
    dns:
      query_name: api.example.com
      query_type: A
      validate_answer_rrs: { fail_if_matches_regexp: ['10\\.0\\.0\\.2'] }
  dns_nx:
    prober: dns
    timeout: 3s
    dns: { query_name: nope.example.com, query_type: A }
  grpc_server:
    prober: grpc
    timeout: 3s
    grpc: { preferred_ip_protocol: ip4 }
  grpc_api:
    prober: grpc
    timeout: 3s
    grpc: { service: api.v1 }
  icmp_ping:
    prober: icmp
    timeout: 3s
    icmp: { preferred_ip_protocol: ip4, ip_protocol_fallback: false }
`;

/** Answers each newline-terminated PING with PONG: a send without the exporter's "\n" gets nothing. */
function pingServer(): Promise<Running> {
  return start(createServer((s: Socket) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        if (buf.slice(0, nl) === 'PING') s.write('PONG\n');
        buf = buf.slice(nl + 1);
      }
    });
  }));
}

/** One Prometheus job per module, in the README form (targets relabelled into __param_target). */
function prometheusYml(jobs: Record<string, string[]>): string {
  const job = ([module, targets]: [string, string[]]) => [
    `  - job_name: ${module}`,
    '    metrics_path: /probe',
    `    params: { module: [${module}] }`,
    `    static_configs: [{ targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}] }]`,
    '    relabel_configs:',
    '      - { source_labels: [__address__], target_label: __param_target }',
    '      - { source_labels: [__param_target], target_label: instance }',
    '      - { target_label: __address__, replacement: "127.0.0.1:9115" }',
  ].join('\n');
  return `scrape_configs:\n${Object.entries(jobs).map(job).join('\n')}\n`;
}

const EXPORTER = ['prometheus-blackbox-exporter', 'blackbox_exporter'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);

describe('imported checks give the exporter\'s verdicts on loopback', () => {
  let http: HttpRunning;
  let ssh: Running;
  let ping: Running;
  let dns: DnsStub;
  let grpc: HealthServer;
  let dir: string;
  let exporter: Exporter | undefined;
  /** [check id, module, target, the verdict the exporter's documentation gives] */
  let cases: Array<[string, string, string, boolean]>;
  let checks: Check[];

  beforeAll(async () => {
    http = await startHttp((req, res) => {
      if (req.url === '/fail') res.writeHead(500).end('boom');
      else if (req.url === '/error') res.writeHead(200, { 'content-type': 'text/plain' }).end('An Error happened');
      else if (req.url === '/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('all good');
    });
    ssh = await bannerServer('SSH-2.0-Test\r\n');
    ping = await pingServer();
    dns = await startDnsStub();
    grpc = await startHealthServer();
    grpc.setStatus('api.v1', 'NOT_SERVING');
    const web = `http://127.0.0.1:${http.port}`;
    const jobs: Record<string, Array<[string, boolean]>> = {
      http_2xx: [[`${web}/ok`, true], [`${web}/fail`, false]],
      http_500: [[`${web}/fail`, true], [`${web}/ok`, false]],
      http_no_error: [[`${web}/ok`, true], [`${web}/error`, false], [`${web}/json`, false]],
      http_1_0_only: [[`${web}/ok`, false]],
      tcp_ssh: [[`127.0.0.1:${ssh.port}`, true]],
      tcp_smtp: [[`127.0.0.1:${ssh.port}`, false]],
      tcp_ping: [[`127.0.0.1:${ping.port}`, true]],
      dns_a: [[dns.server, true]],
      dns_not_10_0_0_2: [[dns.server, false]],
      dns_nx: [[dns.server, false]],
      grpc_server: [[grpc.target, true]],
      grpc_api: [[grpc.target, false]],
      // Only where this host can send echo requests (iputils ping, as shared/probe/icmp.ts does).
      ...(PING && { icmp_ping: [['127.0.0.1', true]] }),
    };
    const result = importBlackbox({ modules: MODULES, prometheus: prometheusYml(Object.fromEntries(Object.entries(jobs).map(([m, ts]) => [m, ts.map(([t]) => t)]))) });
    checks = loadConfigText(result.yaml).checks;
    cases = Object.entries(jobs).flatMap(([module, ts]) => ts.map(([target, up]): [string, string, string, boolean] => {
      const check = checks.find((c) => c.tags?.module === module && c.name === `${module} ${target}`);
      if (!check) throw new Error(`no check imported for ${module} ${target}`);
      return [check.id, module, target, up];
    }));
    if (EXPORTER) {
      dir = mkdtempSync(join(tmpdir(), 'vantage-import-'));
      writeFileSync(join(dir, 'blackbox.yml'), MODULES);
      exporter = await startExporter(EXPORTER, join(dir, 'blackbox.yml'));
    }
  }, 30_000);

  afterAll(async () => {
    await exporter?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await Promise.all([http?.close(), ssh?.close(), ping?.close(), dns?.close(), grpc?.close()]);
  });

  it('imports one check per job target', () => {
    expect(checks).toHaveLength(cases.length);
    expect(checks.find((c) => c.id === 'tcp_ping-127.0.0.1-' + String(ping.port))?.kind).toBe('tcp');
  });

  it('matches the documented verdict for every module and target', async () => {
    const verdicts = await Promise.all(cases.map(async ([id]) => (await runProbe(checks.find((c) => c.id === id)!)).ok));
    expect(cases.map(([id], i) => [id, verdicts[i]]).filter(([, v], i) => v !== cases[i]![3])).toEqual([]);
    expect(verdicts).toEqual(cases.map(([, , , up]) => up));
  });

  it.skipIf(!EXPORTER)('matches the real exporter\'s probe_success for every module and target', async () => {
    const probe = async (module: string, target: string) => {
      const res = await fetch(`${exporter!.origin}/probe?module=${encodeURIComponent(module)}&target=${encodeURIComponent(target)}`);
      const text = await res.text();
      return /^probe_success (\S+)$/m.exec(text)?.[1] === '1';
    };
    const theirs = await Promise.all(cases.map(([, module, target]) => probe(module, target)));
    const ours = await Promise.all(cases.map(async ([id]) => (await runProbe(checks.find((c) => c.id === id)!)).ok));
    expect(cases.map(([id], i) => ({ id, exporter: theirs[i], vantage: ours[i] })).filter((r) => r.exporter !== r.vantage)).toEqual([]);
    expect(theirs).toEqual(cases.map(([, , , up]) => up));
  }, 30_000);

  if (!EXPORTER) {
    it('skips the comparison with the real exporter: prometheus-blackbox-exporter is not installed (apt-get install prometheus-blackbox-exporter)', () => {
      expect(EXPORTER).toBeUndefined();
    });
  }
});

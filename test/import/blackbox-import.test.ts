/**
 * `importBlackbox` on fixtures: every prober, every option reported with its path and action, the
 * Prometheus job forms, rules → alerting.for, and the output validating as `vantage validate` would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBlackbox, type ImportNote } from '../../shared/config/import/blackbox.ts';
import { translateRe2 } from '../../shared/config/import/re2.ts';
import { loadConfigText } from '../../shared/config/load.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const read = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const modulesOnly = () => importBlackbox({ modules: read('blackbox.yml') });
const withJobs = () => importBlackbox({ modules: read('blackbox.yml'), prometheus: read('prometheus.yml'), rules: read('rules.yml') });
const actionAt = (notes: readonly ImportNote[], path: string) => notes.filter((n) => n.path === path).map((n) => n.action);
type Check = Record<string, any>;
const byId = (checks: readonly Check[], id: string) => {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} among ${checks.map((x) => x.id).join(', ')}`);
  return c;
};

describe('modules', () => {
  it('makes one check per importable module, of its kind, and the output validates', () => {
    const { config, yaml } = modulesOnly();
    const kinds = config.checks.map((c) => ['http', 'tcp', 'dns', 'grpc', 'icmp'].find((k) => k in c));
    expect(kinds).toEqual(['http', 'http', 'http', 'tcp', 'tcp', 'tcp', 'dns', 'dns', 'grpc', 'icmp']);
    const loaded = loadConfigText(yaml, { baseDir: FIXTURES });
    expect(loaded.checks).toHaveLength(10);
    expect(loaded.checks.every((c) => !c.enabled)).toBe(true);
    expect(loaded.checks.every((c) => c.retries === 0)).toBe(true);
  });

  it('carries over what maps, with the exporter defaults spelled out', () => {
    const { config } = modulesOnly();
    const full = byId(config.checks, 'http_full-example.invalid');
    expect(full.timeout).toBe('3s');
    expect(full.http).toMatchObject({
      url: 'https://example.invalid/', method: 'POST', body: '{"ping":true}', validStatusCodes: [200, 204],
      validHttpVersions: ['HTTP/1.1', 'HTTP/2'], followRedirects: false, http2: false, maxBodyBytes: 65536,
      headers: { Accept: 'application/json', Authorization: `Basic ${Buffer.from('probe:s3cret').toString('base64')}` },
      tls: { ca: 'certs/ca.pem', serverName: 'api.internal' },
      assert: { bodyNotMatches: ['[eE][rR][rR][oO][rR]'], bodyMatches: ['"status":\\s*"ok"'], headers: { 'content-type': 'application/json' } },
    });
    // No module timeout: the exporter's is the scrape timeout (10s by default) less 0.5s.
    expect(byId(config.checks, 'tcp_ping-example.invalid-80').timeout).toBe('9500ms');
    expect(byId(config.checks, 'http_2xx-example.invalid').http.ipFamily).toBe(4);
    expect(byId(config.checks, 'tcp_ping-example.invalid-80').tcp.steps).toEqual([{ send: 'PING\n' }, { expect: '^PONG$' }, { expect: 'PING :([^ ]+)' }, { send: 'PONG ${1}\n' }]);
    expect(byId(config.checks, 'tcp_tls-example.invalid-80').tcp.tls).toEqual({ insecureSkipVerify: true, cert: 'certs/client.pem', key: 'certs/client-key.pem' });
    expect(byId(config.checks, 'dns_a-example.invalid').dns).toMatchObject({ name: 'api.example.com', type: 'A', transport: 'tcp', recursionDesired: false, validRcodes: ['NOERROR'] });
    expect(byId(config.checks, 'grpc_health-example.invalid-443').grpc).toEqual({ target: 'example.invalid:443', service: 'api.v1', tls: { ca: 'certs/ca.pem' } });
    expect(byId(config.checks, 'icmp_ping-example.invalid').icmp).toEqual({ host: 'example.invalid', count: 1, dontFragment: true, packetSize: 16 });
  });

  // One row per option without an exact equivalent: its path and what was done.
  it.each<[string, ImportNote['action']]>([
    ['modules.http_full.http.preferred_ip_protocol', 'approximated'],
    ['modules.http_full.http.valid_http_versions[1]', 'mapped'],
    ['modules.http_full.http.enable_http2', 'mapped'],
    ['modules.http_full.http.fail_if_body_matches_regexp[0]', 'mapped'],
    ['modules.http_full.http.fail_if_header_matches[0]', 'dropped'],
    ['modules.http_full.http.fail_if_header_not_matches[0].allow_missing', 'approximated'],
    ['modules.http_full.http.fail_if_body_json_matches_cel', 'dropped'],
    ['modules.http_full.http.fail_if_not_ssl', 'approximated'],
    ['modules.http_full.http.tls_config.min_version', 'approximated'],
    ['modules.http_full.http.basic_auth', 'mapped'],
    ['modules.http_full.http.proxy_url', 'dropped'],
    ['modules.http_full.http.compression', 'dropped'],
    ['modules.http_regex_unsupported.http.fail_if_body_not_matches_regexp[0]', 'dropped'],
    ['modules.http_regex_unsupported.http.fail_if_body_not_matches_regexp[1]', 'dropped'],
    ['modules.http_regex_unsupported.http.valid_http_versions[0]', 'dropped'],
    ['modules.tcp_ping.tcp.query_response[0].send', 'mapped'],
    ['modules.tcp_ping.tcp.query_response[2].labels', 'dropped'],
    ['modules.tcp_ping.tcp.query_response[3].starttls', 'dropped'],
    ['modules.tcp_ping.tcp.source_ip_address', 'dropped'],
    ['modules.dns_a.dns.query_class', 'dropped'],
    ['modules.dns_a.dns.valid_rcodes', 'dropped'],
    ['modules.dns_a.dns.validate_answer_rrs.fail_if_not_matches_regexp', 'approximated'],
    ['modules.dns_a.dns.validate_answer_rrs.fail_if_all_match_regexp', 'dropped'],
    ['modules.dns_a.dns.validate_authority_rrs', 'dropped'],
    ['modules.dns_default.dns.query_type', 'approximated'],
    ['modules.dns_default.dns.dns_over_tls', 'approximated'],
    ['modules.grpc_health.grpc.preferred_ip_protocol', 'approximated'],
    ['modules.icmp_ping.icmp.payload_size', 'approximated'],
    ['modules.icmp_ping.icmp.ttl', 'dropped'],
    ['modules.unix_sock.prober', 'dropped'],
  ])('reports %s as %s, in the result and in the output header', (path, action) => {
    const { notes, yaml } = modulesOnly();
    expect(actionAt(notes, path)).toContain(action);
    expect(yaml.split('\n').filter((l) => l.startsWith('#')).some((l) => l.includes(`${path}: ${action}:`))).toBe(true);
  });

  it('reports the send with a ${1} group as sent literally', () => {
    expect(actionAt(modulesOnly().notes, 'modules.tcp_ping.tcp.query_response[2].send')).toEqual(['mapped', 'approximated']);
  });

  it('reports an option it does not know rather than ignoring it', () => {
    const { notes } = importBlackbox({ modules: 'modules:\n  m:\n    prober: http\n    http:\n      brand_new_option: 1\n    tcp:\n      tls: true\n' });
    expect(actionAt(notes, 'modules.m.http.brand_new_option')).toEqual(['dropped']);
    expect(actionAt(notes, 'modules.m.tcp')).toEqual(['dropped']);
  });

  it('rewrites tls_config paths through resolveFile', () => {
    const { config, notes } = importBlackbox({ modules: read('blackbox.yml'), resolveFile: (p) => `../bb/${p}` });
    expect(byId(config.checks, 'grpc_health-example.invalid-443').grpc.tls).toEqual({ ca: '../bb/certs/ca.pem' });
    expect(actionAt(notes, 'modules.grpc_health.grpc.tls_config.ca_file')).toEqual(['approximated']);
  });
});

describe('Prometheus jobs', () => {
  it('makes one check per target and module, with readable ids and the job\'s interval and timeout', () => {
    const { config, yaml } = withJobs();
    expect(config.checks.map((c) => c.id)).toEqual(['blackbox-api.example.com-health', 'blackbox-www.example.com', 'ssh-db1-22', 'dns-127.0.0.1-53', 'grpc-grpc.example.com-443']);
    expect(loadConfigText(yaml, { baseDir: FIXTURES }).checks).toHaveLength(5);
    const api = byId(config.checks, 'blackbox-api.example.com-health');
    expect(api).toMatchObject({ interval: '30s', timeout: '5s', tags: { job: 'blackbox', team: 'web', instance: 'https://api.example.com/health', module: 'http_2xx' }, http: { url: 'https://api.example.com/health', ipFamily: 4 } });
    // The job's 5s scrape timeout less 0.5s is longer than the module's 2s: the module's wins.
    expect(byId(config.checks, 'ssh-db1-22')).toMatchObject({ interval: '1m', timeout: '2s', tcp: { host: 'db1', port: 22 } });
    // A target in params, and the exporter's default scrape timeout (10s) less 0.5s.
    expect(byId(config.checks, 'dns-127.0.0.1-53')).toMatchObject({ timeout: '9500ms', dns: { server: '127.0.0.1:53', name: 'api.example.com' } });
  });

  it('reports what it could not follow', () => {
    const { notes } = withJobs();
    expect(actionAt(notes, 'scrape_configs[2].params.module')).toEqual(['dropped']);
    expect(actionAt(notes, 'scrape_configs[3].file_sd_configs')).toEqual(['dropped']);
    expect(actionAt(notes, 'scrape_configs[4]')).toEqual(['dropped']);
    expect(actionAt(notes, 'modules.http_full')).toEqual(['dropped']);
  });

  it('follows the __address__ → __param_target pattern with the exporter address as a replacement', () => {
    const prometheus = [
      'scrape_configs:',
      '  - job_name: web',
      '    metrics_path: /probe',
      '    params: { module: [http_2xx] }',
      '    static_configs: [{ targets: [example.org, "https://example.net/x"] }]',
      '    relabel_configs:',
      '      - { source_labels: [__address__], target_label: __param_target }',
      '      - { source_labels: [__param_target], target_label: instance }',
      '      - { target_label: __address__, replacement: "exporter:9115" }',
    ].join('\n');
    const { config } = importBlackbox({ modules: read('blackbox.yml'), prometheus });
    expect((config.checks as Check[]).map((c) => [c.id, c.http.url, c.tags.instance])).toEqual([
      ['web-example.org', 'http://example.org', 'example.org'],
      ['web-example.net-x', 'https://example.net/x', 'https://example.net/x'],
    ]);
  });

  it('drops a target with no target parameter, saying why', () => {
    const { config, notes } = importBlackbox({ modules: read('blackbox.yml'), prometheus: 'scrape_configs:\n  - job_name: j\n    params: { module: [http_2xx] }\n    static_configs: [{ targets: ["a:1"] }]\n' });
    expect(config.checks).toEqual([]);
    expect(actionAt(notes, 'scrape_configs[0].static_configs[0].targets[0]')).toEqual(['dropped']);
  });

  it('keeps ids within the schema rule and apart', () => {
    const long = `https://${'a'.repeat(80)}.example.com/`;
    const { config, yaml } = importBlackbox({ modules: read('blackbox.yml'), targets: [{ module: 'http_2xx', target: long }, { module: 'http_2xx', target: `${long}x` }, { module: 'http_2xx', target: long }] });
    const ids = config.checks.slice(0, 3).map((c) => c.id as string);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => /^[a-z0-9][a-z0-9._-]{0,63}$/.test(id))).toBe(true);
    expect(() => loadConfigText(yaml, { baseDir: FIXTURES })).not.toThrow();
  });
});

describe('rules', () => {
  it('turns for: into alerting.for on the checks a rule covers, and no for: into failureThreshold 1', () => {
    const { config, notes } = withJobs();
    expect(byId(config.checks, 'blackbox-api.example.com-health').alerting).toEqual({ for: '2m' });
    expect(byId(config.checks, 'ssh-db1-22').alerting).toEqual({ for: '90s' });
    expect(byId(config.checks, 'dns-127.0.0.1-53').alerting).toEqual({ failureThreshold: 1 });
    expect(byId(config.checks, 'grpc-grpc.example.com-443').alerting).toBeUndefined();
    expect(actionAt(notes, 'groups[0].rules[3].expr')).toEqual(['dropped']);
    expect(actionAt(notes, 'groups[0].rules[4]')).toEqual(['dropped']);
  });

  it('takes the shortest for: when two rules cover a check, and says so', () => {
    const rules = 'groups:\n  - rules:\n      - { alert: A, expr: "probe_success == 0", for: 5m }\n      - { alert: B, expr: "probe_success{module=\\"http_2xx\\"} == 0", for: 1m }\n';
    const { config, notes } = importBlackbox({ modules: read('blackbox.yml'), targets: [{ module: 'http_2xx', target: 'example.org' }], rules });
    expect(config.checks[0]!.alerting).toEqual({ for: '1m' });
    expect(actionAt(notes, 'groups[0].rules[1]')).toEqual(['approximated']);
  });
});

describe('RE2 to JavaScript', () => {
  it.each([
    ['(?i)ok', '[oO][kK]', 'OK', true],
    ['(?s)a.b', 'a[\\s\\S]b', 'a\nb', true],
    ['(?m)^ok$', '(?<=^|\\n)ok(?=\\n|$)', 'x\nok\ny', true],
    ['\\Qa.b\\E', 'a\\.b', 'axb', false],
    ['(?P<v>\\d+)', '(?<v>\\d+)', 'v1', true],
    ['[[:digit:]]+x', '[0-9]+x', '12x', true],
    ['\\x{41}', '\\u0041', 'A', true],
    ['\\Aok\\z', '^ok$', 'ok', true],
  ])('%s becomes %s', (re2, js, text, matches) => {
    const t = translateRe2(re2);
    expect(t).toEqual({ ok: true, source: js });
    expect(new RegExp(js).test(text)).toBe(matches);
  });

  it.each(['\\pL', '\\p{Greek}', '(?U)a+', '\\C', '(?=x)'])('refuses %s', (re2) => {
    expect(translateRe2(re2).ok).toBe(false);
  });
});

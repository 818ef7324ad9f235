import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, formatDuration } from '../../shared/config/duration.ts';
import { loadConfigFile, loadConfigObject, loadConfigText, majority } from '../../shared/config/load.ts';

const ISSUE_EXAMPLE = `
defaults: { interval: 60s, timeout: 5s, locations: [us-east-1, eu-west-1, ap-southeast-1] }
checks:
  - id: api
    http:
      url: https://api.example.com/health
      method: GET
      headers: { Accept: application/json }
      body: '{"ping":true}'
      validStatusCodes: [200]
      validHttpVersions: ["HTTP/1.1", "HTTP/2"]
      http2: true
      followRedirects: true
      ipFamily: 4
      tls: { serverName: api.internal, insecureSkipVerify: false, minVersion: TLSv1.2 }
      assert: { bodyMatches: ['"ok"'], bodyNotMatches: [error], headers: { content-type: json }, jsonPath: { "$.status": ok }, maxResponseTime: 2s, certMinDaysLeft: 14 }
      degradedAfter: 800ms
  - id: db
    tcp: { host: 10.0.0.5, port: 5432, tls: false, expect: "^R" }
  - id: dns
    dns: { name: api.example.com, type: A, server: "10.0.0.2:53", validRcodes: [NOERROR], assert: { answerMatches: ["10\\\\.0\\\\."] } }
  - id: grpc
    grpc: { target: "10.0.0.7:50051", service: "", tls: true }
  - id: cert
    tls: { host: api.example.com, port: 443, serverName: api.example.com, assert: { certMinDaysLeft: 21 } }
`;

describe('durations', () => {
  it.each([['500ms', 500], ['5s', 5_000], ['2m', 120_000], ['1.5s', 1_500], ['1h', 3_600_000], ['1d', 86_400_000]])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['5', 's', '5 sec', '-1s', '1w', ''])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
  it('formats back to the shortest exact unit', () => {
    expect([500, 5_000, 90_000, 120_000].map(formatDuration)).toEqual(['500ms', '5s', '90s', '2m']);
  });
});

describe('loading the example from issue 2', () => {
  const cfg = loadConfigText(ISSUE_EXAMPLE);

  it('gives each check its kind from its protocol key', () => {
    expect(cfg.checks.map((c) => [c.id, c.kind])).toEqual([['api', 'http'], ['db', 'tcp'], ['dns', 'dns'], ['grpc', 'grpc'], ['cert', 'tls']]);
  });

  it('merges defaults into every check, with durations in ms', () => {
    for (const c of cfg.checks) {
      expect(c.interval).toBe(60_000);
      expect(c.timeout).toBe(5_000);
      expect(c.locations).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-1']);
      expect(c.retries).toBe(1);
    }
  });

  it('fills the alert policy defaults: thresholds 2 and a majority quorum', () => {
    const api = cfg.checks[0]!;
    expect(api.alerting).toEqual({ failureThreshold: 2, recoveryThreshold: 2, quorum: 2, intervalMs: 60_000, channels: [], degradedAfterMs: 800, certExpiringDays: 21, recheckIntervalMs: 10_000, confirm: true });
  });

  it('confirms by default only with another location to ask, and takes recheckInterval and confirm as written', () => {
    const loaded = loadConfigObject({
      defaults: { alerting: { recheckInterval: '15s' } },
      checks: [
        { id: 'alone', locations: ['eu-west-1'], http: { url: 'https://example.com' } },
        { id: 'pair', locations: ['eu-west-1', 'us-east-1'], alerting: { confirm: false, recheckInterval: '5s' }, http: { url: 'https://example.com' } },
      ],
    });
    expect(loaded.checks.map((c) => [c.alerting.confirm, c.alerting.recheckIntervalMs])).toEqual([[false, 15_000], [false, 5_000]]);
  });

  it('keeps the http options as written, with schema defaults for the rest', () => {
    const api = cfg.checks[0]!;
    if (api.kind !== 'http') throw new Error('kind');
    expect(api.http.assert.maxResponseTime).toBe(2_000);
    expect(api.http.maxBodyBytes).toBe(1024 * 1024);
    expect(api.http.maxRedirects).toBe(10);
    expect(api.http.tls?.insecureSkipVerify).toBe(false);
  });

  it('normalises tcp send/expect shorthand into steps', () => {
    const db = cfg.checks[1]!;
    if (db.kind !== 'tcp') throw new Error('kind');
    expect(db.tcp.steps).toEqual([{ expect: '^R' }]);
  });

  it('defaults a tls check to 14 days unless told otherwise', () => {
    const cert = cfg.checks[4]!;
    if (cert.kind !== 'tls') throw new Error('kind');
    expect(cert.tls.assert.certMinDaysLeft).toBe(21);
    const other = loadConfigText('checks: [{ id: c, tls: { host: example.com } }]').checks[0]!;
    if (other.kind !== 'tls') throw new Error('kind');
    expect(other.tls).toMatchObject({ port: 443, insecureSkipVerify: false, assert: { certMinDaysLeft: 14 } });
  });
});

describe('per-check overrides and file references', () => {
  it('lets a check override interval, timeout, locations and alerting', () => {
    const cfg = loadConfigObject({
      defaults: { interval: '60s', locations: ['a', 'b', 'c', 'd'], alerting: { failureThreshold: 3, repeatInterval: '30m' } },
      checks: [{ id: 'x', interval: '15s', timeout: '2s', http: { url: 'http://127.0.0.1/' }, alerting: { for: '2m' } }],
    });
    const x = cfg.checks[0]!;
    expect([x.interval, x.timeout]).toEqual([15_000, 2_000]);
    expect(x.alerting).toMatchObject({ failureThreshold: 3, forMs: 120_000, repeatIntervalMs: 1_800_000, quorum: 3, intervalMs: 15_000 });
  });

  it('replaces PEM paths with file contents, relative to the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-cfg-'));
    writeFileSync(join(dir, 'ca.pem'), 'PEM-CONTENTS');
    writeFileSync(join(dir, 'checks.yaml'), 'checks: [{ id: a, http: { url: "https://x", tls: { ca: ./ca.pem } } }]');
    const a = loadConfigFile(join(dir, 'checks.yaml')).checks[0]!;
    if (a.kind !== 'http') throw new Error('kind');
    expect(a.http.tls?.ca).toBe('PEM-CONTENTS');
  });

  it('keeps secret references as references, never resolved at load time', () => {
    const cfg = loadConfigObject({ checks: [{ id: 'a', http: { url: 'https://x', headers: { Authorization: 'Bearer ${env:TOKEN}', 'X-Key': { ssm: '/vantage/key' } } } }] });
    const a = cfg.checks[0]!;
    if (a.kind !== 'http') throw new Error('kind');
    expect(a.http.headers).toEqual({ Authorization: 'Bearer ${env:TOKEN}', 'X-Key': { ssm: '/vantage/key' } });
  });

  it('a majority is more than half', () => {
    expect([1, 2, 3, 4, 5].map(majority)).toEqual([1, 2, 2, 3, 3]);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitionsFile, parseDefinitions, toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigFile, type LoadedConfig } from '../../shared/config/load.ts';

let dir: string;
let config: LoadedConfig;

/** Every kind, every duration field, secret references of each sort, an inlined PEM file and a disabled check. */
const YAML = `
defaults:
  interval: 60s
  timeout: 5s
  locations: [eu-west-1, us-east-1, ap-south-1]
  retries: 1
  alerting: { failureThreshold: 3, channels: [oncall] }
channels:
  oncall: { email: [oncall@example.com], webhook: [https://hooks.example.com/x] }
checks:
  - id: api
    http:
      url: https://api.example.com/health
      headers:
        Authorization: { secretsManager: "arn:aws:secretsmanager:us-east-1:123456789012:secret:token", key: bearer }
        X-Api-Key: { ssm: /vantage/key }
        X-Env: "Bearer \${env:API_TOKEN}"
      tls: { ca: ca.pem, serverName: api.internal, minVersion: TLSv1.2 }
      assert: { maxResponseTime: 2s, bodyMatches: [ok], certMinDaysLeft: 10 }
      degradedAfter: 800ms
    alerting: { for: 2m, repeatInterval: 1h, quorum: 2 }
  - id: fast
    interval: 15s
    timeout: 3s
    retries: 0
    locations: [eu-west-1]
    tcp: { host: db.internal, port: 5432, send: "PING", expect: "PONG", degradedAfter: 1500ms }
  - id: resolver
    dns: { name: example.com, type: MX, server: "10.0.0.2:53", assert: { answerMatches: [mail] } }
  - id: health-grpc
    grpc: { target: "grpc.internal:50051", tls: true }
  - id: cert
    interval: 1h
    tls: { host: example.com, assert: { certMinDaysLeft: 21 } }
  - id: paused
    enabled: false
    http: { url: "http://127.0.0.1:1/" }
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-defs-'));
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'checks.yaml'), YAML);
  config = loadConfigFile(join(dir, 'checks.yaml'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('toDefinitions / parseDefinitions', () => {
  it('round-trip every check exactly as the loader produced it, through JSON', () => {
    const doc = toDefinitions(config);

    const back = parseDefinitions(JSON.stringify(doc));

    expect(back.checks).toEqual(config.checks);
    expect(back.channels).toEqual(config.channels);
    expect(back.location).toBeUndefined();
  });

  it('give a probe location only its enabled checks and no channels', () => {
    const eu = parseDefinitions(JSON.stringify(toDefinitions(config, 'eu-west-1')));
    const us = parseDefinitions(JSON.stringify(toDefinitions(config, 'us-east-1')));

    expect(eu.location).toBe('eu-west-1');
    expect(eu.checks.map((c) => c.id)).toEqual(['api', 'fast', 'resolver', 'health-grpc', 'cert']);
    expect(us.checks.map((c) => c.id)).toEqual(['api', 'resolver', 'health-grpc', 'cert']);
    expect(eu.channels).toEqual({});
    expect(eu.checks.find((c) => c.id === 'api')).toEqual(config.checks.find((c) => c.id === 'api'));
  });

  it("keep secret references as references and write durations in the config's own form", () => {
    const text = JSON.stringify(toDefinitions(config, 'eu-west-1'));
    const api = JSON.parse(text).checks[0];

    expect(api.http.headers).toEqual({
      Authorization: { secretsManager: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token', key: 'bearer' },
      'X-Api-Key': { ssm: '/vantage/key' },
      'X-Env': 'Bearer ${env:API_TOKEN}',
    });
    expect(api).toMatchObject({ interval: '1m', timeout: '5s', alerting: { for: '2m', repeatInterval: '1h', failureThreshold: 3, quorum: 2 } });
    expect(api.http.assert.maxResponseTime).toBe('2s');
    expect(api.http.tls.ca).toContain('BEGIN CERTIFICATE');
    expect(api).not.toHaveProperty('kind');
  });
});

describe('parseDefinitions rejects', () => {
  const valid = () => JSON.parse(JSON.stringify(toDefinitions(config, 'eu-west-1')));

  it('a bundle from another schema version', () => {
    expect(() => parseDefinitions({ ...valid(), schemaVersion: 2 })).toThrow(expect.objectContaining({
      code: 'DEFINITIONS_INVALID',
      issues: [{ path: 'schemaVersion', message: expect.stringContaining('rebuild the bundle') }],
    }));
  });

  it('every problem at once, each with its path', () => {
    const doc = valid();
    doc.checks[0].http.url = 'ftp://nope';
    doc.checks[1].tcp.port = 70000;
    delete doc.checks[2].retries;
    doc.checks[3].locations = ['us-east-1'];
    doc.checks[4].typo = true;

    const error = (() => {
      try {
        parseDefinitions(doc);
      } catch (e) {
        return e as { issues: Array<{ path: string }> };
      }
      throw new Error('accepted');
    })();

    expect(error.issues.map((i) => i.path).sort()).toEqual([
      'checks[0].http.url',
      'checks[1].tcp.port',
      'checks[2].retries',
      'checks[3].locations',
      'checks[4].typo',
    ]);
  });

  it('duplicate ids, and JSON that does not parse', () => {
    const doc = valid();
    doc.checks.push(doc.checks[0]);

    expect(() => parseDefinitions(doc)).toThrow(/checks\[5\]\.id: duplicate id "api"/);
    expect(() => parseDefinitions('{"schemaVersion":')).toThrow(expect.objectContaining({ code: 'DEFINITIONS_INVALID' }));
  });
});

describe('loadDefinitionsFile', () => {
  it('reads a bundle file, and names a missing one', () => {
    const path = join(dir, 'definitions.json');
    writeFileSync(path, JSON.stringify(toDefinitions(config, 'ap-south-1')));

    expect(loadDefinitionsFile(path).checks.map((c) => c.id)).toEqual(['api', 'resolver', 'health-grpc', 'cert']);
    expect(() => loadDefinitionsFile(join(dir, 'missing.json'))).toThrow(/cannot read .*missing\.json: ENOENT/);
  });

  it('accepts the example config for every location it declares', () => {
    const example = loadConfigFile('examples/checks.yaml');
    for (const location of [...new Set(example.checks.flatMap((c) => c.locations))]) {
      expect(parseDefinitions(JSON.stringify(toDefinitions(example, location))).checks).toEqual(example.checks.filter((c) => c.enabled && c.locations.includes(location)));
    }
  });
});



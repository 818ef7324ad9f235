import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitionsHash, loadDefinitionsFile, parseDefinitions, readDefinitions, toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigFile, type LoadedConfig } from '../../shared/config/load.ts';
import type { HttpCheck } from '../../shared/config/schema.ts';

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
  it('round-trip every check exactly as the loader produced it, through JSON, with zod and with the cold-start check alike', () => {
    const text = JSON.stringify(toDefinitions(config));

    const back = parseDefinitions(text);
    const atColdStart = readDefinitions(text);

    expect(back.checks).toEqual(config.checks);
    expect(back.channels).toEqual(config.channels);
    expect(back.location).toBeUndefined();
    expect(atColdStart).toEqual(back);
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

  it("keep secret references as references and write the engine's form: kind, durations in ms, defaults merged, a version and a hash", () => {
    const text = JSON.stringify(toDefinitions(config, 'eu-west-1'));
    const doc = JSON.parse(text);
    const api = doc.checks[0];

    expect(api.http.headers).toEqual({
      Authorization: { secretsManager: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token', key: 'bearer' },
      'X-Api-Key': { ssm: '/vantage/key' },
      'X-Env': 'Bearer ${env:API_TOKEN}',
    });
    expect(api).toMatchObject({
      kind: 'http', interval: 60_000, timeout: 5_000, retries: 1,
      alerting: { forMs: 120_000, repeatIntervalMs: 3_600_000, failureThreshold: 3, recoveryThreshold: 2, quorum: 2, intervalMs: 60_000, degradedAfterMs: 800 },
    });
    expect(api.http).toMatchObject({ method: 'GET', validStatusCodes: ['2xx'], maxBodyBytes: 1024 * 1024, degradedAfter: 800 });
    expect(api.http.assert.maxResponseTime).toBe(2_000);
    expect(api.http.tls.ca).toContain('BEGIN CERTIFICATE');
    expect(doc.schemaVersion).toBe(2);
    expect(doc.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('toDefinitions fails the synth, not a cold start', () => {
  it('on a value JSON would not keep, or one the schema would not accept', () => {
    const api = config.checks[0] as HttpCheck;

    expect(() => toDefinitions({ ...config, checks: [{ ...api, timeout: Number.NaN }] })).toThrow(expect.objectContaining({
      issues: [{ path: 'checks[0].timeout', message: 'does not survive JSON unchanged' }],
    }));
    expect(() => toDefinitions({ ...config, checks: [{ ...api, http: { ...api.http, method: 'FETCH' } } as unknown as HttpCheck] })).toThrow(/\(toDefinitions\).*\n.*checks\[0\]\.http\.method/);
  });
});

describe('parseDefinitions rejects', () => {
  const valid = () => JSON.parse(JSON.stringify(toDefinitions(config, 'eu-west-1')));
  /** What a writer that hashes whatever it writes would produce: the hash alone does not catch these. */
  const rehashed = <T extends object>(doc: T) => ({ ...doc, sha256: definitionsHash(doc) });
  const issuesOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as { issues: Array<{ path: string; message: string }> }).issues;
    }
    throw new Error('accepted');
  };

  it('a file of another schema version (the input-form files of version 1), with that one problem only', () => {
    for (const read of [parseDefinitions, readDefinitions]) {
      expect(() => read({ ...valid(), schemaVersion: 1 })).toThrow(expect.objectContaining({
        code: 'DEFINITIONS_INVALID',
        issues: [{ path: 'schemaVersion', message: expect.stringContaining('rebuild the bundle') }],
      }));
    }
  });

  it('a file changed after the synth wrote it, by its hash, at cold start as at synth', () => {
    const doc = valid();
    doc.checks[0].timeout = 50_000;

    for (const read of [parseDefinitions, readDefinitions]) {
      expect(issuesOf(() => read(doc))).toEqual([{ path: 'sha256', message: expect.stringContaining('changed after `cdk synth` wrote it') }]);
    }
    expect(issuesOf(() => readDefinitions({ ...doc, sha256: undefined }))).toEqual([{ path: 'sha256', message: 'required' }]);
  });

  it('every problem at once, each with its path, even with a matching hash', () => {
    const doc = valid();
    doc.checks[0].http.url = 'ftp://nope';
    doc.checks[1].tcp.port = 70000;
    delete doc.checks[2].retries;
    doc.checks[3].locations = ['us-east-1'];
    doc.checks[4].typo = true;

    expect(issuesOf(() => parseDefinitions(rehashed(doc))).map((i) => i.path).sort()).toEqual([
      'checks[0].http.url',
      'checks[1].tcp.port',
      'checks[2].retries',
      'checks[3].locations',
      'checks[4].typo',
    ]);
  });

  it('at cold start without zod: missing or mistyped fields the engine relies on, and unknown kinds, each with its path', () => {
    const doc = valid();
    delete doc.checks[0].http.validStatusCodes;
    doc.checks[1].interval = '15s';
    delete doc.checks[2].retries;
    doc.checks[3].locations = ['us-east-1'];
    doc.checks[4].kind = 'smtp';
    delete doc.checks[0].alerting.quorum;

    expect(issuesOf(() => readDefinitions(rehashed(doc)))).toEqual([
      { path: 'checks[0].http.validStatusCodes', message: 'required' },
      { path: 'checks[0].alerting.quorum', message: 'required' },
      { path: 'checks[1].interval', message: 'expected a number of milliseconds above 0' },
      { path: 'checks[2].retries', message: 'required' },
      { path: 'checks[3].locations', message: 'does not include this file\'s location "eu-west-1"' },
      { path: 'checks[4].kind', message: 'expected one of http, tcp, dns, grpc, tls, icmp' },
    ]);
  });

  it('a value the schema would read differently', () => {
    const doc = valid();
    doc.checks[0].alerting.intervalMs = 30_000;

    expect(issuesOf(() => parseDefinitions(rehashed(doc)))).toEqual([{ path: 'checks[0].alerting.intervalMs', message: 'differs from what the schema makes of it' }]);
  });

  it('duplicate ids, and JSON that does not parse', () => {
    const doc = valid();
    doc.checks.push(doc.checks[0]);

    expect(() => parseDefinitions(rehashed(doc))).toThrow(/checks\[5\]\.id: duplicate id "api"/);
    expect(() => readDefinitions(rehashed(doc))).toThrow(/checks\[5\]\.id: duplicate id "api"/);
    expect(() => parseDefinitions('{"schemaVersion":')).toThrow(expect.objectContaining({ code: 'DEFINITIONS_INVALID' }));
    expect(() => readDefinitions('{"schemaVersion":')).toThrow(expect.objectContaining({ code: 'DEFINITIONS_INVALID' }));
  });
});

describe('loadDefinitionsFile', () => {
  it('reads a bundle file, and names a missing one', () => {
    const path = join(dir, 'definitions.json');
    writeFileSync(path, JSON.stringify(toDefinitions(config, 'ap-south-1')));

    expect(loadDefinitionsFile(path).checks).toEqual(config.checks.filter((c) => c.enabled && c.locations.includes('ap-south-1')));
    expect(() => loadDefinitionsFile(join(dir, 'missing.json'))).toThrow(/cannot read .*missing\.json: ENOENT/);
  });

  it('accepts the example config for every location it declares', () => {
    const example = loadConfigFile('examples/checks.yaml');
    for (const location of [...new Set(example.checks.flatMap((c) => c.locations))]) {
      expect(parseDefinitions(JSON.stringify(toDefinitions(example, location))).checks).toEqual(example.checks.filter((c) => c.enabled && c.locations.includes(location)));
    }
  });
});



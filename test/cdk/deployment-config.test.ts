import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildVantage } from '../../cdk/vantage.ts';
import { loadConfigFile, loadConfigText } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';

const ROOT = join(import.meta.dirname, '..', '..');

const DEPLOYMENT = `
deployment:
  homeRegion: us-east-1
  locations: [us-east-1, eu-west-1]
  privateLocations:
    - name: office-dc
      region: eu-west-1
      vpcId: vpc-0a1b2c3d4e5f60718
      availabilityZones: [eu-west-1a, eu-west-1b]
      privateSubnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]
      egress: [{ cidr: 10.0.0.0/16, ports: [443] }]
`;

function issues(yaml: string): Array<{ path: string; message: string }> {
  try {
    loadConfigText(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('the deployment block', () => {
  it('is optional: a config without one loads as before and has no deployment', () => {
    const config = loadConfigText('checks:\n  - id: a\n    http: { url: "https://example.com" }\n');
    expect(config.deployment).toBeUndefined();
    expect(config.checks[0]!.locations).toEqual(['local']);
  });

  it('loads with defaults filled in (tcp egress, no prefix list, no ops email, no phase metrics)', () => {
    const config = loadConfigText(`${DEPLOYMENT}defaults: { locations: [us-east-1] }\nchecks:\n  - id: a\n    locations: [office-dc]\n    tcp: { host: 10.0.0.5, port: 5432 }\n`);
    expect(config.deployment).toEqual({
      homeRegion: 'us-east-1',
      locations: ['us-east-1', 'eu-west-1'],
      privateLocations: [{
        name: 'office-dc', region: 'eu-west-1', vpcId: 'vpc-0a1b2c3d4e5f60718',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        privateSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
        egress: [{ cidr: '10.0.0.0/16', ports: [443], protocol: 'tcp' }],
        instances: 2,
      }],
      agentLocations: [],
      opsEmail: [],
      metrics: { phases: false },
      secretsKmsKeys: [],
      runtime: 'nodejs24.x',
      architecture: 'arm64',
    });
  });

  it('takes metrics.phases to emit the phases as CloudWatch metrics, and fills in false for an empty metrics block', () => {
    const yaml = (metrics: string) => `deployment:\n  homeRegion: us-east-1\n  locations: [us-east-1]\n  metrics: ${metrics}\ndefaults: { locations: [us-east-1] }\nchecks: []\n`;
    expect(loadConfigText(yaml('{ phases: true }')).deployment!.metrics).toEqual({ phases: true });
    expect(loadConfigText(yaml('{}')).deployment!.metrics).toEqual({ phases: false });
  });

  it('reports every check location it does not declare, on the path where it was written', () => {
    const found = issues(`${DEPLOYMENT}defaults: { locations: [us-east-1, mars-north-1] }
checks:
  - id: a
    http: { url: "https://example.com" }
  - id: b
    http: { url: "https://example.com" }
  - id: c
    locations: [eu-west-1, office-dc, office-x]
    http: { url: "https://example.com" }
`);
    expect(found.map((i) => i.path)).toEqual(['checks[2].locations[2]', 'defaults.locations[1]']);
    expect(found[0]!.message).toBe('unknown location "office-x": declare it in deployment.locations, deployment.privateLocations or deployment.agentLocations (declared: us-east-1, eu-west-1, office-dc)');
  });

  it('flags the implicit "local" default when a deployment is present', () => {
    expect(issues(`${DEPLOYMENT}checks:\n  - id: a\n    http: { url: "https://example.com" }\n`).map((i) => i.path)).toEqual(['defaults.locations[0]']);
  });

  it.each([
    ['a region that is not one', 'deployment:\n  homeRegion: useast1\n  locations: [us-east-1]\n', 'deployment.homeRegion', 'expected an AWS region such as us-east-1'],
    ['an account that is not 12 digits', 'deployment:\n  homeRegion: us-east-1\n  account: "1234"\n  locations: [us-east-1]\n', 'deployment.account', 'expected a 12-digit AWS account id'],
    ['no location at all', 'deployment:\n  homeRegion: us-east-1\n', 'deployment.locations', 'declare at least one location, private location or agent location'],
    ['a duplicate region', 'deployment:\n  homeRegion: us-east-1\n  locations: [us-east-1, us-east-1]\n', 'deployment.locations[1]', 'duplicate location "us-east-1" (also locations[0])'],
    ['an unknown key', 'deployment:\n  homeRegion: us-east-1\n  locations: [us-east-1]\n  regions: [eu-west-1]\n', 'deployment.regions', 'unknown key'],
    ['an unknown metrics key', 'deployment:\n  homeRegion: us-east-1\n  locations: [us-east-1]\n  metrics: { phase: true }\n', 'deployment.metrics.phase', 'unknown key'],
    ['metrics.phases that is not a boolean', 'deployment:\n  homeRegion: us-east-1\n  locations: [us-east-1]\n  metrics: { phases: "yes" }\n', 'deployment.metrics.phases', 'Invalid input: expected boolean, received string'],
  ])('rejects %s', (_, yaml, path, message) => {
    expect(issues(`${yaml}checks: []\n`)).toContainEqual({ path, message });
  });

  it.each([
    ['an AZ outside the region', { availabilityZones: '[eu-west-1a, us-east-1b]' }, 'deployment.privateLocations[0].availabilityZones[1]', '"us-east-1b" is not in region eu-west-1'],
    ['subnets that do not pair with AZs', { privateSubnetIds: '[subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002, subnet-0a1b2c3d4e5f60003]' }, 'deployment.privateLocations[0].privateSubnetIds', '3 subnet(s) for 2 availability zone(s): give one subnet per zone, in the same order'],
    ['a bad CIDR', { egress: '[{ cidr: 10.0.0.0/33, ports: [443] }]' }, 'deployment.privateLocations[0].egress[0].cidr', 'expected an IPv4 CIDR such as 10.0.0.0/16'],
    ['a port out of range', { egress: '[{ cidr: 10.0.0.0/16, ports: [70000] }]' }, 'deployment.privateLocations[0].egress[0].ports[0]', 'Too big: expected number to be <=65535'],
    ['a bad VPC id', { vpcId: 'vpc-xyz' }, 'deployment.privateLocations[0].vpcId', 'expected a VPC id such as vpc-0123456789abcdef0'],
    ['a prefix list outside the home region', { dynamoDbPrefixListId: 'pl-6ea54007' }, 'deployment.privateLocations[0].dynamoDbPrefixListId', 'a gateway endpoint in eu-west-1 cannot reach DynamoDB in the home region us-east-1; remove it and route HTTPS through NAT'],
    ['a name already used by a region', { name: 'eu-west-1' }, 'deployment.privateLocations[0].name', 'duplicate location "eu-west-1" (also locations[1])'],
    ['more instances than availability zones', { instances: '3' }, 'deployment.privateLocations[0].instances', '3 instance(s) need as many availability zones, and 2 are given: add zones (with a subnet each) or lower instances'],
    ['the default 2 instances in a single zone', { availabilityZones: '[eu-west-1a]', privateSubnetIds: '[subnet-0a1b2c3d4e5f60001]' }, 'deployment.privateLocations[0].instances', 'instances defaults to 2 (a failure is retested on a second instance before it is recorded), which needs as many availability zones, and 1 is given: add a zone (with a subnet), or set instances: 1 to keep a single probe'],
    ['no instance at all', { instances: '0' }, 'deployment.privateLocations[0].instances', 'Too small: expected number to be >=1'],
    ['a fraction of an instance', { instances: '1.5' }, 'deployment.privateLocations[0].instances', 'Invalid input: expected int, received number'],
  ])('rejects a private location with %s', (_, override, path, message) => {
    const base: Record<string, string> = {
      name: 'office-dc', region: 'eu-west-1', vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: '[eu-west-1a, eu-west-1b]',
      privateSubnetIds: '[subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]', egress: '[{ cidr: 10.0.0.0/16, ports: [443] }]', ...override,
    };
    const yaml = `deployment:\n  homeRegion: us-east-1\n  locations: [us-east-1, eu-west-1]\n  privateLocations:\n    - ${Object.entries(base).map(([k, v]) => `${k}: ${v}`).join('\n      ')}\nchecks: []\n`;
    expect(issues(yaml)).toContainEqual({ path, message });
  });

  it('accepts the example config, whose checks all use declared locations', () => {
    const config = loadConfigFile('examples/checks.yaml');
    const declared = new Set([...config.deployment!.locations, ...config.deployment!.privateLocations.map((p) => p.name)]);
    expect(config.checks.flatMap((c) => c.locations).every((l) => declared.has(l))).toBe(true);
    expect(config.deployment!.locations).toHaveLength(3);
    expect(config.deployment!.privateLocations).toHaveLength(1);
    expect(new Set(config.checks.map((c) => c.kind))).toEqual(new Set(['http', 'tcp', 'dns', 'grpc', 'tls']));
  });
});

describe('deploy-only rules at synth', () => {
  const ENV_CONFIG = `deployment: { homeRegion: us-east-1, locations: [us-east-1] }
defaults: { locations: [us-east-1] }
channels: { ops: { webhook: ["https://u:p@hooks.example.com/x"] } }
checks:
  - id: api
    http: { url: "https://example.com", headers: { Authorization: "Bearer \${env:API_TOKEN}", X-Api-Key: abc } }
`;

  it('buildVantage refuses a config that was loaded for a local run, naming every path', () => {
    const local = loadConfigText(ENV_CONFIG, { local: { env: { API_TOKEN: 't' } } });
    let error: unknown;
    try {
      buildVantage(new App(), local, {}, 'checks.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['checks[0].http.headers.Authorization', 'checks[0].http.headers.X-Api-Key', 'channels.ops.webhook[0]']);
  });

  it('the CDK app (what `cdk synth` runs) exits 2 with every path and the hint, and synthesizes nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'vantage-synth-'));
    try {
      const r = spawnSync(join(ROOT, 'node_modules/.bin/node'), ['cdk/app.ts'], {
        cwd: ROOT, encoding: 'utf8', timeout: 120_000,
        env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ config: 'test/config/fixtures/invalid-deploy-env-ref.yaml' }) },
      });
      expect(r.status).toBe(2);
      for (const path of ['checks[0].http.url', 'checks[0].http.headers.Authorization', 'checks[0].http.headers.X-Trace', 'checks[1].tcp.send']) {
        expect(r.stderr).toContain(`  ${path}: \${env:`);
      }
      expect(r.stderr).toContain('use {secretsManager: arn, key?} or {ssm: name}');
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

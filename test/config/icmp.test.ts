/**
 * The `icmp` check kind in the config: its defaults and bounds, the rule that its echo requests fit
 * its timeout, and the deploy-only rule that keeps it out of Lambda locations, as `vantage validate`,
 * `buildVantage` and the CDK app (what `cdk synth` runs) report it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVantage } from '../../cdk/vantage.ts';
import { loadConfigObject, loadConfigText } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { runCli } from '../support/cli.ts';
import { configIssues } from '../support/config-issues.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('an icmp check', () => {
  it('loads with ping\'s defaults: 3 echo requests of 56 bytes, DF off, either family', () => {
    const [check] = loadConfigObject({ checks: [{ id: 'gw', icmp: { host: '10.0.0.1' } }] }).checks;
    expect(check).toMatchObject({ kind: 'icmp', icmp: { host: '10.0.0.1', count: 3, packetSize: 56, dontFragment: false } });
    expect((check as { icmp: { ipFamily?: number } }).icmp.ipFamily).toBeUndefined();
  });

  it('reports every problem at once, each with its path', () => {
    const issues = configIssues(() => loadConfigObject({ checks: [
      { id: 'a', icmp: { host: 'h', count: 0 } },
      { id: 'b', icmp: { host: 'h', count: 21 } },
      { id: 'c', icmp: { host: 'h', packetSize: 15 } },
      { id: 'd', icmp: { host: 'h', packetSize: 65_508 } },
      { id: 'e', icmp: { host: 'h', ttl: 3 } },
      { id: 'f', icmp: { host: 'h', ipFamily: 5 } },
      { id: 'g', icmp: { host: '::1', ipFamily: 4 } },
      { id: 'h', icmp: {} },
      { id: 'i', icmp: { host: 'h', dontFragment: 'yes' } },
      { id: 'j', icmp: { host: 'h' }, tcp: { host: 'h', port: 1 } },
    ] }));
    expect(issues).toEqual([
      { path: 'checks[0].icmp.count', message: 'Too small: expected number to be >=1' },
      { path: 'checks[1].icmp.count', message: 'Too big: expected number to be <=20' },
      { path: 'checks[2].icmp.packetSize', message: 'Too small: expected number to be >=16' },
      { path: 'checks[3].icmp.packetSize', message: 'Too big: expected number to be <=65507' },
      { path: 'checks[4].icmp.ttl', message: 'unknown key' },
      { path: 'checks[5].icmp.ipFamily', message: 'Invalid input' },
      { path: 'checks[6].icmp.ipFamily', message: 'host ::1 is an IPv6 address, not IPv4' },
      { path: 'checks[7].icmp.host', message: 'required' },
      { path: 'checks[8].icmp.dontFragment', message: 'Invalid input: expected boolean, received string' },
      { path: 'checks[9]', message: 'a check needs exactly one of http, tcp, dns, grpc, tls, icmp, found tcp and icmp' },
    ]);
  });

  it('needs a timeout its echo requests fit in, reported on the field that was written', () => {
    const fit = (count: number) => `${count} echo request(s) 200ms apart and 500ms for the last reply need a timeout of at least`;
    const issues = configIssues(() => loadConfigObject({
      defaults: { timeout: '800ms', interval: '10s' },
      checks: [
        { id: 'own-count', icmp: { host: 'h', count: 20 }, timeout: '4s' },
        { id: 'own-timeout', icmp: { host: 'h' }, timeout: '850ms' },
        { id: 'inherits', icmp: { host: 'h' } },
        { id: 'fits', icmp: { host: 'h', count: 20 }, timeout: '4300ms' },
      ],
    }));
    expect(issues.map((i) => i.path)).toEqual(['checks[0].icmp.count', 'checks[1].timeout', 'defaults.timeout']);
    expect(issues[0]!.message).toBe(`${fit(20)} 4300ms; the check's is 4s: lower icmp.count or raise the timeout`);
    expect(issues[1]!.message).toBe(`${fit(3)} 900ms; the check's is 850ms: lower icmp.count or raise the timeout`);
  });
});

const DEPLOYED = `
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
defaults: { locations: [us-east-1] }
checks:
  - id: api
    http: { url: "https://example.com" }
  - id: core-switch
    locations: [eu-west-1, office-dc]
    icmp: { host: 10.0.0.1 }
  - id: gateway
    icmp: { host: 10.0.0.254 }
`;
const WHY = 'Lambda cannot send ICMP (its sandbox has neither CAP_NET_RAW nor ICMP datagram sockets); use an agent location (deployment.agentLocations, served by `vantage agent`) instead';
const REFUSED = [
  { path: 'checks[1].locations[0]', message: `an icmp check cannot run in "eu-west-1", an AWS region location: ${WHY}` },
  { path: 'checks[1].locations[1]', message: `an icmp check cannot run in "office-dc", a VPC Lambda private location: ${WHY}` },
  { path: 'checks[2].icmp', message: `an icmp check cannot run in "us-east-1" (from defaults.locations), an AWS region location: ${WHY}` },
];

describe('an icmp check in a deployed config', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-icmp-deploy-'));
    file = join(dir, 'checks.yaml');
    writeFileSync(file, DEPLOYED);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused in every AWS region and VPC Lambda private location, with the reason and the path', () => {
    const issues = configIssues(() => loadConfigText(DEPLOYED));
    expect(issues.map(({ path, message }) => ({ path, message: message.split(', or run it')[0] }))).toEqual(REFUSED);
    expect(issues[0]!.message).toContain('or run it with `vantage check`/`vantage run` on a host that can ping');
  });

  it('runs where the config runs on this machine, with the refusal as a warning', () => {
    const warnings: string[] = [];
    const cfg = loadConfigText(DEPLOYED, { local: { env: {}, warn: (t) => warnings.push(t) } });
    expect(cfg.checks.filter((c) => c.kind === 'icmp')).toHaveLength(2);
    expect(warnings.join('')).toContain('checks[2].icmp: an icmp check cannot run in "us-east-1"');
  });

  it('`vantage validate` exits 2 and names each path', async () => {
    const r = await runCli(['validate', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: 3 problem(s)`);
    for (const { path, message } of REFUSED) expect(r.stderr).toContain(`  ${path}: ${message}`);
  });

  it('buildVantage refuses a config loaded for a local run before building any stack', () => {
    const app = new App();
    const local = loadConfigText(DEPLOYED, { local: { env: {} } });
    let error: unknown;
    try {
      buildVantage(app, local, {}, 'checks.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    // A loaded check carries its locations, so the inherited one is reported on them too.
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['checks[1].locations[0]', 'checks[1].locations[1]', 'checks[2].locations[0]']);
    expect(app.node.children).toHaveLength(0);
  });

  it('the CDK app (what `cdk synth` runs) exits 2 with the paths and the reason, and synthesizes nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'vantage-icmp-synth-'));
    try {
      const r = spawnSync(join(ROOT, 'node_modules/.bin/node'), ['cdk/app.ts'], {
        cwd: ROOT, encoding: 'utf8', timeout: 120_000,
        env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ config: file }) },
      });
      expect(r.status).toBe(2);
      for (const { path, message } of REFUSED) expect(r.stderr).toContain(`${path}: ${message}`);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/**
 * What `cdk synth` used to accept but a real deploy (or its second year) would not: a fixed table
 * name, secrets under customer-managed keys, plain-http webhooks, dashboards past CloudWatch's
 * limits, and a runtime or architecture a region does not offer. Bundling is skipped
 * (`aws:cdk:bundling-stacks: []`); app.test.ts bundles the real thing once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { buildVantage } from '../../cdk/vantage.ts';
import { bundleTargetOf } from '../../shared/config/lambda-regions.ts';
import { dashboardCount } from '../../shared/deploy/dashboard-pages.ts';
import { loadConfigObject, loadConfigText } from '../../shared/config/load.ts';
import { runCli } from '../support/cli.ts';
import { actionsOf, cdkContext, policiesOf } from './template-walk.ts';
import { configIssues } from '../support/config-issues.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'vantage-real-aws-'));
  dirs.push(d);
  return d;
};

function synth(config: ReturnType<typeof loadConfigText>, opts: Parameters<typeof buildVantage>[2] = {}) {
  const app = new App({ outdir: tempDir(), context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildVantage(app, config, opts);
  const assembly = app.synth();
  const raw = (name: string) => assembly.getStackByName(name).template as { Resources: Record<string, Record<string, unknown>> };
  return { app, stacks, raw, template: (name: string) => Template.fromJSON(raw(name)) };
}

const issuesOf = configIssues;

const BASE = `
deployment:
  homeRegion: us-east-1
  locations: [us-east-1, eu-west-1]
defaults: { locations: [us-east-1, eu-west-1] }
checks:
  - id: a
    http: { url: "https://example.com" }
`;

describe('the results table name', () => {
  it('is generated, not fixed: the same on every synth, different per prefix and home region, and passed to the probes as the same plain string', () => {
    const first = synth(loadConfigText(BASE));
    const [table] = Object.values(first.template('Vantage-Home').findResources('AWS::DynamoDB::Table'));
    const name = table!['Properties']['TableName'] as string;
    expect(name).toMatch(/^vantage-results-[0-9a-f]{8}$/);
    // Still retained: the data outlives the stack.
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { DeletionProtectionEnabled: true } });
    expect(synth(loadConfigText(BASE)).stacks.names.table).toBe(name);
    expect(synth(loadConfigText(BASE), { prefix: 'acme' }).stacks.names.table).toMatch(/^acme-results-[0-9a-f]{8}$/);
    expect(synth(loadConfigText(BASE.replace('homeRegion: us-east-1', 'homeRegion: eu-west-1'))).stacks.names.table).not.toBe(name);
    for (const location of ['us-east-1', 'eu-west-1']) {
      const t = first.template(`Vantage-Probe-${location}`);
      t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { TABLE_NAME: name } } });
      expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).toContain(`:table/${name}"`);
    }
  });

  it('is deployment.tableName when set, everywhere the table is named', () => {
    const { template } = synth(loadConfigText(BASE.replace('  homeRegion: us-east-1\n', '  homeRegion: us-east-1\n  tableName: vantage-results\n')));
    template('Vantage-Home').hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'vantage-results' });
    template('Vantage-Home').hasOutput('TableName', { Value: { Ref: Match.stringLikeRegexp('^ResultsTable') } });
    template('Vantage-Probe-eu-west-1').hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { TABLE_NAME: 'vantage-results' } } });
    expect(JSON.stringify(template('Vantage-Probe-eu-west-1').findResources('AWS::IAM::Policy'))).toContain(':table/vantage-results"');
  });

  it('refuses a name DynamoDB would refuse, on its path', () => {
    const found = issuesOf(() => loadConfigText(BASE.replace('  homeRegion: us-east-1\n', '  homeRegion: us-east-1\n  tableName: "my table"\n')));
    expect(found.map((i) => i.path)).toEqual(['deployment.tableName']);
  });
});

const SECRET_US = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vantage/token-AbCdEf';
const KEY_US = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_EU = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';
const KMS = `
deployment:
  homeRegion: us-east-1
  locations: [us-east-1, eu-west-1]
  secretsKmsKeys: ["${KEY_US}", "${KEY_EU}"]
checks:
  - id: token
    locations: [us-east-1]
    http: { url: "https://example.com", headers: { Authorization: { secretsManager: "${SECRET_US}", key: bearer }, X-Key: { ssm: /vantage/key } } }
  - id: plain
    locations: [eu-west-1]
    http: { url: "https://example.com" }
`;

/** KMS statements in the stack's IAM policies (the ops topic's own key policy is not one). */
const kmsStatements = (template: Parameters<typeof policiesOf>[0]) => policiesOf(template)
  .filter((p) => p.type === 'AWS::IAM::Policy').flatMap((p) => p.statements)
  .filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));

describe('secrets under customer-managed KMS keys', () => {
  it('grants kms:Decrypt on exactly the key of the secrets\' region, only through Secrets Manager and SSM there, and cdk-nag finds nothing', () => {
    const { app, raw } = synth(loadConfigText(KMS));
    expect(kmsStatements(raw('Vantage-Probe-us-east-1'))).toEqual([{
      Sid: 'DecryptCheckSecretsuseast1',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY_US,
      Condition: { StringEquals: { 'kms:ViaService': ['secretsmanager.us-east-1.amazonaws.com', 'ssm.us-east-1.amazonaws.com'] } },
    }]);
    // eu-west-1 runs no check with a secret: no key, not even its own region's.
    expect(kmsStatements(raw('Vantage-Probe-eu-west-1'))).toEqual([]);
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('grants nothing from KMS without secretsKmsKeys', () => {
    const { raw } = synth(loadConfigText(KMS.replace(/ {2}secretsKmsKeys: .*\n/, '')));
    expect(kmsStatements(raw('Vantage-Probe-us-east-1'))).toEqual([]);
    expect(JSON.stringify(raw('Vantage-Probe-us-east-1'))).toContain('secretsmanager:GetSecretValue');
  });

  it('refuses an alias, which kms:Decrypt cannot be granted on', () => {
    const found = issuesOf(() => loadConfigText(KMS.replace(KEY_EU, 'arn:aws:kms:eu-west-1:123456789012:alias/vantage')));
    expect(found.map((i) => i.path)).toEqual(['deployment.secretsKmsKeys[1]']);
    expect(found[0]!.message).toMatch(/not an alias/);
  });
});

const HTTP_HOOK = `${BASE}channels:\n  hooks: { webhook: ["https://hooks.example.com/ok", "http://127.0.0.1:9000/hook?token=s3cret"] }\n`;

describe('webhooks of a deployed config', () => {
  const PATH = 'channels.hooks.webhook[1]';

  it('must be https: validate fails with the path and a hint, without echoing the URL', async () => {
    const file = join(tempDir(), 'checks.yaml');
    writeFileSync(file, HTTP_HOOK);
    const r = await runCli(['validate', '--json', '--config', file]);
    expect(r.code).toBe(2);
    const { issues } = JSON.parse(r.stdout) as { issues: Array<{ path: string; message: string }> };
    expect(issues).toEqual([{ path: PATH, message: expect.stringMatching(/must be https:\/\/.*use an https:\/\/ URL/) }]);
    expect(r.stdout).not.toContain('s3cret');
  });

  it('fail synth the same way, even for a config loaded as local (the check in buildVantage)', () => {
    const warnings: string[] = [];
    const local = loadConfigText(HTTP_HOOK, { local: { warn: (t) => warnings.push(t) } });
    const found = issuesOf(() => buildVantage(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), local));
    expect(found.map((i) => i.path)).toEqual([PATH]);
    // Locally (vantage dev) the same rule is a warning, and the config loads.
    expect(warnings.join('')).toContain(`${PATH}: a deployed webhook must be https://`);
    expect(local.channels['hooks']!.webhook).toHaveLength(2);
  });

  it('may be http in a config without a deployment block', () => {
    expect(issuesOf(() => loadConfigText(HTTP_HOOK.replace(/^deployment:\n(  .*\n)+/m, '').replace('defaults: { locations: [us-east-1, eu-west-1] }\n', '')))).toEqual([]);
  });
});

/** A deployment with `n` checks, each run from `locations` regions. */
function manyChecks(n: number, locations: string[] = ['us-east-1']) {
  return loadConfigObject({
    deployment: { homeRegion: 'us-east-1', locations },
    defaults: { locations },
    checks: Array.from({ length: n }, (_, i) => ({ id: `c${i}`, http: { url: `https://example.com/${i}` } })),
  });
}

interface Body { widgets: Array<{ properties: { title: string; metrics?: unknown[][] } }> }

/** Each dashboard of the home stack, by name, with its body parsed (tokens replaced by a placeholder). */
function dashboards(t: Template): Map<string, { body: Body; bytes: number }> {
  const out = new Map<string, { body: Body; bytes: number }>();
  for (const d of Object.values(t.findResources('AWS::CloudWatch::Dashboard'))) {
    const parts = (d['Properties']['DashboardBody'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const text = parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
    out.set(d['Properties']['DashboardName'] as string, { body: JSON.parse(text) as Body, bytes: Buffer.byteLength(text) });
  }
  return out;
}

const metricCount = (body: Body) => body.widgets.reduce((n, w) => n + (w.properties.metrics?.length ?? 0), 0);
const checkIdsOf = (body: Body) => body.widgets.map((w) => /^(c\d+): availability %$/.exec(w.properties.title)?.[1]).filter((id) => id !== undefined);

describe('dashboards', () => {
  // The first dashboard starts with 3 overview widgets (the evaluator graphs): 3 + 3 × 165 = 498.
  it.each([
    { checks: 1, widgets: [6] },
    { checks: 165, widgets: [498] },
    { checks: 166, widgets: [498, 3] },
    { checks: 400, widgets: [498, 498, 207] },
  ])('$checks check(s): $widgets.length dashboard(s) of $widgets widgets, each check once, in order', ({ checks, widgets }) => {
    const { template } = synth(manyChecks(checks));
    const found = dashboards(template('Vantage-Home'));
    expect([...found.keys()]).toEqual(['vantage', 'vantage-2', 'vantage-3'].slice(0, widgets.length));
    expect([...found.values()].map(({ body }) => body.widgets.length)).toEqual(widgets);
    for (const { body } of found.values()) {
      expect(body.widgets.length).toBeLessThanOrEqual(500);
      expect(metricCount(body)).toBeLessThanOrEqual(2500);
      for (const w of body.widgets) expect(w.properties.metrics?.length ?? 0).toBeLessThanOrEqual(500);
    }
    expect([...found.values()].flatMap(({ body }) => checkIdsOf(body))).toEqual(Array.from({ length: checks }, (_, i) => `c${i}`));
    // Only the first carries the evaluator and the sweeps; no dashboard draws heartbeats any more (the sweep reads them from the table).
    expect([...found.values()].map(({ body }) => body.widgets.some((w) => w.properties.title.startsWith('Evaluator errors and invocations, sweeps')))).toEqual(widgets.map((_, i) => i === 0));
    expect([...found.values()].some(({ body }) => body.widgets.some((w) => /heartbeat/i.test(w.properties.title)))).toBe(false);
    template('Vantage-Home').hasOutput('DashboardNames', { Value: [...found.keys()].join(',') });
    if (checks === 400) {
      const json = JSON.stringify(template('Vantage-Home').toJSON());
      console.info(`400 checks: dashboard bodies ${[...found.values()].map((d) => `${(d.bytes / 1024).toFixed(0)} KiB`).join(', ')}; home template ${(json.length / 1024).toFixed(0)} KiB`);
    }
  });

  it('splits on the 2,500-metric limit before the widget limit when checks run from many locations', () => {
    const regions = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1', 'ap-southeast-1'];
    const { template } = synth(manyChecks(100, regions));
    const found = [...dashboards(template('Vantage-Home')).values()];
    // 5 evaluator metrics (invocations, errors, sweeps, lag, dead letters), then 33 per check (32 per location, 1 maintenance): 75 checks fit (5 + 2,475 = 2,480).
    expect(found.map(({ body }) => metricCount(body))).toEqual([5 + 75 * 33, 25 * 33]);
    expect(found.map(({ body }) => checkIdsOf(body).length)).toEqual([75, 25]);
  });
});

describe('runtime and architecture per region', () => {
  const ARM_LESS = BASE.replace('locations: [us-east-1, eu-west-1]\n', 'locations: [us-east-1, ca-west-1]\n').replace('defaults: { locations: [us-east-1, eu-west-1] }', 'defaults: { locations: [us-east-1, ca-west-1] }');

  it('refuse arm64 where it is not known to exist, naming the region, where it was written and the fix, in validate and synth', () => {
    const found = issuesOf(() => loadConfigText(ARM_LESS));
    expect(found).toEqual([{
      path: 'deployment.locations[1]',
      message: 'Lambda arm64 is not known to be available in ca-west-1 (shared/config/lambda-regions.ts lists where it is); set deployment.architecture: x86_64, or deploy this location elsewhere',
    }]);
    const local = loadConfigText(ARM_LESS, { local: { warn: () => {} } });
    expect(issuesOf(() => buildVantage(new App(), local)).map((i) => i.path)).toEqual(['deployment.locations[1]']);
  });

  it('check the home region and private locations too', () => {
    const yaml = `deployment:
  homeRegion: mx-central-1
  privateLocations:
    - { name: dc, region: ap-southeast-7, vpcId: vpc-0a1b2c3d4e5f60718, availabilityZones: [ap-southeast-7a, ap-southeast-7b], privateSubnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002], egress: [{ cidr: 10.0.0.0/16, ports: [443] }] }
defaults: { locations: [dc] }
checks: []
`;
    expect(issuesOf(() => loadConfigText(yaml)).map((i) => i.path)).toEqual(['deployment.homeRegion', 'deployment.privateLocations[0].region']);
    expect(issuesOf(() => loadConfigText(yaml.replace('deployment:\n', 'deployment:\n  architecture: x86_64\n')))).toEqual([]);
  });

  it('deploy what the config chooses: x86_64 and nodejs22.x, bundled for Node 22', () => {
    expect(bundleTargetOf('nodejs22.x')).toBe('node22');
    expect(bundleTargetOf('nodejs24.x')).toBe('node24');
    const { template, raw } = synth(loadConfigText(ARM_LESS.replace('deployment:\n', 'deployment:\n  architecture: x86_64\n  runtime: nodejs22.x\n')));
    for (const name of ['Vantage-Home', 'Vantage-Probe-us-east-1', 'Vantage-Probe-ca-west-1']) {
      template(name).allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Architectures: ['x86_64'] });
      expect(Object.keys(raw(name).Resources).length).toBeGreaterThan(0);
    }
  });

  it('default to nodejs24.x on arm64', () => {
    synth(loadConfigText(BASE)).template('Vantage-Probe-eu-west-1').allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });
});

describe('dashboardCount (for the cost model)', () => {
  it('counts what synth builds', () => {
    for (const n of [1, 165, 166, 400]) {
      const config = manyChecks(n);
      const { template } = synth(config);
      expect(dashboardCount(config.checks), `${n} checks`).toBe(Object.keys(template('Vantage-Home').findResources('AWS::CloudWatch::Dashboard')).length);
    }
  });
});

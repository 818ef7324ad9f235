/**
 * Variations on the config that change what is synthesized. Bundling is skipped here
 * (`aws:cdk:bundling-stacks: []`): app.test.ts bundles the real thing once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretReferenceError } from '../../cdk/secret-refs.ts';
import { buildVantage, DeploymentMissingError } from '../../cdk/vantage.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { cdkContext } from './template-walk.ts';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function synth(yaml: string, opts: Parameters<typeof buildVantage>[2] = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'vantage-cdk-variant-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildVantage(app, loadConfigText(yaml), opts);
  return { app, stacks, template: (name: string) => Template.fromJSON(app.synth().getStackByName(name).template) };
}

const HOME_PRIVATE = `
deployment:
  homeRegion: eu-west-1
  account: "123456789012"
  privateLocations:
    - name: dc
      region: eu-west-1
      vpcId: vpc-0a1b2c3d4e5f60718
      availabilityZones: [eu-west-1a, eu-west-1b]
      privateSubnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]
      egress: [{ cidr: 10.0.0.5/32, ports: [8443] }]
      dynamoDbPrefixListId: pl-6da54004
defaults: { locations: [dc] }
checks:
  - id: a
    http: { url: "https://10.0.0.5:8443/health" }
`;

describe('variants', () => {
  it('limits a home-region private location\'s HTTPS to the DynamoDB gateway endpoint\'s prefix list', () => {
    const { app, template } = synth(HOME_PRIVATE);
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    const t = template('Vantage-Probe-dc');
    const [sgId, sg] = Object.entries(t.findResources('AWS::EC2::SecurityGroup'))[0]!;
    // CDK writes CIDR rules inline and prefix-list rules as their own resources.
    const inline = (sg['Properties']['SecurityGroupEgress'] as Array<Record<string, unknown>>).map(({ Description: _, ...r }) => r);
    const separate = Object.values(t.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => {
      const { Description: _, ...rule } = r['Properties'] as Record<string, unknown>;
      return rule;
    });
    expect([...inline, ...separate]).toEqual([
      { CidrIp: '10.0.0.5/32', IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443 },
      { GroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] }, DestinationPrefixListId: 'pl-6da54004', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
    ]);
    expect(JSON.stringify(t.toJSON())).not.toContain('0.0.0.0/0');
  });

  it('pins the account everywhere, including the table ARN the probes may write to', () => {
    const { stacks, template } = synth(HOME_PRIVATE);
    expect(stacks.home.account).toBe('123456789012');
    const policy = JSON.stringify(template('Vantage-Probe-dc').findResources('AWS::IAM::Policy'));
    expect(policy).toContain(`:dynamodb:eu-west-1:123456789012:table/${stacks.names.table}"`);
  });

  it('uses the prefix in every physical name', () => {
    const { stacks, template } = synth(HOME_PRIVATE, { prefix: 'acme' });
    expect(stacks.home.stackName).toBe('Acme-Home');
    expect(stacks.names.table).toMatch(/^acme-results-[0-9a-f]{8}$/);
    template('Acme-Home').hasResourceProperties('AWS::DynamoDB::Table', { TableName: stacks.names.table });
    template('Acme-Probe-dc').hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { TABLE_NAME: stacks.names.table } } });
  });

  it('refuses a plain-http webhook, on its path (more in real-aws.test.ts)', () => {
    expect(() => synth(`${HOME_PRIVATE}channels:\n  hooks: { webhook: ["http://hooks.example.com/x"] }\n`)).toThrow(/channels\.hooks\.webhook\[0\]: a deployed webhook must be https:\/\//);
  });

  it('refuses a secret given by name, naming where it was written', () => {
    const yaml = HOME_PRIVATE.replace('http: { url: "https://10.0.0.5:8443/health" }', 'http: { url: "https://10.0.0.5:8443/health", headers: { Authorization: { secretsManager: prod/token } } }');
    expect(() => synth(yaml)).toThrow(SecretReferenceError);
    expect(() => synth(yaml)).toThrow(/^checks\[0\]\.http\.headers\.Authorization: "prod\/token" is not a complete secret ARN/);
  });

  it('passes deployment.metrics.phases to every probe function as PHASE_METRICS', () => {
    const yaml = HOME_PRIVATE.replace('  account: "123456789012"\n', '  account: "123456789012"\n  metrics: { phases: true }\n');
    expect(yaml).not.toBe(HOME_PRIVATE);
    synth(yaml).template('Vantage-Probe-dc').hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { LOCATION: 'dc', PHASE_METRICS: 'true' } } });
    synth(HOME_PRIVATE).template('Vantage-Probe-dc').hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { LOCATION: 'dc', PHASE_METRICS: 'false' } } });
  });

  it('needs a deployment block, and says so', () => {
    expect(() => synth('checks: []\n')).toThrow(DeploymentMissingError);
  });

});

describe('probe functions across locations', () => {
  const MIXED = `
deployment:
  homeRegion: us-east-1
  account: "123456789012"
  locations: [us-east-1, eu-west-1]
  privateLocations:
    - name: office.dc
      region: eu-west-1
      vpcId: vpc-0a1b2c3d4e5f60718
      availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]
      privateSubnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002, subnet-0a1b2c3d4e5f60003]
      egress: [{ cidr: 10.0.0.0/16, ports: [443] }]
      instances: 3
    - name: lab
      region: us-east-1
      vpcId: vpc-0a1b2c3d4e5f60718
      availabilityZones: [us-east-1a]
      privateSubnetIds: [subnet-0a1b2c3d4e5f60009]
      egress: [{ cidr: 10.9.0.0/16, ports: [443] }]
      instances: 1
defaults: { locations: [us-east-1] }
checks:
  - id: both
    locations: [us-east-1, office.dc]
    http: { url: "https://10.0.0.5/health" }
  - id: alone
    locations: [eu-west-1]
    http: { url: "https://example.com/" }
  - id: quiet
    locations: [us-east-1, eu-west-1]
    alerting: { confirm: false }
    http: { url: "https://example.com/q" }
  - id: lab
    locations: [lab]
    http: { url: "https://10.9.0.5/" }
`;
  const arn = (region: string, name: string) => `arn:aws:lambda:${region}:123456789012:function:${name}`;
  type Resource = { Type: string; Properties: Record<string, unknown> };
  const resources = (t: Template) => Object.values(t.toJSON()['Resources'] as Record<string, Resource>);
  const fns = (t: Template) => resources(t).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties);
  const envOf = (fn: Record<string, unknown>) => (fn['Environment'] as { Variables: Record<string, string> }).Variables;
  // With the account pinned, the ARN is all strings but the partition.
  const render = (v: unknown): string => (typeof v === 'string' ? v : (v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'aws')).join(''));
  const invokes = (t: Template) => resources(t).filter((r) => r.Type === 'AWS::IAM::Policy')
    .map((r) => (r.Properties['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement.filter((s) => JSON.stringify(s['Action']).includes('lambda:')))
    .map((statements) => statements.flatMap((s) => ([] as unknown[]).concat(s['Resource']).map(render)).sort())
    .filter((granted) => granted.length > 0);

  it('name a private location\'s instances, one per zone, and hash a name Lambda would refuse ("." in the location)', () => {
    const { app, template } = synth(MIXED);
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    const dc = fns(template('Vantage-Probe-office-dc'));
    const names = dc.map((f) => f['FunctionName'] as string);
    expect(names).toHaveLength(3);
    for (const [i, name] of names.entries()) expect(name).toMatch(new RegExp(`^vantage-probe-office-dc-[0-9a-f]{8}-${i + 1}$`));
    expect(dc.map((f) => (f['VpcConfig'] as { SubnetIds: string[] }).SubnetIds)).toEqual([['subnet-0a1b2c3d4e5f60001'], ['subnet-0a1b2c3d4e5f60002'], ['subnet-0a1b2c3d4e5f60003']]);
    expect(resources(template('Vantage-Probe-office-dc')).filter((r) => r.Type === 'AWS::Events::Rule')).toHaveLength(3);
  });

  it('grant each function exactly the other locations of its confirming checks (every instance of a private one) and its own other instances', () => {
    const { template } = synth(MIXED);
    const dcNames = fns(template('Vantage-Probe-office-dc')).map((f) => f['FunctionName'] as string);
    // us-east-1 runs "both" (with office.dc) and "quiet" (confirm: false, so eu-west-1 is not asked).
    const east = fns(template('Vantage-Probe-us-east-1'))[0]!;
    expect(JSON.parse(render(envOf(east)['CONFIRM_FUNCTIONS']))).toEqual({ 'office.dc': dcNames.map((n) => arn('eu-west-1', n)) });
    expect(invokes(template('Vantage-Probe-us-east-1'))).toEqual([dcNames.map((n) => arn('eu-west-1', n)).sort()]);
    // eu-west-1 runs "alone" and "quiet": nobody to ask, so no statement at all.
    expect(JSON.parse(render(envOf(fns(template('Vantage-Probe-eu-west-1'))[0]!)['CONFIRM_FUNCTIONS']))).toEqual({});
    expect(invokes(template('Vantage-Probe-eu-west-1'))).toEqual([]);
    // Each office.dc instance: us-east-1 to confirm, and the two other instances to retest on.
    fns(template('Vantage-Probe-office-dc')).forEach((fn, i) => {
      const env = envOf(fn);
      const others = dcNames.filter((_, j) => j !== i);
      expect(env['INSTANCE']).toBe(String(i + 1));
      expect(JSON.parse(render(env['INSTANCE_FUNCTIONS']))).toEqual(Object.fromEntries(others.map((n) => [String(dcNames.indexOf(n) + 1), arn('eu-west-1', n)])));
      expect(JSON.parse(render(env['CONFIRM_FUNCTIONS']))).toEqual({ 'us-east-1': [arn('us-east-1', 'vantage-probe-us-east-1')] });
    });
    expect(invokes(template('Vantage-Probe-office-dc'))).toEqual(dcNames.map((_, i) => [arn('us-east-1', 'vantage-probe-us-east-1'), ...dcNames.filter((__, j) => j !== i).map((n) => arn('eu-west-1', n))].sort()));
  });

  it('keep a single-instance private location working: one function in every subnet, its id, nobody to retest on and no invoke grant', () => {
    const { template } = synth(MIXED);
    const [lab, ...more] = fns(template('Vantage-Probe-lab'));
    expect(more).toEqual([]);
    expect(lab!['FunctionName']).toBe('vantage-probe-lab-1');
    expect(lab!['VpcConfig']).toMatchObject({ SubnetIds: ['subnet-0a1b2c3d4e5f60009'] });
    expect(envOf(lab!)).toMatchObject({ LOCATION: 'lab', INSTANCE: '1', INSTANCE_FUNCTIONS: '{}', CONFIRM_FUNCTIONS: '{}' });
    expect(invokes(template('Vantage-Probe-lab'))).toEqual([]);
  });
});

describe('a probe environment past Lambda\'s 4 KB', () => {
  it('fails synth, naming the location, instead of failing the deploy', () => {
    // 40 made-up private locations, all running one check with the region: its CONFIRM_FUNCTIONS lists 80 ARNs.
    const privates = Array.from({ length: 40 }, (_, i) => `    - { name: dc${i}, region: eu-west-1, vpcId: vpc-0a1b2c3d4e5f60718, availabilityZones: [eu-west-1a, eu-west-1b], privateSubnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002], egress: [{ cidr: 10.0.0.0/16, ports: [443] }] }`).join('\n');
    const yaml = `deployment:\n  homeRegion: eu-west-1\n  locations: [eu-west-1]\n  privateLocations:\n${privates}\ndefaults: { locations: [eu-west-1, ${Array.from({ length: 40 }, (_, i) => `dc${i}`).join(', ')}] }\nchecks:\n  - id: a\n    http: { url: "https://10.0.0.5/" }\n`;
    expect(() => synth(yaml)).toThrow(/^probe at eu-west-1: its environment would be about \d+ bytes, over Lambda's 4 KB/);
  });
});

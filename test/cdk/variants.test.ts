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
      availabilityZones: [eu-west-1a]
      privateSubnetIds: [subnet-0a1b2c3d4e5f60001]
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

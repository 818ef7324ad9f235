/**
 * The agent locations as `cdk synth` writes them (bundling skipped; app.test.ts bundles the real
 * thing): each one's role (trust, exact table partitions and secrets), its Roles Anywhere profile, its
 * DEFINITIONS item written by a custom resource, and its outputs; the Lambda probes' and the
 * evaluator's grants for agents; cdk-nag clean; and a deployment without agent locations unchanged.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentProfileName, agentRoleName } from '../../cdk/names.ts';
import { buildVantage } from '../../cdk/vantage.ts';
import { parseDefinitions, toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { definitionsItem } from '../../shared/store/agents.ts';
import { VantageError } from '../../shared/errors.ts';
import { acknowledgements, actionsOf, cdkContext, policiesOf } from './template-walk.ts';

const ANCHOR = 'arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vantage/plc-token-AbCdEf';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const AGENTS = `
  agentLocations:
    - name: factory
      trustAnchorArn: ${ANCHOR}
    - name: office.lab
      instances: 3`;
const yaml = (agents: string, extra = '') => `
deployment:
  homeRegion: eu-west-1
  account: "123456789012"
  locations: [eu-west-1]${agents}
  secretsKmsKeys: [${KEY}]
defaults: { locations: [eu-west-1] }
checks:
  - id: plc
    locations: [factory, office.lab]
    http: { url: "https://10.0.0.5/health", headers: { Authorization: { secretsManager: "${SECRET}", key: token } } }
  - id: web
    locations: [eu-west-1, factory]
    http: { url: "https://example.com/" }
  - id: lab-only
    locations: [office.lab]
    http: { url: "https://10.1.0.9/", headers: { X-Api-Key: { ssm: /vantage/lab-key } } }
  - id: retired
    enabled: false
    locations: [factory]
    http: { url: "https://10.0.0.6/" }
  - id: cloud
    http: { url: "https://example.org/" }${extra}
`;

type Json = Record<string, unknown>;
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function synth(text: string) {
  const outdir = mkdtempSync(join(tmpdir(), 'vantage-cdk-agents-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const config = loadConfigText(text);
  const stacks = buildVantage(app, config);
  const assembly = app.synth();
  const raw = (name: string) => assembly.getStackByName(name).template as { Resources: Record<string, Json>; Outputs?: Record<string, Json> };
  return { app, config, stacks, outdir, raw };
}

/** A value with the partition filled in, as CloudFormation would at deploy time. */
function rendered(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('Fn::Join' in value)) return value;
  const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((p) => (typeof p === 'string' ? p : (p as { Ref?: string }).Ref === 'AWS::Partition' ? 'aws' : JSON.stringify(p))).join(sep);
}

let s: ReturnType<typeof synth>;
let home: { Resources: Record<string, Json>; Outputs?: Record<string, Json> };
const resourcesOf = (type: string) => Object.entries(home.Resources).filter(([, r]) => r['Type'] === type);
const tableArn = () => ({ 'Fn::GetAtt': [resourcesOf('AWS::DynamoDB::Table')[0]![0], 'Arn'] });
/** The agent role of `location`, by its physical name. */
const roleOf = (location: string) => resourcesOf('AWS::IAM::Role').find(([, r]) => (r['Properties'] as Json)['RoleName'] === agentRoleName('vantage', location))!;
/** Every statement of the policies attached to a role. */
const statementsOf = (roleId: string) => policiesOf(home).filter((p) => p.type === 'AWS::IAM::Policy' && JSON.stringify((home.Resources[p.where]!['Properties'] as Json)['Roles']) === JSON.stringify([{ Ref: roleId }])).flatMap((p) => p.statements);
/** The statement's LeadingKeys, always as a list (CloudFormation takes one value or many). */
const leadingKeys = (st: Json) => {
  const keys = ((st['Condition'] as Json | undefined)?.['ForAllValues:StringEquals'] as Json | undefined)?.['dynamodb:LeadingKeys'];
  return keys === undefined ? undefined : ([] as unknown[]).concat(keys);
};

beforeAll(() => {
  s = synth(yaml(AGENTS));
  home = s.raw('Vantage-Home');
}, 120_000);

describe('an agent location\'s role', () => {
  it('trusts the Roles Anywhere trust anchor only, for a location that names one', () => {
    const [, role] = roleOf('factory');
    expect((role['Properties'] as Json)['AssumeRolePolicyDocument']).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Service: 'rolesanywhere.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        Condition: { ArnEquals: { 'aws:SourceArn': ANCHOR } },
      }],
    });
  });

  it('trusts this account\'s IAM principals otherwise, so an IAM user allowed sts:AssumeRole on it can take it', () => {
    const [, role] = roleOf('office.lab');
    const trust = (role['Properties'] as Json)['AssumeRolePolicyDocument'] as { Statement: Json[] };
    expect(trust.Statement.map((st) => ({ ...st, Principal: rendered((st['Principal'] as Json)['AWS']) }))).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: 'arn:aws:iam::123456789012:root' },
    ]);
  });

  it('may do exactly what an agent does, on the table\'s ARN only, each statement held to its partitions', () => {
    const expected = {
      factory: {
        own: ['LOCATION#factory'],
        // retired is disabled: not run there, so not written.
        results: ['CHECK#plc', 'CHECK#web'],
        // plc also runs at office.lab (an agent location); web's other location is a Lambda one, which agents do not confirm to.
        confirms: ['LOCATION#office.lab'],
      },
      'office.lab': { own: ['LOCATION#office.lab'], results: ['CHECK#plc', 'CHECK#lab-only'], confirms: ['LOCATION#factory'] },
    };
    for (const [location, want] of Object.entries(expected)) {
      const table = statementsOf(roleOf(location)[0]).filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')));
      expect(table.map((st) => ({ sid: st['Sid'], actions: ([] as string[]).concat(st['Action'] as string).sort(), resource: st['Resource'], keys: leadingKeys(st) })), location).toEqual([
        { sid: 'OwnLocationItems', actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], resource: tableArn(), keys: want.own },
        { sid: 'WriteResults', actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'], resource: tableArn(), keys: want.results },
        { sid: 'ConfirmToAgents', actions: ['dynamodb:PutItem'], resource: tableArn(), keys: want.confirms },
      ]);
      // Every table statement names the condition; nothing is allowed on the table without one.
      expect(table.every((st) => st['Condition'] !== undefined)).toBe(true);
    }
  });

  it('reads exactly the secrets its checks name, and decrypts with the deployment\'s key only through that service', () => {
    const secrets = (location: string) => statementsOf(roleOf(location)[0]).filter((st) => !actionsOf(st).some((a) => a.startsWith('dynamodb:')))
      .map((st) => ({ sid: st['Sid'], actions: st['Action'], resource: rendered(st['Resource']), condition: st['Condition'] }));
    expect(secrets('factory')).toEqual([
      { sid: 'ReadCheckSecrets', actions: 'secretsmanager:GetSecretValue', resource: SECRET, condition: undefined },
      { sid: 'DecryptCheckSecretseuwest1', actions: 'kms:Decrypt', resource: KEY, condition: { StringEquals: { 'kms:ViaService': ['secretsmanager.eu-west-1.amazonaws.com'] } } },
    ]);
    expect(secrets('office.lab')).toEqual([
      { sid: 'ReadCheckSecrets', actions: 'secretsmanager:GetSecretValue', resource: SECRET, condition: undefined },
      { sid: 'ReadCheckParameters', actions: 'ssm:GetParameter', resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/vantage/lab-key', condition: undefined },
      { sid: 'DecryptCheckSecretseuwest1', actions: 'kms:Decrypt', resource: KEY, condition: { StringEquals: { 'kms:ViaService': ['secretsmanager.eu-west-1.amazonaws.com', 'ssm.eu-west-1.amazonaws.com'] } } },
    ]);
  });

  it('allows no action with "*" and no resource but the table and the named secrets and key, in any statement of any agent role', () => {
    for (const location of ['factory', 'office.lab']) {
      const statements = statementsOf(roleOf(location)[0]);
      expect(statements.length).toBeGreaterThan(3);
      for (const st of statements) {
        expect(st['Effect']).toBe('Allow');
        for (const action of actionsOf(st)) expect(action).not.toContain('*');
        for (const r of ([] as unknown[]).concat(st['Resource'])) {
          expect([JSON.stringify(tableArn()), SECRET, KEY, 'arn:aws:ssm:eu-west-1:123456789012:parameter/vantage/lab-key']).toContain(typeof r === 'string' ? r : JSON.stringify(r).startsWith('{"Fn::GetAtt"') ? JSON.stringify(r) : rendered(r));
        }
      }
    }
  });

  it('has a physical name an agent host can be configured with before the deploy', () => {
    expect(roleOf('factory')[1]['Properties']).toMatchObject({ RoleName: 'vantage-agent-factory' });
    expect(roleOf('office.lab')[1]['Properties']).toMatchObject({ RoleName: 'vantage-agent-office.lab' });
    // Names IAM and Roles Anywhere would refuse are fitted, stable and distinct.
    const long = `a${'b'.repeat(63)}`;
    expect(agentRoleName('vantage', long)).toMatch(/^[\w+=,.@-]{1,64}$/);
    expect(agentRoleName('vantage', long)).not.toBe(agentRoleName('vantage', `${long.slice(0, -1)}c`));
    expect(agentProfileName('vantage', 'office.lab')).toMatch(/^vantage-agent-office-lab-[0-9a-f]{8}$/);
    expect(agentProfileName('vantage', 'office.lab')).not.toBe(agentProfileName('vantage', 'office-lab'));
  });
});

describe('the Roles Anywhere profile', () => {
  it('exists for the location with a trust anchor only, enabled, naming exactly its role', () => {
    const profiles = resourcesOf('AWS::RolesAnywhere::Profile').map(([, r]) => r['Properties']);
    expect(profiles).toEqual([{ Name: 'vantage-agent-factory', RoleArns: [{ 'Fn::GetAtt': [roleOf('factory')[0], 'Arn'] }], Enabled: true }]);
  });
});

describe('the DEFINITIONS item', () => {
  const customResources = () => resourcesOf('Custom::AWS');
  const callOf = (r: Json) => JSON.parse((r['Properties'] as Json)['Create'] as string) as { service: string; action: string; parameters: { TableName: string; Item: Record<string, never> }; physicalResourceId: { id: string } };

  it('is put by a custom resource per agent location: the document the agents read, its version as the physical id', () => {
    expect(customResources()).toHaveLength(2);
    for (const location of ['factory', 'office.lab']) {
      const [, r] = customResources().find(([, x]) => unmarshall(callOf(x).parameters.Item)['location'] === location)!;
      const call = callOf(r);
      const document = toDefinitions(s.config, location);
      expect({ service: call.service, action: call.action, table: call.parameters.TableName, id: call.physicalResourceId.id }).toEqual({ service: 'DynamoDB', action: 'PutItem', table: s.stacks.names.table, id: document.sha256 });
      // Exactly the store's own item (shared/store/agents.ts), so `vantage agent` reads what the deploy wrote.
      expect(unmarshall(call.parameters.Item)).toEqual(definitionsItem(location, document));
      // No synth-time stamp: an unchanged config synthesizes an unchanged template, and a deploy re-puts nothing.
      expect(unmarshall(call.parameters.Item)).not.toHaveProperty('writtenAt');
      expect(parseDefinitions(JSON.parse(unmarshall(call.parameters.Item)['document'] as string)).checks.map((c) => c.id)).toEqual(document.checks.map((c) => c.id));
      // Created and updated alike, and never deleted: a new version's cleanup would delete the item just written.
      expect((r['Properties'] as Json)['Update']).toBe((r['Properties'] as Json)['Create']);
      expect((r['Properties'] as Json)['Delete']).toBeUndefined();
      expect((r['Properties'] as Json)['InstallLatestAwsSdk']).toBe(false);
    }
  });

  it('changes, with a new physical id, when the location\'s checks change, and not when another location\'s do', () => {
    const changed = synth(yaml(AGENTS, '\n  - id: added\n    locations: [factory]\n    http: { url: "https://10.0.0.7/" }'));
    const ids = (raw: typeof home) => Object.fromEntries(Object.values(raw.Resources).filter((r) => r['Type'] === 'Custom::AWS').map((r) => {
      const call = callOf(r);
      return [unmarshall(call.parameters.Item)['location'] as string, call.physicalResourceId.id];
    }));
    const before = ids(home);
    const after = ids(changed.raw('Vantage-Home'));
    expect(after['factory']).not.toBe(before['factory']);
    expect(after['office.lab']).toBe(before['office.lab']);
  });

  it('is written by a function whose role may put only those two items, logs to a group with a retention, and carries no AWS managed policy', () => {
    const [fnId, fn] = resourcesOf('AWS::Lambda::Function').find(([id]) => id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))!;
    const props = fn['Properties'] as Json;
    const roleId = (props['Role'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    expect((home.Resources[roleId]!['Properties'] as Json)['ManagedPolicyArns']).toBeUndefined();
    const logGroup = (props['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect((home.Resources[logGroup]!['Properties'] as Json)['RetentionInDays']).toBe(30);
    expect(statementsOf(roleId).map((st) => ({ actions: st['Action'], resource: st['Resource'], keys: leadingKeys(st) }))).toEqual([
      { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resource: { 'Fn::GetAtt': [logGroup, 'Arn'] }, keys: undefined },
      { actions: 'dynamodb:PutItem', resource: tableArn(), keys: ['LOCATION#factory'] },
      { actions: 'dynamodb:PutItem', resource: tableArn(), keys: ['LOCATION#office.lab'] },
    ]);
    expect(fnId).toBeTruthy();
  });
});

describe('outputs', () => {
  it('give each agent location its role, its profile when it has one, the table, the home region and the agent command', () => {
    const outputs = Object.entries(home.Outputs ?? {}).filter(([id]) => id.startsWith('Agent'));
    const byLocation = (prefix: string) => Object.fromEntries(outputs.filter(([id]) => id.startsWith(prefix)).map(([id, o]) => [id.replace(prefix, '').replace(/[0-9A-F]{8}$/, ''), o['Value']]));
    const table = s.stacks.names.table;
    expect(byLocation('Agentfactory')).toEqual({
      RoleArn: { 'Fn::GetAtt': [roleOf('factory')[0], 'Arn'] },
      ProfileArn: { 'Fn::GetAtt': [resourcesOf('AWS::RolesAnywhere::Profile')[0]![0], 'ProfileArn'] },
      TableName: table,
      HomeRegion: 'eu-west-1',
      Command: `vantage agent --location factory --table ${table} --region eu-west-1`,
    });
    expect(byLocation('Agentofficelab')).toEqual({
      RoleArn: { 'Fn::GetAtt': [roleOf('office.lab')[0], 'Arn'] },
      TableName: table,
      HomeRegion: 'eu-west-1',
      Command: `vantage agent --location office.lab --table ${table} --region eu-west-1`,
    });
  });
});

describe('the rest of the deployment, for agents', () => {
  it('lets the Lambda probe put confirmation requests into exactly the inboxes of the agent locations its checks share', () => {
    const statements = policiesOf(s.raw('Vantage-Probe-eu-west-1')).flatMap((p) => p.statements).filter((st) => st['Sid'] === 'ConfirmToAgents');
    expect(statements.map((st) => ({ actions: st['Action'], keys: leadingKeys(st) }))).toEqual([{ actions: 'dynamodb:PutItem', keys: ['LOCATION#factory'] }]);
  });

  it('lets the evaluator list the agent locations\' beats (the sweep) with a Query of their partitions only', () => {
    const reads = policiesOf(home).flatMap((p) => p.statements).filter((st) => st['Sid'] === 'ReadAgentBeats');
    expect(reads.map((st) => ({ actions: st['Action'], resource: st['Resource'], keys: leadingKeys(st) }))).toEqual([
      { actions: 'dynamodb:Query', resource: tableArn(), keys: ['LOCATION#factory', 'LOCATION#office.lab'] },
    ]);
  });

  it('bundles the agent locations into every function\'s definitions, and the expected instances into the evaluator\'s', () => {
    const files = readdirSync(join(s.outdir, '.vantage-files')).map((d) => parseDefinitions(readFileSync(join(s.outdir, '.vantage-files', d, 'definitions.json'), 'utf8')));
    const evaluator = files.find((f) => f.location === undefined)!;
    expect(evaluator.agents).toEqual({ factory: 2, 'office.lab': 3 });
    for (const f of files) expect(f.agentLocations).toEqual(['factory', 'office.lab']);
    // No probe stack for an agent location: its checks run on agents.
    expect([...s.stacks.probes.keys()]).toEqual(['eu-west-1']);
  });

  it('draws no dashboard line for an agent location, which emits no CloudWatch metrics', () => {
    const body = JSON.stringify(resourcesOf('AWS::CloudWatch::Dashboard').map(([, r]) => (r['Properties'] as Json)['DashboardBody']));
    expect(body).toContain('\\"Location\\",\\"eu-west-1\\"');
    expect(body).not.toContain('\\"Location\\",\\"factory\\"');
    expect(body).not.toContain('\\"Location\\",\\"office.lab\\"');
  });

  it('passes cdk-nag AwsSolutions with nothing acknowledged for the agent locations', () => {
    expect(new AwsSolutionsChecks().validateScope(s.app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    expect(acknowledgements(s.app).filter((a) => a.path.includes('Agent') || a.path.includes('AWS679f'))).toEqual([]);
  });
});

describe('a deployment without agent locations', () => {
  let plain: ReturnType<typeof synth>;
  beforeAll(() => {
    // The same checks, every one moved to the Lambda location.
    plain = synth(yaml('').replace(/locations: \[[^\]]*\]/g, 'locations: [eu-west-1]'));
  }, 60_000);

  it('synthesizes none of it: no agent role, profile, custom resource, writer function or grant', () => {
    const t = plain.raw('Vantage-Home');
    const ids = Object.keys(t.Resources);
    expect(ids.filter((id) => /Agent|AWS679f/.test(id))).toEqual([]);
    for (const type of ['Custom::AWS', 'AWS::RolesAnywhere::Profile']) expect(Object.values(t.Resources).filter((r) => r['Type'] === type)).toEqual([]);
    // The evaluator and the notifier, nothing more.
    expect(Object.values(t.Resources).filter((r) => r['Type'] === 'AWS::Lambda::Function')).toHaveLength(2);
    expect(Object.keys(t.Outputs ?? {}).filter((id) => id.startsWith('Agent'))).toEqual([]);
    const sids = [t, plain.raw('Vantage-Probe-eu-west-1')].flatMap((x) => policiesOf(x).flatMap((p) => p.statements.map((st) => st['Sid'])));
    expect(sids).not.toContain('ReadAgentBeats');
    expect(sids).not.toContain('ConfirmToAgents');
  });

  it('differs from one with agent locations only by what agents add', () => {
    const types = (raw: typeof home) => Object.values(raw.Resources).map((r) => r['Type'] as string).sort();
    const extra = [...types(home)];
    for (const t of types(plain.raw('Vantage-Home'))) extra.splice(extra.indexOf(t), 1);
    expect(extra.sort()).toEqual([
      // Two agent roles with a policy each; the writer's role, policy, log group and function; the
      // profile; two items with a policy each. The evaluator's grant joins its existing policy.
      'AWS::IAM::Policy', 'AWS::IAM::Policy', 'AWS::IAM::Policy', 'AWS::IAM::Policy', 'AWS::IAM::Policy',
      'AWS::IAM::Role', 'AWS::IAM::Role', 'AWS::IAM::Role',
      'AWS::Lambda::Function', 'AWS::Logs::LogGroup', 'AWS::RolesAnywhere::Profile',
      'Custom::AWS', 'Custom::AWS',
    ].sort());
  });
});

describe('limits checked at synth', () => {
  it('refuses, naming the location, an agent location whose role policy would pass IAM\'s 10,240 characters', () => {
    const many = Array.from({ length: 160 }, (_, i) => `\n  - id: ${`c${i}`.padEnd(60, 'x')}\n    locations: [factory]\n    http: { url: "https://10.0.0.5/${i}" }`).join('');
    let err: unknown;
    try {
      synth(yaml(AGENTS, many));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VantageError);
    expect(err).toMatchObject({ code: 'DEPLOYMENT_INVALID', message: expect.stringMatching(/^agent location factory: its role's policy would be about \d+ characters, over IAM's 10240/) });
  }, 60_000);
});

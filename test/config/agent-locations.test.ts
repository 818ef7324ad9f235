/**
 * `deployment.agentLocations` in the config: the schema and its defaults, the rules between location
 * kinds, ICMP in an agent location, and the definitions documents that carry agent locations to the
 * probes, the agents and the evaluator.
 */
import { describe, expect, it } from 'vitest';
import { definitionsHash, readDefinitions, toDefinitions } from '../../shared/config/definitions.ts';
import { agentLocationNames, declaredLocations, DEFAULT_AGENT_INSTANCES, type DeploymentConfig } from '../../shared/config/deployment.ts';
import { DefinitionsError } from '../../shared/config/definitions-file.ts';
import { loadConfigObject, loadConfigText } from '../../shared/config/load.ts';
import { configIssues } from '../support/config-issues.ts';

const ANCHOR = 'arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

const CONFIG = `
deployment:
  homeRegion: us-east-1
  locations: [us-east-1]
  agentLocations:
    - name: office
    - name: factory
      instances: 3
      trustAnchorArn: ${ANCHOR}
channels:
  oncall: { email: [oncall@example.com] }
defaults: { locations: [us-east-1, office], alerting: { channels: [oncall] } }
checks:
  - id: api
    http: { url: "https://api.example.com/health" }
  - id: core-switch
    locations: [office, factory]
    icmp: { host: 10.0.0.1 }
  - id: plc
    locations: [factory]
    tcp: { host: 10.9.0.4, port: 502 }
  - id: paused
    enabled: false
    locations: [office]
    tcp: { host: 10.9.0.5, port: 502 }
`;

const deployment = (extra: Record<string, unknown>) => ({ homeRegion: 'us-east-1', locations: ['us-east-1'], ...extra });
const withDeployment = (d: Record<string, unknown>, checks: unknown[] = [{ id: 'a', locations: ['us-east-1'], tcp: { host: 'h', port: 1 } }]) =>
  ({ deployment: d, checks });

describe('deployment.agentLocations', () => {
  it('defaults to none, and an agent location to 2 instances and no trust anchor', () => {
    const none = loadConfigObject(withDeployment(deployment({}))).deployment!;
    expect(none.agentLocations).toEqual([]);
    expect(agentLocationNames(none)).toEqual([]);
    expect(agentLocationNames(undefined)).toEqual([]);

    const d = loadConfigText(CONFIG).deployment!;
    expect(DEFAULT_AGENT_INSTANCES).toBe(2);
    expect(d.agentLocations).toEqual([{ name: 'office', instances: 2 }, { name: 'factory', instances: 3, trustAnchorArn: ANCHOR }]);
    expect(agentLocationNames(d)).toEqual(['office', 'factory']);
    expect(declaredLocations(d)).toEqual(['us-east-1', 'office', 'factory']);
  });

  it('reads a deployment built in code without the list as having no agent locations', () => {
    const { agentLocations: _gone, ...old } = loadConfigObject(withDeployment(deployment({}))).deployment!;
    expect(agentLocationNames(old as DeploymentConfig)).toEqual([]);
    expect(declaredLocations(old as DeploymentConfig)).toEqual(['us-east-1']);
  });

  it('reports a bad name, trust anchor, instance count or key, each with its path', () => {
    const issues = configIssues(() => loadConfigObject(withDeployment(deployment({
      agentLocations: [
        { name: 'Office HQ' },
        { name: 'a', instances: 0 },
        { name: 'b', instances: 21 },
        { name: 'c', instances: 1.5 },
        { name: 'd', trustAnchorArn: 'arn:aws:iam::123456789012:role/agent' },
        { name: 'e', trustAnchorArn: 'arn:aws:rolesanywhere:eu-west-1:123456789012:profile/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' },
        { name: 'f', region: 'eu-west-1' },
        { instances: 2 },
      ],
    }))));
    const anchor = 'expected an IAM Roles Anywhere trust anchor ARN such as arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    expect(issues).toEqual([
      { path: 'deployment.agentLocations[0].name', message: 'expected lowercase letters, digits, ".", "_" or "-"' },
      { path: 'deployment.agentLocations[1].instances', message: 'Too small: expected number to be >=1' },
      { path: 'deployment.agentLocations[2].instances', message: 'Too big: expected number to be <=20' },
      { path: 'deployment.agentLocations[3].instances', message: 'Invalid input: expected int, received number' },
      { path: 'deployment.agentLocations[4].trustAnchorArn', message: anchor },
      { path: 'deployment.agentLocations[5].trustAnchorArn', message: anchor },
      { path: 'deployment.agentLocations[6].region', message: 'unknown key' },
      { path: 'deployment.agentLocations[7].name', message: 'required' },
    ]);
  });

  it('accepts 1 and 20 instances', () => {
    const d = loadConfigObject(withDeployment(deployment({ agentLocations: [{ name: 'a', instances: 1 }, { name: 'b', instances: 20 }] }))).deployment!;
    expect(d.agentLocations.map((a) => a.instances)).toEqual([1, 20]);
  });

  it('counts as a location: a deployment with only agent locations declares one', () => {
    const cfg = loadConfigObject(withDeployment({ homeRegion: 'us-east-1', agentLocations: [{ name: 'office' }] }, [{ id: 'a', locations: ['office'], tcp: { host: 'h', port: 1 } }]));
    expect(cfg.checks[0]!.locations).toEqual(['office']);
    const issues = configIssues(() => loadConfigObject(withDeployment({ homeRegion: 'us-east-1', agentLocations: [] }, [])));
    expect(issues).toContainEqual({ path: 'deployment.locations', message: 'declare at least one location, private location or agent location' });
  });

  it('reports a name used twice across regions, private and agent locations on the later path, naming the first, with the other errors', () => {
    const office = {
      name: 'office', region: 'us-east-1', vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'], egress: [{ cidr: '10.0.0.0/16', ports: [443] }],
    };
    const issues = configIssues(() => loadConfigObject(withDeployment(deployment({
      privateLocations: [office],
      agentLocations: [{ name: 'us-east-1' }, { name: 'office' }, { name: 'lab' }, { name: 'lab', instances: 0 }],
    }), [{ id: 'a', locations: ['us-east-1'], tcp: { host: 'h', port: 70_000 } }])));
    expect(issues).toEqual([
      { path: 'checks[0].tcp.port', message: 'Too big: expected number to be <=65535' },
      { path: 'deployment.agentLocations[3].instances', message: 'Too small: expected number to be >=1' },
      { path: 'deployment.agentLocations[0].name', message: 'duplicate location "us-east-1" (also locations[0])' },
      { path: 'deployment.agentLocations[1].name', message: 'duplicate location "office" (also privateLocations[0].name)' },
      { path: 'deployment.agentLocations[3].name', message: 'duplicate location "lab" (also agentLocations[2].name)' },
    ]);
  });

  it('names agent locations among the known ones, and in the hint for an unknown one', () => {
    const issues = configIssues(() => loadConfigObject(withDeployment(deployment({ agentLocations: [{ name: 'office' }] }), [
      { id: 'a', locations: ['office', 'ofice'], tcp: { host: 'h', port: 1 } },
    ])));
    expect(issues).toEqual([{
      path: 'checks[0].locations[1]',
      message: 'unknown location "ofice": declare it in deployment.locations, deployment.privateLocations or deployment.agentLocations (declared: us-east-1, office)',
    }]);
  });

  it('loads for a local run (vantage dev) and as deployed (cdk synth), with nothing to warn about', () => {
    const warnings: string[] = [];
    const local = loadConfigText(CONFIG, { local: { env: {}, warn: (t) => warnings.push(t) } });
    const deployed = loadConfigText(CONFIG);
    expect(warnings).toEqual([]);
    expect(local).toEqual(deployed);
    expect(deployed.checks.map((c) => [c.id, c.locations])).toEqual([
      ['api', ['us-east-1', 'office']], ['core-switch', ['office', 'factory']], ['plc', ['factory']], ['paused', ['office']],
    ]);
  });
});

describe('an icmp check and agent locations', () => {
  const WHY = 'Lambda cannot send ICMP (its sandbox has neither CAP_NET_RAW nor ICMP datagram sockets); use an agent location (deployment.agentLocations, served by `vantage agent`) instead, or run it with `vantage check`/`vantage run` on a host that can ping';

  it('is allowed in agent locations', () => {
    const [, icmp] = loadConfigText(CONFIG).checks;
    expect(icmp).toMatchObject({ kind: 'icmp', locations: ['office', 'factory'] });
  });

  it('is refused in a region, named or inherited, with the agent location as the way out', () => {
    const issues = configIssues(() => loadConfigObject({
      deployment: deployment({ agentLocations: [{ name: 'office' }] }),
      defaults: { locations: ['us-east-1', 'office'] },
      checks: [
        { id: 'a', locations: ['office', 'us-east-1'], icmp: { host: '10.0.0.1' } },
        { id: 'b', icmp: { host: '10.0.0.2' } },
      ],
    }));
    expect(issues).toEqual([
      { path: 'checks[0].locations[1]', message: `an icmp check cannot run in "us-east-1", an AWS region location: ${WHY}` },
      { path: 'checks[1].icmp', message: `an icmp check cannot run in "us-east-1" (from defaults.locations), an AWS region location: ${WHY}` },
    ]);
  });
});

describe('definitions with agent locations', () => {
  const config = loadConfigText(CONFIG);

  it("an agent location's document holds its enabled checks, no channels, and the agent locations", () => {
    const doc = toDefinitions(config, 'factory');
    expect(doc.location).toBe('factory');
    expect(doc.checks.map((c) => c.id)).toEqual(['core-switch', 'plc']);
    expect(doc.channels).toEqual({});
    expect(doc.agentLocations).toEqual(['office', 'factory']);
    expect(doc.agents).toBeUndefined();
    expect(doc.instances).toBeUndefined();
    expect(toDefinitions(config, 'office').checks.map((c) => c.id)).toEqual(['api', 'core-switch']);
    // What the agent reads back from the DEFINITIONS item is what was written.
    expect(readDefinitions(JSON.stringify(doc))).toEqual(Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'sha256')));
  });

  it("a region's file names the agent locations its confirmations may go to", () => {
    const doc = toDefinitions(config, 'us-east-1');
    expect(doc.checks.map((c) => c.id)).toEqual(['api']);
    expect(doc.agentLocations).toEqual(['office', 'factory']);
    expect(doc.agents).toBeUndefined();
  });

  it("the evaluator's file counts each agent location's instances", () => {
    const doc = toDefinitions(config);
    expect(doc.agentLocations).toEqual(['office', 'factory']);
    expect(doc.agents).toEqual({ office: 2, factory: 3 });
    expect(readDefinitions(doc)).toMatchObject({ agentLocations: ['office', 'factory'], agents: { office: 2, factory: 3 } });
  });

  it('a deployment without agent locations writes neither field, so its files do not change', () => {
    const plain = loadConfigObject(withDeployment(deployment({})));
    for (const doc of [toDefinitions(plain), toDefinitions(plain, 'us-east-1')]) {
      expect('agentLocations' in doc).toBe(false);
      expect('agents' in doc).toBe(false);
    }
  });

  it('the runtime check refuses malformed agentLocations and agents, each with its path', () => {
    const doc = toDefinitions(config);
    const tampered = (patch: Record<string, unknown>) => {
      const changed = { ...doc, ...patch };
      return { ...changed, sha256: definitionsHash(changed) };
    };
    const problems = (input: unknown) => {
      try {
        readDefinitions(input);
      } catch (err) {
        if (err instanceof DefinitionsError) return err.issues;
        throw err;
      }
      return [];
    };
    expect(problems(tampered({ agents: { office: 0, factory: '3', lab: 2 }, agentLocations: ['office', 'factory', ''] }))).toEqual([
      { path: 'agentLocations[2]', message: 'expected a non-empty string' },
      { path: 'agents.office', message: 'expected a whole number above 0' },
      { path: 'agents.factory', message: 'expected a whole number above 0' },
      { path: 'agents.lab', message: 'is not one of agentLocations' },
    ]);
    expect(problems(tampered({ agents: [2], agentLocations: 'office' }))).toEqual([
      { path: 'agentLocations', message: 'expected an array' },
      { path: 'agents', message: 'expected an object' },
    ]);
    expect(problems(tampered({}))).toEqual([]);
  });
});

describe('${env:NAME} in a deployed config with agent locations', () => {
  const yaml = (locations: string) => [
    'deployment: { homeRegion: us-east-1, locations: [us-east-1], agentLocations: [{ name: office }] }',
    'checks:',
    '  - id: intranet',
    `    locations: ${locations}`,
    '    http: { url: "https://intranet.example/health", headers: { Authorization: "Bearer ${env:INTRANET_TOKEN}" } }',
  ].join('\n');

  it('is allowed in a check that runs only in agent locations: the agent reads its own environment', () => {
    const loaded = loadConfigText(yaml('[office]'));
    expect(loaded.checks[0]!.locations).toEqual(['office']);
  });

  it('is refused, with the agent hint, in a check that also runs in a Lambda location', () => {
    expect(() => loadConfigText(yaml('[office, us-east-1]'))).toThrow(/checks\[0\]\.http\.headers\.Authorization: \$\{env:INTRANET_TOKEN\} is local only.*or run the check only in agent locations/);
  });
});

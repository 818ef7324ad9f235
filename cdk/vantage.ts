/**
 * Builds every stack of a deployment from a loaded config: one home stack and one probe stack per
 * location and per private location. Agent locations have no stack: their role and definitions are in
 * the home stack. Kept apart from app.ts so tests build the same app in memory.
 */
import { Annotations, type App, type Environment, type Stack } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { DEFINITIONS_FILE, toDefinitions } from '../shared/config/definitions.ts';
import { deployOnlyIssues, deployWarnings } from '../shared/config/deploy-only.ts';
import { agentLocationNames, type DeploymentConfig } from '../shared/config/deployment.ts';
import type { LoadedConfig } from '../shared/config/load.ts';
import type { Check } from '../shared/config/schema.ts';
import { ConfigError, VantageError } from '../shared/errors.ts';
import { namesFor, tableArn, type Names } from './names.ts';
import type { AgentLocationSpec } from './constructs/agent-location.ts';
import { confirmInboxes, confirmTargets, probeFunctionsOf } from './probe-peers.ts';
import { channelSecretGrants, kmsGrants, secretGrants, type SecretGrantOptions } from './secret-refs.ts';
import { HomeStack } from './stacks/home-stack.ts';
import { ProbeStack } from './stacks/probe-stack.ts';

export interface VantageOptions {
  /** Prefix of every physical name. @default 'vantage' */
  readonly prefix?: string;
  /**
   * The account when the config pins none: what `cdk` found in the credentials (CDK_DEFAULT_ACCOUNT).
   * @default undefined: environment-agnostic in account (AWS::AccountId at deploy time)
   */
  readonly defaultAccount?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Handler modules, relative to the repository root. @default the handlers in functions/ */
  readonly entries?: { readonly probe?: string; readonly evaluator?: string; readonly notifier?: string };
}

export interface VantageStacks {
  readonly names: Names;
  readonly home: HomeStack;
  /** Location name → its probe stack. */
  readonly probes: ReadonlyMap<string, ProbeStack>;
}

export class DeploymentMissingError extends VantageError {
  constructor(source: string) {
    super('DEPLOYMENT_MISSING', `${source}: the config has no "deployment" block; add one with homeRegion and locations to deploy it (see examples/checks.yaml)`);
  }
}

/** The region each location's metrics and probe live in. */
export function regionsOf(d: DeploymentConfig): Map<string, string> {
  return new Map<string, string>([...d.locations.map((r) => [r, r] as const), ...d.privateLocations.map((p) => [p.name, p.region] as const)]);
}

export function buildVantage(app: App, config: LoadedConfig, opts: VantageOptions = {}, source = 'config'): VantageStacks {
  const d = config.deployment;
  if (!d) throw new DeploymentMissingError(source);
  // The loader already refused these for a deployed config; this holds for a config built any other way.
  const unsafe = deployOnlyIssues(config);
  if (unsafe.length > 0) throw new ConfigError(unsafe, source);
  const names = namesFor({ homeRegion: d.homeRegion, ...(opts.prefix !== undefined && { prefix: opts.prefix }), ...(d.tableName !== undefined && { tableName: d.tableName }) });
  const lambda = { runtime: d.runtime, architecture: d.architecture };
  const account = d.account ?? opts.defaultAccount;
  const env = (region: string): Environment => ({ region, ...(account !== undefined && { account }) });
  const regionOf = regionsOf(d);
  const retention = opts.logRetention !== undefined ? { logRetention: opts.logRetention } : {};
  const grantOptions = { homeRegion: d.homeRegion, ...(d.account !== undefined && { account: d.account }) };
  const channelSecrets = channelSecretGrants(config.channels, grantOptions);

  const home = new HomeStack(app, names.homeStack, {
    env: env(d.homeRegion),
    description: 'Vantage home: results table, evaluator, alerts and dashboard',
    config,
    names,
    regionOf,
    // Every check and the channels (shared/config/definitions.ts).
    bundledFiles: { [DEFINITIONS_FILE]: JSON.stringify(toDefinitions(config)) },
    ...retention,
    notifierSecrets: channelSecrets,
    notifierKmsGrants: kmsGrants(channelSecrets, d.secretsKmsKeys),
    ...(opts.entries?.evaluator !== undefined && { evaluatorEntry: opts.entries.evaluator }),
    ...(opts.entries?.notifier !== undefined && { notifierEntry: opts.entries.notifier }),
    lambda,
    agentLocations: agentLocationSpecs(config, d, names, grantOptions),
  });
  warnAboutPlainSecrets(home, config);

  const probes = new Map<string, ProbeStack>();
  const functions = probeFunctionsOf(d, names, regionOf);
  const indexed = config.checks.map((check, index) => ({ index, check }));
  for (const [location, region] of regionOf) {
    // The checks this location runs: what its definitions bundle holds, and all its role may read for.
    const here = indexed.filter(({ check }) => check.enabled && check.locations.includes(location));
    const checks: Check[] = here.map(({ check }) => check);
    const privateLocation = d.privateLocations.find((p) => p.name === location);
    const secrets = secretGrants(here, grantOptions);
    const stack = new ProbeStack(app, names.probeStack(location), {
      env: env(region),
      description: `Vantage probe at ${location}${privateLocation ? ` (private, ${privateLocation.vpcId})` : ''}`,
      location,
      checks,
      bundledFiles: { [DEFINITIONS_FILE]: JSON.stringify(toDefinitions(config, location)) },
      tableName: names.table,
      tableArn: tableArn(d.homeRegion, names.table, d.account),
      homeRegion: d.homeRegion,
      functions: functions.get(location)!,
      confirmFunctions: confirmTargets(location, checks, functions),
      confirmInboxes: confirmInboxes(location, checks, agentLocationNames(d)),
      phaseMetrics: d.metrics.phases,
      secrets,
      kmsGrants: kmsGrants(secrets, d.secretsKmsKeys),
      lambda,
      ...(privateLocation && { privateLocation }),
      ...retention,
      ...(opts.entries?.probe !== undefined && { entry: opts.entries.probe }),
    });
    // Not a CloudFormation dependency (the table is referenced by name), but deploying the home stack
    // first means the first probe run has somewhere to write.
    stack.addStackDependency(home, 'probes write to the home table');
    probes.set(location, stack);
  }
  return { names, home, probes };
}

/** Per agent location: its checks' definitions, the agent locations they confirm from, and exactly the secrets they name. */
function agentLocationSpecs(config: LoadedConfig, d: DeploymentConfig, names: Names, grantOptions: SecretGrantOptions): AgentLocationSpec[] {
  const indexed = config.checks.map((check, index) => ({ index, check }));
  const agentNames = agentLocationNames(d);
  return (d.agentLocations ?? []).map((a) => {
    const here = indexed.filter(({ check }) => check.enabled && check.locations.includes(a.name));
    const secrets = secretGrants(here, grantOptions);
    return {
      location: a.name,
      ...(a.trustAnchorArn !== undefined && { trustAnchorArn: a.trustAnchorArn }),
      roleName: names.agentRole(a.name),
      profileName: names.agentProfile(a.name),
      document: toDefinitions(config, a.name),
      confirmInboxes: confirmInboxes(a.name, here.map(({ check }) => check), agentNames),
      secrets,
      kmsGrants: kmsGrants(secrets, d.secretsKmsKeys),
    };
  });
}

/** The id of the plain-secret warning, for `Validations.of(stack).acknowledge({ id, where: { path } })`. */
export const PLAIN_CHANNEL_SECRET_WARNING = 'vantage:plainChannelSecret';

/**
 * A plain-string channel secret works, but it is bundled into the notifier's asset: `cdk synth` says
 * so, naming the path, as `vantage validate` does. A warning, not an error: the user chose it, and one
 * that can be acknowledged per path, so `cdk synth --strict` stays usable.
 */
function warnAboutPlainSecrets(stack: Stack, config: LoadedConfig): void {
  for (const { path, message } of deployWarnings(config)) {
    Annotations.of(stack).addWarningV2(PLAIN_CHANNEL_SECRET_WARNING, `${path}: ${message}`, { context: { path } });
  }
}

/**
 * Rules that only hold where a config is deployed. `cdk synth` bundles the definitions into each
 * function's asset in plain text, and nothing sets the probe function's environment from the config,
 * so a deployed config may hold neither `${env:NAME}` references nor literal credentials (except an
 * `${env:NAME}` in a check that runs only in agent locations: `vantage agent` reads its own host's
 * environment). The notifier
 * delivers from AWS across the internet, so every channel URL must be https. Each function's region
 * must offer its runtime and architecture (an agent location has no function, so no region to
 * check). A region or a private location runs on Lambda, which cannot send ICMP, so no `icmp` check
 * may name one; an agent location may (./icmp.ts). Where the config runs on this machine (`check`, `run`,
 * `dev`, `replay`) all of these work (`vantage dev` delivers to a loopback http:// webhook), so there
 * they are warnings.
 *
 * Apart from those errors, `deployWarnings` names each channel secret written in plain: allowed (a
 * team may accept it), but it ships in the asset.
 *
 * They read the config as written (./raw.ts) and also accept a loaded config: the fields they look
 * at have the same paths in both (a webhook's URL problem is reported on `webhook[i]`, whether it was
 * written as a URL or as `{url, secret}`), so `cdk/vantage.ts` can check what it is about to bundle.
 */
import type { ConfigIssue } from '../errors.ts';
import { isCredentialHeaderName } from './credentials.ts';
import { DEFAULT_LOCATIONS } from './defaults.ts';
import { icmpLocationIssues } from './icmp.ts';
import { DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, LAMBDA_ARCHITECTURES, LAMBDA_RUNTIMES, unavailableIn, type LambdaArchitecture, type LambdaRuntime } from './lambda-regions.ts';
import { arrayOf, isRecord, issue, own, recordOf, walk, type RawPath } from './raw.ts';

/** The same syntax as shared/probe/secrets.ts expands. */
const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;
/** Whether a string holds an `${env:NAME}` reference. */
export const HAS_ENV_REF = /\$\{env:[A-Za-z_][A-Za-z0-9_]*\}/;

const USE_A_REFERENCE = 'use {secretsManager: arn, key?} or {ssm: name}';
const BUNDLED = 'would be bundled into the Lambda asset in plain text';

export interface EnvReference {
  name: string;
  path: RawPath;
}

/** Every `${env:NAME}` written anywhere in the config, with the path of the string that holds it. */
export function envReferences(input: unknown): EnvReference[] {
  const refs: EnvReference[] = [];
  walk(input, (value, path) => {
    if (typeof value === 'string') for (const m of value.matchAll(ENV_REF)) refs.push({ name: m[1]!, path });
  });
  return refs;
}

/** Whether a URL names a user or password. Unparseable text is the schema's to report. */
function hasUserinfo(text: unknown): boolean {
  if (typeof text !== 'string' || !URL.canParse(text)) return false;
  const url = new URL(text);
  return url.username !== '' || url.password !== '';
}

function literalCredentials(input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  arrayOf(own(input, 'checks')).forEach((c, i) => {
    const http = own(c, 'http');
    const at: RawPath = ['checks', i, 'http'];
    if (hasUserinfo(own(http, 'url'))) {
      issues.push(issue([...at, 'url'], `the URL's user:password ${BUNDLED}; send it as an Authorization header and ${USE_A_REFERENCE}`));
    }
    const headers = recordOf(own(http, 'headers'));
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      // A value with an ${env:} reference is reported as one; a reference object is what is wanted.
      if (typeof value !== 'string' || HAS_ENV_REF.test(value) || !isCredentialHeaderName(name)) continue;
      issues.push(issue([...at, 'headers', name], `a literal credential ${BUNDLED}; ${USE_A_REFERENCE}`));
    }
    // The loader inlines a key file's contents, so the private key itself would ship.
    for (const [kind, tlsAt] of [['http', [...at, 'tls']], ['tcp', ['checks', i, 'tcp', 'tls']], ['grpc', ['checks', i, 'grpc', 'tls']]] as const) {
      const key = own(own(own(c, kind), 'tls'), 'key');
      if (typeof key === 'string') issues.push(issue([...tlsAt, 'key'], `a private key file ${BUNDLED}; ${USE_A_REFERENCE}`));
    }
  });
  for (const { url, path } of channelUrls(input)) {
    if (hasUserinfo(url)) issues.push(issue(path, "the URL's user:password would be bundled into the evaluator's Lambda asset in plain text; remove it"));
  }
  return issues;
}

/** A channel URL's target kind, and what it is called in messages. */
type UrlKind = 'webhook' | 'slack' | 'teams' | 'pagerduty';
const KIND_NAMES: Record<UrlKind, string> = { webhook: 'webhook', slack: 'Slack', teams: 'Teams', pagerduty: 'PagerDuty' };

/**
 * Every URL a channel delivers to, with the path it is reported on: `webhook[i]` (written as a URL or
 * as `{url}`), `slack.url`/`teams.url`, a plain `slack.webhook`/`teams.webhook` (the URL itself) and
 * `pagerduty.url`.
 */
function channelUrls(input: unknown): Array<{ url: unknown; path: RawPath; kind: UrlKind }> {
  const out: Array<{ url: unknown; path: RawPath; kind: UrlKind }> = [];
  const channels = recordOf(own(input, 'channels'));
  for (const name of Object.keys(channels)) {
    const channel = channels[name];
    arrayOf(own(channel, 'webhook')).forEach((w, j) => {
      out.push({ url: isRecord(w) ? own(w, 'url') : w, path: ['channels', name, 'webhook', j], kind: 'webhook' });
    });
    for (const kind of ['slack', 'teams'] as const) {
      for (const field of ['url', 'webhook']) {
        const url = own(own(channel, kind), field);
        if (typeof url === 'string') out.push({ url, path: ['channels', name, kind, field], kind });
      }
    }
    const pd = own(own(channel, 'pagerduty'), 'url');
    if (pd !== undefined) out.push({ url: pd, path: ['channels', name, 'pagerduty', 'url'], kind: 'pagerduty' });
  }
  return out;
}

/**
 * The notifier would send alerts (which name targets and failure reasons) to an http:// endpoint in
 * clear text across the internet, and a chat or PagerDuty URL carries its credential. The URL is not
 * echoed: a webhook's path or query often is its credential.
 */
function plainHttpChannels(input: unknown): ConfigIssue[] {
  return channelUrls(input).flatMap(({ url, path, kind }) => {
    if (typeof url !== 'string' || !URL.canParse(url) || new URL(url).protocol !== 'http:') return [];
    const what = kind === 'webhook' ? 'webhook' : `${KIND_NAMES[kind]} URL`;
    return [issue(path, `a deployed ${what} must be https://: the notifier would deliver alerts to it unencrypted across the internet; use an https:// URL (vantage dev still delivers to http:// on this machine)`)];
  });
}

const PLAIN_SECRET = "is bundled into the notifier's (and the evaluator's) Lambda asset in plain text";

/**
 * Each channel secret written in plain in a deployed config, with its path: allowed, since the
 * notifier reads it from its own asset, but a Secrets Manager or SSM reference keeps it out of the
 * asset and out of the repository. `${env:NAME}` is not one of these: it fails a deployed config
 * outright (`deployOnlyIssues`). Empty for a config without a deployment block.
 */
export function deployWarnings(input: unknown): ConfigIssue[] {
  if (!isDeployed(input)) return [];
  const out: ConfigIssue[] = [];
  const plain = (v: unknown) => typeof v === 'string' && !HAS_ENV_REF.test(v);
  const channels = recordOf(own(input, 'channels'));
  for (const name of Object.keys(channels)) {
    const channel = channels[name];
    arrayOf(own(channel, 'webhook')).forEach((w, j) => {
      if (plain(own(w, 'secret'))) out.push(issue(['channels', name, 'webhook', j, 'secret'], `a plain signing secret ${PLAIN_SECRET}; ${USE_A_REFERENCE}`));
    });
    for (const kind of ['slack', 'teams'] as const) {
      const chat = own(channel, kind);
      if (plain(own(chat, 'webhook'))) out.push(issue(['channels', name, kind, 'webhook'], `a plain incoming-webhook URL ${PLAIN_SECRET}; ${USE_A_REFERENCE}`));
      if (plain(own(chat, 'url'))) out.push(issue(['channels', name, kind, 'url'], `a plain url ${PLAIN_SECRET}, and a ${KIND_NAMES[kind]} URL is its own credential; drop url and give webhook as {secretsManager: arn, key?} or {ssm: name}`));
    }
    if (plain(own(own(channel, 'pagerduty'), 'routingKey'))) {
      out.push(issue(['channels', name, 'pagerduty', 'routingKey'], `a plain routing key ${PLAIN_SECRET}; ${USE_A_REFERENCE}`));
    }
  }
  return out;
}

/** Each region a function is deployed to, with the path that names it, checked against ./lambda-regions.ts. */
function lambdaRegionIssues(input: unknown): ConfigIssue[] {
  const d = own(input, 'deployment');
  const runtime = own(d, 'runtime') ?? DEFAULT_RUNTIME;
  const architecture = own(d, 'architecture') ?? DEFAULT_ARCHITECTURE;
  // A misspelt runtime or architecture is the schema's to report.
  if (!(LAMBDA_RUNTIMES as readonly unknown[]).includes(runtime) || !(LAMBDA_ARCHITECTURES as readonly unknown[]).includes(architecture)) return [];
  const regions: Array<{ region: unknown; path: RawPath }> = [
    { region: own(d, 'homeRegion'), path: ['deployment', 'homeRegion'] },
    ...arrayOf(own(d, 'locations')).map((region, i) => ({ region, path: ['deployment', 'locations', i] })),
    ...arrayOf(own(d, 'privateLocations')).map((p, i) => ({ region: own(p, 'region'), path: ['deployment', 'privateLocations', i, 'region'] })),
  ];
  return regions.flatMap(({ region, path }) => {
    const why = typeof region === 'string' ? unavailableIn(region, runtime as LambdaRuntime, architecture as LambdaArchitecture) : undefined;
    return why ? [issue(path, why)] : [];
  });
}

/**
 * Whether `path` is inside a check that runs only in agent locations (`deployment.agentLocations`).
 * `vantage agent` resolves `${env:NAME}` from its own process environment, which the team sets on its
 * own host (a container's env, a Kubernetes Secret), so such a reference reaches no Lambda asset. The
 * reference text itself goes into the definitions, never a value.
 */
const agentLocationsOf = (input: unknown) => new Set(arrayOf(own(own(input, 'deployment'), 'agentLocations')).map((a) => own(a, 'name')).filter((n): n is string => typeof n === 'string'));

function inAgentOnlyCheck(input: unknown, path: RawPath): boolean {
  if (path[0] !== 'checks' || typeof path[1] !== 'number') return false;
  const agents = agentLocationsOf(input);
  if (agents.size === 0) return false;
  const check = arrayOf(own(input, 'checks'))[path[1]];
  const locations = arrayOf(own(check, 'locations') ?? own(recordOf(own(input, 'defaults')), 'locations') ?? DEFAULT_LOCATIONS);
  return locations.length > 0 && locations.every((l) => typeof l === 'string' && agents.has(l));
}

/** Whether the config is meant for `cdk deploy`: it has a deployment block. */
export function isDeployed(input: unknown): boolean {
  return isRecord(input) && own(input, 'deployment') !== undefined;
}

/** What makes a deployed config unsafe or unrunnable, each with its path; empty for a config without a deployment block. */
export function deployOnlyIssues(input: unknown): ConfigIssue[] {
  if (!isDeployed(input)) return [];
  const agentHint = agentLocationsOf(input).size > 0 ? ', or run the check only in agent locations (their agents read their own environment)' : '';
  const env = envReferences(input).filter(({ path }) => !inAgentOnlyCheck(input, path)).map(({ name, path }) =>
    issue(path, `\${env:${name}} is local only: nothing passes environment variables to a deployed probe; ${USE_A_REFERENCE}${agentHint}`));
  return [...env, ...literalCredentials(input), ...plainHttpChannels(input), ...lambdaRegionIssues(input), ...icmpLocationIssues(input)];
}

/** `${env:NAME}` references whose variable is unset in `env`, for the commands that probe from this machine. */
export function missingEnvIssues(input: unknown, env: Readonly<Record<string, string | undefined>>): ConfigIssue[] {
  return envReferences(input)
    .filter(({ name }) => !Object.hasOwn(env, name) || env[name] === undefined)
    .map(({ name, path }) => issue(path, `environment variable ${name} is not set`));
}

/**
 * The `deployment` block of a checks config: where `cdk deploy` puts things. It is optional, because
 * the CLI and the local pipeline run configs without one; when it is present, every location a check
 * names must be one it declares, and the config is judged as deployed (./deploy-only.ts).
 */
import { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import { DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, LAMBDA_ARCHITECTURES, LAMBDA_RUNTIMES } from './lambda-regions.ts';
import { formatPath } from './paths.ts';
import { NAME } from './name.ts';
import { arrayOf, isRecord, issue, own, type RawPath, type RawRecord } from './raw.ts';

/** `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-5`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * A key's ARN, not an alias: IAM authorizes kms:Decrypt against the key itself.
 * https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html
 */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/**
 * DynamoDB's rule for table names.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
 */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Instances of a private location when the config gives none (`privateLocations[].instances`). */
export const DEFAULT_INSTANCES = 2;
/** Instances of an agent location when the config gives none (`agentLocations[].instances`): two, so a failure is retested on the other one. */
export const DEFAULT_AGENT_INSTANCES = 2;
/** More would only add beats and inbox polls: each instance costs one strongly consistent Query a second. */
const MAX_AGENT_INSTANCES = 20;
/**
 * An IAM Roles Anywhere trust anchor's ARN (its id is a UUID).
 * https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html
 */
const TRUST_ANCHOR_ARN = /^arn:aws[a-z-]*:rolesanywhere:[a-z0-9-]+:\d{12}:trust-anchor\/[0-9a-f-]{36}$/;

/**
 * CloudFront takes a viewer certificate from ACM in us-east-1 only, whatever the home region.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html
 */
const CLOUDFRONT_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/;
/** A DNS host name (labels of letters, digits and inner hyphens), lower case as CloudFront stores aliases. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** A heading wider than a phone screen wraps into noise. */
const MAX_TITLE = 80;

const Region = z.string().regex(REGION, 'expected an AWS region such as us-east-1');
const Name = z.string().regex(NAME, 'expected lowercase letters, digits, ".", "_" or "-"');
const Port = z.number().int().min(1).max(65535);

/** One hole in a private location's firewall. */
export const Egress = z.strictObject({
  /** IPv4 range the probe may reach, e.g. `10.20.0.0/16` or `10.20.3.4/32`. */
  cidr: z.cidrv4({ error: 'expected an IPv4 CIDR such as 10.0.0.0/16' }),
  ports: z.array(Port).min(1),
  /** `udp` for DNS checks against a resolver in the network. @default tcp */
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});

/**
 * A probe inside the team's own VPC (Uptrends' private checkpoint). Subnets and AZs are given, not
 * looked up, so `cdk synth` needs no AWS credentials.
 */
export const PrivateLocation = z.strictObject({
  name: Name,
  region: Region,
  vpcId: z.string().regex(/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, 'expected a VPC id such as vpc-0123456789abcdef0'),
  availabilityZones: z.array(z.string().min(1)).min(1),
  privateSubnetIds: z.array(z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, 'expected a subnet id such as subnet-0123456789abcdef0')).min(1),
  /** Everything the probe may connect to. HTTPS to DynamoDB is added for the results and needs no entry. */
  egress: z.array(Egress).min(1),
  /**
   * The prefix list of a DynamoDB gateway endpoint in this VPC (`aws ec2 describe-prefix-lists`), for a
   * location in the home region. HTTPS egress is then limited to it instead of 0.0.0.0/0. A gateway
   * endpoint only reaches its own region's DynamoDB, so it cannot serve another home region.
   * @default none: HTTPS goes out through a NAT gateway to any address
   */
  dynamoDbPrefixListId: z.string().regex(/^pl-[0-9a-f]{8,17}$/, 'expected a prefix list id such as pl-6ea54007').optional(),
  /**
   * Probe functions of this location, each in the subnet of a different availability zone (the i-th
   * zone of `availabilityZones`). They share the checks, and a failure is retested on another instance
   * before it is recorded, so one sick host never pages (Uptrends requires two checkpoints for the same
   * reason). At most one per zone given.
   * @default 2
   */
  instances: z.number().int().min(1).default(DEFAULT_INSTANCES),
});

/**
 * A location served by `vantage agent` on hosts the team runs (a data centre, an office, a factory
 * floor): the agents reach the home table over outbound HTTPS only, and nothing listens. Not a
 * Lambda function, so it can send ICMP.
 */
export const AgentLocation = z.strictObject({
  name: Name,
  /**
   * How many agent instances are expected to run it. They share its checks and retest a failure on
   * one another; the sweep warns the ops topic about each silent one, and `vantage status` lists them.
   * @default 2
   */
  instances: z.number().int().min(1).max(MAX_AGENT_INSTANCES).default(DEFAULT_AGENT_INSTANCES),
  /**
   * An IAM Roles Anywhere trust anchor: the agent role then trusts it, and agents get credentials
   * with an X.509 certificate it issued.
   * @default none: the role trusts this account, for an IAM user's access key kept in the host's secret store
   */
  trustAnchorArn: z.string().regex(TRUST_ANCHOR_ARN, 'expected an IAM Roles Anywhere trust anchor ARN such as arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0').optional(),
});

export const Deployment = z.strictObject({
  /** Where the results table, the evaluator, the alert topic and the dashboard live. */
  homeRegion: Region,
  /** Pins every stack to one account. @default the account of the credentials `cdk deploy` runs with */
  account: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id').optional(),
  /** AWS regions that run a probe; each is a location name checks can use. @default none */
  locations: z.array(Region).default([]),
  /** @default none */
  privateLocations: z.array(PrivateLocation).default([]),
  /** Locations served by `vantage agent` (README, "Agents"). @default none */
  agentLocations: z.array(AgentLocation).default([]),
  /** Who hears when Vantage itself is unwell (evaluator errors, stream lag, dead letters, the sweep not running, silent private-location and agent instances): the home ops topic. @default nobody; subscribe to the ops topic yourself */
  opsEmail: z.array(z.email()).default([]),
  /**
   * Which probe values become CloudWatch custom metrics, each billed $0.30 a month per check ×
   * location (https://aws.amazon.com/cloudwatch/pricing/). Success and Latency per check × location
   * (the dashboard) and the sweep's one metric (its alarm) always are. The phases
   * are always in the probe's EMF log line, queryable with Logs Insights at no metric cost.
   * @default { phases: false }
   */
  metrics: z.strictObject({
    /** Also emit dns, connect, tls, ttfb and transfer as metrics: up to 5 more per check × location. @default false */
    phases: z.boolean().default(false),
  }).default({ phases: false }),
  /**
   * The results table's physical name. Set it to adopt a table that outlived a `cdk destroy` under
   * another name, to keep the name of a table deployed before names were generated
   * (`vantage-results`), or to move to a new table (see README, "Deploying").
   * @default `<prefix>-results-<hash>`, generated from the stack name, the home region and the key schema (cdk/names.ts)
   */
  tableName: z.string().regex(TABLE_NAME, 'expected 3-255 letters, digits, "_", "-" or "."').optional(),
  /**
   * Customer-managed KMS keys that encrypt the Secrets Manager secrets or SSM SecureString parameters
   * the checks reference. A probe may then decrypt with each key whose region holds one of its
   * secrets, and only through Secrets Manager or SSM in that region (kms:ViaService). Secrets under
   * the AWS managed keys need nothing here.
   * @default none
   */
  secretsKmsKeys: z.array(z.string().regex(KMS_KEY_ARN, 'expected a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias: kms:Decrypt is granted on the key)')).default([]),
  /**
   * A public status page (README, "Status page"): a private S3 bucket behind CloudFront, which the
   * sweep rewrites when something changes (cdk/constructs/status-page.ts). Opt-in, because the URL is
   * public: anyone who has it sees every check's name and state.
   * @default none: nothing is synthesized
   */
  statusPage: z.strictObject({
    /** false keeps the block but removes the distribution (the bucket is retained, see README). */
    enabled: z.boolean(),
    /** The page's heading and <title>. @default the page's own (shared/usecases/status-page) */
    title: z.string().trim().min(1, 'expected a non-empty title').max(MAX_TITLE, `expected at most ${MAX_TITLE} characters`).optional(),
    /**
     * Your own host name for the page instead of the distribution's `*.cloudfront.net` one: CloudFront
     * then answers for these names with this certificate (TLS 1.2 at least), and you point a DNS
     * record (CNAME, or a Route 53 alias) at the distribution.
     * @default none: the page is at https://<distribution>.cloudfront.net/
     */
    domain: z.strictObject({
      names: z.array(z.string().regex(HOST_NAME, 'expected a host name such as status.example.com')).min(1),
      /** An ACM certificate covering every name; CloudFront only uses certificates in us-east-1. */
      certificateArn: z.string().regex(CLOUDFRONT_CERTIFICATE_ARN, 'expected an ACM certificate ARN in us-east-1 such as arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 (CloudFront only uses certificates in us-east-1)'),
    }).optional(),
  }).optional(),
  /** The Lambda runtime of every function (shared/config/lambda-regions.ts says where each is known to run). @default nodejs24.x */
  runtime: z.enum(LAMBDA_RUNTIMES).default(DEFAULT_RUNTIME),
  /** arm64 is about 20% cheaper per GB-second; x86_64 runs in every region. @default arm64 */
  architecture: z.enum(LAMBDA_ARCHITECTURES).default(DEFAULT_ARCHITECTURE),
  // Rules between the fields (zones in the region, duplicate names, …) are deploymentIssues below.
});

export type DeploymentConfig = z.output<typeof Deployment>;
export type PrivateLocationConfig = DeploymentConfig['privateLocations'][number];
export type EgressRule = PrivateLocationConfig['egress'][number];
export type AgentLocationConfig = DeploymentConfig['agentLocations'][number];
export type StatusPageConfig = NonNullable<DeploymentConfig['statusPage']>;

/** Every location name a deployment declares: its regions, then its private locations, then its agent locations. */
export function declaredLocations(d: DeploymentConfig): string[] {
  return [...d.locations, ...d.privateLocations.map((p) => p.name), ...agentLocationNames(d)];
}

/**
 * The names of the agent locations, none without a deployment. Read defensively (`?? []`): a
 * deployment built in code before agent locations existed has no such list.
 */
export function agentLocationNames(d: DeploymentConfig | undefined): string[] {
  return (d?.agentLocations ?? []).map((a) => a.name);
}

/**
 * The rules that relate the block's parts to each other, read from the block as written (see
 * ./raw.ts) so they are reported together with its schema errors.
 */
export function deploymentIssues(d: RawRecord): ConfigIssue[] {
  const at: RawPath = ['deployment'];
  const issues: ConfigIssue[] = [];
  const home = own(d, 'homeRegion');
  const locations = own(d, 'locations');
  const privateLocations = own(d, 'privateLocations');
  arrayOf(privateLocations).forEach((p, i) => {
    const here: RawPath = [...at, 'privateLocations', i];
    const region = own(p, 'region');
    const zones = own(p, 'availabilityZones');
    if (typeof region === 'string') {
      arrayOf(zones).forEach((az, j) => {
        if (typeof az === 'string' && !az.startsWith(region)) issues.push(issue([...here, 'availabilityZones', j], `"${az}" is not in region ${region}`));
      });
    }
    // Vpc.fromVpcAttributes pairs subnets with AZs round-robin and rejects any other count.
    const subnets = own(p, 'privateSubnetIds');
    if (Array.isArray(subnets) && Array.isArray(zones) && zones.length > 0 && subnets.length % zones.length !== 0) {
      issues.push(issue([...here, 'privateSubnetIds'], `${subnets.length} subnet(s) for ${zones.length} availability zone(s): give one subnet per zone, in the same order`));
    }
    // One instance per zone, so losing a zone (or a host in it) leaves another instance to retest on.
    const given = own(p, 'instances');
    const instances = given ?? DEFAULT_INSTANCES;
    if (typeof instances === 'number' && Number.isInteger(instances) && Array.isArray(zones) && zones.length > 0 && instances > zones.length) {
      // A config written before instances existed meets the default here: say where the 2 comes from.
      const what = given === undefined ? `instances defaults to ${DEFAULT_INSTANCES} (a failure is retested on a second instance before it is recorded), which needs` : `${instances} instance(s) need`;
      const fix = given === undefined ? 'add a zone (with a subnet), or set instances: 1 to keep a single probe' : 'add zones (with a subnet each) or lower instances';
      issues.push(issue([...here, 'instances'], `${what} as many availability zones, and ${zones.length} ${zones.length === 1 ? 'is' : 'are'} given: ${fix}`));
    }
    if (own(p, 'dynamoDbPrefixListId') !== undefined && typeof region === 'string' && typeof home === 'string' && region !== home) {
      issues.push(issue([...here, 'dynamoDbPrefixListId'], `a gateway endpoint in ${region} cannot reach DynamoDB in the home region ${home}; remove it and route HTTPS through NAT`));
    }
  });
  const agentLocations = own(d, 'agentLocations');
  const none = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0);
  if (none(locations) && none(privateLocations) && none(agentLocations)) issues.push(issue([...at, 'locations'], 'declare at least one location, private location or agent location'));
  issues.push(...duplicateNames(locations, privateLocations, agentLocations));
  return issues;
}

/**
 * One location name is one place a result comes from, whatever kind declares it: each repeat is
 * reported on its own path, naming the first.
 */
function duplicateNames(locations: unknown, privateLocations: unknown, agentLocations: unknown): ConfigIssue[] {
  const at: RawPath = ['deployment'];
  const seen = new Map<string, string>();
  const named: Array<{ name: unknown; path: RawPath }> = [
    ...arrayOf(locations).map((name, i) => ({ name, path: [...at, 'locations', i] })),
    ...arrayOf(privateLocations).map((p, i) => ({ name: own(p, 'name'), path: [...at, 'privateLocations', i, 'name'] })),
    ...arrayOf(agentLocations).map((a, i) => ({ name: own(a, 'name'), path: [...at, 'agentLocations', i, 'name'] })),
  ];
  return named.flatMap(({ name, path }) => {
    if (typeof name !== 'string') return [];
    const first = seen.get(name);
    if (first === undefined) seen.set(name, formatPath(path.slice(1)));
    return first === undefined ? [] : [issue(path, `duplicate location "${name}" (also ${first})`)];
  });
}

/**
 * Issues for check locations the deployment does not declare, each on the path where the name was
 * written: `checks[2].locations[1]`, or `defaults.locations[0]` (reported once) when a check inherits it.
 * Skipped when the declared locations are themselves malformed, since every name would look unknown.
 */
export function unknownLocationIssues(d: RawRecord, defaults: RawRecord, checks: readonly unknown[]): ConfigIssue[] {
  const regions = own(d, 'locations') ?? [];
  const privates = own(d, 'privateLocations') ?? [];
  const agents = own(d, 'agentLocations') ?? [];
  if (!Array.isArray(regions) || !Array.isArray(privates) || !Array.isArray(agents)) return [];
  const known = new Set([...regions, ...[...privates, ...agents].map((p) => own(p, 'name'))].filter((n): n is string => typeof n === 'string'));
  const hint = `declare it in deployment.locations, deployment.privateLocations or deployment.agentLocations (declared: ${[...known].join(', ')})`;
  const names = (list: unknown, at: RawPath) => arrayOf(list).flatMap((name, j) =>
    (typeof name === 'string' && !known.has(name) ? [issue([...at, j], `unknown location "${name}": ${hint}`)] : []));
  const inherit = checks.some((c) => isRecord(c) && own(c, 'locations') === undefined);
  return [
    ...checks.flatMap((c, i) => names(own(c, 'locations'), ['checks', i, 'locations'])),
    // The schema's default is ["local"], which no deployment declares.
    ...(inherit ? names(own(defaults, 'locations') ?? ['local'], ['defaults', 'locations']) : []),
  ];
}

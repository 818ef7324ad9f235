/**
 * The `deployment` block of a checks config: where `cdk deploy` puts things. It is optional, because
 * the CLI and the local pipeline run configs without one; when it is present, every location a check
 * names must be one it declares.
 */
import { z } from 'zod';

/** `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-5`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** Same rule as check ids, so a location name is safe in stack names, metric dimensions and log groups. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const Region = z.string().regex(REGION, 'expected an AWS region such as us-east-1');
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
  name: z.string().regex(NAME, 'expected lowercase letters, digits, ".", "_" or "-"'),
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
}).superRefine((loc, ctx) => {
  loc.availabilityZones.forEach((az, i) => {
    if (!az.startsWith(loc.region)) ctx.addIssue({ code: 'custom', path: ['availabilityZones', i], message: `"${az}" is not in region ${loc.region}` });
  });
  // Vpc.fromVpcAttributes pairs subnets with AZs round-robin and rejects any other count.
  if (loc.privateSubnetIds.length % loc.availabilityZones.length !== 0) {
    ctx.addIssue({ code: 'custom', path: ['privateSubnetIds'], message: `${loc.privateSubnetIds.length} subnet(s) for ${loc.availabilityZones.length} availability zone(s): give one subnet per zone, in the same order` });
  }
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
  /** Who hears when Vantage itself is unwell (evaluator errors, stream lag, dead letters, silent probes). @default nobody; subscribe to the ops topics yourself */
  opsEmail: z.array(z.email()).default([]),
  /**
   * Which probe values become CloudWatch custom metrics, each billed $0.30 a month per check ×
   * location (https://aws.amazon.com/cloudwatch/pricing/). Success and Latency per check × location
   * (the dashboard) and Heartbeat per location (the missing-heartbeat alarm) always are. The phases
   * are always in the probe's EMF log line, queryable with Logs Insights at no metric cost.
   * @default { phases: false }
   */
  metrics: z.strictObject({
    /** Also emit dns, connect, tls, ttfb and transfer as metrics: up to 5 more per check × location. @default false */
    phases: z.boolean().default(false),
  }).default({ phases: false }),
}).superRefine((d, ctx) => {
  d.privateLocations.forEach((p, i) => {
    if (p.dynamoDbPrefixListId !== undefined && p.region !== d.homeRegion) {
      ctx.addIssue({ code: 'custom', path: ['privateLocations', i, 'dynamoDbPrefixListId'], message: `a gateway endpoint in ${p.region} cannot reach DynamoDB in the home region ${d.homeRegion}; remove it and route HTTPS through NAT` });
    }
  });
  if (d.locations.length === 0 && d.privateLocations.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['locations'], message: 'declare at least one location or private location' });
  }
  const seen = new Map<string, string>();
  d.locations.forEach((region, i) => {
    const where = `locations[${i}]`;
    const first = seen.get(region);
    if (first) ctx.addIssue({ code: 'custom', path: ['locations', i], message: `duplicate location "${region}" (also ${first})` });
    else seen.set(region, where);
  });
  d.privateLocations.forEach((p, i) => {
    const first = seen.get(p.name);
    if (first) ctx.addIssue({ code: 'custom', path: ['privateLocations', i, 'name'], message: `duplicate location "${p.name}" (also ${first})` });
    else seen.set(p.name, `privateLocations[${i}].name`);
  });
});

export type DeploymentConfig = z.output<typeof Deployment>;
export type PrivateLocationConfig = DeploymentConfig['privateLocations'][number];
export type EgressRule = PrivateLocationConfig['egress'][number];

/** Every location name a deployment declares: its regions, then its private locations. */
export function declaredLocations(d: DeploymentConfig): string[] {
  return [...d.locations, ...d.privateLocations.map((p) => p.name)];
}

interface LocationsInput {
  defaults: { locations: string[] };
  checks: ReadonlyArray<{ locations?: string[] | undefined }>;
  deployment?: DeploymentConfig | undefined;
}

/**
 * Issues for check locations the deployment does not declare, each on the path where the name was
 * written: `checks[2].locations[1]`, or `defaults.locations[0]` (reported once) when a check inherits it.
 */
export function unknownLocationIssues(cfg: LocationsInput): Array<{ path: Array<string | number>; message: string }> {
  if (!cfg.deployment) return [];
  const known = new Set(declaredLocations(cfg.deployment));
  const hint = `declare it in deployment.locations or deployment.privateLocations (declared: ${[...known].join(', ')})`;
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  let defaultsUsed = false;
  cfg.checks.forEach((c, i) => {
    if (!c.locations) {
      defaultsUsed = true;
      return;
    }
    c.locations.forEach((name, j) => {
      if (!known.has(name)) issues.push({ path: ['checks', i, 'locations', j], message: `unknown location "${name}": ${hint}` });
    });
  });
  if (defaultsUsed) {
    cfg.defaults.locations.forEach((name, j) => {
      if (!known.has(name)) issues.push({ path: ['defaults', 'locations', j], message: `unknown location "${name}": ${hint}` });
    });
  }
  return issues;
}

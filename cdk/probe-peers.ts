/**
 * Which probe functions a probe may invoke, as plain strings: each location's functions by their
 * explicit names (./names.ts), and for one location the other locations it asks to confirm and the
 * other instances it retests on. Stacks in different regions cannot reference each other's resources
 * (CloudFormation exports stay in their region), so these ARNs are built from names, never read from
 * another stack.
 */
import { Aws } from 'aws-cdk-lib';
import type { DeploymentConfig } from '../shared/config/deployment.ts';
import type { Check } from '../shared/config/schema.ts';
import { functionArn, type Names } from './names.ts';

export interface ProbeInstance {
  /** `"1"`, `"2"`, … for a private location's instances; absent for an AWS-region location. */
  readonly id?: string;
  readonly functionName: string;
  readonly arn: string;
}

/** Location name → its probe functions: one for a region, `instances` for a private location. */
export function probeFunctionsOf(d: DeploymentConfig, names: Names, regionOf: ReadonlyMap<string, string>): Map<string, ProbeInstance[]> {
  const out = new Map<string, ProbeInstance[]>();
  const one = (location: string, id?: string): ProbeInstance => {
    const functionName = names.probeFunction(location, id);
    return { ...(id !== undefined && { id }), functionName, arn: functionArn(regionOf.get(location)!, functionName, d.account) };
  };
  for (const location of d.locations) out.set(location, [one(location)]);
  for (const p of d.privateLocations) {
    out.set(p.name, Array.from({ length: p.instances }, (_, i) => one(p.name, String(i + 1))));
  }
  return out;
}

/**
 * `CONFIRM_FUNCTIONS` of `location`: every other location of the enabled checks it runs that confirm
 * (alerting.confirm), with all of its functions (a private location lists its instances). Empty when
 * no check here has another location to ask.
 */
export function confirmTargets(location: string, checks: readonly Check[], functions: ReadonlyMap<string, readonly ProbeInstance[]>): Record<string, string[]> {
  const others = confirmingLocations(location, checks);
  // In the order the deployment declares them, so the environment (and the asset hash) is stable.
  return Object.fromEntries([...functions].filter(([l]) => others.has(l)).map(([l, fns]) => [l, fns.map((f) => f.arn)]));
}

/**
 * The agent locations `location` sends confirmations to: the other locations of its confirming checks
 * that agents serve, in the order the deployment declares them. A confirmation to one is an inbox item
 * in its partition (shared/usecases/agent/inbox.ts), so these are the partitions it may write to.
 */
export function confirmInboxes(location: string, checks: readonly Check[], agentLocations: readonly string[]): string[] {
  const others = confirmingLocations(location, checks);
  return agentLocations.filter((l) => others.has(l));
}

/** Every other location of the enabled checks at `location` that ask for confirmations. */
function confirmingLocations(location: string, checks: readonly Check[]): Set<string> {
  const others = new Set<string>();
  for (const c of checks) {
    if (!c.enabled || !c.alerting.confirm || !c.locations.includes(location)) continue;
    for (const l of c.locations) if (l !== location) others.add(l);
  }
  return others;
}

/** `INSTANCE_FUNCTIONS` of one instance: the other instances of its location, id → ARN. */
export function otherInstances(instances: readonly ProbeInstance[], id: string): Record<string, string> {
  return Object.fromEntries(instances.filter((i) => i.id !== undefined && i.id !== id).map((i) => [i.id!, i.arn]));
}

/**
 * An environment's size as deployed: keys and values, with the partition and account tokens of the
 * ARNs replaced by their longest values (`aws-iso-b`, 12 digits).
 */
export function renderedEnvironmentBytes(env: Readonly<Record<string, string>>): number {
  const rendered = (v: string) => v.split(Aws.PARTITION).join('aws-iso-b').split(Aws.ACCOUNT_ID).join('123456789012');
  return Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(rendered(v)), 0);
}

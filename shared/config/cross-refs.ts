/**
 * Rules that relate one part of a config to another: duplicate ids, unknown channels and locations,
 * a timeout longer than its interval, a quorum larger than the locations, the alert policy's fields
 * (./policy-refs.ts), the SLOs (./slo-refs.ts) and the maintenance windows (./maintenance-refs.ts).
 * They read the config as written (./raw.ts), so they are reported in the same run as schema errors;
 * a part too malformed to compare is skipped here, since the schema already reports it.
 */
import type { ConfigIssue } from '../errors.ts';
import { DEFAULT_INTERVAL_MS, DEFAULT_LOCATIONS, DEFAULT_TIMEOUT_MS } from './defaults.ts';
import { deploymentIssues, unknownLocationIssues } from './deployment.ts';
import { DURATION_MAX_MS, parseDuration } from './duration.ts';
import { icmpCountIssues } from './icmp.ts';
import { maintenanceIssues } from './maintenance-refs.ts';
import { policyIssues } from './policy-refs.ts';
import { sloRefIssues } from './slo-refs.ts';
import { arrayOf, isRecord, issue, own, recordOf, type RawPath, type RawRecord } from './raw.ts';


/**
 * A duration field: its default when absent, its value when valid, undefined when it cannot be read
 * or is past its field's bound (the schema reports those; comparing them would only say it twice).
 */
function durationOf(v: unknown, fallback: number | undefined, maxMs: number): number | undefined {
  if (v === undefined) return fallback;
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  return ms !== undefined && ms > 0 && ms <= maxMs ? ms : undefined;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function duplicateIds(checks: readonly unknown[]): ConfigIssue[] {
  const seen = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  checks.forEach((c, i) => {
    const id = own(c, 'id');
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first !== undefined) issues.push(issue(['checks', i, 'id'], `duplicate id "${id}" (also checks[${first}])`));
    else seen.set(id, i);
  });
  return issues;
}

function unknownChannels(cfg: RawRecord, checks: readonly unknown[]): ConfigIssue[] {
  const declared = own(cfg, 'channels');
  // A channels block of the wrong shape is the schema's to report; every name would look unknown.
  if (declared !== undefined && !isRecord(declared)) return [];
  const known = recordOf(declared);
  const names = (list: unknown, at: RawPath) => arrayOf(list).flatMap((name, j) =>
    (typeof name === 'string' && !Object.hasOwn(known, name) ? [issue([...at, j], `unknown channel "${name}"`)] : []));
  // The alerting block's own channels and each escalation level's.
  const inAlerting = (alerting: unknown, at: RawPath) => [
    ...names(own(alerting, 'channels'), [...at, 'channels']),
    ...arrayOf(own(alerting, 'escalate')).flatMap((level, j) => names(own(level, 'channels'), [...at, 'escalate', j, 'channels'])),
  ];
  return [
    ...inAlerting(own(own(cfg, 'defaults'), 'alerting'), ['defaults', 'alerting']),
    ...checks.flatMap((c, i) => inAlerting(own(c, 'alerting'), ['checks', i, 'alerting'])),
  ];
}

function timeoutOverInterval(defaults: RawRecord, checks: readonly unknown[]): ConfigIssue[] {
  const dInterval = durationOf(own(defaults, 'interval'), DEFAULT_INTERVAL_MS, DURATION_MAX_MS.interval);
  const dTimeout = durationOf(own(defaults, 'timeout'), DEFAULT_TIMEOUT_MS, DURATION_MAX_MS.probe);
  return checks.flatMap((c, i) => {
    if (!isRecord(c)) return [];
    const ownTimeout = own(c, 'timeout');
    const ownInterval = own(c, 'interval');
    const timeout = durationOf(ownTimeout, dTimeout, DURATION_MAX_MS.probe);
    const interval = durationOf(ownInterval, dInterval, DURATION_MAX_MS.interval);
    if (timeout === undefined || interval === undefined || timeout <= interval) return [];
    // On the field this check wrote; when it wrote neither, the defaults are the mistake.
    const where: RawPath = ownTimeout !== undefined ? ['checks', i, 'timeout'] : ownInterval !== undefined ? ['checks', i, 'interval'] : ['defaults', 'timeout'];
    return [issue(where, `timeout (${timeout}ms) is longer than the interval (${interval}ms)`)];
  });
}

function quorumOverLocations(defaults: RawRecord, checks: readonly unknown[]): ConfigIssue[] {
  const dQuorum = own(own(defaults, 'alerting'), 'quorum');
  const dLocations = own(defaults, 'locations') ?? DEFAULT_LOCATIONS;
  return checks.flatMap((c, i) => {
    if (!isRecord(c)) return [];
    const ownQuorum = own(own(c, 'alerting'), 'quorum');
    const quorum = ownQuorum ?? dQuorum;
    const locations = own(c, 'locations') ?? dLocations;
    if (!isCount(quorum) || !Array.isArray(locations) || locations.length === 0 || quorum <= locations.length) return [];
    const id = own(c, 'id');
    const where: RawPath = ownQuorum !== undefined ? ['checks', i, 'alerting', 'quorum'] : ['defaults', 'alerting', 'quorum'];
    return [issue(where, `quorum ${quorum} is more than the ${locations.length} location(s) of check ${typeof id === 'string' ? `"${id}"` : `checks[${i}]`}`)];
  });
}

/** Every cross-reference problem in a config as written, each with its path. */
export function crossRefIssues(input: unknown): ConfigIssue[] {
  if (!isRecord(input)) return [];
  const checks = arrayOf(own(input, 'checks'));
  const defaults = recordOf(own(input, 'defaults'));
  const deployment = own(input, 'deployment');
  return [
    ...duplicateIds(checks),
    ...unknownChannels(input, checks),
    ...timeoutOverInterval(defaults, checks),
    ...quorumOverLocations(defaults, checks),
    ...icmpCountIssues(input),
    ...policyIssues(defaults, checks),
    ...sloRefIssues(defaults, checks),
    ...maintenanceIssues(input, checks),
    ...(isRecord(deployment) ? [...deploymentIssues(deployment), ...unknownLocationIssues(deployment, defaults, checks)] : []),
  ];
}

/**
 * What the config knows about `icmp` checks beyond their schema: the bounds the prober relies on, the
 * rule that a check's echo requests fit in its timeout, and the deploy-only rule that keeps ICMP out
 * of the locations that cannot send it.
 *
 * An AWS region (`deployment.locations`) and a VPC Lambda private location (`deployment.privateLocations`)
 * run their probe as a Lambda function. Lambda's sandbox gives a function neither CAP_NET_RAW nor ICMP
 * datagram sockets, and there is no way to ask for either, so an ICMP check there could only ever
 * report that it cannot send. An agent location (`deployment.agentLocations`) is served by
 * `vantage agent` on a Linux host the team runs, which can (shared/probe/icmp-access.ts says what
 * a host needs and which part is missing), so ICMP checks are allowed there, as in `vantage check`,
 * `vantage run` and `vantage dev` on such a host.
 */
import type { ConfigIssue } from '../errors.ts';
import { DEFAULT_LOCATIONS, DEFAULT_TIMEOUT_MS } from './defaults.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { arrayOf, isRecord, issue, own, recordOf, type RawPath } from './raw.ts';

/**
 * Time between echo requests (ping's `-i`). 200 ms is the shortest interval iputils allowed an
 * unprivileged user before 20210202, so it works with every ping an agent image may carry.
 */
export const ICMP_SEND_INTERVAL_MS = 200;
/** At most this many echo requests per probe: 19 intervals, 3.8 s of sending, within the 5 s default timeout. */
export const ICMP_MAX_COUNT = 20;
/** The send time ping writes into each payload (a 16-byte struct timeval) must fit, or replies carry no RTT. */
export const ICMP_MIN_PAYLOAD = 16;
/** An IPv4 datagram's 65535 bytes less the IP (20) and ICMP (8) headers (RFC 791, RFC 792). */
export const ICMP_MAX_PAYLOAD = 65_507;
/** The last echo request's reply gets at least this long inside the timeout (a satellite hop is ~600 ms round trip). */
export const ICMP_MIN_REPLY_WAIT_MS = 500;
const DEFAULT_COUNT = 3;

/** The timeout an `icmp` check needs for `count` echo requests and the wait for the last reply. */
export function icmpTimeoutNeeded(count: number): number {
  return (count - 1) * ICMP_SEND_INTERVAL_MS + ICMP_MIN_REPLY_WAIT_MS;
}

const durationOf = (v: unknown): number | undefined => (typeof v === 'string' ? parseDuration(v) : undefined);

/**
 * Each `icmp` check whose count does not fit its timeout, on the field it wrote (its count, else its
 * own timeout, else `defaults.timeout`). Reads the config as written; malformed fields are the schema's.
 */
export function icmpCountIssues(input: unknown): ConfigIssue[] {
  const defaults = recordOf(own(input, 'defaults'));
  const dTimeout = own(defaults, 'timeout') === undefined ? DEFAULT_TIMEOUT_MS : durationOf(own(defaults, 'timeout'));
  return arrayOf(own(input, 'checks')).flatMap((c, i) => {
    const icmp = own(c, 'icmp');
    if (!isRecord(icmp)) return [];
    const ownCount = own(icmp, 'count');
    const count = ownCount ?? DEFAULT_COUNT;
    const ownTimeout = own(c, 'timeout');
    const timeout = ownTimeout === undefined ? dTimeout : durationOf(ownTimeout);
    // A count out of its bounds is the schema's to report.
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > ICMP_MAX_COUNT || timeout === undefined) return [];
    const needed = icmpTimeoutNeeded(count);
    if (timeout >= needed) return [];
    const where: RawPath = ownCount !== undefined ? ['checks', i, 'icmp', 'count'] : ownTimeout !== undefined ? ['checks', i, 'timeout'] : ['defaults', 'timeout'];
    return [issue(where, `${count} echo request(s) ${ICMP_SEND_INTERVAL_MS}ms apart and ${ICMP_MIN_REPLY_WAIT_MS}ms for the last reply need a timeout of at least ${formatDuration(needed)}; the check's is ${formatDuration(timeout)}: lower icmp.count or raise the timeout`)];
  });
}

const WHY_NOT_LAMBDA = 'Lambda cannot send ICMP (its sandbox has neither CAP_NET_RAW nor ICMP datagram sockets); use an agent location (deployment.agentLocations, served by `vantage agent`) instead, or run it with `vantage check`/`vantage run` on a host that can ping';

/**
 * Each place an `icmp` check names a Lambda location the deployment declares (a region or a private
 * location; an agent location can ping): `checks[i].locations[j]`, or `checks[i].icmp` when the check
 * inherits `defaults.locations`. Works on the config as written and on a loaded one (whose checks
 * carry their locations), like the rest of ./deploy-only.ts. An undeclared name is ./deployment.ts's
 * to report.
 */
export function icmpLocationIssues(input: unknown): ConfigIssue[] {
  const d = own(input, 'deployment');
  const names = (list: readonly unknown[]) => new Set(list.filter((n): n is string => typeof n === 'string'));
  const regions = names(arrayOf(own(d, 'locations')));
  const privates = names(arrayOf(own(d, 'privateLocations')).map((p) => own(p, 'name')));
  const kindOf = (name: unknown) => (typeof name !== 'string' ? undefined : regions.has(name) ? 'an AWS region location' : privates.has(name) ? 'a VPC Lambda private location' : undefined);
  const inherited = own(recordOf(own(input, 'defaults')), 'locations') ?? DEFAULT_LOCATIONS;
  return arrayOf(own(input, 'checks')).flatMap((c, i) => {
    if (!isRecord(own(c, 'icmp'))) return [];
    const written = own(c, 'locations');
    return arrayOf(written ?? inherited).flatMap((name, j) => {
      const kind = kindOf(name);
      if (kind === undefined) return [];
      const path: RawPath = written !== undefined ? ['checks', i, 'locations', j] : ['checks', i, 'icmp'];
      const via = written !== undefined ? '' : ' (from defaults.locations)';
      return [issue(path, `an icmp check cannot run in "${String(name)}"${via}, ${kind}: ${WHY_NOT_LAMBDA}`)];
    });
  });
}

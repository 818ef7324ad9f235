/**
 * The ICMP prober (Blackbox Exporter's `icmp`): `count` echo requests to one address, up while at
 * least one is answered, with the loss and the round-trip times of the replies.
 *
 * How the echo requests are sent: by iputils `ping`, spawned once per probe. Node has no ICMP or raw
 * socket API, and the npm modules that add one are native addons (raw-socket, net-ping on top of it)
 * built by node-gyp at install time, or prebuilt only for older Node ABIs; they also open raw sockets
 * only, needing CAP_NET_RAW even where the kernel offers unprivileged ICMP datagram sockets. iputils
 * ping uses the datagram socket when `net.ipv4.ping_group_range` admits the process's group and a raw
 * socket (its own file capability, or the process's) otherwise, measures each RTT from the send time
 * it writes into the packet, and is one Debian package (`iputils-ping`) in any agent image. What the
 * host lacks is found before any probe (./icmp-access.ts) and reported as `icmp_unavailable`.
 *
 * The result, against the probe contract (./types.ts):
 * - phases: `dns` is the lookup of a host name (absent for an address literal), `total` the whole
 *   probe. There is no connection, so no connect, tls, ttfb or transfer. The RTTs are per packet and
 *   measured by ping, so they are the `icmp` block's own fields (`rtt.min/avg/max/mdev`), with `sent`,
 *   `received`, `errors` and `lossPercent`.
 * - failure reasons, from ping's exit code (0 a reply came, 1 none did, 2 an error before or while
 *   sending) and its counts: `dns` (the name did not resolve), `packet_loss` (exit 1, nothing answered
 *   and nothing reported an error), `connect_error` (exit 1 with ICMP errors such as destination
 *   unreachable or a local send error instead of replies, or exit 2: no route, a blackhole, a
 *   prohibit route; the reason TCP gives for EHOSTUNREACH and ENETUNREACH, which is what an ICMP
 *   destination unreachable becomes on a TCP connect), `timeout` (stopped by the probe's signal), `icmp_unavailable` (no ping, no
 *   permission, or a ping the kernel will not start: what ./icmp-access.ts finds, or a launcher's exit
 *   126/127), `internal`.
 * - the bound: the last reply is waited for only as long as the timeout leaves (ping's `-W`), so ping
 *   normally ends by itself; it is interrupted just before the timeout regardless, and on the probe's
 *   signal (./icmp-ping.ts), and dies with this process (setpriv's parent-death signal). Where the
 *   kernel clears that signal (a non-root process starting a ping with a file capability), an
 *   orphaned ping still ends by itself within the check's timeout, because of the same `-W`.
 */
import { isIP } from 'node:net';
import { ICMP_SEND_INTERVAL_MS } from '../config/icmp.ts';
import type { IcmpCheck } from '../config/schema.ts';
import { traceLookup } from './debug-entries.ts';
import { classifyError } from './classify.ts';
import { icmpAccess, type IcmpAccess, type IcmpHost } from './icmp-access.ts';
import { parsePingSummary, pingArgs, runPing, type PingRun, type PingSummary } from './icmp-ping.ts';
import { lookupAddress } from './lookup.ts';
import type { Failure, IcmpInfo, ProbeFn, ProbeOutcome } from './types.ts';

/**
 * ping is interrupted this long before the timeout, so its summary (and this result) is in before
 * the runner's own deadline; its reply wait ends earlier still by ping's start-up and scheduling slack.
 */
const STOP_RESERVE_MS = 50;
const START_SLACK_MS = 50;

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

function icmpInfo(s: PingSummary): IcmpInfo {
  const lossPercent = s.transmitted === 0 ? 100 : Math.round(((s.transmitted - s.received) / s.transmitted) * 1000) / 10;
  return { sent: s.transmitted, received: s.received, errors: s.errors, lossPercent, ...(s.rtt && { rtt: s.rtt }) };
}

/** The failure a finished ping run amounts to, or undefined when it is up. */
function failureOf(run: PingRun, summary: PingSummary | undefined, ping: string, address: string, waitedMs: number): Failure | undefined {
  // ./icmp-access.ts started ping once already; this is a host that changed since (ping removed, made unexecutable).
  if (run.spawnError !== undefined) return { reason: 'icmp_unavailable', message: `cannot start ${ping} (${run.spawnError})` };
  // setpriv's (and a shell's) exit codes for "cannot execute" and "not found"; ping's own are 0-2.
  if (run.exitCode === 126 || run.exitCode === 127) return { reason: 'icmp_unavailable', message: `cannot start ${ping} (its launcher exited ${run.exitCode})` };
  const sent = summary ? `${summary.transmitted} echo request(s)` : 'echo requests';
  if (run.stopped === 'signal') return { reason: 'timeout', message: `stopped after ${sent} to ${address}` };
  switch (run.exitCode) {
    case 0: return undefined;
    case 1:
      return summary && summary.errors > 0
        ? { reason: 'connect_error', message: `no echo reply from ${address}: ${summary.errors} error(s) instead (ICMP destination unreachable or time exceeded, or a local send error such as a packet over the path MTU with dontFragment)` }
        : { reason: 'packet_loss', message: `no reply to ${sent} to ${address} within ${Math.round(waitedMs)}ms` };
    case 2: return { reason: 'connect_error', message: `ping could not send to ${address}${run.stderr ? `: ${run.stderr}` : ''}` };
    default: return { reason: 'internal', message: `ping ended with exit code ${run.exitCode ?? 'none (killed)'} and ${summary ? 'a' : 'no'} summary` };
  }
}

export interface IcmpProber {
  probe: ProbeFn<IcmpCheck>;
  /** Finds ping, setpriv and the permission now (a spawn or two), so no probe's total pays for it. */
  prepare: () => Promise<IcmpAccess>;
}

/** The prober for one host's facts; the registry's reads the real host (./icmp-access.ts). */
export function makeIcmpProber(host: IcmpHost = {}): IcmpProber {
  // Found once; a host found lacking is asked again next probe, so installing ping needs no restart.
  let access: Promise<IcmpAccess> | undefined;
  const accessOnce = () => (access ??= icmpAccess(host).then((a) => { if (!a.ok) access = undefined; return a; }));

  const probe: ProbeFn<IcmpCheck> = async (check, ctx) => {
    const t0 = performance.now();
    const total = () => round3(performance.now() - t0);
    const { host: target, ipFamily, count, packetSize, dontFragment } = check.icmp;
    const down = (failure: Failure, extra: Partial<ProbeOutcome> = {}): ProbeOutcome =>
      ({ target, ok: false, assertions: [], ...extra, phases: { ...extra.phases, total: extra.phases?.total ?? total() }, failure });

    const found = await accessOnce();
    if (!found.ok) return down({ reason: 'icmp_unavailable', message: found.missing });

    let address: string;
    const tDns = performance.now();
    try {
      address = await lookupAddress(target, ipFamily, ctx.signal);
      if (ctx.debug && !isIP(target)) traceLookup(ctx.debug, target, null, address, undefined);
    } catch (err) {
      return down({ reason: classifyError(err, 'dns'), message: `cannot resolve ${target}: ${(err as NodeJS.ErrnoException).code ?? 'aborted'}` });
    }
    const phases = isIP(target) ? {} : { dns: round3(performance.now() - tDns) };

    const stopAfterMs = ctx.timeoutMs - (performance.now() - t0) - STOP_RESERVE_MS;
    const replyWaitMs = stopAfterMs - (count - 1) * ICMP_SEND_INTERVAL_MS - START_SLACK_MS;
    const family = isIP(address) === 6 ? 6 : 4;
    const run = await runPing({
      ping: found.ping,
      ...(found.setpriv !== undefined && { setpriv: found.setpriv }),
      args: pingArgs({ address, family, count, packetSize, dontFragment, replyWaitMs }),
      signal: ctx.signal,
      stopAfterMs,
    });
    const summary = parsePingSummary(run.stdout);
    // ping's own summary is the most a person can learn about ICMP here; Vantage parses only its totals.
    ctx.debug?.add({ phase: 'icmp', message: `${found.ping} ${address}`, fields: { output: run.stdout.trim().split('\n').slice(-4) } });
    const failure = failureOf(run, summary, found.ping, address, performance.now() - t0);
    const facts = { phases: { ...phases, total: total() }, remoteAddress: address, ...(summary && { icmp: icmpInfo(summary) }) };
    return failure ? down(failure, facts) : { target, ok: true, assertions: [], ...facts };
  };
  return { probe, prepare: accessOnce };
}

const onThisHost = makeIcmpProber();
export const probeIcmp: ProbeFn<IcmpCheck> = onThisHost.probe;
export const prepareIcmp = onThisHost.prepare;

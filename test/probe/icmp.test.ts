/**
 * The ICMP prober against real ping and real kernels: loopback (IPv4 and IPv6), and targets in
 * network namespaces this test builds (one that drops echo requests, a router that answers
 * "destination unreachable", no route at all, a link whose MTU is smaller than the packet).
 *
 * The namespaces need root and iproute2 (CI runs as root, like this machine). Where they cannot be
 * made, the tests that need them are skipped with the reason printed; loopback, the bounds and the
 * "what is missing" errors still run.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { IcmpCheck } from '../../shared/config/schema.ts';
import { makeIcmpProber } from '../../shared/probe/icmp.ts';
import { PROBERS, runProbe } from '../../shared/probe/index.ts';
import type { IcmpHost } from '../../shared/probe/icmp-access.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { IP, inNs, Namespaces, netnsUnavailable, PING } from '../support/netns.ts';
import { descendants, killAll, running, type Proc } from '../support/processes.ts';

function icmpCheck(spec: Record<string, unknown>, timeout = '5s'): IcmpCheck {
  return loadConfigObject({ checks: [{ id: 'icmp-test', icmp: spec, timeout, retries: 0 }] }).checks[0] as IcmpCheck;
}

const probeWith = (host: IcmpHost, check: IcmpCheck, signal?: AbortSignal): Promise<ProbeResult> =>
  runProbe(check, { registry: { ...PROBERS, icmp: makeIcmpProber(host).probe }, ...(signal && { signal }) });

/** Whether ::1 is configured (a kernel booted with IPv6 disabled has no /proc/net/if_inet6). */
function hasIpv6Loopback(): boolean {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8').includes('00000000000000000000000000000001');
  } catch {
    return false;
  }
}

describe('ICMP to loopback', () => {
  it.skipIf(!PING)('127.0.0.1 is up: every echo request of the count answered, RTTs and no loss', async () => {
    const r = await runProbe(icmpCheck({ host: '127.0.0.1', count: 4 }));
    expect(r).toMatchObject({ kind: 'icmp', ok: true, status: 'up', target: '127.0.0.1', remoteAddress: '127.0.0.1' });
    expect(r.failure).toBeUndefined();
    expect(r.icmp).toMatchObject({ sent: 4, received: 4, errors: 0, lossPercent: 0 });
    const rtt = r.icmp!.rtt!;
    expect(rtt.min).toBeGreaterThan(0);
    expect(rtt.min).toBeLessThanOrEqual(rtt.avg);
    expect(rtt.avg).toBeLessThanOrEqual(rtt.max);
    // An address has no lookup; the whole probe spans the three intervals between four sends.
    expect(r.phases.dns).toBeUndefined();
    expect(r.phases.total).toBeGreaterThanOrEqual(3 * 200);
  });

  it.skipIf(!PING || !hasIpv6Loopback())('::1 is up over IPv6', async () => {
    const r = await runProbe(icmpCheck({ host: '::1', count: 2, packetSize: 1000 }));
    expect(r).toMatchObject({ ok: true, status: 'up', remoteAddress: '::1' });
    expect(r.icmp).toMatchObject({ sent: 2, received: 2, lossPercent: 0 });
  });

  it.skipIf(!PING)('a host name is looked up first, as the dns phase, in the family asked for', async () => {
    const r = await runProbe(icmpCheck({ host: 'localhost', ipFamily: 4, count: 1 }));
    expect(r).toMatchObject({ ok: true, remoteAddress: '127.0.0.1' });
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
    expect(r.icmp).toMatchObject({ sent: 1, received: 1 });
  });

  it('a name that does not resolve fails with dns, before ping runs', async () => {
    const r = await runProbe(icmpCheck({ host: 'no-such-host.invalid' }));
    expect(r.failure?.reason).toBe(PING ? 'dns' : 'icmp_unavailable');
    expect(r.icmp).toBeUndefined();
  });
});

describe('what is missing, said before probing', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'vantage-icmp-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no ping on PATH: icmp_unavailable, naming the package', async () => {
    const r = await probeWith({ path: dir }, icmpCheck({ host: '127.0.0.1' }));
    expect(r).toMatchObject({ ok: false, status: 'down', failure: { reason: 'icmp_unavailable' } });
    expect(r.failure!.message).toContain(`no ping program (PATH (${dir}))`);
    expect(r.failure!.message).toContain('install iputils-ping');
  });

  it('a ping path that does not exist: the same, naming the path', async () => {
    const r = await probeWith({ ping: join(dir, 'nope', 'ping') }, icmpCheck({ host: '127.0.0.1' }));
    expect(r.failure).toMatchObject({ reason: 'icmp_unavailable' });
    expect(r.failure!.message).toContain(join(dir, 'nope', 'ping'));
  });

  it('no group in ping_group_range, no CAP_NET_RAW, and a ping that cannot open a socket: says all three', async () => {
    // Stands for a ping without a file capability: iputils exits 2 when socket() fails.
    const fake = join(dir, 'ping-without-capability');
    writeFileSync(fake, '#!/bin/sh\necho "ping: socket: Operation not permitted" >&2\nexit 2\n');
    chmodSync(fake, 0o755);
    const host: IcmpHost = { ping: fake, readPingGroupRange: () => '1\t0\n', readCapEff: () => '000001fffeffdfff', groups: () => [1000, 27], setpriv: false };
    const r = await probeWith(host, icmpCheck({ host: '127.0.0.1' }));
    expect(r.failure?.reason).toBe('icmp_unavailable');
    const m = r.failure!.message;
    expect(m).toContain("no ICMP datagram sockets for this process's groups (1000, 27; net.ipv4.ping_group_range is \"1 0\")");
    expect(m).toContain('no CAP_NET_RAW in its effective capabilities');
    expect(m).toContain(`${fake} could not open a raw socket by a privilege of its own either`);
    expect(m).toContain('sysctl -w net.ipv4.ping_group_range="0 2147483647"');
  });

  it.skipIf(!PING)('a group within ping_group_range is enough, with no capability at all', async () => {
    const host: IcmpHost = { readPingGroupRange: () => '0\t2147483647', readCapEff: () => '0000000000000000', groups: () => [0] };
    const r = await probeWith(host, icmpCheck({ host: '127.0.0.1', count: 1 }));
    expect(r).toMatchObject({ ok: true, icmp: { received: 1 } });
  });

  it.skipIf(!PING)('CAP_NET_RAW is enough, with no group in the range', async () => {
    const host: IcmpHost = { readPingGroupRange: () => '1\t0', readCapEff: () => '0000000000002000', groups: () => [1000] };
    const r = await probeWith(host, icmpCheck({ host: '127.0.0.1', count: 1 }));
    expect(r).toMatchObject({ ok: true, icmp: { received: 1 } });
  });

  it.skipIf(!PING)('a ping that works on its own (the readers say neither) is used', async () => {
    // Root here, so the real ping can open its socket although the injected facts say no group and no capability.
    const host: IcmpHost = { readPingGroupRange: () => '1\t0', readCapEff: () => '0', groups: () => [1000] };
    const r = await probeWith(host, icmpCheck({ host: '127.0.0.1', count: 1 }));
    expect(r).toMatchObject({ ok: true, icmp: { received: 1 } });
  });
});

const whyNoNetns = netnsUnavailable();
if (whyNoNetns) console.warn(`icmp namespace tests skipped: ${whyNoNetns}`);

describe.skipIf(whyNoNetns !== undefined)('ICMP in namespaces this test builds', () => {
  const ns = new Namespaces();
  let dir: string;
  /** A ping that runs in a namespace where nothing answers echo requests. */
  let silentPing: string;
  /** A ping from a host (192.0.2.1) whose router (192.0.2.2) has no route to 198.51.100.0/24 and says so. */
  let routedPing: string;
  const leftovers: Proc[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-icmp-ns-'));
    const silent = ns.add('silent');
    // Per namespace since Linux 4.x: the kernel answers no echo request in it, as a firewalled host.
    inNs(silent, 'sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1');
    silentPing = ns.pingWrapper(join(dir, 'silent'), silent);

    const hostNs = ns.add('host');
    const router = ns.add('router');
    // Documentation ranges (RFC 5737), inside namespaces only.
    ns.link(hostNs, '192.0.2.1', router, '192.0.2.2');
    inNs(hostNs, IP!, 'route', 'add', 'default', 'via', '192.0.2.2');
    inNs(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // ICMP errors are rate-limited per destination (1/s by default); a test sends several a second.
    inNs(router, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0');
    inNs(router, IP!, 'route', 'add', 'unreachable', '198.51.100.0/24');
    routedPing = ns.pingWrapper(join(dir, 'routed'), hostNs);
  });

  afterAll(() => {
    killAll(leftovers);
    ns.deleteAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a target that drops every echo request: packet_loss, 100% loss, after waiting as long as the timeout allows', async () => {
    const check = icmpCheck({ host: '127.0.0.1', count: 3 }, '1500ms');
    const r = await probeWith({ ping: silentPing }, check);
    expect(r).toMatchObject({ ok: false, status: 'down', failure: { reason: 'packet_loss' } });
    expect(r.icmp).toEqual({ sent: 3, received: 0, errors: 0, lossPercent: 100 });
    // The prober answered itself, before the runner's deadline (whose failure says "no result within").
    expect(r.failure!.message).toMatch(/^no reply to 3 echo request\(s\) to 127\.0\.0\.1 within \d+ms$/);
    // It waited for the last reply for what the timeout left, not ping's default 10 s and not nothing.
    expect(r.phases.total).toBeGreaterThan(0.8 * check.timeout);
  });

  it('the timeout sets the wait: twice the timeout waits about a second longer', async () => {
    const short = await probeWith({ ping: silentPing }, icmpCheck({ host: '127.0.0.1', count: 2 }, '1s'));
    const long = await probeWith({ ping: silentPing }, icmpCheck({ host: '127.0.0.1', count: 2 }, '2s'));
    expect([short.failure?.reason, long.failure?.reason]).toEqual(['packet_loss', 'packet_loss']);
    // About 1 s; the margin is for spawning two pings on a busy 2-core machine, and the bound still
    // tells the timeout's wait apart from none and from ping's own 10 s default.
    const extra = long.phases.total - short.phases.total;
    expect(extra).toBeGreaterThan(500);
    expect(extra).toBeLessThan(2_500);
  });

  it('a router that answers destination unreachable: connect_error, with the errors counted', async () => {
    const check = icmpCheck({ host: '198.51.100.7', count: 3 });
    const r = await probeWith({ ping: routedPing }, check);
    expect(r.failure?.reason).toBe('connect_error');
    expect(r.icmp?.received).toBe(0);
    expect(r.icmp?.errors).toBeGreaterThan(0);
  });

  it('no route at all (ping exits 2 before sending): connect_error, and no echo statistics', async () => {
    const r = await probeWith({ ping: silentPing }, icmpCheck({ host: '203.0.113.9' }));
    expect(r.failure?.reason).toBe('connect_error');
    expect(r.failure!.message).toMatch(/^ping could not send to 203\.0\.113\.9/);
    expect(r.icmp).toBeUndefined();
  });

  it('dontFragment: a packet over the link MTU fails with DF and passes fragmented without it', async () => {
    const big = { host: '192.0.2.2', count: 2, packetSize: 1600 };
    const df = await probeWith({ ping: routedPing }, icmpCheck({ ...big, dontFragment: true }));
    expect(df.failure?.reason).toBe('connect_error');
    expect(df.icmp).toMatchObject({ received: 0, lossPercent: 100 });
    expect(df.icmp!.errors).toBeGreaterThan(0);
    const fragmented = await probeWith({ ping: routedPing }, icmpCheck(big));
    expect(fragmented).toMatchObject({ ok: true, icmp: { sent: 2, received: 2 } });
    // Just under the 1500-byte MTU (1472 + 8 ICMP + 20 IP), DF is no obstacle.
    const fits = await probeWith({ ping: routedPing }, icmpCheck({ ...big, packetSize: 1472, dontFragment: true }));
    expect(fits).toMatchObject({ ok: true, icmp: { received: 2 } });
  });

  it('cancelling the run stops ping at once: the result is aborted and the child is gone', async () => {
    const check = icmpCheck({ host: '127.0.0.1', count: 3 }, '20s');
    const cancel = new AbortController();
    const pending = probeWith({ ping: silentPing }, check, cancel.signal);
    const child = await pingChildOf(process.pid);
    leftovers.push(child);
    const t0 = performance.now();
    cancel.abort();
    const r = await pending;
    const afterAbort = performance.now() - t0;
    expect(r.failure?.reason).toBe('aborted');
    // The run waits for ping to exit, so by the result it is gone, not merely signalled.
    expect(running(child)).toBe(false);
    // Against ping's own end about 20 s away.
    expect(afterAbort).toBeLessThan(check.timeout / 4);
  });
});

/** The ping this process started (through its wrapper, so under exe `ping` once `ip` has exec'd it). */
async function pingChildOf(pid: number): Promise<Proc> {
  for (;;) {
    const found = descendants(pid).find((p) => p.exe === 'ping');
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

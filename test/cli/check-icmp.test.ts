/**
 * `vantage check icmp://…` end to end: the real CLI process, the real ping, and what a user sees when
 * this host cannot send ICMP or the CLI is killed mid-probe.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../shared/executable.ts';
import { parseGroupRange } from '../../shared/probe/icmp-access.ts';
import { runCli } from '../support/cli.ts';
import { inNs, IP, Namespaces, netnsUnavailable, PING } from '../support/netns.ts';
import { descendants, killAll, running, type Proc } from '../support/processes.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLI = join(ROOT, 'cli/vantage.mjs');
const setpriv = findExecutable('setpriv');
/** setpriv's arguments that start a process with no CAP_NET_RAW, not even one a file capability would give. */
const NO_NET_RAW = ['--bounding-set=-net_raw', '--inh-caps=-net_raw', '--'];
/** Whether this host's ping has a file capability: then it cannot even be started without NET_RAW in the bounding set. */
const PING_HAS_FILE_CAP = !!setpriv && !!PING && spawnSync(setpriv, [...NO_NET_RAW, PING, '-V']).status !== 0;

function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; via?: string[] } = {}) {
  const [command, ...prefix] = opts.via ?? [NODE];
  const argv = opts.via ? [...prefix, NODE, CLI, ...args] : [CLI, ...args];
  return spawnSync(command!, argv, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: opts.env ?? process.env });
}

describe.skipIf(!PING)('vantage check icmp://', () => {
  it('127.0.0.1: exit 0 and one line with the replies, the loss and the RTTs', () => {
    const r = cli(['check', 'icmp://127.0.0.1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^icmp:\/\/127\.0\.0\.1 +- +UP .* 3\/3 replies, 0% loss, rtt min\/avg\/max \d+\.\d+\/\d+\.\d+\/\d+\.\d+ ms$/m);
  });

  it('[::1] with count, size and df, as JSON', async () => {
    const r = await runCli(['check', 'icmp://[::1]?count=2&size=100&df=1', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { kind: string; status: string; target: string; icmp: { sent: number; received: number; lossPercent: number; rtt: { avg: number } } };
    expect(result).toMatchObject({ kind: 'icmp', status: 'up', target: '::1', icmp: { sent: 2, received: 2, lossPercent: 0 } });
    expect(result.icmp.rtt.avg).toBeGreaterThan(0);
  });

  it.each([
    ['icmp://127.0.0.1:7', 'icmp:// takes a host only, with no port or path (ICMP has neither)'],
    ['icmp://127.0.0.1?count=0', 'icmp.count: Too small: expected number to be >=1'],
    ['icmp://127.0.0.1?size=8', 'icmp.packetSize: Too small: expected number to be >=16'],
    ['icmp://127.0.0.1?cuont=2', 'icmp:// knows count, size, df, not "cuont"'],
    ['icmp://127.0.0.1?df=maybe', 'icmp.dontFragment: Invalid input: expected boolean, received string'],
  ])('%s is a usage error: %s', async (target, message) => {
    const r = await runCli(['check', target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('a count that does not fit the timeout is a usage error naming both', async () => {
    const r = await runCli(['check', 'icmp://127.0.0.1?count=10', '--timeout', '1s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('icmp.count: 10 echo request(s) 200ms apart and 500ms for the last reply need a timeout of at least 2300ms; the check\'s is 1s');
  });
});

describe('when this host cannot send ICMP', () => {
  it('no ping on PATH: DOWN with icmp_unavailable and the package to install, exit 1', () => {
    const empty = mkdtempSync(join(tmpdir(), 'vantage-nopath-'));
    try {
      const r = cli(['check', 'icmp://127.0.0.1', '--retries', '0'], { env: { ...process.env, PATH: empty } });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`icmp_unavailable: cannot send ICMP: no ping program (PATH (${empty})): install iputils-ping`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  // The real thing, not injected facts: the CLI runs without CAP_NET_RAW in its bounding set, so
  // neither it nor ping's file capability can have it, and only ping_group_range could still allow a
  // socket. Possible where setpriv exists and the range admits none of this process's groups.
  const range = parseGroupRange(readRange());
  const groups = [process.getgid!(), ...process.getgroups!()];
  const rangeAdmits = range !== undefined && groups.some((g) => g >= range.low && g <= range.high);
  it.skipIf(!PING || !setpriv || rangeAdmits)('without CAP_NET_RAW and outside ping_group_range: says which of the two is missing', () => {
    const r = cli(['check', 'icmp://127.0.0.1', '--retries', '0'], { via: [setpriv!, ...NO_NET_RAW] });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('icmp_unavailable: cannot send ICMP: ');
    expect(r.stdout).toContain("no ICMP datagram sockets for this process's groups");
    expect(r.stdout).toContain('net.ipv4.ping_group_range is');
    // Debian's ping (cap_net_raw=ep) cannot even start here; a ping without the file capability starts and finds no socket.
    expect(r.stdout).toMatch(PING_HAS_FILE_CAP ? /because it carries a file capability \(cap_net_raw\) that this process's capability bounding set withholds/ : /no CAP_NET_RAW in its effective capabilities/);
    expect(r.stdout).toContain('add NET_RAW to the container');
  });
});

function readRange(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8');
  } catch {
    return undefined;
  }
}

const whyNoNetns = netnsUnavailable();

describe.skipIf(whyNoNetns !== undefined || !setpriv)('without CAP_NET_RAW, where ping_group_range allows ICMP datagram sockets', () => {
  // ping_group_range is per network namespace: this one admits every group, the host's need not.
  const ns = new Namespaces();
  let dir: string;
  let open: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-icmp-dgram-'));
    open = ns.add('dgram');
    inNs(open, 'sysctl', '-qw', 'net.ipv4.ping_group_range=0 2147483647');
    // A copy drops the file capability, as a ping installed without setcap has none.
    mkdirSync(join(dir, 'plain'));
    copyFileSync(PING!, join(dir, 'plain', 'ping'));
  });
  afterAll(() => {
    ns.deleteAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unprivileged process pings through a datagram socket: exit 0 with the RTTs', () => {
    const r = cli(['check', 'icmp://127.0.0.1', '--retries', '0'], {
      via: [IP!, 'netns', 'exec', open, setpriv!, ...NO_NET_RAW],
      env: { ...process.env, PATH: `${join(dir, 'plain')}:${process.env.PATH ?? ''}` },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ UP .* 3\/3 replies, 0% loss, rtt min\/avg\/max /);
  });

  // Debian's ping carries cap_net_raw=ep; the kernel will not exec it for a process whose bounding
  // set lacks NET_RAW, even though the datagram socket it would use needs no capability.
  it.skipIf(!PING_HAS_FILE_CAP)('a ping with a file capability it cannot get: icmp_unavailable saying so, with the fix', () => {
    const r = cli(['check', 'icmp://127.0.0.1', '--retries', '0'], { via: [IP!, 'netns', 'exec', open, setpriv!, ...NO_NET_RAW] });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`icmp_unavailable: cannot send ICMP: the kernel refuses to start ${PING} (EPERM) because it carries a file capability (cap_net_raw) that this process's capability bounding set withholds; this process's group may use ICMP datagram sockets, so ping needs no capability: remove it (setcap -r ${PING})`);
  });
});

describe.skipIf(whyNoNetns !== undefined)('the ping child dies with the CLI', () => {
  const ns = new Namespaces();
  let dir: string;
  const leftovers: Proc[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-icmp-kill-'));
    const silent = ns.add('cli-silent');
    inNs(silent, 'sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1');
    ns.pingWrapper(dir, silent);
  });
  afterAll(() => {
    killAll(leftovers);
    ns.deleteAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL of the CLI mid-probe takes ping with it (parent-death signal), long before ping would end', async () => {
    const timeoutMs = 20_000;
    // The CLI finds the namespace's ping first on PATH, and waits on a target that never answers.
    const child = spawn(NODE, [CLI, 'check', 'icmp://127.0.0.1', '--timeout', `${timeoutMs / 1000}s`], {
      cwd: ROOT, stdio: 'ignore', env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
    });
    const ping = await pingUnder(child.pid!);
    leftovers.push(ping);
    child.kill('SIGKILL');
    const t0 = performance.now();
    while (running(ping) && performance.now() - t0 < timeoutMs / 4) await new Promise((r) => setTimeout(r, 20));
    // Left to itself, ping would wait out its reply window, just under the 20 s timeout.
    expect(running(ping)).toBe(false);
  });
});

async function pingUnder(pid: number): Promise<Proc> {
  for (;;) {
    const found = descendants(pid).find((p) => p.exe === 'ping');
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

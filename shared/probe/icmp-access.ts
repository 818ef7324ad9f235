/**
 * Whether this host can send ICMP echo requests, and if not, exactly what is missing. Linux lets a
 * process send them in three ways (see ./icmp.ts for why ping is the sender):
 * - an ICMP datagram socket (`socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)`), open to a process one of
 *   whose groups is within `net.ipv4.ping_group_range` (also for IPv6);
 *   https://docs.kernel.org/networking/ip-sysctl.html#ping-group-range
 * - a raw socket, which needs CAP_NET_RAW in the process's effective set;
 *   https://man7.org/linux/man-pages/man7/raw.7.html
 * - a ping binary that brings the capability itself (Debian's postinst `setcap cap_net_raw+ep`, or
 *   set-user-ID root). Node cannot read file capabilities (an xattr), so when neither of the first two
 *   holds, one echo request to 127.0.0.1 tells: ping exits 2 when it cannot open a socket.
 * The facts are read through an injected `IcmpHost`, so a test can stand for a host without ping or
 * without permission.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findExecutable, findSetpriv } from '../executable.ts';

/** Bit 13 of the capability sets: CAP_NET_RAW (linux/capability.h). */
const CAP_NET_RAW = 13n;

/** Where the facts about this host come from. Every field has a default that reads the real host. */
export interface IcmpHost {
  /** `ping`'s name (looked up on `path`) or its path. @default 'ping' */
  ping?: string;
  /** The PATH ping is looked up on. @default process.env.PATH */
  path?: string;
  /** net.ipv4.ping_group_range as the kernel prints it (`1\t0`), undefined when unreadable. */
  readPingGroupRange?: () => string | undefined;
  /** The `CapEff:` hex word of /proc/self/status, undefined when unreadable. */
  readCapEff?: () => string | undefined;
  /** This process's group ids (the primary one and the supplementary ones). */
  groups?: () => number[];
  /** util-linux setpriv for the parent-death signal, or false for none. @default found on PATH */
  setpriv?: string | false;
}

/** How ping will be able to send, or what is missing. */
export type IcmpAccess =
  | { ok: true; ping: string; setpriv?: string; via: 'datagram' | 'raw' | 'binary' }
  | { ok: false; missing: string };

const readText = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

function readCapEff(): string | undefined {
  return /^CapEff:\s*([0-9a-f]+)$/m.exec(readText('/proc/self/status') ?? '')?.[1];
}

function processGroups(): number[] {
  return [...new Set([process.getgid?.(), ...(process.getgroups?.() ?? [])].filter((g) => g !== undefined))];
}

/** The kernel's form, two decimal numbers; `1 0` (the default: low above high) admits no group. */
export function parseGroupRange(text: string | undefined): { low: number; high: number } | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text ?? '');
  return m ? { low: Number(m[1]), high: Number(m[2]) } : undefined;
}

export function hasCapNetRaw(capEff: string | undefined): boolean {
  return capEff !== undefined && /^[0-9a-f]+$/i.test(capEff) && ((BigInt(`0x${capEff}`) >> CAP_NET_RAW) & 1n) === 1n;
}

/**
 * One echo request to loopback: ping exits 2 when it cannot open either socket. It ends by itself
 * within its 1 s reply wait (and is killed at 2 s), so it is not tied to any one probe's signal.
 */
function pingWorks(ping: string): Promise<boolean> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(ping, ['-n', '-q', '-c', '1', '-W', '1', '127.0.0.1'], { stdio: 'ignore', env: { LC_ALL: 'C' }, timeout: 2_000, killSignal: 'SIGKILL' });
    } catch {
      // spawn throws some exec failures (EPERM) instead of emitting them.
      resolve(false);
      return;
    }
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0 || code === 1));
  });
}

/**
 * The errno of starting `ping` once (`ping -V`), or undefined when it starts. capabilities(7), "Safety
 * checking for capability-dumb binaries": a binary with a file capability (Debian's ping has
 * cap_net_raw=ep) that the process's bounding set withholds (a container that drops NET_RAW) may not
 * be executed at all (EPERM), even where the datagram socket it would use needs no capability.
 */
function startError(ping: string): string | undefined {
  const r = spawnSync(ping, ['-V'], { stdio: 'ignore', timeout: 2_000, killSignal: 'SIGKILL' });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ETIMEDOUT' ? undefined : code;
}

const ALLOW_GROUP = 'allow a group (sysctl -w net.ipv4.ping_group_range="0 2147483647")';

/** The datagram-socket half of a "missing" message: which groups, and what the range says. */
function noDatagram(range: string | undefined, groups: number[]): string {
  const r = range === undefined ? 'unreadable' : `"${range.trim().replace(/\s+/g, ' ')}"`;
  return `no ICMP datagram sockets for this process's groups (${groups.join(', ') || 'none'}; net.ipv4.ping_group_range is ${r})`;
}

function unstartable(ping: string, code: string, datagram: boolean, range: string | undefined, groups: number[]): string {
  if (code !== 'EPERM') return `cannot send ICMP: cannot start ${ping} (${code})`;
  const refused = `the kernel refuses to start ${ping} (EPERM) because it carries a file capability (cap_net_raw) that this process's capability bounding set withholds`;
  return datagram
    ? `cannot send ICMP: ${refused}; this process's group may use ICMP datagram sockets, so ping needs no capability: remove it (setcap -r ${ping}), or add NET_RAW to the container's capabilities`
    : `cannot send ICMP: ${refused}, and ${noDatagram(range, groups)}: add NET_RAW to the container's capabilities, or ${ALLOW_GROUP} and remove the file capability (setcap -r ${ping})`;
}

function missingPermission(range: string | undefined, groups: number[], ping: string): string {
  return `cannot send ICMP: ${noDatagram(range, groups)}, no CAP_NET_RAW in its effective capabilities, and ${ping} could not open a raw socket by a privilege of its own either (a cap_net_raw file capability that the bounding set allows, or set-user-ID root): ${ALLOW_GROUP}, or grant the capability (setcap cap_net_raw+ep ${ping}, or add NET_RAW to the container's capabilities)`;
}

/**
 * What this host offers for ICMP. The binary is looked for first and started once; then the
 * permission is read, and the trial echo request runs only when neither a group nor the capability
 * allows a socket.
 */
export async function icmpAccess(host: IcmpHost): Promise<IcmpAccess> {
  const name = host.ping ?? 'ping';
  const ping = findExecutable(name, host.path ?? process.env.PATH);
  if (ping === undefined) {
    const where = name.includes('/') ? name : `PATH (${host.path ?? process.env.PATH ?? ''})`;
    return { ok: false, missing: `cannot send ICMP: no ping program (${where}): install iputils-ping (Debian, Ubuntu) or iputils (Alpine, Fedora)` };
  }
  const rangeText = (host.readPingGroupRange ?? (() => readText('/proc/sys/net/ipv4/ping_group_range')))();
  const range = parseGroupRange(rangeText);
  const groups = (host.groups ?? processGroups)();
  const datagram = range !== undefined && groups.some((g) => g >= range.low && g <= range.high);
  const startCode = startError(ping);
  if (startCode !== undefined) return { ok: false, missing: unstartable(ping, startCode, datagram, rangeText, groups) };
  const setpriv = host.setpriv === false ? undefined : (host.setpriv ?? findSetpriv());
  const found = { ok: true as const, ping, ...(setpriv !== undefined && { setpriv }) };
  if (datagram) return { ...found, via: 'datagram' };
  if (hasCapNetRaw((host.readCapEff ?? readCapEff)())) return { ...found, via: 'raw' };
  if (await pingWorks(ping)) return { ...found, via: 'binary' };
  return { ok: false, missing: missingPermission(rangeText, groups, ping) };
}

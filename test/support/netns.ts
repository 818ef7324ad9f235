/**
 * Network namespaces a test builds with iproute2, so ICMP can meet a target that drops echo requests,
 * a router that answers "destination unreachable", or a link whose MTU is smaller than a packet, with
 * every packet staying inside namespaces this test made (never the host's own network).
 *
 * A probe reaches into a namespace through a `ping` wrapper that runs the real ping there
 * (`ip netns exec NAME ping …`); `ip` execs the program once it has entered the namespace, so the
 * wrapper's pid is ping's own, as with ping itself.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../../shared/executable.ts';

const IP = findExecutable('ip', `${process.env.PATH ?? ''}:/usr/sbin:/sbin`);
export const PING = findExecutable('ping', `${process.env.PATH ?? ''}:/usr/bin:/bin`);

function ip(...args: string[]): void {
  const r = spawnSync(IP!, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** Runs a command inside a namespace; throws with its stderr when it fails. */
export function inNs(ns: string, ...cmd: string[]): void {
  ip('netns', 'exec', ns, ...cmd);
}

/** Why namespaces cannot be made here, or undefined when they can (root, iproute2, a kernel that allows it). */
export function netnsUnavailable(): string | undefined {
  if (!IP) return 'no ip (iproute2) binary';
  if (!PING) return 'no ping binary (apt-get install iputils-ping)';
  const name = `vantage-probe-${process.pid}`;
  const add = spawnSync(IP, ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  spawnSync(IP, ['netns', 'delete', name]);
  return undefined;
}

export class Namespaces {
  readonly names: string[] = [];
  private serial = 0;

  /** A namespace with loopback up. */
  add(label: string): string {
    const name = `vantage-${label}-${process.pid}`;
    ip('netns', 'add', name);
    this.names.push(name);
    inNs(name, IP!, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** A veth pair from namespace `a` (address `aAddr`) to `b` (`bAddr`), both /24 and up. */
  link(a: string, aAddr: string, b: string, bAddr: string, mtu?: number): void {
    const n = ++this.serial;
    // Interface names are at most 15 bytes (IFNAMSIZ).
    const va = `vna${n}-${process.pid % 100000}`;
    const vb = `vnb${n}-${process.pid % 100000}`;
    ip('link', 'add', va, 'type', 'veth', 'peer', 'name', vb);
    ip('link', 'set', va, 'netns', a);
    ip('link', 'set', vb, 'netns', b);
    for (const [ns, dev, addr] of [[a, va, aAddr], [b, vb, bAddr]] as const) {
      inNs(ns, IP!, 'addr', 'add', `${addr}/24`, 'dev', dev);
      if (mtu !== undefined) inNs(ns, IP!, 'link', 'set', dev, 'mtu', String(mtu));
      inNs(ns, IP!, 'link', 'set', dev, 'up');
    }
  }

  /** A `ping` program in `dir` that runs the real ping inside namespace `ns`. */
  pingWrapper(dir: string, ns: string): string {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'ping');
    writeFileSync(path, `#!/bin/sh\nexec ${IP} netns exec ${ns} ${PING} "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  /** Deleting a namespace deletes the veth ends inside it, and with them their peers. */
  deleteAll(): void {
    for (const name of this.names.splice(0)) spawnSync(IP!, ['netns', 'delete', name]);
  }
}

export { IP };

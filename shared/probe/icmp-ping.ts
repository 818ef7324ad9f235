/**
 * One run of iputils ping: its command line, the child's life, and the two summary lines it prints.
 *
 * Reading a tool's output is the price of using the tool (./icmp.ts says why ping is it). Only the
 * summary is read, and only its numbers: `N packets transmitted, M received[, +D duplicates][, +E
 * errors], P% packet loss` and `rtt min/avg/max/mdev = a/b/c/d ms`. Both have kept that form through
 * every iputils release since s20020927, and LC_ALL=C rules out a translation (Debian builds ping
 * without NLS anyway). The per-reply lines above them are skipped, but not turned off: with `-q`,
 * iputils 20221126 leaves local send errors (a packet over the MTU with `-M do`) out of `+E errors`. Whether the run succeeded is read from
 * the exit code (0: a reply, 1: none, 2: an error before or while sending), never from the words.
 * https://man7.org/linux/man-pages/man8/ping.8.html
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ICMP_SEND_INTERVAL_MS } from '../config/icmp.ts';
import { pdeathsigCommand } from '../executable.ts';

export interface PingOptions {
  address: string;
  family: 4 | 6;
  count: number;
  packetSize: number;
  dontFragment: boolean;
  /** How long ping waits for a reply after its last echo request when none has come (its `-W`). */
  replyWaitMs: number;
}

/** Seconds as ping reads them (a dot, whatever the locale); never 0, which means "wait forever" to `-W`. */
const seconds = (ms: number) => (Math.max(ms, 1) / 1000).toFixed(3);

/**
 * `-n` skips reverse lookups (the address is already resolved). No `-q` (see above), and no `-w`:
 * with it ping keeps sending past `count` until enough replies or the deadline.
 */
export function pingArgs(o: PingOptions): string[] {
  return [
    `-${o.family}`, '-n',
    '-c', String(o.count),
    '-i', seconds(ICMP_SEND_INTERVAL_MS),
    '-W', seconds(o.replyWaitMs),
    '-s', String(o.packetSize),
    // `do` sets DF and refuses to fragment locally; `dont` clears DF (ping's own default, `want`, sets it on small packets).
    '-M', o.dontFragment ? 'do' : 'dont',
    o.address,
  ];
}

export interface PingSummary {
  transmitted: number;
  received: number;
  errors: number;
  rtt?: { min: number; avg: number; max: number; mdev: number };
}

const COUNTS = /^(\d+) packets transmitted, (\d+) received(.*)$/m;
const ERRORS = /, \+(\d+) errors/;
const RTT = /^rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms$/m;

/** The numbers of ping's summary, or undefined when it printed none (it failed before sending). */
export function parsePingSummary(stdout: string): PingSummary | undefined {
  const counts = COUNTS.exec(stdout);
  if (!counts) return undefined;
  const rtt = RTT.exec(stdout);
  return {
    transmitted: Number(counts[1]),
    received: Number(counts[2]),
    errors: Number(ERRORS.exec(counts[3]!)?.[1] ?? 0),
    ...(rtt && { rtt: { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]), mdev: Number(rtt[4]) } }),
  };
}

export interface PingRun {
  /** ping's exit code; null when a signal ended it. */
  exitCode: number | null;
  /** Set when this side stopped ping (its stop time, or the probe's signal). */
  stopped?: 'deadline' | 'signal';
  /** The spawn's own error code (ENOENT, EACCES, EPERM), when ping never ran. */
  spawnError?: string;
  stdout: string;
  /** The first line ping wrote to stderr, for people only. */
  stderr: string;
}

/** A line per reply (at most 20, and their duplicates) and the summary; only the tail is kept, where the summary is. */
const MAX_OUTPUT = 16 * 1024;
/** After SIGINT ping prints its summary and exits at once; past this it is killed. */
const KILL_AFTER_MS = 200;

export interface SpawnPing {
  ping: string;
  setpriv?: string;
  args: string[];
  /** Cancels: ping is interrupted (and killed if it lingers). */
  signal: AbortSignal;
  /** Interrupts ping after this long, so its summary arrives inside the probe's timeout. */
  stopAfterMs: number;
}

/**
 * Runs ping to its end. SIGINT is how ping is asked to stop early: it then prints the summary of
 * what it sent and received so far, so a stopped run still reports its numbers. The child never
 * outlives the run: it is interrupted at `stopAfterMs` or on the signal, killed if it lingers, and
 * started under setpriv's parent-death signal so that even this process's SIGKILL takes it along.
 */
export function runPing(o: SpawnPing): Promise<PingRun> {
  const { command, args } = o.setpriv ? pdeathsigCommand(o.setpriv, o.ping, o.args) : { command: o.ping, args: o.args };
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let stopped: PingRun['stopped'];
    let killTimer: NodeJS.Timeout | undefined;
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { LC_ALL: 'C' } });
    } catch (err) {
      // Some exec failures (EPERM for a file capability the bounding set withholds) are thrown, not emitted.
      resolve({ exitCode: null, spawnError: (err as NodeJS.ErrnoException).code ?? 'ESPAWN', stdout: '', stderr: '' });
      return;
    }
    const stop = (why: NonNullable<PingRun['stopped']>) => {
      if (stopped !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      stopped = why;
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    };
    const onAbort = () => stop('signal');
    const deadline = setTimeout(() => stop('deadline'), Math.max(0, o.stopAfterMs));
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (o.signal.aborted) onAbort();
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout = (stdout + d).slice(-MAX_OUTPUT); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < MAX_OUTPUT) stderr += d; });
    const done = (run: Omit<PingRun, 'stdout' | 'stderr' | 'stopped'>) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      o.signal.removeEventListener('abort', onAbort);
      resolve({ ...run, ...(stopped && { stopped }), stdout, stderr: stderr.split('\n').find((l) => l.trim() !== '')?.trim() ?? '' });
    };
    child.on('error', (err: NodeJS.ErrnoException) => done({ exitCode: null, spawnError: err.code ?? 'ESPAWN' }));
    child.on('close', (code) => done({ exitCode: code }));
  });
}

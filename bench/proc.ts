/**
 * CPU and memory of one process, read from /proc so that each figure belongs to that process alone
 * (all its threads: libuv's pool and V8's GC for Node, the Go runtime's for the exporter), never to
 * the target, the driver or the bench itself. Also the registry of every process the bench starts,
 * so that all of them stop on success, on error and on Ctrl-C.
 * https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

let ticks: number | undefined;
/** Clock ticks per second of utime/stime (almost always 100). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/**
 * CPU time of a process, in seconds, with nanosecond resolution: the sum of the first field of
 * /proc/<pid>/task/<tid>/schedstat (time spent running) over its threads. utime + stime from
 * /proc/<pid>/stat count in clock ticks (10 ms), too coarse for a run of a few hundred probes. A
 * thread that exits between two readings takes its time with it; the probers' threads (libuv's pool,
 * V8's, the Go runtime's) live as long as the process. Falls back to ticks without schedstat.
 * https://docs.kernel.org/scheduler/sched-stats.html
 */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  let threads = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        threads++;
      } catch {
        // the thread just exited
      }
    }
  } catch {
    threads = 0;
  }
  return threads > 0 && Number.isFinite(ns) ? ns / 1e9 : cpuTickSeconds(pid);
}

/** utime + stime of a process, in seconds (resolution: one clock tick, usually 10 ms). */
export function cpuTickSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so utime (field 14) is rest[11] and stime (field 15) rest[12].
  return (Number(rest[11]) + Number(rest[12])) / clockTicks();
}

export interface MemKb {
  /** Resident set size now. */
  rss: number;
  /** Peak resident set size (since start, or since the last resetPeak). */
  hwm: number;
}

export function memKb(pid: number): MemKb {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, `echo 5 > clear_refs`); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS every `everyMs` and keeps the highest; VmHWM is read too at stop(), and the larger wins. */
export class RssSampler {
  private peak = 0;
  private timer: NodeJS.Timeout;
  private readonly pid: number;
  samples = 0;

  constructor(pid: number, everyMs = 20) {
    this.pid = pid;
    this.timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }

  private sample(): void {
    try {
      this.peak = Math.max(this.peak, memKb(this.pid).rss);
      this.samples++;
    } catch {
      // The process is gone; the last peak stands.
    }
  }

  /** Peak RSS in kB: the highest sample, or VmHWM when the kernel saw a higher one between samples. */
  stop(): { peakKb: number; hwmKb: number; sampledPeakKb: number } {
    clearInterval(this.timer);
    this.sample();
    let hwm = NaN;
    try {
      hwm = memKb(this.pid).hwm;
    } catch {
      // gone
    }
    return { peakKb: Math.max(this.peak, Number.isFinite(hwm) ? hwm : 0), hwmKb: hwm, sampledPeakKb: this.peak };
  }
}

const children = new Set<ChildProcess>();
let hooked = false;

function killAll(signal: NodeJS.Signals): void {
  for (const child of children) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      // Children are started detached (their own process group), so the group goes, helpers included.
      process.kill(-child.pid, signal);
    } catch {
      try { child.kill(signal); } catch { /* already gone */ }
    }
  }
}

const cleanups: Array<() => void> = [];
/** Synchronous clean-up (temp files) that must run however the bench ends. */
export function onExit(fn: () => void): void {
  hook();
  cleanups.push(fn);
}

let stopping = false;
/** True once Ctrl-C or SIGTERM arrived: failures after that are the shutdown, not news. */
export const isStopping = () => stopping;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    killAll('SIGKILL');
    for (const fn of cleanups) {
      try { fn(); } catch { /* best effort */ }
    }
  });
  // Children dying under a signal reject whatever was waiting on them; that is expected then.
  process.on('unhandledRejection', (err) => {
    if (stopping) return;
    process.stderr.write(`bench: unhandled: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      stopping = true;
      process.stderr.write(`\nbench: ${sig}, stopping every process it started\n`);
      killAll('SIGTERM');
      // Children that ignore SIGTERM get SIGKILL from the exit hook.
      setTimeout(() => process.exit(130), 1000).unref();
    });
  }
}

/** Spawns a process the bench owns: its own process group, killed with the bench whatever happens. */
export function spawnOwned(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  hook();
  const child = spawn(cmd, args, { ...opts, detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Stops one owned process: SIGTERM to its group, SIGKILL after `graceMs`, and waits for the exit. */
export async function stopOwned(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try { process.kill(-child.pid!, 'SIGTERM'); } catch { child.kill('SIGTERM'); }
  const timer = setTimeout(() => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Every owned process still running (for the final cleanup in run.ts). */
export async function stopAllOwned(): Promise<void> {
  await Promise.all([...children].map((c) => stopOwned(c)));
}

/** Load average and core count, to say how noisy the machine was. */
export function machineLoad(): { load1: number; load5: number; cores: number } {
  const [l1, l5] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  const cores = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  return { load1: Number(l1), load5: Number(l5), cores };
}

/** CPU seconds the whole machine spent busy (all processes), from /proc/stat, to gauge the noise of others. */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = (cpu[0] ?? 0) + (cpu[1] ?? 0) + (cpu[2] ?? 0) + (cpu[5] ?? 0) + (cpu[6] ?? 0) + (cpu[7] ?? 0);
  return busy / clockTicks();
}

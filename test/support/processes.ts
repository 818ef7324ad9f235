/**
 * The process tree from /proc (Linux, like CI), for tests that must show that nothing outlives the
 * process they stopped. A process is named by pid and start time, so a pid the kernel reuses while a
 * test waits is never mistaken for the process it was; a zombie counts as gone (it runs nothing, and
 * PID 1 reaps orphans when it gets to them).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  /** Clock ticks after boot (field 22 of /proc/PID/stat). */
  startTime: number;
  state: string;
  /** Basename of the executable: `node`, `java`, `dash`… (comm is no use: Node renames it MainThread). */
  exe: string;
  cmdline: string[];
}

export function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The comm field is parenthesised and may hold spaces; every field after it is plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let exe = '';
    try {
      exe = basename(readlinkSync(`/proc/${pid}/exe`));
    } catch {
      // A zombie has no executable any more.
    }
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: Number(fields[19]), exe, cmdline };
  } catch {
    return undefined;
  }
}

export function allProcs(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = readProc(Number(entry));
    if (p) out.push(p);
  }
  return out;
}

/** Every live descendant of `root`, found by walking parent pids. */
export function descendants(root: number): Proc[] {
  const procs = allProcs();
  const found: Proc[] = [];
  const frontier = [root];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const p of procs) {
      if (p.ppid === parent && p.state !== 'Z') {
        found.push(p);
        frontier.push(p.pid);
      }
    }
  }
  return found;
}

/** Whether this very process (same pid and start time) still runs. */
export function running(p: Pick<Proc, 'pid' | 'startTime'>): boolean {
  const now = readProc(p.pid);
  return now !== undefined && now.startTime === p.startTime && now.state !== 'Z';
}

/** SIGKILLs each process that still runs; for afterAll, so a failed test leaves nothing behind. */
export function killAll(procs: Iterable<Pick<Proc, 'pid' | 'startTime'>>): void {
  for (const p of procs) {
    if (!running(p)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
}

/** Polls until `probe` gives a value; rejects with `what` after `timeoutMs` (a guard against a hang). */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs: number, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

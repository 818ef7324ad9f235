/**
 * Making a detached child (DynamoDB Local's JVM) die with this Node process, even when this process
 * is killed with SIGKILL and runs no cleanup at all.
 *
 * The child runs detached, in its own process group, so a Ctrl-C in the terminal reaches only Node,
 * which then stops it in order. The price is that nothing the kernel does on Node's death reaches it
 * either: without a guard, `kill -9` of Node leaves the JVM running, reparented to PID 1.
 *
 * Two guards, the first that works here:
 * - `pdeathsig`: the child is started through util-linux `setpriv --pdeathsig KILL`, which asks the
 *   kernel (prctl PR_SET_PDEATHSIG) to SIGKILL it when its parent dies, and then execs the program,
 *   so the child's pid is the program's own. The setting survives execve and needs no privilege.
 *   Linux only; util-linux is Essential in Debian and Ubuntu, so it is there even in slim images.
 *   The kernel's "parent" is the thread that forked: libuv forks from the thread whose event loop
 *   calls spawn, which is the main thread here (a worker thread's child would die with the worker).
 *   https://man7.org/linux/man-pages/man2/PR_SET_PDEATHSIG.2const.html
 * - `watchdog` (macOS, Alpine without util-linux, setpriv older than 2.33): a `sh` that waits on a
 *   pipe from this process. It owns the only write end, so the kernel closes it however Node ends;
 *   the shell's `read` then hits end of file and it kills the child's process group. Node dismisses
 *   the watchdog once the child has exited, so it never signals a group whose id has been reused.
 */
import { spawn } from 'node:child_process';
import { findSetpriv, pdeathsigCommand } from '../executable.ts';

/** Lives in the core (../executable.ts) with the rest of finding programs; the ICMP prober uses it too. */
export { findSetpriv };

export type DeathGuardKind = 'pdeathsig' | 'watchdog';

export interface GuardedCommand {
  command: string;
  args: string[];
  kind: DeathGuardKind;
}

/** The command line that runs `program` under the best guard available (`setpriv` undefined: none). */
export function guardedCommand(program: string, args: string[], setpriv: string | undefined): GuardedCommand {
  if (setpriv) return { ...pdeathsigCommand(setpriv, program, args), kind: 'pdeathsig' };
  return { command: program, args, kind: 'watchdog' };
}

// `read` fails only at end of file, i.e. when every write end of the pipe is closed: this process died.
// `kill -s KILL -- -PGID` is the POSIX spelling that dash, bash and zsh all accept for a whole group.
const WATCHDOG_SCRIPT = 'read -r _ || kill -s KILL -- "-$1" 2>/dev/null';

export interface Watchdog {
  /** Stops the watchdog without it signalling anything. Idempotent. */
  dismiss(): void;
}

/**
 * Starts a watchdog that SIGKILLs process group `pgid` when this process dies. It neither keeps
 * this process alive nor reports its own failure to start (no `sh`): then there is no guard, as before.
 */
export function startWatchdog(pgid: number): Watchdog {
  // Detached: its own session, so the terminal's Ctrl-C or hang-up cannot kill it before it acts.
  const dog = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'vantage-watchdog', String(pgid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  dog.on('error', () => {});
  dog.stdin?.on('error', () => {});
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  let dismissed = false;
  return {
    dismiss() {
      if (dismissed) return;
      dismissed = true;
      // A signal rather than a line on the pipe: it acts at once, even if this process exits next.
      if (dog.exitCode === null && dog.signalCode === null) dog.kill('SIGKILL');
      dog.stdin?.destroy();
    },
  };
}

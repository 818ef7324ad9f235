/**
 * Finding the programs Vantage runs (java and util-linux setpriv for the local pipeline, iputils ping
 * for ICMP checks) before spawning them, so a missing one is known up front instead of surfacing as
 * the exit code of whatever wrapped it; and asking the kernel to kill such a child with its parent.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

function runnable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path `spawn` would run for `name`: a name containing a slash is taken as a path, any
 * other name is looked up on PATH the way execvp does. `undefined` if there is no such program.
 */
export function findExecutable(name: string, path: string | undefined = process.env.PATH): string | undefined {
  if (name.includes('/')) return runnable(name) ? resolve(name) : undefined;
  for (const dir of (path ?? '').split(delimiter)) {
    // An empty PATH entry means the working directory (execvp); a relative one is relative to it.
    const candidate = join(dir === '' ? '.' : dir, name);
    if (runnable(candidate)) return isAbsolute(candidate) ? candidate : resolve(candidate);
  }
  return undefined;
}

/**
 * util-linux `setpriv`, if it is installed and knows `--pdeathsig` (util-linux >= 2.33). Running it
 * once is the only check that also catches a build without the option.
 */
export function findSetpriv(path?: string): string | undefined {
  const setpriv = findExecutable('setpriv', path);
  if (!setpriv) return undefined;
  const trial = spawnSync(setpriv, ['--pdeathsig', 'KILL', '--', process.execPath, '--version'], { stdio: 'ignore', timeout: 10_000 });
  return trial.status === 0 ? setpriv : undefined;
}

/**
 * The command line that runs `program` so that the kernel SIGKILLs it when this process dies
 * (prctl PR_SET_PDEATHSIG, set by setpriv, which then execs the program: the child's pid is the
 * program's own). The setting survives execve, except of a set-user-ID binary or one that gains file
 * capabilities, where the kernel clears it. The kernel's "parent" is the thread that forked: libuv
 * forks from the thread whose event loop calls spawn.
 * https://man7.org/linux/man-pages/man2/PR_SET_PDEATHSIG.2const.html
 */
export function pdeathsigCommand(setpriv: string, program: string, args: readonly string[]): { command: string; args: string[] } {
  return { command: setpriv, args: ['--pdeathsig', 'KILL', '--', program, ...args] };
}

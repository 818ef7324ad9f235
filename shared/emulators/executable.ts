/**
 * Finding programs the local pipeline runs (java, util-linux setpriv) before spawning them, so a
 * missing one is known up front instead of surfacing as the exit code of whatever wrapped it.
 */
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

/**
 * The `--config` flag, shared by every command that reads a config: the file given, or, when it is
 * omitted, the first of DISCOVERED_CONFIGS in the current directory (named on stderr, so a run
 * never silently uses a file the user did not expect).
 */
import { relative, sep } from 'node:path';
import { DISCOVERED_CONFIGS, findConfig, loadConfig, type LoadedConfig, type LoadOptions } from '../shared/config/load.ts';
import { UsageError } from './args.ts';
import type { CliIO } from './io.ts';

/** The config file a command reads: `given`, else the one found in `cwd` (said on stderr), else a UsageError. */
export function configPathFromArgs(given: string | undefined, io: Pick<CliIO, 'stderr' | 'cwd'>): string {
  if (given !== undefined && given !== '') return given;
  const cwd = io.cwd ?? process.cwd();
  const found = findConfig(cwd);
  if (found === undefined) {
    throw new UsageError(`no --config given and none found in ${cwd}: looked for ${DISCOVERED_CONFIGS.join(', ')}`);
  }
  io.stderr(`vantage: using .${sep}${relative(cwd, found)}\n`);
  // Relative to the process's directory, so messages name it as a user would type it.
  return relative(process.cwd(), found) || found;
}

export async function configFromArgs(given: string | undefined, io: Pick<CliIO, 'stderr' | 'cwd'>, opts: Pick<LoadOptions, 'local'> = {}): Promise<{ config: LoadedConfig; path: string }> {
  const path = configPathFromArgs(given, io);
  return { config: await loadConfig(path, opts), path };
}

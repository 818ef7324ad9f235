/** Runs a CLI command in-process with captured output, the way a user would call it. */
import type { CliIO } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { env?: Record<string, string | undefined>; signal?: AbortSignal } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    env: opts.env ?? {},
    isTTY: false,
    signal: opts.signal ?? new AbortController().signal,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** What a CLI command gets from the outside world; injected so commands run in tests without a process. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal (colours, live views). */
  isTTY: boolean;
  /** Fires on Ctrl-C / SIGTERM for long-running commands. */
  signal: AbortSignal;
  /** The terminal's width when stdout is one (progress lines are cut to it). @default 80 */
  columns?: number;
  /** Where a command without `--config` looks for one (cli/config-arg.ts). @default process.cwd() */
  cwd?: string;
}

/** Exit codes: 0 all up (or degraded), 1 something down, 2 usage or config error. */
export const EXIT = { OK: 0, DOWN: 1, USAGE: 2 } as const;

/** A command takes its own argv (after the command name) and returns its exit code. */
export type Command = (argv: string[], io: CliIO) => Promise<number>;

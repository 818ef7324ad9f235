/**
 * What every command shares: strict flag parsing (a mistyped flag is an error, not silently ignored),
 * `--help`, and turning usage and config problems into exit 2 with a message, in one place.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, VantageError } from '../shared/errors.ts';
import { redactUrlsIn } from '../shared/probe/redact-url.ts';
import { EXIT, type CliIO, type Command } from './io.ts';

export class UsageError extends VantageError {
  /** Whether the command's help follows the message (it does for flag mistakes, not for bad values). */
  readonly showHelp: boolean;
  constructor(message: string, opts: { showHelp?: boolean } = {}) {
    super('USAGE', message);
    this.showHelp = opts.showHelp ?? true;
  }
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The value of a required flag, or a UsageError naming it. */
export function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

/**
 * A command whose body throws UsageError and ConfigError instead of printing them: both become exit 2
 * with `vantage <name>: <message>` (and the help text for flag mistakes); `--help` prints the help.
 * Messages can quote an argument (a URL with `user:password@`, an unexpected positional), so URL
 * userinfo is taken out of them here, once for every command.
 */
export function defineCommand(name: string, help: string, body: (argv: string[], io: CliIO) => Promise<number>): Command {
  return async (argv, io) => {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout(help);
      return EXIT.OK;
    }
    try {
      return await body(argv, io);
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr(`vantage ${name}: ${redactUrlsIn(err.message)}\n${err.showHelp ? `\n${help}` : ''}`);
        return EXIT.USAGE;
      }
      if (err instanceof ConfigError) {
        io.stderr(`${redactUrlsIn(err.message)}\n`);
        return EXIT.USAGE;
      }
      throw err;
    }
  };
}

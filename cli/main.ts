/**
 * Dispatch for the `vantage` CLI. Each command lives in cli/commands/ and is loaded only when used,
 * so `vantage validate` does not pay for the AWS SDK.
 */
import type { CliIO, Command } from './io.ts';
import { EXIT } from './io.ts';
import { packageVersion } from './version.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  check: { summary: 'run one ad-hoc probe: vantage check https://example.com/health', load: async () => (await import('./commands/check.ts')).check },
  run: { summary: 'run every check in a config once: vantage run --config checks.yaml', load: async () => (await import('./commands/run.ts')).run },
  validate: { summary: 'validate a config and report every problem: vantage validate --config checks.yaml', load: async () => (await import('./commands/validate.ts')).validate },
  cost: { summary: 'monthly AWS cost of a config at list prices, beside CloudWatch Synthetics: vantage cost --config checks.yaml', load: async () => (await import('./commands/cost.ts')).cost },
  replay: { summary: 'backtest a policy on recorded results: vantage replay --config F --results R.jsonl', load: async () => (await import('./commands/replay.ts')).replay },
  report: { summary: 'SLI, error budget, downtime and incidents per check over a range, from the table or a results file: vantage report --from 30d [--format table|csv|json|md]', load: async () => (await import('./commands/report.ts')).report },
  export: { summary: 'recorded results out of the table as JSON Lines for replay: vantage export --endpoint URL --from now-2h --to now > results.jsonl', load: async () => (await import('./commands/export.ts')).exportResults },
  import: { summary: 'convert Blackbox Exporter modules (and the Prometheus jobs and rules using them) into checks: vantage import blackbox --modules blackbox.yml [--prometheus prometheus.yml] [--rules rules.yml] [--out checks.yaml]', load: async () => (await import('./commands/import.ts')).importCommand },
  dev: { summary: 'the whole pipeline on this machine (DynamoDB Local, SNS emulator, live view): vantage dev --config checks.yaml [--demo]', load: async () => (await import('./commands/dev.ts')).dev },
  status: { summary: "each check's current state from the table: vantage status --endpoint http://127.0.0.1:PORT, or --region/--table for AWS", load: async () => (await import('./commands/status.ts')).status },
  silence: { summary: 'quiet alerts for checks for a while (CI, chat-ops): vantage silence add --check api --for 30m; list; expire ID', load: async () => (await import('./commands/silence.ts')).silence },
  agent: { summary: 'one instance of an agent location, probing from this host, outbound HTTPS to DynamoDB only: vantage agent --location NAME [--endpoint URL | --region R]; vantage agent health', load: async () => (await import('./commands/agent.ts')).agent },
  channels: { summary: 'send a test notification to each target of a channel and report each result: vantage channels test oncall --config checks.yaml [--endpoint URL | --region R]', load: async () => (await import('./commands/channels.ts')).channels },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return ['usage: vantage <command> [options]', '', ...Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}`), '', 'Run `vantage <command> --help` (or `vantage help <command>`) for its options; `vantage --version` prints the version.', ''].join('\n');
}

export function processIO(): CliIO {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    isTTY: !!process.stdout.isTTY,
    ...(process.stdout.columns !== undefined && { columns: process.stdout.columns }),
    signal: controller.signal,
  };
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [first, ...args] = argv;
  if (first === '--version' || first === '-v') {
    io.stdout(`${packageVersion() ?? 'unknown'}\n`);
    return EXIT.OK;
  }
  // `vantage help run` is `vantage run --help`; `vantage help` alone is `vantage --help`.
  const [name, ...rest] = first === 'help' && args[0] !== undefined ? [args[0], '--help'] : [first, ...args];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.stdout : io.stderr)(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.stderr(`vantage: unknown command "${name}"\n\n${usage()}`);
    return EXIT.USAGE;
  }
  let command: Command;
  try {
    command = await entry.load();
  } catch (err) {
    // The module that was not found is in the error's `url`: only the command's own file missing means
    // the build left it out; anything else it failed to load is a real error.
    const missing = err as { code?: unknown; url?: unknown };
    if (missing.code === 'ERR_MODULE_NOT_FOUND' && missing.url === new URL(`./commands/${name}.ts`, import.meta.url).href) {
      io.stderr(`vantage: "${name}" is not available in this build\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
  // Commands that probe warm the engine first, so their first probe measures like the hundredth.
  const probes = name === 'check' || name === 'run' || name === 'dev' || (name === 'agent' && rest[0] !== 'health');
  if (probes) await (await import('../shared/probe/warmup.ts')).warmUp();
  return command(rest, io);
}

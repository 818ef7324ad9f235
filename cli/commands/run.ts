import { loadConfigFile } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { runChecks } from '../../shared/probe/index.ts';
import { parse, UsageError } from '../args.ts';
import { formatJsonLines, formatTable } from '../format.ts';
import { EXIT, type Command } from '../io.ts';

const HELP = `usage: vantage run --config FILE [--location NAME] [--check ID ...] [--concurrency N] [--json]

Runs every enabled check in a config once, from this machine, and prints the results.
  --location NAME   only the checks that run in NAME, and probe as NAME (sent in the User-Agent)
  --check ID        only this check (repeatable)
  --concurrency N   probes in flight at once (default 32)
  --json            one JSON object per result
Exit codes: 0 all up or degraded, 1 any down, 2 usage or config error.
`;

export const run: Command = async (argv, io) => {
  let values;
  try {
    ({ values } = parse(argv, {
      config: { type: 'string', short: 'c' },
      location: { type: 'string', short: 'l' },
      check: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
    }));
  } catch (err) {
    if (err instanceof UsageError) { io.stderr(`vantage run: ${err.message}\n\n${HELP}`); return EXIT.USAGE; }
    throw err;
  }
  if (values.help) { io.stdout(HELP); return EXIT.OK; }
  if (!values.config) { io.stderr(`vantage run: --config is required\n\n${HELP}`); return EXIT.USAGE; }
  const concurrency = values.concurrency === undefined ? 32 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) { io.stderr('vantage run: --concurrency must be a positive integer\n'); return EXIT.USAGE; }

  let cfg;
  try {
    cfg = loadConfigFile(values.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`${err.message}\n`);
    return EXIT.USAGE;
  }
  let checks = cfg.checks.filter((c) => c.enabled);
  if (values.location) checks = checks.filter((c) => c.locations.includes(values.location!));
  if (values.check?.length) {
    const unknown = values.check.filter((id) => !cfg.checks.some((c) => c.id === id));
    if (unknown.length) { io.stderr(`vantage run: unknown check id(s): ${unknown.join(', ')}\n`); return EXIT.USAGE; }
    checks = checks.filter((c) => values.check!.includes(c.id));
  }
  if (checks.length === 0) { io.stderr('vantage run: no checks to run\n'); return EXIT.USAGE; }

  const results = await runChecks(checks, {
    concurrency,
    signal: io.signal,
    env: io.env,
    ...(values.location !== undefined && { location: values.location }),
  });
  io.stdout(values.json ? formatJsonLines(results) : formatTable(results, { color: io.isTTY }));
  return results.some((r) => r.status === 'down') ? EXIT.DOWN : EXIT.OK;
};

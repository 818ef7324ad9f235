import { loadConfigFile } from '../../shared/config/load.ts';
import { runProbe } from '../../shared/probe/index.ts';
import { probeAllWithRetests } from '../../shared/usecases/retest.ts';
import { defineCommand, parse, required, UsageError } from '../args.ts';
import { formatJsonLines, formatTable } from '../format.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage run --config FILE [--location NAME] [--check ID ...] [--concurrency N] [--json]

Runs every enabled check in a config once, from this machine, and prints the results. A failed
check is retested at once up to its \`retries\` times, as the deployed probe does.
  --location NAME   only the checks that run in NAME, and probe as NAME (sent in the User-Agent)
  --check ID        only this check (repeatable)
  --concurrency N   probes in flight at once (default 32)
  --json            one JSON object per result
Exit codes: 0 all up or degraded, 1 any down, 2 usage or config error.
`;

export const run = defineCommand('run', HELP, async (argv, io) => {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    location: { type: 'string', short: 'l' },
    check: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
    json: { type: 'boolean' },
  });
  const cfg = loadConfigFile(required(values.config, '--config'), { local: { env: io.env, warn: io.stderr } });
  const concurrency = values.concurrency === undefined ? 32 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError('--concurrency must be a positive integer');
  let checks = cfg.checks.filter((c) => c.enabled);
  if (values.location) checks = checks.filter((c) => c.locations.includes(values.location!));
  if (values.check?.length) {
    const unknown = values.check.filter((id) => !cfg.checks.some((c) => c.id === id));
    if (unknown.length) throw new UsageError(`unknown check id(s): ${unknown.join(', ')}`, { showHelp: false });
    checks = checks.filter((c) => values.check!.includes(c.id));
  }
  if (checks.length === 0) throw new UsageError('no checks to run', { showHelp: false });

  const location = values.location !== undefined ? { location: values.location } : {};
  // The deployed probe's path: a failure is retested `retries` times before it counts.
  const results = await probeAllWithRetests(checks, (check, signal) => runProbe(check, { signal, env: io.env, ...location }), {
    signal: io.signal,
    concurrency,
  });
  io.stdout(values.json ? formatJsonLines(results) : formatTable(results, { color: io.isTTY }));
  return results.some((r) => r.status === 'down') ? EXIT.DOWN : EXIT.OK;
});

import type { Check } from '../../shared/config/schema.ts';
import { createDebugTrace, type DebugTrace } from '../../shared/probe/debug.ts';
import { checkSecrets } from '../../shared/probe/debug-secrets.ts';
import { runProbe } from '../../shared/probe/index.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { probeAllWithRetests } from '../../shared/usecases/retest.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { firstBodyLine, formatDebug } from '../debug-view.ts';
import { formatJsonLines, formatTable } from '../format.ts';
import { configFromArgs } from '../config-arg.ts';
import { EXIT, type CliIO } from '../io.ts';
import { createProgress, DEFAULT_COLUMNS, type Progress } from '../progress.ts';

const HELP = `usage: vantage run [--config FILE] [--location NAME] [--check ID ...] [--concurrency N] [--json]

Runs every enabled check in a config once, from this machine, and prints the results. A failed
check is retested at once up to its \`retries\` times, as the deployed probe does.
  --location NAME   only the checks that run in NAME, and probe as NAME (sent in the User-Agent)
  --check ID        only this check (repeatable)
  --concurrency N   probes in flight at once (default 32)
  --json            one JSON object per result
  --debug           each check's probe log as it finishes (DNS, connect, TLS, request and
                    response headers, the body's first 4 KiB, each assertion; secrets
                    [redacted]): see vantage check --debug; to stderr with --json
On a terminal, each check's line is printed as it finishes, under a progress line
(3/12 done, 2 failing, 4.1s), and the table follows; piped or with --json, only the results.
Exit codes: 0 all up or degraded, 1 any down, 2 usage or config error.
`;

export const run = defineCommand('run', HELP, async (argv, io) => {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    location: { type: 'string', short: 'l' },
    check: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
    json: { type: 'boolean' },
    debug: { type: 'boolean' },
  });
  const { config: cfg } = await configFromArgs(values.config, io, { local: { env: io.env, warn: io.stderr } });
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
  // Traced for --debug, and for the table, whose line for a failure quotes the body's first line.
  const traces = values.debug || !values.json ? await tracing(checks, { env: io.env, ...location }) : undefined;
  // Progress redraws lines in place: only on a terminal, and never into --json output.
  const progress = io.isTTY && !values.json ? startProgress(checks, io) : undefined;
  const onResult = (r: ProbeResult) => {
    const log = traces?.finished(r, !!values.debug);
    if (progress) progress.finished(r, log !== undefined ? `${log}\n` : undefined);
    else if (log !== undefined) (values.json ? io.stderr : io.stdout)(values.json ? log : `${log}\n`);
  };
  let results;
  try {
    // The deployed probe's path: a failure is retested `retries` times before it counts.
    results = await probeAllWithRetests(checks, (check, signal) => runProbe(check, { signal, env: io.env, ...location, ...(traces && { debug: traces.attempt(check) }) }), {
      signal: io.signal,
      concurrency,
      onResult,
    });
  } finally {
    progress?.end();
  }
  const bodyLines = results.map((r) => traces?.bodyLine(r));
  io.stdout(values.json ? formatJsonLines(results) : formatTable(results, { color: io.isTTY, bodyLines }));
  return results.some((r) => r.status === 'down') ? EXIT.DOWN : EXIT.OK;
});

interface Tracing {
  /** A fresh trace for an attempt; a retest's replaces the one before, so the log is of the attempt recorded. */
  attempt(check: Check): DebugTrace;
  /** A check finished: its body's first line is kept for the table when it failed, the trace dropped, and with `log` its debug log (formatDebug) returned. */
  finished(r: ProbeResult, log: boolean): string | undefined;
  bodyLine(r: ProbeResult): string | undefined;
}

/** The checks' secret values are resolved first, so a finished check's log is redacted at once. */
async function tracing(checks: readonly Check[], ctx: { env: CliIO['env']; location?: string }): Promise<Tracing> {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const secrets = new Map(await Promise.all(checks.map(async (c) => [c.id, await checkSecrets(c, ctx)] as const)));
  const traces = new Map<string, DebugTrace>();
  const bodyLines = new Map<string, string | undefined>();
  return {
    attempt(check) {
      const trace = createDebugTrace();
      traces.set(check.id, trace);
      return trace;
    },
    finished(r, log) {
      const check = r.checkId !== undefined ? byId.get(r.checkId) : undefined;
      const trace = check && traces.get(check.id);
      if (!check || !trace) return undefined;
      traces.delete(check.id);
      const opts = { secrets: secrets.get(check.id) ?? [] };
      if (!r.ok) bodyLines.set(check.id, firstBodyLine(trace, opts));
      return log ? formatDebug(check, r, trace, opts) : undefined;
    },
    bodyLine: (r) => (r.checkId !== undefined ? bodyLines.get(r.checkId) : undefined),
  };
}

/** How often the elapsed time on the progress line moves on. */
const TICK_MS = 100;

/** The progress view, ticking until `end()`. */
function startProgress(checks: readonly Check[], io: CliIO): Progress {
  const view = createProgress({
    total: checks.length,
    columns: io.columns ?? DEFAULT_COLUMNS,
    idWidth: Math.max(...checks.map((c) => c.id.length)),
    now: () => performance.now(),
    write: io.stdout,
  });
  const timer = setInterval(() => view.tick(), TICK_MS);
  view.tick();
  return {
    finished: (r, below) => view.finished(r, below),
    tick: () => view.tick(),
    end: () => {
      clearInterval(timer);
      view.end();
    },
  };
}

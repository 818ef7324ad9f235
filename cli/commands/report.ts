/**
 * `vantage report`: per check, the SLI, objective, error budget, seconds by class, incidents and
 * downtime by location over a range, from the table's hour rollups and incidents, or from a results
 * file through the same backtest `vantage replay` runs. The figures are buildReport's
 * (shared/usecases/report); this file reads flags, the config and the data.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseDuration } from '../../shared/config/duration.ts';
import { ROLLUP_RETENTION_DAYS } from '../../shared/config/slo.ts';
import { loadConfig, type LoadedConfig } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { backtest, parseResultLines } from '../../shared/evaluate/backtest.ts';
import { policyFor, type PolicyInput } from '../../shared/evaluate/index.ts';
import { MINUTE_MS, type HourRollup } from '../../shared/evaluate/slo/types.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { StoreError } from '../../shared/store/errors.ts';
import type { StoredIncident } from '../../shared/store/items.ts';
import { createRollupStore } from '../../shared/store/rollups.ts';
import { pool } from '../../shared/pool.ts';
import { buildReport, columnsHelp, formatReport, incidentsFromNotifications, REPORT_FORMATS, withMinuteLocations, type ReportFormat } from '../../shared/usecases/report/index.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { configPathFromArgs } from '../config-arg.ts';
import { EXIT, type CliIO } from '../io.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectTable, describeStoreError, type ConnectionFlags, type TableConnection } from '../table-connection.ts';
import { timeOf } from './export.ts';
import { MAX_SPAN_DAYS } from './replay.ts';

const HELP = `usage: vantage report --from TIME [--to TIME] [--check ID]... [--format table|csv|json|md]
                      [--out FILE] [--config FILE] [--results FILE | --endpoint URL | --region R --table T]

Per check over [--from, --to): the SLI and its objective, the error budget used and left, the time
up, down, partial, in maintenance and without data, the samples and latency, every incident that
overlaps the range (clipped to it: start, end, duration, first reason) and the downtime per
location. The accounting is README "SLOs": a minute is classed by the check's overall state, so
quorum applies; maintenance windows, silences and time without data are in neither good nor bad.
A check without an slo still gets its availability (PARTIAL counted as up), with no budget.

Where the figures come from:
  the table (default): the sweep's hour rollups and the incidents the evaluator stored
                   (a few reads per check, whatever the range; rollups live ${ROLLUP_RETENTION_DAYS} days)
  --results FILE   recorded results (JSON Lines, as \`vantage replay\` reads them, e.g. from
                   \`vantage export\`), run through the same policy and sweep as replay;
                   silences are not in a results file, so only the config's maintenance windows apply

  --from TIME      required; ISO 8601 with a zone (2026-11-01T00:00:00Z), epoch ms, or a time
                   before now: 7d, 24h, 30m (also now-7d, Grafana's form)
  --to TIME        default now; the same forms. Both are rounded down to the minute (the
                   accounting's unit), and from the table a --to past the last minute surely
                   accounted (the one before the current one) is brought back to it
  --check ID       this check (repeatable); default every check in the config
  --format F       table (default, for a terminal), csv (one row per check), json (the whole
                   report, keys in a fixed order) or md (Markdown: summary, then incidents and
                   downtime per check)
  --out, -o FILE   write here (whole or not at all) instead of stdout
  --config, -c F   the checks and their slo blocks (default: vantage.config.ts or checks.yaml here)
${CONNECTION_HELP}

CSV columns (header row first; empty cell = unknown):
${columnsHelp('  ')}

Exits 0 after a report, 2 on a usage, config or input error or when the table cannot be read.
`;

/** `7d`, `24h`, `30m`: that long before now; anything else as \`vantage export\` reads a time. */
function reportTime(text: string, flag: string, now: number): number {
  const ago = parseDuration(text);
  return ago !== undefined ? now - ago : timeOf(text, flag, now);
}

interface Request {
  from: number;
  to: number;
  format: ReportFormat;
  checkIds?: string[];
}

const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** Every flag problem, not the first: each becomes a line of one usage error. */
function requestOf(values: { from?: string | undefined; to?: string | undefined; format?: string | undefined; results?: string | undefined; endpoint?: string | undefined; region?: string | undefined; table?: string | undefined }, now: number, problems: string[]): Request | undefined {
  const time = (text: string | undefined, flag: string, fallback?: number) => {
    if (text === undefined || text === '') {
      if (fallback === undefined) problems.push(`${flag} is required (e.g. ${flag} 7d, or ${flag} 2026-11-01T00:00:00Z)`);
      return fallback;
    }
    try {
      return reportTime(text, flag, now);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.push(err.message);
      return undefined;
    }
  };
  const from = time(values.from, '--from');
  const to = time(values.to, '--to', now);
  const format = values.format ?? 'table';
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) problems.push(`--format: expected one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);
  if (values.results !== undefined && (values.endpoint !== undefined || values.region !== undefined || values.table !== undefined)) {
    problems.push('--results reads a file, not the table: leave out --endpoint, --region and --table');
  }
  if (from === undefined || to === undefined) return undefined;
  // In the table, the sweep that runs during the current minute accounts the one before it, so minutes
  // from there on may not be accounted yet: counted, they would be "no data" that is only "not yet".
  // A results file is replayed here, and its sweep at --to accounts the minute before it.
  const accounted = floorMinute(now) - (values.results === undefined ? MINUTE_MS : 0);
  const range = { from: floorMinute(from), to: Math.min(floorMinute(to), accounted) };
  if (range.from >= range.to) problems.push(`--from (${new Date(range.from).toISOString()}) must be before --to (${new Date(range.to).toISOString()}), both rounded down to the minute${floorMinute(to) > accounted ? ', and --to to the last minute surely accounted' : ''}`);
  return { ...range, format: format as ReportFormat };
}

async function configOrProblem(path: string, results: boolean, problems: string[]): Promise<LoadedConfig | undefined> {
  try {
    // From results it runs the policy on this machine, as replay does: deploy-only rules only warn.
    return await loadConfig(path, results ? { local: {} } : {});
  } catch (err) {
    if (!(err instanceof ConfigError) || problems.length === 0) throw err;
    problems.push(err.message);
    return undefined;
  }
}

function unknownChecks(asked: readonly string[] | undefined, config: LoadedConfig, path: string): string | undefined {
  const known = config.checks.map((c) => c.id);
  const unknown = [...new Set(asked ?? [])].filter((id) => !known.includes(id));
  if (unknown.length === 0) return undefined;
  return `--check: ${unknown.map((id) => `"${id}"`).join(', ')} not in ${path}; its checks: ${known.join(', ') || '(none)'}`;
}

interface Data {
  hours: Map<string, HourRollup[]>;
  incidents: Map<string, StoredIncident[]>;
}

/** At most this many input problems are listed; the rest are counted. */
const MAX_LISTED_ISSUES = 20;
const DAY_MS = 86_400_000;

function readResults(path: string, config: LoadedConfig, checks: LoadedConfig['checks'], request: Request): Data {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { showHelp: false });
  }
  const { results, issues } = parseResultLines(text);
  const known = new Set(config.checks.map((c) => c.id));
  for (const { line, record } of results) if (!known.has(record.checkId)) issues.push({ line, message: `unknown checkId "${record.checkId}" (not in the config)` });
  if (issues.length > 0) {
    issues.sort((a, b) => a.line - b.line);
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `  line ${i.line}: ${i.message}`);
    const more = issues.length > MAX_LISTED_ISSUES ? [`  … and ${issues.length - MAX_LISTED_ISSUES} more`] : [];
    throw new UsageError(`${path}: ${issues.length} problem(s)\n${[...listed, ...more].join('\n')}`, { showHelp: false });
  }
  const wanted = new Set(checks.map((c) => c.id));
  // A result after --to cannot change a minute before it: the sweep classes a minute from what had arrived by its end.
  const records = results.map((r) => r.record).filter((r) => wanted.has(r.checkId) && r.ts <= request.to);
  const first = records.reduce((min, r) => Math.min(min, r.ts), Infinity);
  if (first !== Infinity && (request.to - first) / DAY_MS > MAX_SPAN_DAYS) {
    throw new UsageError(`the results start ${new Date(first).toISOString()}, ${Math.round((request.to - first) / DAY_MS)} days before --to; at most ${MAX_SPAN_DAYS} days are replayed (the sweep runs every minute of them): trim the file or bring --to closer`, { showHelp: false });
  }
  const policies = new Map<string, PolicyInput>(checks.map((c) => [c.id, policyFor(c, config.maintenance)]));
  const outcome = backtest(policies, records, { until: request.to });
  const incidents = withMinuteLocations(incidentsFromNotifications(outcome.notifications), (id, from, to) => outcome.rollups.hours(id, from, to), request.to);
  return {
    hours: new Map(checks.map((c) => [c.id, outcome.rollups.hours(c.id, request.from, request.to)])),
    incidents: new Map(checks.map((c) => [c.id, incidents.filter((i) => i.checkId === c.id)])),
  };
}

/** Each check's hours and incidents: two Queries per check, a few checks at a time. */
async function readTable(conn: TableConnection, io: CliIO, checks: LoadedConfig['checks'], request: Request): Promise<Data | number> {
  try {
    const rollups = createRollupStore(conn.client, conn.tableName);
    const store = createStore({ client: conn.client, tableName: conn.tableName });
    const data: Data = { hours: new Map(), incidents: new Map() };
    await pool(checks, 4, async (c) => {
      const [hours, incidents] = await Promise.all([rollups.hours(c.id, request.from, request.to), store.listIncidentsBetween(c.id, request.from, request.to)]);
      data.hours.set(c.id, hours);
      data.incidents.set(c.id, incidents);
    });
    return data;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    io.stderr(`vantage report: ${describeStoreError(conn, err)}\n`);
    return EXIT.USAGE;
  }
}

/** Written beside the target and renamed, so a failed write never leaves half a report under the name asked for. */
function writeOut(path: string, text: string): void {
  const partial = `${path}.partial`;
  try {
    writeFileSync(partial, text);
    renameSync(partial, path);
  } catch (err) {
    throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { showHelp: false });
  }
}

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  check: { type: 'string', multiple: true },
  format: { type: 'string', short: 'f' },
  out: { type: 'string', short: 'o' },
  config: { type: 'string', short: 'c' },
  results: { type: 'string', short: 'r' },
  ...CONNECTION_OPTIONS,
} as const;

function connectionOrProblem(values: ConnectionFlags, io: CliIO, problems: string[]): TableConnection | undefined {
  try {
    return connectTable(values, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    problems.push(err.message);
    return undefined;
  }
}

const usageOf = (problems: readonly string[]) =>
  new UsageError(problems.length === 1 ? problems[0]! : `${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`, { showHelp: false });

export const report = defineCommand('report', HELP, async (argv, io) => {
  const { values } = parse(argv, OPTIONS);
  const now = Date.now();
  // Flags, connection, config and check ids are all judged before any is refused, so one run lists every problem.
  const problems: string[] = [];
  const request = requestOf(values, now, problems);
  const conn = values.results === undefined ? connectionOrProblem(values, io, problems) : undefined;
  try {
    const configPath = configPathFromArgs(values.config, io);
    const config = await configOrProblem(configPath, values.results !== undefined, problems);
    const unknown = config && unknownChecks(values.check, config, configPath);
    if (unknown) problems.push(unknown);
    if (problems.length > 0 || !request || !config) throw usageOf(problems);
    const asked = values.check ? new Set(values.check) : undefined;
    const checks = config.checks.filter((c) => !asked || asked.has(c.id));

    const data = conn ? await readTable(conn, io, checks, request) : readResults(values.results!, config, checks, request);
    if (typeof data === 'number') return data;
    const built = buildReport({ from: request.from, to: request.to, now, checks, hours: (id) => data.hours.get(id) ?? [], incidents: (id) => data.incidents.get(id) ?? [] });
    const text = formatReport(built, request.format);
    if (values.out === undefined) {
      io.stdout(text);
    } else {
      writeOut(values.out, text);
      io.stderr(`vantage report: ${checks.length} check(s), ${built.from} to ${built.to}, written to ${values.out}\n`);
    }
    return EXIT.OK;
  } finally {
    conn?.client.destroy();
  }
});

/**
 * `vantage replay`: backtests the alert policy on recorded results and prints the notifications it
 * would have sent. The policy is the evaluator's own (shared/evaluate), run by the stream handler's
 * rule for results and by the sweep's once a minute between them, so what replay prints is what the
 * deployment would have decided, silence and reminders included, given the same results.
 */
import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../../shared/config/load.ts';
import { backtest, parseResultLines } from '../../shared/evaluate/backtest.ts';
import { policyFor, type Notification, type PolicyInput } from '../../shared/evaluate/index.ts';
import { defineCommand, parse, required, UsageError } from '../args.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage replay --config FILE --results RESULTS.jsonl [--until TIME] [--json]

Feeds recorded results through the alert policy of each check in the config, in time order, and
prints the notifications it would have sent: "what would this policy have paged on last week?"
Between results the deployed sweep runs at every minute, so a location that stops reporting gets
its LOCATION_SILENT, and a check that stays DOWN its REMINDERs, at the minute the deployment sends them.

Each line of RESULTS is one result:
  {"checkId":"api","location":"eu-west-1","ts":"2026-11-03T12:00:00Z","ok":false,"status":"down",
   "failure":{"reason":"connect_timeout","message":"..."}}
ts is an ISO 8601 time with a zone, or epoch milliseconds. latencyMs, phases, target and
certExpiresAt (or tls.certExpiresAt, as vantage run --json prints it) are optional.

  --config, -c FILE     the checks config whose policies to test
  --results, -r FILE    recorded results, JSON Lines
  --until TIME          keep sweeping up to TIME (ISO 8601 with a zone, or epoch ms), to see what
                        follows the last result; default: the newest result's time.
                        At most 62 days are replayed (the sweep runs every minute of them).
  --json                one JSON object per notification:
                        {event, checkId, at, locations, incidentId, dedupeKey[, durationMs]
                         [, certExpiresAt, certDaysLeft]}

Exits 0 after a replay (whatever it found), 2 on a usage, config or input error.
`;

const iso = (ms: number) => new Date(ms).toISOString();

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const parts = [[Math.floor(s / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  return parts.filter(([v]) => v > 0).map(([v, u]) => `${v}${u}`).join(' ') || '0s';
}

function describe(n: Notification): string {
  // A failing location that went silent is still named, marked so: it is why a REMINDER can come with no results arriving.
  const failing = n.locations.filter((l) => l.failing).map((l) => {
    const notes = [l.reason, l.silent && 'silent'].filter(Boolean);
    return `${l.location}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
  });
  switch (n.event) {
    case 'DOWN':
    case 'PARTIAL':
    case 'REMINDER':
      return `failing: ${failing.join(', ') || 'none'}${n.since !== undefined ? `, since ${iso(n.since)}` : ''}`;
    case 'DEGRADED':
      return `slow: ${n.locations.filter((l) => l.degraded).map((l) => l.location).join(', ')}`;
    case 'RESOLVED':
      return `after ${duration(n.durationMs ?? 0)}`;
    case 'LOCATION_SILENT':
      return `no results from ${n.locations.map((l) => l.location).join(', ')}`;
    case 'CERT_EXPIRING':
      return `certificate expires ${iso(n.certExpiresAt!)} (${n.certDaysLeft} days left), seen from ${n.locations.map((l) => l.location).join(', ')}`;
  }
}

function readable(n: Notification): string {
  return `${iso(n.at)}  ${n.event.padEnd(15)}  ${n.checkId}  ${describe(n)}  [${n.incidentId}]`;
}

function json(n: Notification): string {
  return JSON.stringify({
    event: n.event, checkId: n.checkId, at: iso(n.at), locations: n.locations, incidentId: n.incidentId, dedupeKey: n.dedupeKey,
    ...(n.durationMs !== undefined && { durationMs: n.durationMs }),
    ...(n.certExpiresAt !== undefined && { certExpiresAt: iso(n.certExpiresAt), certDaysLeft: n.certDaysLeft }),
  });
}


/** Zone-less times are refused, as in the results file: they would be read in the machine's zone. */
function untilOf(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : /(Z|[+-]\d{2}:\d{2})$/i.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--until: expected an ISO 8601 time with a zone (…Z or …+01:00) or epoch milliseconds, got "${text}"`);
  return ms;
}

const DAY_MS = 86_400_000;
/** The longest span replayed (see the check in `replay`). */
export const MAX_SPAN_DAYS = 62;

/** At most this many input problems are listed; the rest are counted. */
const MAX_LISTED_ISSUES = 20;

export const replay = defineCommand('replay', HELP, async (argv, io) => {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, results: { type: 'string', short: 'r' }, until: { type: 'string' }, json: { type: 'boolean' } });
  const configPath = required(values.config, '--config');
  const resultsPath = required(values.results, '--results');
  const until = values.until === undefined ? undefined : untilOf(values.until);

  const policies = new Map<string, PolicyInput>();
  for (const check of loadConfigFile(configPath, { local: {} }).checks) policies.set(check.id, policyFor(check));

  let text: string;
  try {
    text = readFileSync(resultsPath, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${resultsPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { showHelp: false });
  }
  const { results, issues } = parseResultLines(text);
  for (const { line, record } of results) {
    if (!policies.has(record.checkId)) issues.push({ line, message: `unknown checkId "${record.checkId}" (not in ${configPath})` });
  }
  if (issues.length > 0) {
    issues.sort((a, b) => a.line - b.line);
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `  line ${i.line}: ${i.message}`);
    const more = issues.length > MAX_LISTED_ISSUES ? [`  … and ${issues.length - MAX_LISTED_ISSUES} more`] : [];
    throw new UsageError(`${resultsPath}: ${issues.length} problem(s)\n${[...listed, ...more].join('\n')}`, { showHelp: false });
  }

  // The sweep runs every replayed minute, so the span bounds the work: a year is about half a
  // million evaluations per check. Results live 30 days in the table, so two months covers any export.
  if (results.length > 0) {
    // A loop, not Math.min(...): a long export would overflow the argument list.
    let first = Infinity;
    let last = until ?? -Infinity;
    for (const { record } of results) {
      first = Math.min(first, record.ts);
      last = Math.max(last, record.ts);
    }
    const days = (last - first) / DAY_MS;
    if (days > MAX_SPAN_DAYS) {
      throw new UsageError(`the replayed span is ${Math.round(days)} days (${new Date(first).toISOString()} to ${new Date(last).toISOString()}${until !== undefined ? ', with --until' : ''}); at most ${MAX_SPAN_DAYS} days are replayed, since the sweep runs every minute of it: split the results, or bring --until closer`, { showHelp: false });
    }
  }

  // The policy ignores results from locations a check does not run in; say so rather than hide it.
  const foreign = new Map<string, number>();
  for (const { record } of results) {
    if (!policies.get(record.checkId)!.locations.includes(record.location)) {
      const key = `${record.checkId}@${record.location}`;
      foreign.set(key, (foreign.get(key) ?? 0) + 1);
    }
  }
  for (const [key, count] of foreign) io.stderr(`vantage replay: ignored ${count} result(s) from ${key}: not a location of the check\n`);

  const { notifications } = backtest(policies, results.map((r) => r.record), until !== undefined ? { until } : {});
  if (values.json) {
    io.stdout(notifications.map((n) => `${json(n)}\n`).join(''));
  } else {
    io.stdout(notifications.map((n) => `${readable(n)}\n`).join(''));
    const checks = new Set(results.map((r) => r.record.checkId)).size;
    const pages = notifications.filter((n) => n.event === 'DOWN').length;
    io.stdout(`${notifications.length} notification(s), ${pages} DOWN page(s), from ${results.length} result(s) of ${checks} check(s)\n`);
  }
  return EXIT.OK;
});

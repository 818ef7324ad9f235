/**
 * `vantage replay`: backtests the alert policy on recorded results and prints the notifications it
 * would have sent. The policy is the evaluator's own (shared/evaluate), run by the stream handler's
 * rule for results and by the sweep's once a minute between them, so what replay prints is what the
 * deployment would have decided, silence and reminders included, given the same results. The config's
 * maintenance windows apply; silences are items in the table, not in a results file, so none apply.
 */
import { readFileSync } from 'node:fs';
import { backtest, parseResultLines, type Suppressed } from '../../shared/evaluate/backtest.ts';
import { DEFAULT_LOCATIONS } from '../../shared/config/defaults.ts';
import { loadConfig } from '../../shared/config/load.ts';
import { budgetWords, burnWords } from '../../shared/alert/message.ts';
import { policyFor, type BurnFacts, type Notification, type PolicyInput, type Suppression } from '../../shared/evaluate/index.ts';
import { defineCommand, parse, required, UsageError } from '../args.ts';
import { configPathFromArgs } from '../config-arg.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage replay [--config FILE] --results RESULTS.jsonl [--until TIME] [--explain] [--json]

Feeds recorded results through the alert policy of each check in the config, in time order, and
prints the notifications it would have sent: "what would this policy have paged on last week?"
Between results the deployed sweep runs at every minute, so a location that stops reporting gets
its LOCATION_SILENT, and a check that stays DOWN its REMINDERs and ESCALATIONs, at the minute the
deployment sends them.
A check with an \`slo\` is accounted minute by minute as the sweep does, and its burn-rate rules are
read every 5 minutes: BUDGET_BURN lines show the rule, both windows' rates and the budget left.

The config's maintenance windows apply: what they hold back is not printed (see --explain), and a
check still failing when its window ends pages then. Silences (vantage silence) are kept in the
table, not in a results file, so replay applies maintenance windows from the config only.

Each line of RESULTS is one result:
  {"checkId":"api","location":"eu-west-1","ts":"2026-11-03T12:00:00Z","ok":false,"status":"down",
   "failure":{"reason":"connect_timeout","message":"..."}}
ts is an ISO 8601 time with a zone, or epoch milliseconds. latencyMs, phases, target and
certExpiresAt (or tls.certExpiresAt, as vantage run --json prints it) are optional; other fields
are ignored. \`vantage export\` writes this form from the table, and \`vantage run --json\` output
replays as is: startedAt stands for ts, and a line without a location is from \`local\` (where
vantage run probes without --location, and where a config's checks run by default).

  --config, -c FILE     the checks config whose policies to test (default: vantage.config.ts or checks.yaml here)
  --results, -r FILE    recorded results, JSON Lines
  --until TIME          keep sweeping up to TIME (ISO 8601 with a zone, or epoch ms), to see what
                        follows the last result; default: the newest result's time.
                        At most 62 days are replayed (the sweep runs every minute of them).
  --explain             also print each notification that was decided but not sent, marked
                        "suppressed", with why: the maintenance window (and until when) or flapping
  --json                one JSON object per notification:
                        {event, checkId, at, locations, incidentId, dedupeKey[, durationMs]
                         [, certExpiresAt, certDaysLeft][, level, channels]
                         [, severity, burn: {rule, severity, factor, longWindowMs,
                            shortWindowMs, longRate, shortRate, objective, budgetRemaining}]}
                        with --explain, suppressed ones too, each with
                        "suppressed": {kind, name[, until]}

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
    case 'ESCALATION':
      return `level ${n.level ?? '?'} to ${n.channels.join(', ') || '(no channel)'}; failing: ${failing.join(', ') || 'none'}${n.since !== undefined ? `, since ${iso(n.since)}` : ''}`;
    case 'FLAPPING':
      return `now ${n.overall}; held until stable`;
    case 'BUDGET_BURN':
      return n.burn ? burnLine(n.burn) : 'error budget burning';
  }
}

/** `page-1h (page): burning 16.0× over 1h and 48.0× over 5m, 97.2% of the error budget left, objective 99.9%`. */
function burnLine(b: BurnFacts): string {
  return `${b.rule} (${b.severity}): ${burnWords(b)}, ${budgetWords(b) ?? 'budget left unknown'}, objective ${b.objective}%`;
}

function readable(n: Notification): string {
  return `${iso(n.at)}  ${n.event.padEnd(15)}  ${n.checkId}  ${describe(n)}  [${n.incidentId}]`;
}

/** `02:30Z` on the same UTC day as `at` (seconds only when there are any), the whole time otherwise. */
function shortUntil(until: number, at: number): string {
  const u = iso(until);
  const time = u.slice(11, 19).replace(/:00$/, '');
  return u.slice(0, 10) === iso(at).slice(0, 10) ? `${time}Z` : `${u.slice(0, 10)}T${time}Z`;
}

/** Why a notification was held back, as --explain prints it: `maintenance weekly-deploy until 02:30Z`. */
export function reasonOf(by: Suppression, at: number): string {
  if (by.kind === 'flapping') return `flapping, episode ${by.name}: held until stable`;
  return `${by.kind} ${by.name}${by.until !== undefined ? ` until ${shortUntil(by.until, at)}` : ''}`;
}

const SENT = 'sent'.padEnd('suppressed'.length);

function readableSuppressed({ notification: n, by }: Suppressed): string {
  return `suppressed  ${iso(n.at)}  ${n.event.padEnd(15)}  ${n.checkId}  (${reasonOf(by, n.at)})  ${describe(n)}  [${n.incidentId}]`;
}

function fields(n: Notification): Record<string, unknown> {
  return {
    event: n.event, checkId: n.checkId, at: iso(n.at), locations: n.locations, incidentId: n.incidentId, dedupeKey: n.dedupeKey,
    ...(n.durationMs !== undefined && { durationMs: n.durationMs }),
    ...(n.certExpiresAt !== undefined && { certExpiresAt: iso(n.certExpiresAt), certDaysLeft: n.certDaysLeft }),
    ...(n.event === 'ESCALATION' && { level: n.level, channels: n.channels }),
    ...(n.burn !== undefined && { severity: n.severity, burn: n.burn }),
  };
}

function json(n: Notification): string {
  return JSON.stringify(fields(n));
}

function jsonSuppressed({ notification, by }: Suppressed): string {
  return JSON.stringify({ ...fields(notification), suppressed: { kind: by.kind, name: by.name, ...(by.until !== undefined && { until: iso(by.until) }) } });
}

/** Sent and (with --explain) suppressed lines merged in time order; on a tie, what was sent first. */
function merged(sent: Notification[], held: Suppressed[], ofSent: (n: Notification) => string, ofHeld: (s: Suppressed) => string): string {
  const lines: Array<{ at: number; text: string }> = [...sent.map((n) => ({ at: n.at, text: ofSent(n) })), ...held.map((s) => ({ at: s.notification.at, text: ofHeld(s) }))];
  return lines.sort((a, b) => a.at - b.at).map((l) => `${l.text}\n`).join('');
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
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, results: { type: 'string', short: 'r' }, until: { type: 'string' }, explain: { type: 'boolean' }, json: { type: 'boolean' } });
  const configPath = configPathFromArgs(values.config, io);
  const resultsPath = required(values.results, '--results');
  const until = values.until === undefined ? undefined : untilOf(values.until);

  const policies = new Map<string, PolicyInput>();
  const config = await loadConfig(configPath, { local: {} });
  for (const check of config.checks) policies.set(check.id, policyFor(check, config.maintenance));

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
  for (const [key, count] of foreign) {
    const hint = key.endsWith(`@${DEFAULT_LOCATIONS[0]}`) ? ` (a line without a location is from ${DEFAULT_LOCATIONS[0]}: run \`vantage run --json --location NAME\` to record one of its locations)` : '';
    io.stderr(`vantage replay: ignored ${count} result(s) from ${key}: not a location of the check${hint}\n`);
  }

  const { notifications, suppressed } = backtest(policies, results.map((r) => r.record), until !== undefined ? { until } : {});
  const held = values.explain ? suppressed : [];
  if (values.json) {
    io.stdout(merged(notifications, held, json, jsonSuppressed));
  } else {
    io.stdout(merged(notifications, held, (n) => (values.explain ? `${SENT}  ${readable(n)}` : readable(n)), readableSuppressed));
    const checks = new Set(results.map((r) => r.record.checkId)).size;
    const pages = notifications.filter((n) => n.event === 'DOWN').length;
    const note = suppressed.length === 0 ? '' : `; ${suppressed.length} suppressed${values.explain ? '' : ' (--explain lists them)'}`;
    io.stdout(`${notifications.length} notification(s), ${pages} DOWN page(s), from ${results.length} result(s) of ${checks} check(s)${note}\n`);
  }
  return EXIT.OK;
});

/**
 * `vantage silence add | list | expire`: ad-hoc silences, stored as SILENCE items in the results
 * table (shared/store/keys.ts), which the evaluator and the sweep read once per run and honour like
 * maintenance windows (shared/usecases/silences.ts). For CI and chat-ops: "deploying api, quiet for
 * 30 minutes", with who asked for it and when it ends on every silence.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { formatDuration as humanDuration } from '../../shared/alert/text.ts';
import { parseDuration } from '../../shared/config/duration.ts';
import { parseInstant } from '../../shared/config/instant.ts';
import { loadConfig, type LoadedConfig } from '../../shared/config/load.ts';
import { createStore, SilenceExistsError, type Store, type StoredSilence } from '../../shared/store/dynamo.ts';
import { StoreError } from '../../shared/store/errors.ts';
import { silenceApplies } from '../../shared/usecases/silences.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { EXIT, type CliIO } from '../io.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectTable, describeStoreError, type ConnectionFlags, type TableConnection } from '../table-connection.ts';

const HELP = `usage: vantage silence add (--check ID | --tag KEY=VALUE)... (--for DURATION | --until TIME)
                         [--starts TIME] [--comment TEXT] [--by NAME] [--config FILE] [--json]
       vantage silence list [--all] [--json]
       vantage silence expire ID

Silences stop notifications for the checks they match: results are still recorded and counted, the
check shows MAINTENANCE, and when the silence ends (or is expired) a check still failing pages then,
as a new incident. An incident already open keeps its DOWN; its reminders pause; its RESOLVED is sent.

add
  --check ID         a check id; repeat for more (a silence matches any of them)
  --tag KEY=VALUE    a tag; repeat for more (a silence matches checks with all of them).
                     With both --check and --tag, a check must match both.
  --for DURATION     how long from the start: 30m, 2h, 1d
  --until TIME       or when it ends: ISO 8601 with a zone (2026-12-05T23:00:00Z)
  --starts TIME      when it starts (ISO 8601 with a zone); default now
  --comment TEXT     why, for whoever wonders later
  --by NAME          who or what made it; default user@host
  --config FILE      refuse check ids and tags that match no check in FILE; without it they are
                     not verified, and a warning says so
list                 the active and upcoming silences
  --all              the ended ones too (kept 30 days after they end)
  --json             one JSON object per silence, with "state": active, upcoming or expired
expire ID            ends the silence now

every subcommand
${CONNECTION_HELP}
Against AWS, credentials come from the usual AWS SDK chain (environment, profile, SSO, role).
Exit codes: 0 done, 2 usage error, an unknown silence, or the table cannot be reached.
`;

/** A comment is for people skimming a list; the cap keeps an item small (it is read by every evaluator run). */
const COMMENT_MAX = 500;
const SILENCE_ID = /^s-[0-9a-f]{8}$/;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  check: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  for: { type: 'string' },
  until: { type: 'string' },
  starts: { type: 'string' },
  comment: { type: 'string' },
  by: { type: 'string' },
  config: { type: 'string', short: 'c' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

/** `2026-12-05T23:00:00Z`: to the second, as silences are written. */
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

function parseTime(text: string, flag: string): number {
  const ms = parseInstant(text);
  if (ms === undefined) throw new UsageError(`${flag} must be an ISO 8601 time with a zone, like 2026-12-05T23:00:00Z (got "${text}")`, { showHelp: false });
  return ms;
}

function parseTags(pairs: readonly string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag must be KEY=VALUE (got "${pair}")`, { showHelp: false });
    const key = pair.slice(0, eq);
    // A silence needs all of its tags, and one key cannot hold two values: it would match nothing.
    if (Object.hasOwn(tags, key)) throw new UsageError(`--tag ${key} given twice: a check has one value per tag`, { showHelp: false });
    tags[key] = pair.slice(eq + 1);
  }
  return tags;
}

/** When the silence starts and ends (epoch ms), from --starts and --for or --until. */
function spanOf(values: Values, now: number): { start: number; end: number } {
  if (values.for !== undefined && values.until !== undefined) throw new UsageError('give --for or --until, not both', { showHelp: false });
  if (values.for === undefined && values.until === undefined) throw new UsageError('give --for DURATION or --until TIME: a silence always ends');
  const start = values.starts !== undefined ? parseTime(values.starts, '--starts') : now;
  let end: number;
  if (values.for !== undefined) {
    const ms = parseDuration(values.for);
    if (ms === undefined || !(ms > 0) || !Number.isFinite(start + ms) || !Number.isFinite(new Date(start + ms).getTime())) {
      throw new UsageError(`--for must be a duration like 30m, 2h or 1d (got "${values.for}")`, { showHelp: false });
    }
    end = start + ms;
  } else {
    end = parseTime(values.until!, '--until');
    if (end <= now) throw new UsageError(`--until ${values.until} is in the past`, { showHelp: false });
  }
  if (end <= start) throw new UsageError(`the silence would end (${isoSeconds(end)}) before it starts (${isoSeconds(start)})`, { showHelp: false });
  if (end <= now) throw new UsageError(`the silence would have ended already (${isoSeconds(end)})`, { showHelp: false });
  return { start, end };
}

function defaultCreator(env: CliIO['env']): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment may still say.
  }
  return `${user ?? env.USER ?? 'unknown'}@${hostname()}`;
}

/** The silence `add` describes, not yet stored (its id is drawn when it is written). */
export function silenceFromFlags(values: Values, now: number, env: CliIO['env']): Omit<StoredSilence, 'id'> {
  const checks = [...new Set(values.check ?? [])];
  const tags = parseTags(values.tag ?? []);
  if (checks.some((c) => c === '')) throw new UsageError('--check needs a check id', { showHelp: false });
  if (checks.length === 0 && tags === undefined) throw new UsageError('give at least one --check ID or --tag KEY=VALUE: a silence never covers every check');
  const { start, end } = spanOf(values, now);
  if (values.comment !== undefined && values.comment.length > COMMENT_MAX) throw new UsageError(`--comment is ${values.comment.length} characters; keep it to ${COMMENT_MAX}`, { showHelp: false });
  return {
    ...(checks.length > 0 && { checks }),
    ...(tags && { tags }),
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(end).toISOString(),
    createdBy: values.by ?? defaultCreator(env),
    createdAt: new Date(now).toISOString(),
    ...(values.comment !== undefined && values.comment !== '' && { comment: values.comment }),
  };
}

/** What in the silence matches nothing in the config, every problem at once: a typo would silence nothing. */
export function unmatched(silence: Pick<StoredSilence, 'checks' | 'tags'>, config: Pick<LoadedConfig, 'checks'>): string[] {
  const problems: string[] = [];
  const ids = new Set(config.checks.map((c) => c.id));
  for (const id of silence.checks ?? []) if (!ids.has(id)) problems.push(`--check ${id}: no check with this id`);
  for (const [k, v] of Object.entries(silence.tags ?? {})) {
    if (!config.checks.some((c) => c.tags?.[k] === v)) problems.push(`--tag ${k}=${v}: no check has this tag`);
  }
  if (problems.length === 0 && !config.checks.some((c) => silenceApplies(silence, c))) problems.push('the silence matches no check: no check has both one of the ids and all of the tags');
  return problems;
}

const matchers = (s: Pick<StoredSilence, 'checks' | 'tags'>) => [
  ...(s.checks?.length ? [`checks ${s.checks.join(',')}`] : []),
  ...(Object.keys(s.tags ?? {}).length ? [`tags ${Object.entries(s.tags!).map(([k, v]) => `${k}=${v}`).join(',')}`] : []),
].join(' and ');

/** The connection flags as the user gave them, for the commands `add` suggests. */
function flagsText(flags: ConnectionFlags): string {
  return [['--endpoint', flags.endpoint], ['--table', flags.table], ['--region', flags.region]].filter(([, v]) => v !== undefined).map(([f, v]) => ` ${f} ${v}`).join('');
}

/** The silence `add` will write, checked against the config when there is one; before anything is connected. */
async function prepareAdd(values: Values, now: number, io: CliIO): Promise<Omit<StoredSilence, 'id'>> {
  const draft = silenceFromFlags(values, now, io.env);
  if (values.config !== undefined) {
    const problems = unmatched(draft, await loadConfig(values.config));
    if (problems.length > 0) throw new UsageError(`not added; in ${values.config}:\n${problems.map((p) => `  ${p}`).join('\n')}`, { showHelp: false });
  } else {
    io.stderr('vantage silence: warning: check ids and tags were not verified (pass --config FILE to refuse ones that match no check)\n');
  }
  return draft;
}

async function add(draft: Omit<StoredSilence, 'id'>, now: number, values: Values, conn: TableConnection, store: Store, io: CliIO): Promise<number> {
  let silence: StoredSilence | undefined;
  // Ids are 32 random bits: a collision is rare, and the store refuses it rather than overwrite.
  for (let attempt = 0; !silence; attempt++) {
    const candidate = { id: `s-${randomBytes(4).toString('hex')}`, ...draft };
    try {
      await store.putSilence(candidate);
      silence = candidate;
    } catch (err) {
      if (!(err instanceof SilenceExistsError) || attempt >= 2) throw err;
    }
  }
  if (values.json) {
    io.stdout(`${JSON.stringify(silence)}\n`);
    return EXIT.OK;
  }
  const start = Date.parse(silence.startsAt);
  const end = Date.parse(silence.endsAt);
  io.stdout([
    `silence ${silence.id} added in ${conn.where}: ${matchers(silence)}`,
    `  from ${isoSeconds(start)} until ${isoSeconds(end)} (${humanDuration(end - start)})${start > now ? `, starts in ${humanDuration(start - now)}` : ''}, by ${silence.createdBy}`,
    `  end it early: vantage silence expire ${silence.id}${flagsText(values)}`,
    '',
  ].join('\n'));
  return EXIT.OK;
}

export type SilenceState = 'active' | 'upcoming' | 'expired';

export function stateOf(s: Pick<StoredSilence, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (Date.parse(s.endsAt) <= now) return 'expired';
  return Date.parse(s.startsAt) > now ? 'upcoming' : 'active';
}

/** A comment on one row: line breaks would split the table. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The list as a table. Pure: the clock is passed in. */
export function formatSilences(silences: readonly StoredSilence[], now: number): string {
  const stateText = (s: StoredSilence) => {
    const state = stateOf(s, now);
    if (state === 'upcoming') return `starts in ${humanDuration(Date.parse(s.startsAt) - now)}`;
    if (state === 'active') return `active, ${humanDuration(Date.parse(s.endsAt) - now)} left`;
    return s.expiredAt !== undefined ? 'expired (ended early)' : 'expired';
  };
  const header = ['ID', 'MATCHES', 'FROM', 'UNTIL', 'STATE', 'BY', 'COMMENT'];
  const rows = silences.map((s) => [s.id, matchers(s), isoSeconds(Date.parse(s.startsAt)), isoSeconds(Date.parse(s.endsAt)), stateText(s), s.createdBy, oneLine(s.comment ?? '')]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

async function list(values: Values, conn: TableConnection, store: Store, io: CliIO): Promise<number> {
  const now = Date.now();
  const all = await store.listSilences();
  const shown = values.all ? all : all.filter((s) => stateOf(s, now) !== 'expired');
  if (values.json) io.stdout(shown.map((s) => JSON.stringify({ ...s, state: stateOf(s, now) })).join('\n') + (shown.length ? '\n' : ''));
  else if (shown.length === 0) io.stdout(`no ${values.all ? '' : 'active or upcoming '}silences in ${conn.where}${values.all ? '' : ' (--all shows the ended ones)'}\n`);
  else io.stdout(formatSilences(shown, now));
  return EXIT.OK;
}

async function expire(id: string, conn: TableConnection, store: Store, io: CliIO): Promise<number> {
  const at = new Date();
  const expired = SILENCE_ID.test(id) ? await store.expireSilence(id, at) : undefined;
  if (!expired) {
    io.stderr(`vantage silence: no silence ${id} in ${conn.where} (\`vantage silence list --all\` shows them)\n`);
    return EXIT.USAGE;
  }
  const end = Date.parse(expired.endsAt);
  io.stdout(end < at.getTime()
    ? `silence ${id} had already ended at ${isoSeconds(end)}\n`
    : `silence ${id} expired at ${isoSeconds(end)}: ${matchers(expired)} alert again from the next evaluation (within a minute), and a check still failing pages then\n`);
  return EXIT.OK;
}

/** Flags that belong to one subcommand only are refused on the others, so a misplaced one is not silently ignored. */
const ONLY = { add: ['check', 'tag', 'for', 'until', 'starts', 'comment', 'by', 'config', 'json'], list: ['all', 'json'], expire: [] } as const;

export const silence = defineCommand('silence', HELP, async (argv, io) => {
  const { values, positionals } = parse(argv, OPTIONS, true);
  const [sub, ...rest] = positionals;
  if (sub !== 'add' && sub !== 'list' && sub !== 'expire') throw new UsageError(sub === undefined ? 'which one: add, list or expire?' : `unknown subcommand "${sub}": add, list or expire`);
  const allowed = new Set<string>([...Object.keys(CONNECTION_OPTIONS), ...ONLY[sub]]);
  const misplaced = Object.keys(values).filter((k) => !allowed.has(k));
  if (misplaced.length > 0) throw new UsageError(`${misplaced.map((k) => `--${k}`).join(', ')} not accepted by "silence ${sub}"`);
  if (sub === 'expire' ? rest.length !== 1 : rest.length > 0) throw new UsageError(sub === 'expire' ? 'usage: vantage silence expire ID' : `unexpected argument "${rest[0]}"`);

  const now = Date.now();
  const draft = sub === 'add' ? await prepareAdd(values, now, io) : undefined;
  const conn = connectTable(values, io.env);
  const store = createStore({ client: conn.client, tableName: conn.tableName });
  try {
    if (draft) return await add(draft, now, values, conn, store, io);
    if (sub === 'list') return await list(values, conn, store, io);
    return await expire(rest[0]!, conn, store, io);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    io.stderr(`vantage silence: ${describeStoreError(conn, err, sub === 'list' ? 'read' : 'write to')}\n`);
    return EXIT.USAGE;
  } finally {
    conn.client.destroy();
  }
});

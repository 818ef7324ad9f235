/**
 * `vantage export`: results out of the table as JSON Lines, in the form `vantage replay --results`
 * reads, so "what would this policy have paged on last week?" runs on what was really recorded.
 * Each check's results are read a Query page at a time and merged by time as they arrive, so memory
 * holds one page per check however long the span.
 */
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseDuration } from '../../shared/config/duration.ts';
import { parseInstant } from '../../shared/config/instant.ts';
import { findConfig } from '../../shared/config/load.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { StoreError } from '../../shared/store/errors.ts';
import type { StoredResult } from '../../shared/store/items.ts';
import { exportedResult, resultPages } from '../../shared/store/result-pages.ts';
import { defineCommand, parse, required, UsageError } from '../args.ts';
import { configFromArgs } from '../config-arg.ts';
import { EXIT, type CliIO } from '../io.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectTable, describeStoreError, type TableConnection } from '../table-connection.ts';

const HELP = `usage: vantage export --from TIME --to TIME [--check ID]... [--location L] [--config FILE]
                      [--out FILE] [--endpoint URL | --region R] [--table T]

Writes the recorded results of checks as JSON Lines, oldest first, in the form
\`vantage replay --results\` reads:
  vantage export --endpoint http://127.0.0.1:PORT --from now-2h --to now > results.jsonl
  vantage replay --config checks.yaml --results results.jsonl

Which checks: each --check ID; else every check in --config (or in the config found in the
current directory, as vantage run finds it); else the checks that have a state item in the
table, found by a Scan that reads the whole table (the evaluator writes a state when a check
first fails, so a check that never failed has none: name it with --check). Which it used is
said on stderr.

  --from TIME, --to TIME  the span, both inclusive: ISO 8601 with a zone (2026-12-01T10:00:00Z),
                          epoch milliseconds, \`now\`, or a time before now as Grafana writes
                          it: now-2h, now-30m, now-7d (or --from=-2h)
  --check ID              this check (repeatable)
  --location L            only results recorded in location L
  --config, -c FILE       the checks to export when no --check is given
  --out, -o FILE          write here (whole or not at all) instead of stdout
${CONNECTION_HELP}

Each line: {checkId, location, ts, ok, status[, failure], latencyMs, phases[, target]
[, certExpiresAt][, httpStatus, httpVersion], retries[, trigger][, instance][, icmp]}.
Results live 30 days in the table (their TTL). Exits 0 after an export (even of nothing), 2 on a
usage or config error or when the table cannot be read.
`;

/**
 * `now`, `now-2h` (Grafana's relative time; `-2h` too, though a flag parser reads `--from -2h` as a
 * flag, so that needs `--from=-2h`), ISO 8601 with a zone, or epoch ms. A zone-less time is refused,
 * as replay refuses it: it would be read in the machine's zone.
 */
export function timeOf(text: string, flag: string, now: number): number {
  const t = text.trim();
  const ago = /^(?:now)?-(.+)$/.exec(t);
  const before = ago ? parseDuration(ago[1]!) : undefined;
  const ms = t === 'now' ? now : before !== undefined ? now - before : /^\d+$/.test(t) ? Number(t) : parseInstant(t);
  // Date's own range (±8.64e15 ms): past it there is no ISO 8601 form to put in a key.
  if (ms === undefined || !Number.isFinite(new Date(ms).getTime())) {
    throw new UsageError(`${flag}: expected an ISO 8601 time with a zone (…Z or …+01:00), epoch milliseconds, \`now\` or a time before now like now-2h, got "${text}"`, { showHelp: false });
  }
  return ms;
}

/** Where the checks came from, for the note on stderr. */
type Chosen = { ids: string[]; from: 'flags' | 'config' | 'states' };

async function chooseChecks(values: { check?: string[] | undefined; config?: string | undefined }, conn: TableConnection, io: CliIO): Promise<Chosen> {
  if (values.check?.length) return { ids: [...new Set(values.check)], from: 'flags' };
  // A config found in the current directory counts as given (configFromArgs names it), as in every command that reads one.
  if (values.config !== undefined || findConfig(io.cwd ?? process.cwd()) !== undefined) {
    return { ids: (await configFromArgs(values.config, io)).config.checks.map((c) => c.id), from: 'config' };
  }
  const states = await createStore({ client: conn.client, tableName: conn.tableName }).listStates();
  return { ids: states.map((s) => s.checkId).sort(), from: 'states' };
}

/** One cursor per check, each over its pages, oldest first. */
interface Cursor {
  pages: AsyncIterator<StoredResult[]>;
  page: StoredResult[];
  at: number;
}

async function advance(c: Cursor): Promise<boolean> {
  if (c.at < c.page.length) return true;
  const next = await c.pages.next();
  if (next.done) return false;
  c.page = next.value;
  c.at = 0;
  return c.page.length > 0 || advance(c);
}

/**
 * The checks' results merged into one time order. `ts` is `toISOString()` output, fixed width, so
 * string order is time order; on a tie the check named first goes first, and within a check the
 * table's key order (location, instance) holds.
 */
async function* byTime(cursors: Cursor[]): AsyncGenerator<StoredResult> {
  let live: Cursor[] = [];
  for (const c of cursors) if (await advance(c)) live.push(c);
  while (live.length > 0) {
    let min: Cursor = live[0]!;
    for (const c of live) if (c.page[c.at]!.ts < min.page[min.at]!.ts) min = c;
    yield min.page[min.at++]!;
    if (!(await advance(min))) live = live.filter((c) => c !== min);
  }
}

/** Lines are written in chunks of about this many characters: one write per line would be slow, one per export unbounded. */
const CHUNK_CHARS = 64 * 1024;

interface Sink {
  write(text: string): Promise<void>;
  /** Makes the output whole (renames the file into place). */
  commit(): Promise<void>;
  /** Leaves nothing behind after a failure. */
  abandon(): Promise<void>;
}

function stdoutSink(io: CliIO): Sink {
  return { write: async (t) => io.stdout(t), commit: async () => {}, abandon: async () => {} };
}

/** Written beside the target and renamed at the end, so a failed export never leaves half a file under the name asked for. */
function fileSink(path: string): Sink {
  const partial = `${path}.partial`;
  const stream: WriteStream = createWriteStream(partial);
  const failed = once(stream, 'error').then(([err]) => { throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { showHelp: false }); });
  failed.catch(() => {});
  return {
    async write(t) {
      if (!stream.write(t)) await Promise.race([once(stream, 'drain'), failed]);
    },
    async commit() {
      stream.end();
      await Promise.race([once(stream, 'finish'), failed]);
      renameSync(partial, path);
    },
    async abandon() {
      // After 'close': a stream destroyed before its file opened still creates the file.
      if (!stream.closed) {
        const closed = once(stream, 'close').catch(() => {});
        stream.destroy();
        await closed;
      }
      rmSync(partial, { force: true });
    },
  };
}

async function writeLines(results: AsyncIterable<StoredResult>, location: string | undefined, sink: Sink): Promise<{ lines: number; checks: Set<string> }> {
  let chunk = '';
  let lines = 0;
  const checks = new Set<string>();
  for await (const r of results) {
    if (location !== undefined && r.location !== location) continue;
    chunk += `${JSON.stringify(exportedResult(r))}\n`;
    lines++;
    checks.add(r.checkId);
    if (chunk.length >= CHUNK_CHARS) {
      await sink.write(chunk);
      chunk = '';
    }
  }
  if (chunk !== '') await sink.write(chunk);
  return { lines, checks };
}

function chosenNote(chosen: Chosen): string {
  const list = chosen.ids.join(', ') || 'none';
  if (chosen.from === 'states') return `vantage export: no --check or --config, so the checks with a state item in the table: ${list} (a check that never failed has none; name it with --check)\n`;
  return chosen.from === 'config' ? `vantage export: the checks in the config: ${list}\n` : '';
}

export const exportResults = defineCommand('export', HELP, async (argv, io) => {
  const { values } = parse(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    check: { type: 'string', multiple: true },
    location: { type: 'string', short: 'l' },
    config: { type: 'string', short: 'c' },
    out: { type: 'string', short: 'o' },
    ...CONNECTION_OPTIONS,
  });
  const now = Date.now();
  const from = timeOf(required(values.from, '--from'), '--from', now);
  const to = timeOf(required(values.to, '--to'), '--to', now);
  if (from > to) throw new UsageError(`--from (${new Date(from).toISOString()}) is after --to (${new Date(to).toISOString()})`, { showHelp: false });

  const conn = connectTable(values, io.env);
  const sink = values.out !== undefined ? fileSink(values.out) : stdoutSink(io);
  try {
    const chosen = await chooseChecks(values, conn, io);
    io.stderr(chosenNote(chosen));
    const cursors = chosen.ids.map((id) => ({ pages: resultPages(id, { client: conn.client, tableName: conn.tableName, from, to }), page: [], at: 0 }));
    const { lines, checks } = await writeLines(byTime(cursors), values.location, sink);
    await sink.commit();
    const span = `${new Date(from).toISOString()} to ${new Date(to).toISOString()}`;
    io.stderr(`vantage export: ${lines} result(s) of ${checks.size} check(s)${values.location !== undefined ? ` in ${values.location}` : ''}, ${span}, from ${conn.where}${values.out !== undefined ? `, to ${values.out}` : ''}\n`);
    return EXIT.OK;
  } catch (err) {
    await sink.abandon();
    if (!(err instanceof StoreError)) throw err;
    io.stderr(`vantage export: ${describeStoreError(conn, err)}\n`);
    return EXIT.USAGE;
  } finally {
    conn.client.destroy();
  }
});

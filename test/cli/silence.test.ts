/**
 * `vantage silence add | list | expire` against DynamoDB Local, as a user runs them (through main,
 * with the connection flags `vantage status` takes), and the mistakes each one refuses.
 * The command reads the real clock, so times here are relative to now.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatSilences, stateOf, unmatched } from '../../cli/commands/silence.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { createStore, type Store, type StoredSilence } from '../../shared/store/dynamo.ts';
import { runCli } from '../support/cli.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const CONFIG = {
  defaults: { locations: ['eu-west-1'], interval: '1m' },
  checks: [
    { id: 'api', tags: { team: 'payments' }, http: { url: 'http://127.0.0.1:1/health' } },
    { id: 'web', tags: { team: 'web' }, http: { url: 'http://127.0.0.1:1/' } },
  ],
};
const MIN = 60_000;

let db: TestDynamoDb;
let dir: string;
let configPath: string;
let tableName: string;
let store: Store;
const conn = () => ['--endpoint', db.endpoint, '--table', tableName];
const silence = (...args: string[]) => runCli(['silence', ...args, ...conn()]);

beforeAll(async () => {
  db = await startTestDynamoDb();
  dir = mkdtempSync(join(tmpdir(), 'vantage-silence-'));
  configPath = join(dir, 'checks.json');
  writeFileSync(configPath, JSON.stringify(CONFIG));
});
afterAll(async () => {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  tableName = (await db.newTable('silence')).tableName;
  store = createStore({ client: db.client, tableName });
});

describe('vantage silence add', () => {
  it('stores a silence that starts now and ends --for later, and prints its id and how to expire it', async () => {
    // Act
    const before = Date.now();
    const out = await silence('add', '--check', 'api', '--check', 'web', '--for', '30m', '--comment', 'deploying v2', '--by', 'ci@pipeline', '--config', configPath);
    const after = Date.now();

    // Assess
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const [stored, ...others] = await store.listSilences();
    expect(others).toEqual([]);
    expect(stored).toMatchObject({ checks: ['api', 'web'], createdBy: 'ci@pipeline', comment: 'deploying v2' });
    expect(stored!.id).toMatch(/^s-[0-9a-f]{8}$/);
    const start = Date.parse(stored!.startsAt);
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(after);
    expect(Date.parse(stored!.endsAt) - start).toBe(30 * MIN);
    expect(out.stdout).toContain(`silence ${stored!.id} added`);
    expect(out.stdout).toContain(`vantage silence expire ${stored!.id} --endpoint ${db.endpoint} --table ${tableName}`);
  });

  it('takes tags, --starts and --until, and defaults createdBy to user@host', async () => {
    const starts = new Date(Date.now() + 60 * MIN).toISOString();
    const until = new Date(Date.now() + 120 * MIN).toISOString();

    const out = await silence('add', '--tag', 'team=payments', '--starts', starts, '--until', until, '--json');

    expect(out.code).toBe(0);
    // No --config: nothing to verify against, and it says so.
    expect(out.stderr).toMatch(/warning: check ids and tags were not verified/);
    const printed = JSON.parse(out.stdout) as StoredSilence;
    expect(printed).toMatchObject({ tags: { team: 'payments' }, startsAt: starts, endsAt: until });
    expect(printed.createdBy).toMatch(/^.+@.+$/);
    expect(await store.listSilences()).toEqual([printed]);
  });

  it.each([
    ['no matcher', ['--for', '30m'], /at least one --check ID or --tag KEY=VALUE/],
    ['both --for and --until', ['--check', 'api', '--for', '30m', '--until', '2099-01-01T00:00:00Z'], /--for or --until, not both/],
    ['neither --for nor --until', ['--check', 'api'], /give --for DURATION or --until TIME/],
    ['a past --until', ['--check', 'api', '--until', '2020-01-01T00:00:00Z'], /--until 2020-01-01T00:00:00Z is in the past/],
    ['an --until without a zone', ['--check', 'api', '--until', '2099-01-01T00:00:00'], /ISO 8601 time with a zone/],
    ['a bad duration', ['--check', 'api', '--for', '30 minutes'], /--for must be a duration like 30m/],
    ['a zero duration', ['--check', 'api', '--for', '0m'], /--for must be a duration/],
    ['a tag without a value separator', ['--tag', 'payments', '--for', '1h'], /--tag must be KEY=VALUE/],
    ['one tag key twice', ['--tag', 'team=a', '--tag', 'team=b', '--for', '1h'], /--tag team given twice/],
    ['an end before the start', ['--check', 'api', '--starts', '2099-01-02T00:00:00Z', '--until', '2099-01-01T00:00:00Z'], /before it starts/],
    ['a list flag', ['--check', 'api', '--for', '1h', '--all'], /--all not accepted by "silence add"/],
  ])('refuses %s with exit 2 and stores nothing', async (_name, args, message) => {
    const out = await silence('add', ...args);

    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(await store.listSilences()).toEqual([]);
  });

  it('with --config, refuses unknown check ids and tags no check has, all of them at once', async () => {
    const out = await silence('add', '--check', 'apii', '--check', 'api', '--check', 'wbe', '--tag', 'team=paymnets', '--for', '1h', '--config', configPath);

    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--check apii: no check with this id');
    expect(out.stderr).toContain('--check wbe: no check with this id');
    expect(out.stderr).toContain('--tag team=paymnets: no check has this tag');
    expect(await store.listSilences()).toEqual([]);
  });

  it('with --config, refuses ids and tags that each exist but never together', () => {
    const config = loadConfigObject(CONFIG);

    expect(unmatched({ checks: ['web'], tags: { team: 'payments' } }, config)).toEqual(['the silence matches no check: no check has both one of the ids and all of the tags']);
    expect(unmatched({ checks: ['api'], tags: { team: 'payments' } }, config)).toEqual([]);
  });

  it('says where it could not write, with exit 2, when the table is not there', async () => {
    const out = await runCli(['silence', 'add', '--check', 'api', '--for', '1h', '--endpoint', db.endpoint, '--table', 'no-such-table']);

    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/cannot write to .* \(table no-such-table\).*no table named no-such-table/);
  });
});

describe('vantage silence list', () => {
  async function seed(): Promise<Record<'active' | 'upcoming' | 'ended', StoredSilence>> {
    const now = Date.now();
    const base = { createdBy: 'alice@laptop', createdAt: new Date(now - 60 * MIN).toISOString() };
    const all = {
      active: { id: 's-0000000a', checks: ['api'], startsAt: new Date(now - 10 * MIN).toISOString(), endsAt: new Date(now + 20 * MIN).toISOString(), comment: 'db failover', ...base },
      upcoming: { id: 's-0000000b', tags: { team: 'web' }, startsAt: new Date(now + 90 * MIN).toISOString(), endsAt: new Date(now + 120 * MIN).toISOString(), ...base },
      ended: { id: 's-0000000c', checks: ['web'], startsAt: new Date(now - 50 * MIN).toISOString(), endsAt: new Date(now - 5 * MIN).toISOString(), expiredAt: new Date(now - 5 * MIN).toISOString(), ...base },
    };
    for (const s of Object.values(all)) await store.putSilence(s);
    return all;
  }

  it('shows the active and upcoming ones with matchers, span, state, creator and comment', async () => {
    await seed();

    const out = await silence('list');

    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+MATCHES\s+FROM\s+UNTIL\s+STATE\s+BY\s+COMMENT$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[0])).toEqual(['s-0000000a', 's-0000000b']);
    expect(lines[1]).toMatch(/s-0000000a\s+checks api\s+\S+Z\s+\S+Z\s+active, (19m \d+s|20m) left\s+alice@laptop\s+db failover/);
    expect(lines[2]).toMatch(/s-0000000b\s+tags team=web\s+.*starts in (1h 29m|1h 30m)/);
  });

  it('--all adds the ended ones, marked expired; --json gives each with its state', async () => {
    await seed();

    const table = await silence('list', '--all');
    const json = await silence('list', '--all', '--json');

    expect(table.stdout).toMatch(/s-0000000c\s+checks web\s+.*expired \(ended early\)/);
    const rows = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as StoredSilence & { state: string });
    expect(rows.map((r) => [r.id, r.state])).toEqual([['s-0000000c', 'expired'], ['s-0000000a', 'active'], ['s-0000000b', 'upcoming']]);
  });

  it('says so when there is none', async () => {
    const out = await silence('list');

    expect(out.code).toBe(0);
    expect(out.stdout).toContain('no active or upcoming silences in');
  });

  it('formats states against the clock it is given', () => {
    const s: StoredSilence = { id: 's-00000001', checks: ['api'], startsAt: '2026-12-01T10:00:00.000Z', endsAt: '2026-12-01T11:00:00.000Z', createdBy: 'x', createdAt: '2026-12-01T09:00:00.000Z' };
    expect(stateOf(s, Date.parse('2026-12-01T09:59:59Z'))).toBe('upcoming');
    expect(stateOf(s, Date.parse('2026-12-01T10:00:00Z'))).toBe('active');
    expect(stateOf(s, Date.parse('2026-12-01T11:00:00Z'))).toBe('expired');
    expect(formatSilences([s], Date.parse('2026-12-01T09:45:00Z'))).toContain('2026-12-01T10:00:00Z  2026-12-01T11:00:00Z  starts in 15m');
  });
});

describe('vantage silence expire', () => {
  it('ends an active silence now, and list no longer shows it', async () => {
    const added = JSON.parse((await silence('add', '--check', 'api', '--for', '1h', '--json')).stdout) as StoredSilence;

    const before = Date.now();
    const out = await silence('expire', added.id);

    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`silence ${added.id} expired at`);
    const [stored] = await store.listSilences();
    expect(Date.parse(stored!.endsAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(stored!.endsAt)).toBeLessThan(Date.parse(added.endsAt));
    expect(stored!.expiredAt).toBe(stored!.endsAt);
    expect((await silence('list')).stdout).toContain('no active or upcoming silences');
  });

  it('refuses an unknown or malformed id with exit 2 and a clear message', async () => {
    const unknown = await silence('expire', 's-deadbeef');
    const malformed = await silence('expire', 'deadbeef');

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no silence s-deadbeef in .*vantage silence list --all/);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/no silence deadbeef/);
    expect(await store.listSilences()).toEqual([]);
  });

  it('needs exactly one id', async () => {
    const none = await silence('expire');
    const two = await silence('expire', 's-00000001', 's-00000002');

    expect([none.code, two.code]).toEqual([2, 2]);
    expect(none.stderr).toContain('usage: vantage silence expire ID');
  });
});

describe('vantage silence, the command', () => {
  it('needs a subcommand, and is listed in the top-level help', async () => {
    const none = await runCli(['silence']);
    const help = await runCli(['--help']);

    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/which one: add, list or expire/);
    expect(help.stdout).toMatch(/^ {2}silence\s+quiet alerts/m);
  });
});

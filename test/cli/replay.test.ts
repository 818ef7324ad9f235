import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const CONFIG = `
defaults:
  interval: 1m
  locations: [eu, us, ap]
checks:
  - id: api
    http: { url: https://api.example.com/health }
  - id: db
    tcp: { host: db.internal, port: 5432 }
    alerting: { quorum: 1 }
`;

const T0 = Date.UTC(2026, 10, 3, 12, 0, 0);
const OFFSET: Record<string, number> = { eu: 0, us: 1_000, ap: 2_000 };
const at = (loc: string, minute: number) => T0 + minute * 60_000 + OFFSET[loc]!;

/** api fails everywhere in minutes 2-5; db fails in ap only, minutes 3-4. */
function recorded(): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (let minute = 0; minute <= 9; minute++) {
    for (const loc of ['eu', 'us', 'ap']) {
      const apiDown = minute >= 2 && minute <= 5;
      const dbDown = loc === 'ap' && (minute === 3 || minute === 4);
      // half the times as ISO strings, half as epoch ms: both are accepted
      const ts = minute % 2 === 0 ? new Date(at(loc, minute)).toISOString() : at(loc, minute);
      lines.push({ checkId: 'api', location: loc, ts, ok: !apiDown, status: apiDown ? 'down' : 'up', ...(apiDown && { failure: { reason: 'connect_timeout', message: 'no answer in 5s' } }), latencyMs: 80 });
      lines.push({ checkId: 'db', location: loc, ts, ok: !dbDown, status: dbDown ? 'down' : 'up', ...(dbDown && { failure: { reason: 'connect_refused', message: 'ECONNREFUSED' } }) });
    }
  }
  return lines;
}

let dir: string;
let config: string;
const file = (name: string, lines: Array<Record<string, unknown> | string>) => {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-replay-'));
  config = join(dir, 'checks.yaml');
  writeFileSync(config, CONFIG);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vantage replay', () => {
  it('prints what the policy would have sent, in time order, whatever the order of the file', async () => {
    const results = file('week.jsonl', recorded().reverse());
    const r = await runCli(['replay', '--config', config, '--results', results]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      `${new Date(at('us', 3)).toISOString()} DOWN api`,
      `${new Date(at('ap', 4)).toISOString()} DOWN db`,
      `${new Date(at('ap', 6)).toISOString()} RESOLVED db`,
      `${new Date(at('ap', 7)).toISOString()} RESOLVED api`,
      '4 notification(s), 2',
    ]);
    expect(lines[0]).toContain('failing: eu (connect_timeout), us (connect_timeout), since 2026-11-03T12:02:00.000Z');
    expect(lines[3]).toContain('after 5m 2s');
    expect(lines[4]).toBe('4 notification(s), 2 DOWN page(s), from 60 result(s) of 2 check(s)');
  });

  it('prints one JSON object per notification with --json', async () => {
    const results = file('json.jsonl', recorded());
    const r = await runCli(['replay', '--json', '--config', config, '--results', results]);
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((n) => [n.event, n.checkId])).toEqual([['DOWN', 'api'], ['DOWN', 'db'], ['RESOLVED', 'db'], ['RESOLVED', 'api']]);
    const incidentId = `api:${new Date(at('eu', 2)).toISOString()}`;
    expect(out[0]).toEqual({
      event: 'DOWN', checkId: 'api', at: new Date(at('us', 3)).toISOString(), incidentId, dedupeKey: `${incidentId}:DOWN:1`,
      locations: [
        { location: 'eu', failing: true, reason: 'connect_timeout', message: 'no answer in 5s', since: at('eu', 2), latencyMs: 80 },
        { location: 'us', failing: true, reason: 'connect_timeout', message: 'no answer in 5s', since: at('us', 2), latencyMs: 80 },
        { location: 'ap', failing: false, reason: 'connect_timeout', message: 'no answer in 5s', since: at('ap', 2), latencyMs: 80 },
      ],
    });
    expect(out[3]).toMatchObject({ incidentId, dedupeKey: `${incidentId}:RESOLVED:1`, durationMs: at('ap', 7) - at('eu', 2) });
  });

  it('gives the same answer for a file with every line twice (replays change nothing)', async () => {
    const once = await runCli(['replay', '--json', '--config', config, '--results', file('once.jsonl', recorded())]);
    const twice = await runCli(['replay', '--json', '--config', config, '--results', file('twice.jsonl', [...recorded(), ...recorded()])]);
    expect(twice.stdout).toBe(once.stdout);
  });

  it('exits 2 naming each bad line', async () => {
    const results = file('bad.jsonl', [
      { checkId: 'api', location: 'eu', ts: T0, ok: true, status: 'up' },
      '{"checkId": "api", "location": "eu"',
      '',
      { checkId: 'api', location: 'eu', ts: '2026-11-03 12:00', ok: true, status: 'up' },
      { checkId: 'api', location: 'us', ts: T0, ok: false, status: 'up' },
      { checkId: 'api', ts: T0, ok: true, status: 'fine' },
    ]);
    const r = await runCli(['replay', '--config', config, '--results', results]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    // Line 6 has no location: that alone is no problem (vantage run --json prints none; it is `local`).
    expect(r.stderr).toContain('bad.jsonl: 4 problem(s)');
    expect(r.stderr).toMatch(/line 2: not JSON/);
    expect(r.stderr).toContain('line 4: ts: expected an ISO 8601 time with a zone');
    expect(r.stderr).toContain('line 5: status: status "up" contradicts ok: false');
    expect(r.stderr).not.toContain('location: required');
    expect(r.stderr).toMatch(/line 6: status: .*"up"/);
  });

  it('exits 2 on a checkId the config does not have', async () => {
    const results = file('unknown.jsonl', [{ checkId: 'api', location: 'eu', ts: T0, ok: true, status: 'up' }, { checkId: 'web', location: 'eu', ts: T0, ok: true, status: 'up' }]);
    const r = await runCli(['replay', '--config', config, '--results', results]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`line 2: unknown checkId "web" (not in ${config})`);
  });

  it('warns about results from a location the check does not run in', async () => {
    const results = file('foreign.jsonl', [{ checkId: 'api', location: 'eu', ts: T0, ok: true, status: 'up' }, { checkId: 'api', location: 'mars', ts: T0, ok: false, status: 'down' }]);
    const r = await runCli(['replay', '--config', config, '--results', results]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('vantage replay: ignored 1 result(s) from api@mars: not a location of the check\n');
  });

  it('warns CERT_EXPIRING once per certificate, from table exports (certExpiresAt) and run --json lines (tls.certExpiresAt)', async () => {
    const DAY = 86_400_000;
    const soon = new Date(T0 + 10 * DAY).toISOString();
    const renewed = new Date(T0 + 20 * DAY).toISOString();
    const lines = [0, 1, 2].flatMap((minute) => ['eu', 'us', 'ap'].map((loc) => ({ checkId: 'api', location: loc, ts: at(loc, minute), ok: true, status: 'up', ...(loc === 'eu' ? { certExpiresAt: soon } : { tls: { version: 'TLSv1.3', certExpiresAt: soon } }) })));
    lines.push({ checkId: 'api', location: 'us', ts: at('us', 3), ok: true, status: 'up', certExpiresAt: renewed });
    const r = await runCli(['replay', '--config', config, '--results', file('certs.jsonl', [...lines, ...lines]), '--json']);
    expect(r.stderr).toBe('');
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toEqual([
      expect.objectContaining({ event: 'CERT_EXPIRING', at: new Date(at('eu', 0)).toISOString(), certExpiresAt: soon, certDaysLeft: 10, dedupeKey: `api:cert:${soon}:CERT_EXPIRING:1` }),
      expect.objectContaining({ event: 'CERT_EXPIRING', at: new Date(at('us', 3)).toISOString(), certExpiresAt: renewed, certDaysLeft: 19 }),
    ]);
  });

  it('rejects unknown flags, and missing or unreadable inputs', async () => {
    const unknown = await runCli(['replay', '--config', config, '--result', 'x.jsonl']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--result'");
    const missing = await runCli(['replay', '--config', config]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--results is required');
    const unreadable = await runCli(['replay', '--config', config, '--results', join(dir, 'nope.jsonl')]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('ENOENT');
    const badConfig = await runCli(['replay', '--config', join(dir, 'nope.yaml'), '--results', join(dir, 'nope.jsonl')]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('cannot read');
  });
});

describe('vantage replay runs the sweep every minute between results', () => {
  // api in three locations; edge in one, with reminders. Locations probe 10, 20 and 30 s into the
  // minute, so a sweep on the minute and the next result are distinguishable.
  const SWEPT = `
defaults:
  interval: 1m
  locations: [eu, us, ap]
checks:
  - id: api
    http: { url: https://api.example.com/health }
  - id: edge
    locations: [ap]
    tcp: { host: edge.internal, port: 443 }
    alerting: { quorum: 1, repeatInterval: 5m }
`;
  const PHASE: Record<string, number> = { eu: 10_000, us: 20_000, ap: 30_000 };
  const ts = (loc: string, minute: number) => T0 + minute * 60_000 + PHASE[loc]!;
  const minuteIso = (minute: number) => new Date(T0 + minute * 60_000).toISOString();
  let swept: string;
  beforeAll(() => {
    swept = join(dir, 'swept.yaml');
    writeFileSync(swept, SWEPT);
  });

  it('reports a location that stops reporting at the first sweep past 3 intervals, before the next result would', async () => {
    // ap's last api result is at 12:03:30; the others keep going to 12:09.
    const lines = [];
    for (let minute = 0; minute <= 9; minute++) {
      for (const loc of ['eu', 'us', 'ap']) {
        if (loc === 'ap' && minute > 3) continue;
        lines.push({ checkId: 'api', location: loc, ts: ts(loc, minute), ok: true, status: 'up' });
      }
    }
    const r = await runCli(['replay', '--json', '--config', swept, '--results', file('silent.jsonl', lines)]);
    expect(r.stderr).toBe('');
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // Stale once more than 3 × 1m has passed since 12:03:30: the sweep at 12:07:00 sees it, ten
    // seconds before eu's 12:07:10 result would have.
    const silentAfter = new Date(ts('ap', 3)).toISOString();
    expect(out).toEqual([expect.objectContaining({
      event: 'LOCATION_SILENT', checkId: 'api', at: minuteIso(7), incidentId: `api:ap:silent:${silentAfter}`,
      locations: [expect.objectContaining({ location: 'ap', silent: true })],
    })]);
  });

  it('sends REMINDERs at the sweep while every location of a DOWN check is silent', async () => {
    // edge fails twice (DOWN at 12:01:30), then its only location goes dark.
    const lines = [0, 1].map((minute) => ({ checkId: 'edge', location: 'ap', ts: ts('ap', minute), ok: false, status: 'down', failure: { reason: 'connect_timeout', message: 'no answer' } }));
    const until = minuteIso(12);
    const r = await runCli(['replay', '--config', swept, '--results', file('dark.jsonl', lines), '--until', until]);
    expect(r.stderr).toBe('');
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows.slice(0, -1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      `${new Date(ts('ap', 1)).toISOString()} DOWN edge`,
      // Silent once more than 3 minutes have passed since 12:01:30.
      `${minuteIso(5)} LOCATION_SILENT edge`,
      // repeatInterval 5m from the DOWN, at the first sweep after 12:06:30, then 5m from that one.
      `${minuteIso(7)} REMINDER edge`,
      `${minuteIso(12)} REMINDER edge`,
    ]);
    expect(rows[2]).toContain('failing: ap (connect_timeout, silent)');
  });

  it('stops sweeping at the newest result without --until, and refuses a zone-less --until', async () => {
    const lines = [0, 1].map((minute) => ({ checkId: 'edge', location: 'ap', ts: ts('ap', minute), ok: false, status: 'down', failure: { reason: 'connect_timeout', message: 'no answer' } }));
    const r = await runCli(['replay', '--json', '--config', swept, '--results', file('short.jsonl', lines)]);
    expect((r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string })).map((n) => n.event)).toEqual(['DOWN']);
    const bad = await runCli(['replay', '--config', swept, '--results', file('short2.jsonl', lines), '--until', '2026-11-03 12:30']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--until: expected an ISO 8601 time with a zone');
  });

  it('refuses a span the minute sweep would take minutes of CPU over (a far --until, or results years apart), saying why', async () => {
    const lines = [0, 1].map((minute) => ({ checkId: 'edge', location: 'ap', ts: ts('ap', minute), ok: true, status: 'up' }));
    const far = await runCli(['replay', '--config', swept, '--results', file('far.jsonl', lines), '--until', '2100-01-01T00:00:00Z']);
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/replayed span is \d+ days .*with --until.*at most 62 days/);
    const apart = [...lines, { ...lines[0]!, ts: '2025-01-01T00:00:00Z' }];
    const spread = await runCli(['replay', '--config', swept, '--results', file('apart.jsonl', apart)]);
    expect(spread.code).toBe(2);
    expect(spread.stderr).toContain('at most 62 days');
    // Two months is still replayed.
    const ok = await runCli(['replay', '--config', swept, '--results', file('near.jsonl', lines), '--until', new Date(lines[0]!.ts + 60 * 86_400_000).toISOString()]);
    expect(ok.code).toBe(0);
  });
});

/**
 * `vantage replay` with the config's maintenance windows and escalation: it prints only what would
 * be sent, and with --explain also what was held back, marked, with the window and until when.
 * Silences live in the table, so a replay knows none; the help says so.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

// 2026-12-06 is a Sunday: weekly-deploy runs 02:00-02:30 UTC that day.
const CONFIG = `
defaults:
  interval: 1m
  locations: [eu, us, ap]
  alerting: { channels: [oncall] }
channels:
  oncall: { email: [oncall@example.com] }
  manager: { email: [manager@example.com] }
maintenance:
  - name: weekly-deploy
    checks: [api]
    cron: "0 2 * * 0"
    duration: 30m
checks:
  - id: api
    http: { url: https://api.example.com/health }
  - id: web
    http: { url: https://www.example.com/ }
    alerting: { escalate: [{ after: 10m, channels: [manager] }] }
`;

const T0 = Date.parse('2026-12-06T02:00:00.000Z');
const MIN = 60_000;
const PHASE: Record<string, number> = { eu: 10_000, us: 20_000, ap: 30_000 };
const ts = (loc: string, minute: number) => T0 + minute * MIN + PHASE[loc]!;
const iso = (ms: number) => new Date(ms).toISOString();

/** Each check fails everywhere in minutes [from, to) of 02:xx and passes otherwise, minutes 0 to `last`. */
function outage(checkId: string, from: number, to: number, last: number): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (let minute = 0; minute <= last; minute++) {
    for (const location of ['eu', 'us', 'ap']) {
      const down = minute >= from && minute < to;
      lines.push({ checkId, location, ts: ts(location, minute), ok: !down, status: down ? 'down' : 'up', ...(down && { failure: { reason: 'status_code', message: 'status 503' } }) });
    }
  }
  return lines;
}

let dir: string;
let config: string;
const file = (name: string, lines: Array<Record<string, unknown>>) => {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
};
const columns = (line: string, n: number) => line.split(/\s{2,}/).slice(0, n).join(' | ');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-replay-maint-'));
  config = join(dir, 'checks.yaml');
  writeFileSync(config, CONFIG);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vantage replay with maintenance windows', () => {
  // api fails from 02:05 to 02:40: inside the window nothing goes out; at its end it still fails, so
  // the DOWN goes out then, as an incident starting at 02:30. web, outside every window, pages at once.
  const lines = () => [...outage('api', 5, 40, 45), ...outage('web', 5, 7, 45)];

  it('prints only what would be sent: the DOWN held by the window goes out when it ends, as a new incident', async () => {
    const r = await runCli(['replay', '--config', config, '--results', file('window.jsonl', lines())]);

    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    const api = out.filter((l) => / {2}api {2}/.test(l));
    expect(api.map((l) => columns(l, 3))).toEqual([
      `${iso(T0 + 30 * MIN)} | DOWN | api`,
      `${iso(ts('ap', 41))} | RESOLVED | api`,
    ]);
    expect(api[0]).toContain(`[api:${iso(T0 + 30 * MIN)}]`);
    expect(out.some((l) => columns(l, 3) === `${iso(ts('us', 6))} | DOWN | web`)).toBe(true);
    expect(out.at(-1)).toMatch(/^\d+ notification\(s\), 2 DOWN page\(s\), from 276 result\(s\) of 2 check\(s\); \d+ suppressed \(--explain lists them\)$/);
  });

  it('with --explain, also prints each suppressed notification, marked, with the window and until when', async () => {
    const r = await runCli(['replay', '--explain', '--config', config, '--results', file('explain.jsonl', lines())]);

    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    const held = out.filter((l) => l.startsWith('suppressed'));
    expect(held.length).toBeGreaterThan(0);
    expect(held[0]).toMatch(new RegExp(`^suppressed {2}${iso(ts('us', 6)).replace(/\./g, '\\.')} {2}DOWN {13}api {2}\\(maintenance weekly-deploy until 02:30Z\\) {2}failing: `));
    expect(held.every((l) => l.includes('(maintenance weekly-deploy until 02:30Z)'))).toBe(true);
    // What was sent is marked too, and the lines stay in time order.
    const sent = out.filter((l) => l.startsWith('sent '));
    expect(sent.map((l) => columns(l, 4)).filter((l) => l.endsWith('| api'))).toEqual([
      `sent | ${iso(T0 + 30 * MIN)} | DOWN | api`,
      `sent | ${iso(ts('ap', 41))} | RESOLVED | api`,
    ]);
    const times = out.slice(0, -1).map((l) => Date.parse(l.split(/\s+/)[1]!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(out.at(-1)).toMatch(new RegExp(`; ${held.length} suppressed$`));
  });

  it('with --explain --json, prints the suppressed ones as lines with "suppressed": {kind, name, until}', async () => {
    const r = await runCli(['replay', '--explain', '--json', '--config', config, '--results', file('explain-json.jsonl', lines())]);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; checkId: string; at: string; suppressed?: unknown });

    expect(rows.find((n) => n.suppressed)).toMatchObject({
      event: 'DOWN', checkId: 'api', at: iso(ts('us', 6)),
      suppressed: { kind: 'maintenance', name: 'weekly-deploy', until: iso(T0 + 30 * MIN) },
    });
    const plain = await runCli(['replay', '--json', '--config', config, '--results', file('plain-json.jsonl', lines())]);
    expect(r.stdout.trimEnd().split('\n').filter((l) => !l.includes('"suppressed"'))).toEqual(plain.stdout.trimEnd().split('\n'));
  });

  it('sends nothing for a check that recovers inside its window', async () => {
    const r = await runCli(['replay', '--explain', '--config', config, '--results', file('inside.jsonl', outage('api', 5, 15, 45))]);

    const out = r.stdout.trimEnd().split('\n');
    expect(out.filter((l) => l.startsWith('sent '))).toEqual([]);
    expect(out.filter((l) => l.startsWith('suppressed')).map((l) => columns(l, 3))).toContainEqual(`suppressed | ${iso(ts('us', 6))} | DOWN`);
    expect(out.at(-1)).toMatch(/^0 notification\(s\), 0 DOWN page\(s\)/);
  });

  it('escalates a check that stays DOWN to the level\'s channels, and stops at its RESOLVED', async () => {
    const r = await runCli(['replay', '--json', '--config', config, '--results', file('escalate.jsonl', outage('web', 5, 30, 45))]);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; at: string; level?: number; channels?: string[] });

    expect(rows.map((n) => n.event)).toEqual(['DOWN', 'ESCALATION', 'RESOLVED']);
    const [down, escalation] = rows;
    // At the first sweep at or after 10 minutes from the DOWN (measured from the DOWN, not the first failure).
    const due = Date.parse(down!.at) + 10 * MIN;
    expect(Date.parse(escalation!.at)).toBeGreaterThanOrEqual(due);
    expect(Date.parse(escalation!.at)).toBeLessThan(due + MIN);
    expect(escalation).toMatchObject({ level: 1, channels: ['manager'] });
  });

  it('says in its help that silences are not replayed', async () => {
    const r = await runCli(['replay', '--help']);
    expect(r.stdout).toContain('replay applies maintenance windows from the config only');
    expect(r.stdout).toContain('--explain');
  });
});

describe('vantage replay --explain with flapping', () => {
  const FLAP = `
defaults:
  interval: 1m
  locations: [eu, us, ap]
checks:
  - id: flappy
    http: { url: https://flappy.example.com/ }
    alerting: { failureThreshold: 1, recoveryThreshold: 1, flapping: { changes: 4, within: 30m } }
`;

  it('marks what flapping held back with the episode, and no until (it ends when the check is stable)', async () => {
    const flapConfig = join(dir, 'flap.yaml');
    writeFileSync(flapConfig, FLAP);
    // Down every other two minutes for 20 minutes, then steady.
    const lines = [];
    for (let minute = 0; minute <= 80; minute++) {
      for (const location of ['eu', 'us', 'ap']) {
        const down = minute < 20 && Math.floor(minute / 2) % 2 === 1;
        lines.push({ checkId: 'flappy', location, ts: ts(location, minute), ok: !down, status: down ? 'down' : 'up', ...(down && { failure: { reason: 'connect_refused', message: 'ECONNREFUSED' } }) });
      }
    }
    const results = file('flap.jsonl', lines);
    const text = await runCli(['replay', '--explain', '--config', flapConfig, '--results', results]);
    const json = await runCli(['replay', '--explain', '--json', '--config', flapConfig, '--results', results]);

    const out = text.stdout.trimEnd().split('\n');
    const flapping = out.find((l) => l.startsWith('sent') && l.includes('FLAPPING'))!;
    const episode = /\[(flappy:flapping:[^\]]+)\]/.exec(flapping)![1]!;
    const held = out.filter((l) => l.startsWith('suppressed'));
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((l) => l.includes(`(flapping, episode ${episode}: held until stable)`))).toBe(true);
    const rows = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { suppressed?: unknown });
    expect(rows.filter((r) => r.suppressed).map((r) => r.suppressed)).toEqual(held.map(() => ({ kind: 'flapping', name: episode })));
  });
});

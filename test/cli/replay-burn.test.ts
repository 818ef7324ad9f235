/**
 * `vantage replay` on a check with an `slo`: the replay accounts every minute as the sweep does and
 * reads the burn-rate rules every 5 minutes, so a sustained outage shows BUDGET_BURN. Run as the
 * real bin in its own process, as a user would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtest, parseResultLines } from '../../shared/evaluate/backtest.ts';
import { policyFor } from '../../shared/evaluate/index.ts';
import { loadConfig } from '../../shared/config/load.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'cli', 'vantage.mjs');

const CONFIG = `
defaults:
  interval: 1m
  locations: [eu, us, ap]
checks:
  - id: api
    http: { url: https://api.example.com/health }
    slo: { objective: 99.9 }
  - id: web
    http: { url: https://www.example.com/ }
`;

const T0 = Date.UTC(2026, 10, 3, 12, 0, 0);
const OFFSET: Record<string, number> = { eu: 0, us: 1_000, ap: 2_000 };

/** 90 minutes of both checks from three locations; both fail everywhere from 13:00 to 13:15. */
function lines(): string {
  const out: string[] = [];
  for (let m = 0; m < 90; m++) {
    for (const checkId of ['api', 'web']) {
      for (const location of ['eu', 'us', 'ap']) {
        const down = m >= 60 && m < 75;
        out.push(JSON.stringify({
          checkId, location, ts: new Date(T0 + m * 60_000 + OFFSET[location]!).toISOString(), ok: !down, status: down ? 'down' : 'up',
          ...(down && { failure: { reason: 'connect_timeout', message: 'no answer in 5s' } }), latencyMs: 80,
        }));
      }
    }
  }
  return `${out.join('\n')}\n`;
}

let dir: string;
let config: string;
let results: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-replay-burn-'));
  config = join(dir, 'checks.yaml');
  results = join(dir, 'outage.jsonl');
  writeFileSync(config, CONFIG);
  writeFileSync(results, lines());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vantage = (...args: string[]) => run(process.execPath, [BIN, ...args], { encoding: 'utf8' });

/*
 * Worked by hand. The first result is at 12:00, so the sweeps account from the minute [12:00, 12:01).
 * DOWN is decided at 13:01:01 (two failed runs), so the minutes [13:01, 13:02) … are down. The
 * reading at 13:05 comes before that sweep accounts [13:04, 13:05): its windows end at 13:04, with
 * 3 down minutes of 64 accounted. β = 0.001:
 *   page-1h   long 3/60 → 50×,      short 3/5 → 600×
 *   page-6h   long 3/64 → 46.875×,  short 3/30 → 100×
 *   ticket-3d long 3/64 → 46.875×,  short 3/64 → 46.875× (6 h holds every accounted minute)
 * and the 30-day budget left is 1 − 46.875 = −45.875 (only 64 minutes are eligible). All three fire
 * at that reading; one burn is one alert, the gravest rule's (page-1h): the others start covered.
 */
describe('vantage replay with an slo', () => {
  it('prints one BUDGET_BURN, the gravest firing rule\'s, when a sustained outage burns the budget, with both rates and the budget left', async () => {
    const { stdout, stderr } = await vantage('replay', '--config', config, '--results', results);
    expect(stderr).toBe('');
    const burns = stdout.split('\n').filter((l) => l.includes('BUDGET_BURN'));

    expect(burns).toEqual([
      '2026-11-03T13:05:00.000Z  BUDGET_BURN      api  page-1h (page): burning 50.0× over 1h and 600.0× over 5m, error budget spent (-4587.5% left), objective 99.9%  [api:burn:page-1h:2026-11-03T13:05:00.000Z]',
    ]);
    // The check without an slo pages as before and burns nothing.
    expect(stdout).toContain('DOWN             web');
    expect(stdout).not.toMatch(/BUDGET_BURN\s+web/);
  });

  it('prints the burn in --json, with its severity and the exact rates', async () => {
    const { stdout } = await vantage('replay', '--config', config, '--results', results, '--json');
    const burns = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>).filter((n) => n.event === 'BUDGET_BURN');

    expect(burns.map((n) => [n.burn.rule, n.severity, n.dedupeKey])).toEqual([
      ['page-1h', 'critical', 'api:burn:page-1h:2026-11-03T13:05:00.000Z:BUDGET_BURN:1'],
    ]);
    const expected = [[50, 600]];
    burns.forEach((n, i) => {
      expect(n.burn.longRate).toBeCloseTo(expected[i]![0]!, 6);
      expect(n.burn.shortRate).toBeCloseTo(expected[i]![1]!, 6);
      expect(n.burn.budgetRemaining).toBeCloseTo(1 - 3 / 64 / 0.001, 6);
      expect(n.burn.objective).toBe(99.9);
    });
  });
});

describe('backtest rollups', () => {
  it('accounts every swept minute of every check, as the sweep would', async () => {
    const cfg = await loadConfig(config, { local: {} });
    const policies = new Map(cfg.checks.map((c) => [c.id, policyFor(c, cfg.maintenance)]));
    const { rollups } = backtest(policies, parseResultLines(lines()).results.map((r) => r.record));
    const hours = rollups.hours('api', T0, T0 + 2 * 3_600_000);
    const classes = hours.flatMap((h) => Object.entries(h.minutes).map(([i, code]) => [h.hour + Number(i) * 60_000, code.class] as const));

    expect(rollups.checks()).toEqual(['api', 'web']);
    // Sweeps from 12:01 to the last result (13:29:02): minutes 12:00 … 13:28.
    expect(classes).toHaveLength(89);
    const down = classes.filter(([, c]) => c === 'down').map(([at]) => new Date(at).toISOString().slice(11, 16));
    // DOWN from 13:01:01 until the RESOLVED at 13:16:02.
    expect(down).toEqual(['13:01', '13:02', '13:03', '13:04', '13:05', '13:06', '13:07', '13:08', '13:09', '13:10', '13:11', '13:12', '13:13', '13:14', '13:15']);
    expect(hours.reduce((n, h) => n + h.samples, 0)).toBe(89 * 3);
  });
});

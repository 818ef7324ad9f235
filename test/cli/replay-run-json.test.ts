/**
 * `vantage run --json` output replays as is: its lines carry no location (they count as `local`,
 * where a config's checks run by default) and more fields than replay reads. Runs against a
 * loopback target that goes down and comes back give the notifications the policy decides.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

let target: Running;
let dir: string;
let config: string;
let down = false;

beforeAll(async () => {
  target = await startHttp((req, res) => { res.writeHead(down && req.url === '/api' ? 503 : 200).end('ok'); });
  dir = mkdtempSync(join(tmpdir(), 'vantage-replay-run-'));
  config = join(dir, 'checks.yaml');
  writeFileSync(config, [
    'defaults: { timeout: 2s, retries: 0, alerting: { failureThreshold: 2, recoveryThreshold: 2 } }',
    'checks:',
    `  - { id: api, http: { url: "${target.url('/api')}" } }`,
    `  - { id: web, http: { url: "${target.url('/web')}" } }`,
    '',
  ].join('\n'));
});

afterAll(async () => {
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vantage replay of vantage run --json', () => {
  it('gives DOWN after two failed runs and RESOLVED after two passing ones', async () => {
    let recorded = '';
    for (const state of [false, true, true, true, false, false]) {
      down = state;
      recorded += (await runCli(['run', '--config', config, '--json'])).stdout;
    }
    const lines = recorded.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(12);
    expect(lines.every((l) => l.location === undefined && typeof l.startedAt === 'string' && Array.isArray(l.assertions))).toBe(true);
    const results = join(dir, 'runs.jsonl');
    writeFileSync(results, recorded);

    const r = await runCli(['replay', '--config', config, '--results', results, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sent = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; checkId: string; incidentId: string; locations: Array<{ location: string }> });
    expect(sent.map((n) => [n.event, n.checkId])).toEqual([['DOWN', 'api'], ['RESOLVED', 'api']]);
    expect(sent[0]!.incidentId).toBe(sent[1]!.incidentId);
    expect(sent[0]!.locations.map((l) => l.location)).toEqual(['local']);
    // DOWN at the second failed run, RESOLVED at the second passing one.
    const apiRuns = lines.filter((l) => l.checkId === 'api').map((l) => l.startedAt as string);
    expect(sent.map((n) => (n as unknown as { at: string }).at)).toEqual([apiRuns[2], apiRuns[5]].map((t) => new Date(t!).toISOString()));
  });

  it('names the default when a line without a location meets a check that does not run there', async () => {
    const regional = join(dir, 'regional.yaml');
    writeFileSync(regional, `checks:\n  - { id: api, locations: [eu-west-1], http: { url: "${target.url('/api')}" } }\n`);
    const results = join(dir, 'one.jsonl');
    writeFileSync(results, (await runCli(['run', '--config', regional, '--json'])).stdout);
    const r = await runCli(['replay', '--config', regional, '--results', results]);
    expect(r.stderr).toContain('ignored 1 result(s) from api@local: not a location of the check (a line without a location is from local');
  });
});

/** `vantage run`: every check in a config once, with location filtering and exit codes. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeHandler } from '../../shared/usecases/probe-handler.ts';
import { loadConfigFile } from '../../shared/config/load.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { runCli } from '../support/cli.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

let target: Running;
let dir: string;
let config: string;
/** Requests per path: a `/flaky/...` path fails its first request and passes every later one. */
const hits = new Map<string, number>();

beforeAll(async () => {
  target = await startHttp((req, res) => {
    const n = (hits.get(req.url!) ?? 0) + 1;
    hits.set(req.url!, n);
    if (req.url!.startsWith('/flaky/')) { res.writeHead(n === 1 ? 503 : 200).end(n === 1 ? 'warming up' : 'ok'); return; }
    if (req.url === '/slow') { setTimeout(() => res.writeHead(200).end('ok'), 150); return; }
    res.writeHead(req.url === '/down' ? 503 : 200).end('ok');
  });
  dir = mkdtempSync(join(tmpdir(), 'vantage-run-'));
  config = join(dir, 'checks.yaml');
  writeFileSync(config, `
defaults: { interval: 30s, timeout: 2s, locations: [us-east-1, eu-west-1] }
checks:
  - { id: home, http: { url: "${target.url('/')}" } }
  - { id: slow, http: { url: "${target.url('/slow')}", degradedAfter: 50ms } }
  - { id: eu-only, locations: [eu-west-1], http: { url: "${target.url('/')}" } }
  - { id: broken, locations: [us-east-1], http: { url: "${target.url('/down')}" } }
  - { id: off, enabled: false, http: { url: "${target.url('/down')}" } }
`);
});

afterAll(async () => {
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vantage run', () => {
  it('runs every enabled check once; any down check makes exit 1', async () => {
    const r = await runCli(['run', '--config', config, '--json']);
    expect(r.code).toBe(1);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((x) => [x.checkId, x.status])).toEqual([['home', 'up'], ['slow', 'degraded'], ['eu-only', 'up'], ['broken', 'down']]);
    expect(results.find((x) => x.checkId === 'broken').failure.reason).toBe('status_code');
  });

  it('--location runs only that location\'s checks, as that location; degraded alone still exits 0', async () => {
    const r = await runCli(['run', '--config', config, '--location', 'eu-west-1', '--json']);
    expect(r.code).toBe(0);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((x) => x.checkId)).toEqual(['home', 'slow', 'eu-only']);
    expect(new Set(results.map((x) => x.location))).toEqual(new Set(['eu-west-1']));
  });

  it('--check picks checks by id, and an unknown id is a usage error', async () => {
    const one = await runCli(['run', '--config', config, '--check', 'home']);
    expect(one.code).toBe(0);
    expect(one.stdout.trim().split('\n')).toHaveLength(2);
    const unknown = await runCli(['run', '--config', config, '--check', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown check id(s): nope');
  });

  it('a bad config is exit 2 with every problem listed', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'checks: [{ id: a, http: { url: "x" } }, { id: b }]');
    const r = await runCli(['run', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('checks[0].http.url');
    expect(r.stderr).toContain('checks[1]: a check needs exactly one of');
  });

  it('retests a failure as the deployed probe does: UP after one retest, DOWN with retries 0', async () => {
    const flaky = (tag: string) => join(dir, `flaky-${tag}.yaml`);
    const write = (tag: string) => writeFileSync(flaky(tag), `
defaults: { interval: 60s, timeout: 2s }
checks:
  - { id: default-retries, http: { url: "${target.url(`/flaky/${tag}-a`)}" } }
  - { id: no-retries, retries: 0, http: { url: "${target.url(`/flaky/${tag}-b`)}" } }
`);

    write('cli');
    const r = await runCli(['run', '--config', flaky('cli'), '--json']);
    const cli = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ProbeResult);
    expect(cli.map((x) => [x.checkId, x.status, x.retries])).toEqual([['default-retries', 'up', 1], ['no-retries', 'down', 0]]);
    expect(r.code).toBe(1);
    expect(hits.get('/flaky/cli-a')).toBe(2);
    expect(hits.get('/flaky/cli-b')).toBe(1);
    write('table');
    const table = await runCli(['run', '--config', flaky('table'), '--check', 'default-retries']);
    expect(table.stdout).toMatch(/default-retries .*UP .*after 1 retest/);

    // The probe function, on fresh paths of the same server, decides the same.
    write('lambda');
    const written: ProbeResult[] = [];
    const handler = createProbeHandler({
      checks: loadConfigFile(flaky('lambda')).checks,
      location: 'local',
      store: { putResults: async (rs) => { written.push(...rs); return { written: rs.length, calls: 1 }; }, putHeartbeat: async () => {} },
      write: () => {},
    });
    const deadline = Date.now() + 60_000;
    await handler({ time: '2026-11-03T10:00:00Z' }, { awsRequestId: 'run-test', getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context);
    expect(written.map((x) => [x.checkId, x.status, x.retries])).toEqual(cli.map((x) => [x.checkId, x.status, x.retries]));
  });
});

/** `vantage run`: every check in a config once, with location filtering and exit codes. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

let target: Running;
let dir: string;
let config: string;

beforeAll(async () => {
  target = await startHttp((req, res) => {
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
});

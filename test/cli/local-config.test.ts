/**
 * `${env:NAME}` and the deploy-only rules from the commands that run a config on this machine (issue 9
 * item 4): a config with a deployment block still runs here, with a warning; a variable that is not set
 * is a config error (exit 2, naming it and its path) before anything is probed, never an `internal` DOWN.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

const TOKEN = 'tok-4f1c9e7a';
let target: Running;
let dir: string;
let deployed: string;
let results: string;
const seen: Array<string | undefined> = [];

beforeAll(async () => {
  target = await startHttp((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200).end('ok');
  });
  dir = mkdtempSync(join(tmpdir(), 'vantage-local-config-'));
  deployed = join(dir, 'checks.yaml');
  writeFileSync(deployed, `deployment: { homeRegion: us-east-1, locations: [us-east-1] }
defaults: { locations: [us-east-1], retries: 0 }
checks:
  - id: api
    http: { url: "${target.url('/')}", headers: { Authorization: "Bearer \${env:API_TOKEN}" } }
`);
  results = join(dir, 'results.jsonl');
  writeFileSync(results, '');
});

afterAll(async () => {
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a deployed config run on this machine', () => {
  it('vantage validate rejects it, with the path and the hint', async () => {
    const r = await runCli(['validate', '--config', deployed], { env: { API_TOKEN: TOKEN } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('checks[0].http.headers.Authorization: ${env:API_TOKEN} is local only');
    expect(r.stderr).toContain('use {secretsManager: arn, key?} or {ssm: name}');
  });

  it('vantage run probes with the variable, and warns on stderr that a deploy would fail', async () => {
    const before = seen.length;
    const r = await runCli(['run', '--config', deployed, '--json'], { env: { API_TOKEN: TOKEN } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim()).status).toBe('up');
    expect(seen.slice(before)).toEqual([`Bearer ${TOKEN}`]);
    expect(r.stderr).toContain('warning: 1 problem(s) that fail `vantage validate` and `cdk synth`');
    expect(r.stderr).not.toContain(TOKEN);
  });

  it('vantage run without the variable is a config error naming it, and probes nothing', async () => {
    const before = seen.length;
    const r = await runCli(['run', '--config', deployed, '--json'], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('checks[0].http.headers.Authorization: environment variable API_TOKEN is not set');
    expect(r.stdout).toBe('');
    expect(seen.length).toBe(before);
  });

  it('vantage dev without the variable stops at the config, before starting anything', async () => {
    const r = await runCli(['dev', '--config', deployed, '--json'], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environment variable API_TOKEN is not set');
  });

  it('vantage replay reads the config without the variable: it probes nothing', async () => {
    const r = await runCli(['replay', '--config', deployed, '--results', results], { env: {} });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('vantage check', () => {
  it('a header naming an unset variable is a usage error naming it', async () => {
    const before = seen.length;
    const r = await runCli(['check', target.url('/'), '--header', 'Authorization: Bearer ${env:NOPE}'], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environment variable NOPE is not set');
    expect(seen.length).toBe(before);
  });
});

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const FIXTURES = join(import.meta.dirname, '..', 'config', 'fixtures');

describe('vantage validate', () => {
  it('reports every problem with its path and exits 2', async () => {
    const r = await runCli(['validate', '--config', join(FIXTURES, 'invalid-many-problems.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('5 problem(s)');
    expect(r.stderr).toContain('checks[0].http.tls.ca: file not found');
    expect(r.stderr).toContain('checks[1].tcp.port: required');
    expect(r.stderr).toContain('checks[2].id: duplicate id "api" (also checks[0])');
  });

  it('reports schema, structure, cross-reference and deploy-only problems together, once each', async () => {
    const r = await runCli(['validate', '--json', '--config', join(FIXTURES, 'invalid-many-kinds.yaml')]);
    expect(r.code).toBe(2);
    const { issues } = JSON.parse(r.stdout) as { issues: Array<{ path: string; message: string }> };
    const has = (path: string, message: RegExp) => expect(issues.some((i) => i.path === path && message.test(i.message)), `${path} ${message}`).toBe(true);
    has('defaults.timeout', /longer than the maximum of 1m/); // schema
    has('checks[1].tcp.port', /Too small/); // schema
    has('checks[0].http.headers.__proto__', /reserved key/); // structure
    has('checks[0].alerting.channels[1]', /unknown channel "constructor"/); // cross-reference, despite the schema errors
    has('checks[0].timeout', /longer than the interval/);
    has('checks[0].alerting.quorum', /more than the 1 location/);
    has('checks[1].id', /duplicate id/);
    has('checks[1].locations[0]', /unknown location "mars-north-1"/);
    has('deployment.locations[1]', /duplicate location/);
    has('checks[0].http.headers.Authorization', /\$\{env:API_TOKEN\} is local only/); // deploy-only
    has('checks[0].http.url', /user:password/);
    expect(new Set(issues.map((i) => `${i.path}: ${i.message}`)).size).toBe(issues.length);
    expect(issues).toHaveLength(11);
  });

  it.each(['invalid-yaml-alias-bomb.yaml', 'invalid-yaml-alias-unknown.yaml', 'invalid-yaml-alias-self.yaml', 'invalid-yaml-deep.yaml'])('reports %s as a config error on its line, exit 2', async (file) => {
    const r = await runCli(['validate', '--config', join(FIXTURES, file)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^\S+: 1 problem\(s\)\n {2}line \d+:\d+: /);
    expect(r.stderr).not.toMatch(/\bat \S+:\d+:\d+\)?$/m);
  });

  it('prints machine-readable issues with --json', async () => {
    const r = await runCli(['validate', '--json', '--config', join(FIXTURES, 'invalid-unknown-key.yaml')]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ valid: false, issues: [{ path: 'checks[0].http.timout', message: 'unknown key' }] });
  });

  it('accepts a valid config', async () => {
    const r = await runCli(['validate', '--config', join(import.meta.dirname, '..', '..', 'examples', 'demo.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid, \d+ check\(s\)/);
  });

  it('says when the file cannot be read', async () => {
    const r = await runCli(['validate', '--config', '/nonexistent/checks.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(file): cannot read /nonexistent/checks.yaml: ENOENT');
  });
});

describe('usage errors', () => {
  it('rejects an unknown flag instead of ignoring it', async () => {
    const r = await runCli(['validate', '--confg', 'x.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--confg'");
  });

  it('rejects an unknown command with the list of commands', async () => {
    const r = await runCli(['probe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "probe"');
    expect(r.stderr).toContain('validate');
  });

  it.each(['constructor', 'toString', '__proto__'])('rejects %s as an unknown command rather than finding it on Object.prototype', async (name) => {
    const r = await runCli([name]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown command "${name}"`);
  });

  it('the bin runs under the pinned Node through npx', () => {
    const r = spawnSync('npx', ['vantage', 'validate', '--config', join(FIXTURES, 'invalid-bad-id.yaml')], { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('checks[0].id: expected lowercase letters');
  });
});

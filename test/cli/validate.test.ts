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

  it('the bin runs under the pinned Node through npx', () => {
    const r = spawnSync('npx', ['vantage', 'validate', '--config', join(FIXTURES, 'invalid-bad-id.yaml')], { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('checks[0].id: expected lowercase letters');
  });
});

/** `vantage import blackbox` as a user runs it: files in, notes on stderr, a config that `vantage validate` accepts. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseYaml } from '../../shared/config/yaml.ts';
import { runCli } from '../support/cli.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'vantage-import-cli-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('vantage import blackbox', () => {
  it('writes a config that validates, with tls paths relative to it, and prints every note', async () => {
    const out = join(tempDir(), 'nested', 'checks.yaml');
    mkdirSync(join(out, '..'));
    const run = await runCli(['import', 'blackbox', '--modules', join(FIXTURES, 'blackbox.yml'), '--prometheus', join(FIXTURES, 'prometheus.yml'), '--rules', join(FIXTURES, 'rules.yml'), '--out', out]);
    expect(run.stderr).toContain('vantage import: modules.http_full.http.fail_if_header_matches[0]: dropped:');
    expect(run.stderr).toContain('vantage import: 5 check(s) written to');
    expect(run.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# Imported from Blackbox Exporter')).toBe(true);
    const notes = run.stderr.split('\n').filter((l) => /^vantage import: \S+: (dropped|approximated|mapped):/.test(l));
    expect(text.split('\n').filter((l) => l.startsWith('#   '))).toHaveLength(notes.length);
    const grpc = (parseYaml(text) as { checks: Array<{ id: string; grpc?: { tls: { ca: string } } }> }).checks.find((c) => c.id === 'grpc-grpc.example.com-443');
    expect(grpc?.grpc?.tls.ca).toBe(relative(join(out, '..'), join(FIXTURES, 'certs', 'ca.pem')));
    // Nobody said where the exporter runs: the module file's directory is assumed, and the note says so.
    expect(run.stderr).toMatch(/modules\.grpc_health\.grpc\.tls_config\.ca_file: approximated: .*--exporter-cwd/);
    const validate = await runCli(['validate', '--config', out]);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
  });

  it('prints to stdout without --out and takes --target for modules', async () => {
    const run = await runCli(['import', 'blackbox', '--modules', join(FIXTURES, 'blackbox.yml'), '--target', 'http_2xx=https://example.org/health']);
    const checks = (parseYaml(run.stdout) as { checks: Array<{ id: string; enabled?: boolean }> }).checks;
    expect(checks.find((c) => c.id === 'http_2xx-example.org-health')).toMatchObject({ id: 'http_2xx-example.org-health' });
    expect(checks.find((c) => c.id === 'http_2xx-example.org-health')?.enabled).toBeUndefined();
    expect(checks.find((c) => c.id === 'tcp_banner-example.invalid-80')?.enabled).toBe(false);
  });

  it.each([
    [['import'], 'say what to import'],
    [['import', 'nagios', '--modules', 'x'], 'only blackbox'],
    [['import', 'blackbox'], '--modules is required'],
    [['import', 'blackbox', '--modules', join(FIXTURES, 'blackbox.yml'), '--target', 'nomodule'], 'expected MODULE=TARGET'],
    [['import', 'blackbox', '--modules', '/nonexistent/blackbox.yml'], 'cannot read /nonexistent/blackbox.yml: ENOENT'],
  ])('%j is a usage error', async (argv, message) => {
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

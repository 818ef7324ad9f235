/**
 * `vantage validate` on channel configs: every channel mistake at once, and for a deployed config the
 * plain-secret warnings with their paths, which never change the exit code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../shared/config/load.ts';
import { runCli } from '../support/cli.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const DEPLOYMENT = 'deployment: { homeRegion: us-east-1, locations: [us-east-1] }\ndefaults: { locations: [us-east-1] }\n';
const CHECKS = 'checks:\n  - { id: api, http: { url: "https://example.com" } }\n';
const PLAIN = `channels:
  oncall: { pagerduty: { routingKey: plain-key } }
  hooks: { webhook: [{ url: "https://hooks.example.com/b", secret: plain-secret }] }
`;

let dir: string;
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-channels-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vantage validate with channels', () => {
  it('reports every channel mistake with its path in one run, exit 2', async () => {
    const r = await runCli(['validate', '--config', join(FIXTURES, 'invalid-channels.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('10 problem(s)');
    for (const line of ['channels.chat.slack: needs webhook', 'channels.hooks.webhook[0]: expected an http:// or https:// URL', 'channels.hooks.webhook[1].url: required',
      'channels.oncall.pagerduty.routingKey: required', 'channels.ops-teams.teams.webhok: unknown key']) expect(r.stderr).toContain(`  ${line}`);
  });

  it('warns about each plain secret of a deployed config on stderr and still exits 0', async () => {
    const file = write('plain.yaml', `${DEPLOYMENT}${PLAIN}${CHECKS}`);
    const r = await runCli(['validate', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${file}: valid, 1 check(s)\n`);
    expect(r.stderr).toMatch(/^\S+plain\.yaml: warning: 2 plain secret\(s\) in a deployed config\n/);
    expect(r.stderr).toContain('  channels.oncall.pagerduty.routingKey: a plain routing key is bundled');
    expect(r.stderr).toContain('  channels.hooks.webhook[0].secret: a plain signing secret is bundled');
    expect(r.stderr).not.toContain('plain-key');
  });

  it('gives the warnings as "warnings" with --json, beside the issues of an invalid config', async () => {
    const valid = await runCli(['validate', '--json', '--config', write('plain.yaml', `${DEPLOYMENT}${PLAIN}${CHECKS}`)]);
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toEqual({
      valid: true, checks: 1,
      warnings: [{ path: 'channels.oncall.pagerduty.routingKey', message: expect.any(String) }, { path: 'channels.hooks.webhook[0].secret', message: expect.any(String) }],
    });
    const invalid = await runCli(['validate', '--json', '--config', write('both.yaml', `${DEPLOYMENT}${PLAIN}  chat: { slack: {} }\n${CHECKS}`)]);
    expect(invalid.code).toBe(2);
    const out = JSON.parse(invalid.stdout) as { issues: Array<{ path: string }>; warnings: Array<{ path: string }> };
    expect(out.issues.map((i) => i.path)).toEqual(['channels.chat.slack']);
    expect(out.warnings.map((w) => w.path)).toEqual(['channels.oncall.pagerduty.routingKey', 'channels.hooks.webhook[0].secret']);
    expect(invalid.stderr).toBe('');
  });

  it('says nothing more for the same secrets without a deployment block', async () => {
    const r = await runCli(['validate', '--config', write('local.yaml', `${PLAIN}${CHECKS}`)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('accepts examples/channels.yaml, every kind in its local form', async () => {
    const r = await runCli(['validate', '--config', join(EXAMPLES, 'channels.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const channels = Object.values(loadConfigFile(join(EXAMPLES, 'channels.yaml')).channels);
    expect(channels.some((c) => c.email.length > 0)).toBe(true);
    expect(channels.some((c) => c.webhook.some((w) => w.secret === undefined))).toBe(true);
    expect(channels.some((c) => c.webhook.some((w) => w.secret !== undefined))).toBe(true);
    for (const kind of ['slack', 'teams', 'pagerduty'] as const) expect(channels.some((c) => c[kind] !== undefined), kind).toBe(true);
  });
});

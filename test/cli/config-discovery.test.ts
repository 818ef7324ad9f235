/**
 * `--config` omitted: every command that reads a config finds vantage.config.ts (then .mts, .js,
 * .mjs), then checks.yaml / checks.yml, in the directory it runs in, and says which on stderr.
 * Real CLI processes in temporary directories, as a user would run them.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const DEFINE = JSON.stringify(join(ROOT, 'lib', 'index.ts'));
const tmp = mkdtempSync(join(tmpdir(), 'vantage-discovery-'));

interface Run { code: number | null; stdout: string; stderr: string }

/** The CLI as a process, asynchronously, so the loopback servers in this process keep answering. */
function vantage(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'cli/vantage.mjs'), ...args], { cwd, env: { PATH: process.env['PATH'] ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let seq = 0;
function dirWith(files: Record<string, string>): string {
  const dir = join(tmp, `d${seq++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const tsConfig = (ids: string[], extra = '') => `import { defineConfig } from ${DEFINE};
export default defineConfig({${extra}
  checks: [${ids.map((id) => `{ id: '${id}', tcp: { host: '127.0.0.1', port: 9 } }`).join(', ')}],
});
`;
const yamlConfig = (ids: string[]) => `checks:\n${ids.map((id) => `  - id: ${id}\n    tcp: { host: 127.0.0.1, port: 9 }\n`).join('')}`;

let server: Server;
let port: number;
const posts: IncomingMessage[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'POST') posts.push(req);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

describe('vantage validate without --config', () => {
  it.each([
    [{ 'vantage.config.ts': tsConfig(['ts']), 'checks.yaml': yamlConfig(['yaml']) }, 'vantage.config.ts'],
    [{ 'vantage.config.mts': tsConfig(['mts']), 'vantage.config.js': 'export default { checks: [] };\n', 'checks.yaml': yamlConfig(['yaml']) }, 'vantage.config.mts'],
    [{ 'vantage.config.mjs': 'export default { checks: [] };\n', 'checks.yml': yamlConfig(['yml']) }, 'vantage.config.mjs'],
    [{ 'checks.yaml': yamlConfig(['a', 'b']), 'checks.yml': yamlConfig(['yml']) }, 'checks.yaml'],
    [{ 'checks.yml': yamlConfig(['yml']), 'checks.json': '{"checks": []}' }, 'checks.yml'],
  ])('in a directory with %j uses %s and says so on stderr', async (files, expected) => {
    const r = await vantage(dirWith(files), ['validate']);
    expect(r.stderr).toBe(`vantage: using ./${expected}\n`);
    expect(r.stdout).toMatch(new RegExp(`^${expected.replace('.', '\\.')}: valid, \\d+ check\\(s\\)\\n$`));
    expect(r.code).toBe(0);
  });

  it('names the file in the problems it reports', async () => {
    const r = await vantage(dirWith({ 'vantage.config.ts': "export default { checks: [{ id: 'x', tcp: { host: 'h', port: 0 } }] };\n" }), ['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('vantage: using ./vantage.config.ts\nvantage.config.ts: 1 problem(s)\n  checks[0].tcp.port: Too small: expected number to be >=1\n');
  });

  it('is a usage error listing what it looked for when there is none', async () => {
    const dir = dirWith({ 'vantage.config.json': '{}', 'check.yaml': yamlConfig(['a']) });
    const r = await vantage(dir, ['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`vantage validate: no --config given and none found in ${dir}: looked for vantage.config.ts, vantage.config.mts, vantage.config.js, vantage.config.mjs, checks.yaml, checks.yml\n`);
    expect(r.stdout).toBe('');
  });

  it('gives a config that imports the package by name, from a directory with no node_modules, this CLI\'s own defineConfig', async () => {
    const dir = dirWith({ 'vantage.config.mts': "import { defineConfig } from 'vantage-monitoring';\nexport default defineConfig({ checks: [{ id: 'home', http: { url: 'http://127.0.0.1:9/' } }] });\n" });
    const out = await vantage(dir, ['validate']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('valid, 1 check(s)');
  });

  it('says nothing about discovery when --config is given', async () => {
    const dir = dirWith({ 'vantage.config.ts': tsConfig(['found']), 'other.ts': tsConfig(['given', 'too']) });
    const r = await vantage(dir, ['validate', '--config', 'other.ts']);
    expect(r).toEqual({ code: 0, stdout: 'other.ts: valid, 2 check(s)\n', stderr: '' });
  });
});

describe('the other commands discover the same way', () => {
  it('run probes the checks of the vantage.config.ts it found', async () => {
    const config = `import { defineConfig } from ${DEFINE};
export default defineConfig({ checks: [{ id: 'local-api', http: { url: 'http://127.0.0.1:${port}/health', assert: { jsonPath: { '$.status': 'ok' } } } }] });
`;
    const r = await vantage(dirWith({ 'vantage.config.ts': config, 'checks.yaml': yamlConfig(['not-this-one']) }), ['run', '--json']);
    expect(r.stderr).toBe('vantage: using ./vantage.config.ts\n');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { checkId: string; ok: boolean });
    expect(lines.map((l) => [l.checkId, l.ok])).toEqual([['local-api', true]]);
    expect(r.code).toBe(0);
  });

  it('cost estimates the discovered config', async () => {
    const r = await vantage(dirWith({ 'checks.yml': yamlConfig(['a', 'b', 'c']) }), ['cost', '--json']);
    expect(r.stderr).toBe('vantage: using ./checks.yml\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ checkRunsPerMonth: 3 * 43_800 });
  });

  it('replay takes the policies of the discovered config', async () => {
    const dir = dirWith({ 'vantage.config.ts': tsConfig(['api']), 'results.jsonl': '{"checkId":"other","location":"local","ts":"2026-01-01T00:00:00Z","ok":false,"status":"down"}\n' });
    const r = await vantage(dir, ['replay', '--results', 'results.jsonl']);
    expect(r.stderr).toContain('vantage: using ./vantage.config.ts\n');
    expect(r.stderr).toContain('unknown checkId "other" (not in vantage.config.ts)');
    expect(r.code).toBe(2);
  });

  it('channels test delivers to the channel of the discovered config', async () => {
    const before = posts.length;
    const dir = dirWith({ 'vantage.config.mjs': `export default { channels: { hooks: { webhook: ['http://127.0.0.1:${port}/hook'] } }, checks: [] };\n` });
    const r = await vantage(dir, ['channels', 'test', 'hooks']);
    expect(r.stderr).toBe('vantage: using ./vantage.config.mjs\n');
    expect(r.code).toBe(0);
    expect(posts.slice(before).map((p) => p.url)).toEqual(['/hook']);
  });

  it.each([['status'], ['silence', 'add', '--check', 'api', '--for', '1h']])('%s keeps its meaning without --config (no discovery: all states, unverified ids)', async (...args) => {
    // Nothing listens on this endpoint: the command must fail on the connection, having read no config.
    const r = await vantage(dirWith({ 'vantage.config.ts': "throw new Error('must not be imported');\n" }), [...args, '--endpoint', 'http://127.0.0.1:9']);
    expect(r.stderr).not.toContain('using');
    expect(r.stderr).not.toContain('must not be imported');
  });

  it('silence add --config reads a TypeScript config to refuse an unknown check id', async () => {
    const r = await vantage(dirWith({ 'checks.ts': tsConfig(['api']) }), ['silence', 'add', '--check', 'apj', '--for', '1h', '--config', 'checks.ts', '--endpoint', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not added; in checks.ts:\n  --check apj: no check with this id');
  });
});

/**
 * The published package, as a user gets it: `npm pack` of this checkout (which runs the prepack
 * build), then `npm install` of the tarball into an empty directory outside the repository, with no
 * network (`--offline`: the package has no dependencies to fetch), and the installed `vantage` run
 * from there. Node does not strip types under node_modules, so this is also the test that the CLI
 * the package ships is JavaScript throughout.
 * https://nodejs.org/api/typescript.html#type-stripping-in-dependencies
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type Running } from '../support/http-servers.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string };
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * The environment of a user's shell: this test's Node first on PATH (the bin's `#!/usr/bin/env node`
 * and npm then run on it), and none of the npm_* variables `npm test` sets, which point into the
 * repository (npm_config_local_prefix, npm_package_json, …).
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: [dirname(process.execPath), env.PATH].join(delimiter), NO_COLOR: '1' };
}

interface Ran { code: number; stdout: string; stderr: string }

/** Runs a program to its end; a non-zero exit is a result, not a throw. Asynchronous: the loopback server lives in this process. */
async function exec(file: string, args: string[], cwd: string): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: userEnv(), maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name).slice(dir.length + 1));
}

let work: string;
let tarball: string;
let project: string;
let vantage: string;
let server: Running;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vantage-pack-'));
  const packed = await exec('npm', ['pack', '--silent', '--pack-destination', work], repo);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(work, packed.stdout.trim().split('\n').at(-1) ?? '');
  project = join(work, 'project');
  rmSync(project, { recursive: true, force: true });
  // A project of the user's: ESM, so Node reads a checks.ts there as a module without guessing.
  await exec('mkdir', ['-p', project], work);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-checks', private: true, type: 'module' }));
  const installed = await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], project);
  expect(installed.code, installed.stderr).toBe(0);
  vantage = join(project, 'node_modules', '.bin', 'vantage');
  server = await startHttp((req, res) => {
    res.writeHead(req.url === '/broken' ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(req.url === '/broken' ? 'database unreachable\n' : 'ok\n');
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the bundle, the library and its types, and no dependencies', () => {
    const names = filesUnder(join(project, 'node_modules', pkg.name)).sort();
    expect(names).toEqual(expect.arrayContaining(['cli/vantage.mjs', 'dist/vantage.mjs', 'dist/index.mjs', 'dist/index.d.ts', 'package.json']));
    // Not a single .ts Node would refuse to run (declarations are for editors, never loaded).
    expect(names.filter((n) => /\.[mc]?ts$/.test(n) && !n.endsWith('.d.ts'))).toEqual([]);
    expect(readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual([pkg.name]);
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', pkg.name, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
  });

  it('installs nothing else: the repository declares every package a devDependency, since the bundle holds what the CLI loads', () => {
    const repoManifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(repoManifest.dependencies).toBeUndefined();
  });

  it('runs `vantage agent` from the bundle (the agent image installs this tarball)', async () => {
    const help = await exec(vantage, ['agent', '--help'], project);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: vantage agent --location NAME');
  });

  it('prints its version and its help', async () => {
    const version = await exec(vantage, ['--version'], project);
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const help = await exec(vantage, ['help'], project);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: vantage <command>');
    const checkHelp = await exec(vantage, ['help', 'check'], project);
    expect(checkHelp.code).toBe(0);
    expect(checkHelp.stdout).toContain('usage: vantage check');
  });

  it('validates a TypeScript config that imports defineConfig from the package', async () => {
    writeFileSync(join(project, 'checks.ts'), [
      `import { defineConfig } from '${pkg.name}';`,
      'export default defineConfig({',
      `  checks: [{ id: 'home', http: { url: '${server.url('/')}' } }],`,
      '});',
      '',
    ].join('\n'));
    const valid = await exec(vantage, ['validate', '--config', 'checks.ts'], project);
    expect(valid.stderr).not.toMatch(/Warning/);
    expect(valid).toMatchObject({ code: 0 });
    expect(valid.stdout).toContain('valid, 1 check(s)');

    writeFileSync(join(project, 'broken.ts'), `import { defineConfig } from '${pkg.name}';\nexport default defineConfig({ checks: [{ id: 'home', http: { url: 'not a url' } }] });\n`);
    const invalid = await exec(vantage, ['validate', '--config', 'broken.ts'], project);
    expect(invalid.code).toBe(2);
    expect(invalid.stdout + invalid.stderr).toContain('checks[0]');
  });

  it("types a config for an editor with the package's declarations alone (no zod installed)", async () => {
    const compile = (file: string) => exec(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', file], project);
    writeFileSync(join(project, 'typo.ts'), `import { defineConfig } from '${pkg.name}';\nexport default defineConfig({ checks: [{ id: 'a', http: { url: 'https://example.com', methd: 'GET' } }], defaults: { interval: 60 } });\n`);
    const good = await compile('checks.ts');
    expect(good.stdout).toBe('');
    expect(good.code).toBe(0);
    const typo = await compile('typo.ts');
    expect(typo.code).not.toBe(0);
    expect(typo.stdout).toContain("'methd' does not exist");
    expect(typo.stdout).toMatch(/typo\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });

  it('probes a loopback server', async () => {
    const up = await exec(vantage, ['check', server.url('/')], project);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/\bUP\b/);
    const down = await exec(vantage, ['check', server.url('/broken')], work);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/\bDOWN\b/);
  });

  it('says `vantage dev` needs the checkout', async () => {
    const dev = await exec(vantage, ['dev'], project);
    expect(dev.code).toBe(2);
    expect(dev.stderr).toContain('from a checkout of the repository');
  });

  it('installs globally and runs from any directory', async () => {
    const prefix = join(work, 'global');
    const installed = await exec('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], work);
    expect(installed.code, installed.stderr).toBe(0);
    const version = await exec(join(prefix, 'bin', 'vantage'), ['--version'], tmpdir());
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    // A config in a directory with no node_modules still imports defineConfig: the running CLI's own.
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, 'checks.mts'), `import { defineConfig } from '${pkg.name}';\nexport default defineConfig({ checks: [{ id: 'home', http: { url: '${server.url('/')}' } }] });\n`);
    const valid = await exec(join(prefix, 'bin', 'vantage'), ['validate', '--config', 'checks.mts'], elsewhere);
    expect(valid, valid.stderr).toMatchObject({ code: 0 });
    expect(valid.stdout).toContain('valid, 1 check(s)');
  });

  it('names the package the config loader falls back to as package.json does', async () => {
    const { PACKAGE_NAME } = await import('../../shared/config/config-module.ts');
    expect(PACKAGE_NAME).toBe(pkg.name);
  });
});

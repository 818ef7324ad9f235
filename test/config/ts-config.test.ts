/**
 * TypeScript (and JavaScript) configs: the same validation, paths and file references as YAML, and
 * a ConfigError naming the file for everything that goes wrong before there is a config object.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineConfig, type VantageConfig } from '../../lib/index.ts';
import { findConfig, loadConfig, loadConfigFile, readConfigFile } from '../../shared/config/load.ts';
import { ConfigError, type ConfigIssue } from '../../shared/errors.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const DEFINE = join(ROOT, 'lib', 'index.ts');
const tmp = mkdtempSync(join(tmpdir(), 'vantage-ts-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let seq = 0;
/** A fresh file each time: an imported module is cached by its URL for the life of the process. */
function write(name: string, text: string, dir = tmp): string {
  const sub = join(dir, `c${seq++}`);
  mkdirSync(sub, { recursive: true });
  const path = join(sub, name);
  writeFileSync(path, text);
  return path;
}

async function issuesOf(load: () => Promise<unknown> | unknown): Promise<ConfigIssue[]> {
  try {
    await load();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new ConfigError([{ path: '(test)', message: 'expected the config to be rejected' }]);
}

/**
 * An object as a TypeScript literal, every key computed so that `__proto__` stays an own key as
 * YAML makes it (a plain `__proto__:` in a literal sets the prototype instead), and numbers that
 * JSON cannot spell (Infinity, -0) kept.
 */
function toSource(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (Array.isArray(v)) return `[${v.map(toSource).join(', ')}]`;
  if (typeof v === 'object' && v !== null) return `{ ${Object.keys(v).map((k) => `[${JSON.stringify(k)}]: ${toSource((v as Record<string, unknown>)[k])}`).join(', ')} }`;
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

describe('a TypeScript config is validated exactly as the same config in YAML', () => {
  // A copy of the fixtures, so each twin sits beside its YAML and the PEM files both refer to.
  const dir = join(tmp, 'fixtures');
  cpSync(FIXTURES, dir, { recursive: true });
  const twins = readdirSync(dir).filter((f) => f.startsWith('invalid-') && f.endsWith('.yaml')).flatMap((file) => {
    let input: unknown;
    try {
      input = readConfigFile(join(dir, file));
    } catch {
      return []; // YAML syntax, alias and depth errors: there is no object to write as TypeScript
    }
    const ts = join(dir, file.replace(/\.yaml$/, '.ts'));
    writeFileSync(ts, `import { defineConfig } from ${JSON.stringify(DEFINE)};\n// @ts-nocheck: invalid on purpose\nexport default defineConfig(${toSource(input)});\n`);
    return [[file, join(dir, file), ts] as const];
  });

  it('covers most of the invalid fixtures', () => {
    expect(twins.length).toBeGreaterThanOrEqual(45);
  });

  it.each(twins)('%s and its .ts twin give the identical issue list', async (_name, yaml, ts) => {
    const fromYaml = await issuesOf(() => loadConfigFile(yaml));
    expect(fromYaml.length).toBeGreaterThan(0);
    expect(await issuesOf(() => loadConfig(ts))).toEqual(fromYaml);
  });

  it.each(['invalid-many-kinds.yaml', 'invalid-many-problems.yaml', 'invalid-proto-keys.yaml'])('%s and its twin give the identical issues from the real CLI (Node\'s own import)', (name) => {
    const [, yaml, ts] = twins.find(([n]) => n === name)!;
    const fromYaml = validateJson(yaml);
    expect(fromYaml.issues?.length).toBeGreaterThan(0);
    expect(validateJson(ts)).toEqual(fromYaml);
  });

  it('gives the identical issue list locally too (local-only rules and ${env:} checks)', async () => {
    const [, yaml, ts] = twins.find(([name]) => name === 'invalid-deploy-env-ref.yaml')!;
    const local = { local: { env: {} } };
    const fromYaml = await issuesOf(() => loadConfigFile(yaml, local));
    expect(fromYaml.some((i) => /API_TOKEN|\$\{env:/.test(i.message))).toBe(true);
    expect(await issuesOf(() => loadConfig(ts, local))).toEqual(fromYaml);
  });
});

describe('what a TypeScript config may hold', () => {
  it('loads a valid config to the same result as its YAML twin, env and secret references included', async () => {
    const body = {
      checks: [
        { id: 'api', interval: '30s', http: { url: 'https://api.example.com/', headers: { Authorization: 'Bearer ${env:API_TOKEN}', 'X-Key': { ssm: '/vantage/key' } } } },
        { id: 'db', tcp: { host: '10.0.0.5', port: 5432 } },
      ],
    };
    const yaml = write('checks.yaml', JSON.stringify(body));
    const ts = write('checks.ts', `import { defineConfig } from ${JSON.stringify(DEFINE)};\nexport default defineConfig(${JSON.stringify(body)});\n`);
    const local = { local: { env: { API_TOKEN: 't' } } };
    const fromTs = await loadConfig(ts, local);
    expect(fromTs).toEqual(loadConfigFile(yaml, local));
    expect(fromTs.checks.map((c) => [c.id, c.interval])).toEqual([['api', 30_000], ['db', 60_000]]);
    expect(await issuesOf(() => loadConfig(ts, { local: { env: {} } }))).toEqual(await issuesOf(() => loadConfigFile(yaml, { local: { env: {} } })));
  });

  it('resolves PEM file references against the config file, not the current directory', async () => {
    const pem = readFileSync(join(FIXTURES, 'client.pem'), 'utf8');
    const ts = write('checks.ts', `export default { checks: [{ id: 'mtls', http: { url: 'https://x.example/', tls: { ca: 'certs/ca.pem' } } }] };\n`);
    mkdirSync(join(ts, '..', 'certs'));
    writeFileSync(join(ts, '..', 'certs', 'ca.pem'), pem);
    expect(process.cwd()).not.toBe(join(ts, '..'));
    const check = (await loadConfig(ts)).checks[0];
    expect(check?.kind === 'http' && check.http.tls?.ca).toBe(pem);
  });

  it('calls and awaits a default export that is a function', async () => {
    const ts = write('checks.mts', `export default async () => ({ checks: [{ id: 'late', tcp: { host: 'h', port: 1 } }] });\n`);
    expect((await loadConfig(ts)).checks.map((c) => c.id)).toEqual(['late']);
  });

  it.each([
    ['checks.js', `module.exports = { checks: [{ id: 'cjs', tcp: { host: 'h', port: 1 } }] };\n`, 'cjs'],
    ['checks.mjs', `export default { checks: [{ id: 'esm', tcp: { host: 'h', port: 1 } }] };\n`, 'esm'],
  ])('loads %s', async (name, text, id) => {
    expect((await loadConfig(write(name, text))).checks.map((c) => c.id)).toEqual([id]);
  });

  it('reports a default export that is not an object the way YAML reports a scalar', async () => {
    const ts = write('checks.ts', 'export default 42;\n');
    const yaml = write('checks.yaml', '42\n');
    expect(await issuesOf(() => loadConfig(ts))).toEqual(await issuesOf(() => loadConfigFile(yaml)));
  });
});

/**
 * Run by the real CLI: Node's own import (type stripping, its error codes) is what a user gets, and
 * vitest would put its transform in between.
 */
function validateJson(path: string): { code: number | null; issues?: ConfigIssue[]; stderr: string } {
  const r = spawnSync(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'cli/vantage.mjs'), 'validate', '--json', '--config', path], { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
  const out = r.stdout ? (JSON.parse(r.stdout) as { issues?: ConfigIssue[] }) : {};
  return { code: r.status, ...(out.issues && { issues: out.issues }), stderr: r.stderr };
}

describe('a module that cannot give a config is a ConfigError naming the file', () => {
  it('a missing file says so as for YAML, not as an import from the loader', async () => {
    const missing = join(tmpdir(), 'vantage-no-such-config.ts');
    const [ts, yaml] = await Promise.all([issuesOf(() => loadConfig(missing)), issuesOf(() => loadConfig(missing.replace(/\.ts$/, '.yaml')))]);
    expect(ts).toEqual([{ path: '(file)', message: `cannot read ${missing}: ENOENT` }]);
    expect(yaml?.[0]?.message).toMatch(/^cannot read \S+: ENOENT$/);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['a syntax error', 'export default { checks: [ }\n', /^cannot import \S+checks\.ts: SyntaxError \[ERR_INVALID_TYPESCRIPT_SYNTAX\]: .+ \(line 1\)$/],
    ['TypeScript Node cannot strip', 'enum E { A }\nexport default { checks: [], e: E.A };\n', /^cannot import \S+checks\.ts: SyntaxError \[ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX\]: .*enum.* \(line 1\)$/],
    ['a throw at import', 'const n: number = 2;\nthrow new TypeError(`boom ${n}`);\nexport default {};\n', /^cannot import \S+checks\.ts: TypeError: boom 2 \(line 2:7\)$/],
    ['a missing import', "import './nope.ts';\nexport default { checks: [] };\n", /^cannot import \S+checks\.ts: Error \[ERR_MODULE_NOT_FOUND\]: .*nope\.ts/],
    ['no default export', 'export const checks = [];\n', /^\S+checks\.ts has no default export: write `export default defineConfig/],
    ['a default function that throws', "export default () => { throw new RangeError('no'); };\n", /^the default export of \S+checks\.ts threw: RangeError: no \(line 1:30\)$/],
  ];

  it.each(cases)('%s', (_what, text, message) => {
    const path = write('checks.ts', text);
    const r = validateJson(path);
    expect(r.code).toBe(2);
    expect(r.issues).toHaveLength(1);
    expect(r.issues?.[0]?.path).toBe('(file)');
    expect(r.issues?.[0]?.message).toMatch(message);
    expect(r.stderr).toBe('');
  });

  it('prints it without a stack trace', () => {
    const path = write('checks.ts', "throw new Error('boom');\n");
    const r = spawnSync(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'cli/vantage.mjs'), 'validate', '--config', path], { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${path}: 1 problem(s)\n  (file): cannot import ${path}: Error: boom (line 1:7)\n`);
  });

  it('in-process too, whatever runs the import', async () => {
    const path = write('checks.ts', 'export const checks = [];\n');
    const error = await loadConfig(path).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message.startsWith(`${path}: 1 problem(s)`)).toBe(true);
  });

  it('the synchronous loader refuses a module config instead of parsing it as YAML', () => {
    const path = write('checks.ts', 'export default { checks: [] };\n');
    expect(() => loadConfigFile(path)).toThrow(/is a module config; this reads YAML or JSON only/);
  });
});

describe('findConfig', () => {
  it.each([
    [['checks.yaml', 'vantage.config.ts'], 'vantage.config.ts'],
    [['vantage.config.mjs', 'vantage.config.mts', 'vantage.config.js'], 'vantage.config.mts'],
    [['checks.yml', 'vantage.config.mjs'], 'vantage.config.mjs'],
    [['checks.yml', 'checks.yaml'], 'checks.yaml'],
    [['checks.yml', 'checks.json', 'vantage.config.json'], 'checks.yml'],
  ])('in a directory with %j picks %s', (files, expected) => {
    const dir = join(tmp, `find${seq++}`);
    mkdirSync(dir);
    for (const f of files) writeFileSync(join(dir, f), '');
    expect(findConfig(dir)).toBe(join(dir, expected));
  });

  it('ignores a directory with a config name and finds nothing in an empty directory', () => {
    const dir = join(tmp, `find${seq++}`);
    mkdirSync(join(dir, 'vantage.config.ts'), { recursive: true });
    expect(findConfig(dir)).toBeUndefined();
  });
});

describe('the VantageConfig type', () => {
  it('accepts what the schema accepts and the checks are typed per kind', async () => {
    const config = defineConfig({
      defaults: { interval: '30s' },
      checks: [{ id: 'a', http: { url: 'https://a.example/', assert: { maxResponseTime: '1s' } } }, { id: 'b', tcp: { host: 'b', port: 1 } }],
    });
    expect((await loadConfig(write('checks.ts', `export default ${JSON.stringify(config)};\n`))).checks).toHaveLength(2);
  });

  // Each line is a mistake the schema rejects; each must also fail to compile (`npx tsc --noEmit`
  // fails on an unused @ts-expect-error), so an editor flags it before `vantage validate` runs.
  it('rejects, at compile time, what the schema rejects at load time', async () => {
    const wrong: VantageConfig[] = [
      // @ts-expect-error: a typo in a field name
      { checks: [{ id: 'a', http: { url: 'https://a.example/', timout: '1s' } }] },
      // @ts-expect-error: a port is a number
      { checks: [{ id: 'a', tcp: { host: 'h', port: '80' } }] },
      // @ts-expect-error: two protocol keys in one check
      { checks: [{ id: 'a', http: { url: 'https://a.example/' }, tcp: { host: 'h', port: 1 } }] },
      // @ts-expect-error: no protocol key
      { checks: [{ id: 'a' }] },
      // @ts-expect-error: kind is implied, never written
      { checks: [{ id: 'a', kind: 'http', http: { url: 'https://a.example/' } }] },
      // @ts-expect-error: an unknown DNS record type
      { checks: [{ id: 'a', dns: { name: 'a.example', type: 'AAA' } }] },
      // @ts-expect-error: checks is required
      { defaults: { interval: '1m' } },
      // @ts-expect-error: an unknown top-level key
      { checks: [], check: [] },
    ];
    for (const config of wrong) {
      const issues = await issuesOf(() => loadConfig(write('checks.ts', `export default ${JSON.stringify(config)};\n`)));
      expect(issues.length, JSON.stringify(config)).toBeGreaterThan(0);
    }
  });

  it('makes tsc name the wrong field in a config file outside the repo', () => {
    const path = write('checks.ts', [
      `import { defineConfig } from ${JSON.stringify(DEFINE)};`,
      `export default defineConfig({ checks: [{ id: 'a', http: { url: 'https://a.example/', timout: '1s' } }] });`,
      '',
    ].join('\n'));
    const r = spawnSync(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--allowImportingTsExtensions', '--types', 'node', path], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/checks\.ts\(2,\d+\): error TS2353: Object literal may only specify known properties, and 'timout' does not exist/);
    expect(r.status).not.toBe(0);
  });
});

describe('examples/checks.ts', () => {
  it('is the TypeScript twin of part of examples/checks.yaml: the same deployment, defaults, channels and checks', async () => {
    const ts = await loadConfig(join(ROOT, 'examples', 'checks.ts'));
    const yaml = loadConfigFile(join(ROOT, 'examples', 'checks.yaml'));
    expect(ts.checks.map((c) => c.id)).toEqual(['api-health', 'checkout', 'orders-db', 'mail-submission', 'dns-api', 'cert-api']);
    expect(ts.checks).toEqual(yaml.checks.filter((c) => ts.checks.some((t) => t.id === c.id)));
    expect({ ...ts, checks: [] }).toEqual({ ...yaml, checks: [] });
  });

  it('validates with the real CLI', () => {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'cli/vantage.mjs'), 'validate', '--config', 'examples/checks.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('examples/checks.ts: valid, 6 check(s)\n');
    expect(r.status).toBe(0);
  });
});

/** The CDK app (what `cdk synth` runs) reads a TypeScript config from `--context config=checks.ts`. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const out = mkdtempSync(join(tmpdir(), 'vantage-synth-ts-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function synth(config: string, outdir: string) {
  return spawnSync(join(ROOT, 'node_modules/.bin/node'), ['cdk/app.ts'], {
    cwd: ROOT, encoding: 'utf8', timeout: 180_000,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ config }) },
  });
}

describe('cdk/app.ts with a TypeScript config', () => {
  it('synthesizes examples/checks.ts: every location a stack, the private location\'s checks in its definitions', () => {
    const dir = join(out, 'example');
    const r = synth('examples/checks.ts', dir);
    expect(r.status, r.stderr).toBe(0);
    const templates = readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort();
    expect(templates).toEqual(['Vantage-Home.template.json', 'Vantage-Probe-ap-southeast-1.template.json', 'Vantage-Probe-eu-west-1.template.json', 'Vantage-Probe-office-dc.template.json', 'Vantage-Probe-us-east-1.template.json']);
    const definitions = readdirSync(dir).filter((f) => f.startsWith('asset.')).flatMap((a) => {
      try {
        return [JSON.parse(readFileSync(join(dir, a, 'definitions.json'), 'utf8')) as unknown];
      } catch {
        return [];
      }
    });
    expect(JSON.stringify(definitions)).toContain('"orders-db"');
  });

  it('exits 2 naming the file and every path for an invalid one, and synthesizes nothing', () => {
    const config = join(out, 'bad.ts');
    writeFileSync(config, `export default {
  deployment: { homeRegion: 'us-east-1', locations: ['us-east-1'] },
  defaults: { locations: ['us-east-1'] },
  checks: [{ id: 'a', http: { url: 'https://a.example/', headers: { Authorization: 'Bearer \${env:TOKEN}' } } }, { id: 'b', tcp: { host: 'h', port: 0 } }],
};
`);
    const dir = join(out, 'bad');
    const r = synth(config, dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${config}: 2 problem(s)`);
    expect(r.stderr).toContain('  checks[0].http.headers.Authorization: ${env:');
    expect(r.stderr).toContain('  checks[1].tcp.port: Too small');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('exits 2 with the import error for a config that throws', () => {
    const config = join(out, 'throws.ts');
    writeFileSync(config, "throw new Error('no config today');\n");
    const r = synth(config, join(out, 'throws'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${config}: 1 problem(s)\n  (file): cannot import ${config}: Error: no config today (line 1:7)\n`);
  });
});

/**
 * One fixture per invalid-config rule (the Blackbox Exporter `config/testdata/invalid-*.yml` habit).
 * Each fixture names its exact expected problems in `# expect: path: message` lines; the loader must
 * report exactly those, no more and no fewer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';

const DIR = join(import.meta.dirname, 'fixtures');
const fixtures = readdirSync(DIR).filter((f) => f.startsWith('invalid-')).sort();

describe('invalid configs', () => {
  it('has a fixture for each rule', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures)('%s is rejected with exactly its expected problems', (file) => {
    const path = join(DIR, file);
    const expected = readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('# expect: ')).map((l) => l.slice('# expect: '.length));
    expect(expected.length, 'fixture names its expected problems').toBeGreaterThan(0);
    let error: unknown;
    try {
      loadConfigFile(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const got = (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    expect(got.sort()).toEqual([...expected].sort());
  });
});

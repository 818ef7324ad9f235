/**
 * The layer rules (.dependency-cruiser.cjs) are only worth having if they fail: each case plants a
 * file that breaks one rule, runs the same check `npm run lint` runs, and expects that rule by name.
 * Planted files are named so nothing else picks them up, and are removed whatever happens.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const planted: string[] = [];

function plant(path: string, source: string): string {
  const file = join(ROOT, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, source);
  planted.push(file);
  return path;
}

function cruise(...paths: string[]): { code: number | null; out: string } {
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'depcruise'), ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...paths], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

afterEach(() => {
  for (const f of planted.splice(0)) rmSync(f, { force: true });
});

describe('layer boundaries', () => {
  const cases: Array<[string, string, string, string]> = [
    ['core → a root', 'shared/probe/planted-upward.ts', "import '../../functions/probe/env.ts';\n", 'core-imports-only-core'],
    ['core → the AWS SDK', 'shared/evaluate/planted-aws.ts', "import '@aws-sdk/client-dynamodb';\n", 'core-has-no-aws'],
    ['adapter → a use case', 'shared/store/planted-up.ts', "import '../usecases/retest.ts';\n", 'adapters-import-core-only'],
    ['use case → a root', 'shared/usecases/planted-root.ts', "import '../../cli/io.ts';\n", 'usecases-import-no-roots'],
    ['one root → another', 'cdk/planted-sideways.ts', "import '../dev/pipeline.ts';\n", 'roots-are-separate'],
    ['production → test support', 'dev/planted-test.ts', "import '../test/support/cli.ts';\n", 'nothing-imports-tests'],
  ];
  it.each(cases)('%s fails the check', (_name, path, source, rule) => {
    const file = plant(path, source);
    const r = cruise(file);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`error ${rule}: ${file}`);
  });

  it('the tree as committed has no violation', () => {
    const r = cruise('cdk', 'cli', 'dev', 'functions', 'shared', 'testkit', 'test', 'bench');
    expect(r.out).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });
});

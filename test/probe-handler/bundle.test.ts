/**
 * What the Lambda init evaluates. The functions are bundled as the CDK construct bundles them, and
 * esbuild's metafile gives the module graph: walking only static imports from the entry point gives
 * every module evaluated at import. zod and yaml are synth-time tools (the definitions file is proven
 * at `cdk synth`), and gRPC support loads only where gRPC checks run.
 */
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

async function graph(entry: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    outfile: 'out.mjs',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
}

/** Modules reached from `entry` through static imports alone: what importing the bundle evaluates. */
function evaluatedAtImport(meta: Metafile, entry: string): string[] {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    for (const imp of meta.inputs[file]?.imports ?? []) {
      if (imp.external || imp.kind === 'dynamic-import' || seen.has(imp.path)) continue;
      seen.add(imp.path);
      queue.push(imp.path);
    }
  }
  return [...seen];
}

const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];

describe('the probe function bundle', () => {
  it('evaluates neither zod nor yaml at init, and gRPC support only through a dynamic import', async () => {
    const entry = 'functions/probe/handler.ts';
    const meta = await graph(entry);

    const atImport = evaluatedAtImport(meta, entry);
    const packages = new Set(atImport.map(packageOf).filter((p) => p !== undefined));

    expect([...packages].filter((p) => ['zod', 'yaml', '@grpc/grpc-js', 'protobufjs'].includes(p))).toEqual([]);
    expect(atImport.filter((f) => f.startsWith('shared/config/'))).not.toContain('shared/config/schema.ts');
    // Still in the one-file bundle, behind import(): a location with gRPC checks loads it at init.
    expect(Object.keys(meta.inputs).some((f) => packageOf(f) === '@grpc/grpc-js')).toBe(true);
    expect(meta.inputs['shared/probe/index.ts']!.imports.find((i) => i.path === 'shared/probe/grpc.ts')?.kind).toBe('dynamic-import');
  });
});

describe('the evaluator function bundle', () => {
  it('evaluates neither zod nor yaml at init (backtesting, which uses zod, stays out)', async () => {
    const entry = 'functions/evaluator/handler.ts';
    const meta = await graph(entry);

    const atImport = evaluatedAtImport(meta, entry);

    expect(atImport.filter((f) => ['zod', 'yaml'].includes(packageOf(f) ?? ''))).toEqual([]);
    expect(atImport.filter((f) => ['shared/config/schema.ts', 'shared/config/definitions.ts', 'shared/config/load.ts', 'shared/evaluate/backtest.ts'].includes(f))).toEqual([]);
  });
});

/**
 * Measurement 5: cold start. Each function is bundled as Lambda gets it (./bundle.ts); the figures
 * are the bundle's bytes and its module init time: a fresh `node` process, with the function's
 * NODE_OPTIONS (and the probe's other runtime variables, shared/deploy/lambda-build.ts), that imports the bundle
 * and exits, wall time from spawn to exit, median of N runs, minus the median of a plain process
 * importing an empty module (Node's own start-up). Runs of the three take turns.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_OPTIONS, probeAliases, probeRuntimeEnvironment } from '../shared/deploy/lambda-build.ts';
import { sizeProbe } from '../shared/usecases/cost/sizing.ts';
import { DEFINITIONS_FILE, toDefinitions } from '../shared/config/definitions.ts';
import { loadConfigFile } from '../shared/config/load.ts';
import { bundle } from './bundle.ts';
import { median } from './stats.ts';

export interface ColdStartEntry {
  name: string;
  entry: string;
  bytes?: number;
  /** Median wall ms of `node -e "await import(bundle)"`. */
  importMs?: number;
  /** importMs minus the empty-import baseline: what the module itself costs at init. */
  initMs?: number;
  note?: string;
}

export interface ColdStartResult {
  runs: number;
  baselineMs: number;
  entries: ColdStartEntry[];
  notes: string[];
}

/**
 * The environment the CDK app gives the functions, with placeholder values: the handlers validate it
 * and read their definitions at import, but nothing calls AWS during init.
 */
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  TABLE_NAME: 'vantage-bench',
  HOME_REGION: 'us-east-1',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:vantage-bench',
  LOCATION: 'us-east-1',
};

/** The checks each bundle carries, as the CDK app writes them: the reference config's. */
const REFERENCE_CONFIG = 'bench/reference-checks.yaml';

/** `runtime`: the function's NODE_OPTIONS and the like, as the CDK constructs set them. */
function timeImport(file: string, runtime: Record<string, string> = {}): Promise<{ ms: number; error?: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(`file://${file}`)});`], {
      env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV, ...runtime },
      timeout: 30_000,
    }, (err, _stdout, stderr) => {
      const ms = performance.now() - t0;
      // Minified bundles print a line of source before the error; keep only the error's own line.
      const line = (stderr || err?.message || '').split('\n').find((l) => /^\w*(Error|Exception)\b/.test(l.trim())) ?? err?.message ?? '';
      resolve(err ? { ms, error: line.trim().slice(0, 300) } : { ms });
    });
  });
}

export async function measureColdStart(opts: { dir: string; root: string; runs: number; log: (s: string) => void }): Promise<ColdStartResult> {
  const notes: string[] = [];
  const entries: ColdStartEntry[] = [
    { name: 'probe', entry: 'functions/probe/handler.ts' },
    { name: 'evaluator', entry: 'functions/evaluator/handler.ts' },
  ];
  const files = new Map<string, string>();
  const runtimes = new Map<string, Record<string, string>>();
  const reference = loadConfigFile(join(opts.root, REFERENCE_CONFIG));
  for (const e of entries) {
    const src = join(opts.root, e.entry);
    if (!existsSync(src)) {
      e.note = `not measured: ${e.entry} does not exist yet`;
      continue;
    }
    try {
      // Each in its own folder with its definitions.json beside it, as Lambda gets it.
      const dir = join(opts.dir, `fn-${e.name}`);
      mkdirSync(dir, { recursive: true });
      const definitions = toDefinitions(reference, e.name === 'probe' ? 'us-east-1' : undefined);
      // The probe of a location without gRPC checks is bundled without gRPC support, as `cdk synth` does.
      const b = await bundle(src, join(dir, 'handler.mjs'), e.name === 'probe' ? { alias: probeAliases(definitions.checks) } : {});
      writeFileSync(join(dir, DEFINITIONS_FILE), JSON.stringify(definitions));
      e.bytes = b.bytes;
      files.set(e.name, b.file);
      runtimes.set(e.name, e.name === 'probe' ? probeRuntimeEnvironment(sizeProbe(definitions.checks).memoryMb) : { NODE_OPTIONS });
    } catch (err) {
      e.note = `not measured: bundling failed: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  const empty = join(opts.dir, 'empty.mjs');
  writeFileSync(empty, 'export {};\n');

  const samples = new Map<string, number[]>([['baseline', []], ...[...files.keys()].map((k): [string, number[]] => [k, []])]);
  for (let i = 0; i < opts.runs; i++) {
    // Turns: baseline, then each bundle; the order rotates so none always follows the same one.
    const order: Array<[string, string]> = [['baseline', empty], ...[...files.entries()]];
    const rotated = [...order.slice(i % order.length), ...order.slice(0, i % order.length)];
    for (const [name, file] of rotated) {
      const r = await timeImport(file, runtimes.get(name));
      if (r.error) {
        const e = entries.find((x) => x.name === name);
        if (e && !e.note) e.note = `import failed: ${r.error}`;
        files.delete(name);
        continue;
      }
      samples.get(name)!.push(r.ms);
    }
  }
  const baselineMs = median(samples.get('baseline')!);
  for (const e of entries) {
    const s = samples.get(e.name);
    if (!s?.length || !files.has(e.name)) continue;
    e.importMs = median(s);
    e.initMs = e.importMs - baselineMs;
  }
  return { runs: opts.runs, baselineMs, entries, notes };
}

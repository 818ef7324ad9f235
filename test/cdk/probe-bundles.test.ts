/**
 * The probe functions as `cdk synth` writes them (real esbuild bundling): a location without gRPC
 * checks gets a bundle without @grpc/grpc-js, a location with them keeps it, and a bundle that lacks it
 * refuses definitions that need it at init rather than failing a probe later. Each probe function
 * starts with the runtime variables the bench runs the engine with. The notifier's bundle starts with
 * the environment the template gives it and reads the definitions bundled next to it.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_OPTIONS, probeRuntimeEnvironment } from '../../shared/deploy/lambda-build.ts';
import { buildVantage } from '../../cdk/vantage.ts';
import { DEFINITIONS_FILE, toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { cdkContext } from './template-walk.ts';

const YAML = `
deployment:
  homeRegion: us-east-1
  locations: [us-east-1, eu-west-1]
defaults: { locations: [us-east-1, eu-west-1] }
checks:
  - id: web
    http: { url: "https://example.com/" }
  - id: rpc
    locations: [eu-west-1]
    grpc: { target: "grpc.example.com:443", tls: true }
channels:
  hooks: { webhook: [https://hooks.example.com/vantage] }
`;
const STACKS = ['Vantage-Probe-us-east-1', 'Vantage-Probe-eu-west-1'];

let outdir: string;
const assets = new Map<string, string>();
type Fn = { Type: string; Properties: { Code: { S3Key: string }; MemorySize: number; Environment: { Variables: Record<string, unknown> } } };
const functions = new Map<string, Fn[]>();
let notifier: { dir: string; env: Record<string, unknown> };

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'vantage-cdk-bundles-'));
  const app = new App({ outdir, context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [...STACKS, 'Vantage-Home'] } });
  buildVantage(app, loadConfigText(YAML));
  const assembly = app.synth();
  for (const stack of assembly.stacks) {
    functions.set(stack.stackName, Object.values(stack.template.Resources as Record<string, Fn>).filter((r) => r.Type === 'AWS::Lambda::Function'));
  }
  for (const name of STACKS) {
    const fn = functions.get(name)![0]!;
    assets.set(name, join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`));
  }
  const home = assembly.getStackByName('Vantage-Home').template as { Resources: Record<string, Fn> };
  const [, fn] = Object.entries(home.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('NotifierHandler'))!;
  notifier = { dir: join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`), env: fn.Properties.Environment.Variables };
}, 120_000);
afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** Imports a bundle in a fresh Node process, as the Lambda init does, with placeholder AWS settings. */
async function importBundle(dir: string, location: string): Promise<{ ok: true } | { ok: false; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', TABLE_NAME: 'vantage-results', HOME_REGION: 'us-east-1', LOCATION: location };
  try {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(`file://${join(dir, 'index.mjs')}`)});`], { env, timeout: 30_000 });
    return { ok: true };
  } catch (err) {
    return { ok: false, stderr: (err as { stderr: string }).stderr };
  }
}

describe('probe bundles', () => {
  /** grpc-js's user agent, in its own source only. */
  const hasGrpcJs = (code: string) => code.includes('grpc-node-js');
  const leftOut = (code: string) => code.includes('@grpc/grpc-js was left out of this probe bundle');

  it('leave @grpc/grpc-js out where no gRPC check runs, and keep it where one does', async () => {
    const withoutGrpc = readFileSync(join(assets.get('Vantage-Probe-us-east-1')!, 'index.mjs'), 'utf8');
    const withGrpc = readFileSync(join(assets.get('Vantage-Probe-eu-west-1')!, 'index.mjs'), 'utf8');

    // Booleans, so that a failure does not print a megabyte of bundle.
    expect({ grpcJs: hasGrpcJs(withoutGrpc), stub: leftOut(withoutGrpc) }).toEqual({ grpcJs: false, stub: true });
    expect({ grpcJs: hasGrpcJs(withGrpc), stub: leftOut(withGrpc) }).toEqual({ grpcJs: true, stub: false });
    expect(statSync(join(assets.get('Vantage-Probe-eu-west-1')!, 'index.mjs')).size - withoutGrpc.length).toBeGreaterThan(300_000);
    // Both start (grpc-js is only evaluated where gRPC checks run).
    expect(await importBundle(assets.get('Vantage-Probe-us-east-1')!, 'us-east-1')).toEqual({ ok: true });
    expect(await importBundle(assets.get('Vantage-Probe-eu-west-1')!, 'eu-west-1')).toEqual({ ok: true });
  }, 60_000);

  it('fail the init, naming why, when a bundle without gRPC support is given gRPC checks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-probe-swapped-'));
    try {
      cpSync(assets.get('Vantage-Probe-us-east-1')!, dir, { recursive: true });
      const everywhere = YAML.replace('    locations: [eu-west-1]\n', '');
      writeFileSync(join(dir, DEFINITIONS_FILE), JSON.stringify(toDefinitions(loadConfigText(everywhere), 'us-east-1')));

      const r = await importBundle(dir, 'us-east-1');

      expect(r).toMatchObject({ ok: false, stderr: expect.stringContaining('@grpc/grpc-js was left out of this probe bundle') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('probe functions', () => {
  it("start with the probe runtime's Node flags and malloc arenas for their memory size; other functions with source maps", () => {
    for (const name of STACKS) {
      const [fn] = functions.get(name)!;
      const { NODE_OPTIONS: options, MALLOC_ARENA_MAX } = fn!.Properties.Environment.Variables;

      expect({ options, MALLOC_ARENA_MAX }).toEqual({ options: probeRuntimeEnvironment(fn!.Properties.MemorySize).NODE_OPTIONS, MALLOC_ARENA_MAX: '2' });
      // Lambda's bootstrap leaves both heap limits to NODE_OPTIONS once it names one, so both are there;
      // no source maps in the probe (their first use costs a probe in flight 43 ms).
      expect(options).toBe(`--max-semi-space-size=8 --max-old-space-size=${fn!.Properties.MemorySize - Math.floor(fn!.Properties.MemorySize / 10)}`);
    }
    const home = functions.get('Vantage-Home')!;
    expect(home.length).toBeGreaterThan(0);
    for (const fn of home) expect(fn.Properties.Environment?.Variables?.NODE_OPTIONS).toBe(NODE_OPTIONS);
  });
});

describe('the notifier bundle', () => {
  /** What CloudFormation would put where the template has a reference. */
  const deployed: Record<string, string> = {
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/vantage-deliveries.fifo',
    DEAD_LETTER_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/vantage-deliveries-dead.fifo',
    TABLE_NAME: 'vantage-results-0123abcd',
    TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:vantage-alerts',
    OPS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:vantage-ops',
  };

  it('starts with the environment the template gives it and reads its definitions: an empty batch is handled, nothing failed', async () => {
    const env = Object.fromEntries(Object.entries(notifier.env).map(([k, v]) => [k, typeof v === 'string' ? v : deployed[k] ?? 'UNRESOLVED']));
    expect(Object.values(env)).not.toContain('UNRESOLVED');
    const script = `const { handler } = await import(${JSON.stringify(`file://${join(notifier.dir, 'index.mjs')}`)}); console.log(JSON.stringify(await handler({ Records: [] }, {})));`;

    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', ...env },
      timeout: 30_000,
    });

    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ batchItemFailures: [] });
    expect(readFileSync(join(notifier.dir, DEFINITIONS_FILE), 'utf8')).toContain('https://hooks.example.com/vantage');
  }, 60_000);

  it('fails its first invocation, naming the variable, when the environment is not what the template gives', async () => {
    const env = { ...Object.fromEntries(Object.entries(notifier.env).filter(([, v]) => typeof v === 'string')), ...deployed, QUEUE_URL: '' };
    const script = `const { handler } = await import(${JSON.stringify(`file://${join(notifier.dir, 'index.mjs')}`)}); await handler({ Records: [] }, {});`;
    const run = promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...env }, timeout: 30_000 });
    await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining('QUEUE_URL') });
  }, 60_000);
});

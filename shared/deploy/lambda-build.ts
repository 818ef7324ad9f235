/**
 * How a Vantage function is bundled and started, shared by the CDK constructs
 * (./constructs/vantage-function.ts, ./constructs/probe-function.ts) and the bench (bench/bundle.ts,
 * bench/coldstart.ts, bench/memory.ts), so the bench measures the code Lambda runs, started the way
 * Lambda starts it. Free of aws-cdk-lib on purpose: the bench imports it.
 */
import { fileURLToPath } from 'node:url';
import type { Check } from '../config/schema.ts';

/** The `target` of esbuild: the Lambda runtime's Node (Runtime.NODEJS_24_X in the construct). */
export const BUNDLE_TARGET = 'node24';

/**
 * esbuild's ESM output has no `require`, but CommonJS dependencies bundled into it (parts of the AWS
 * SDK, @grpc/grpc-js) still call it for Node built-ins.
 * https://github.com/evanw/esbuild/issues/1921
 */
export const ESM_REQUIRE_BANNER = "import { createRequire as __vantageCreateRequire } from 'node:module'; const require = __vantageCreateRequire(import.meta.url);";

/** The module that replaces @grpc/grpc-js where no gRPC check runs. */
export const GRPC_LEFT_OUT = fileURLToPath(new URL('./bundling/grpc-js-left-out.cjs', import.meta.url));

/**
 * esbuild aliases (package → file) for a probe function running these checks. Without a gRPC check,
 * @grpc/grpc-js and what only it needs (protobufjs, long, @grpc/proto-loader: about 400 KB) stay out
 * of the bundle. Marking the package external instead does not work for an ESM bundle: esbuild hoists
 * the import of an external package to a top-level `import`, which would fail the init where the
 * package is not installed; shipping it as an installed node module would make every synth run
 * `npm install`, which an offline synth cannot.
 */
export function probeAliases(checks: readonly Pick<Check, 'kind'>[]): Record<string, string> {
  return checks.some((c) => c.kind === 'grpc') ? {} : { '@grpc/grpc-js': GRPC_LEFT_OUT };
}

/**
 * NODE_OPTIONS of the Vantage functions other than the probe: the asset ships the source map (without
 * sources), so stack traces in the logs point at the repository's files.
 */
export const NODE_OPTIONS = '--enable-source-maps';

/**
 * V8's young generation (one semi-space) of the probe function, in MB. V8 grows it while many young
 * objects survive, which is what thousands of probes in flight look like, up to --max-semi-space-size:
 * Lambda's bootstrap sets that to 5% of the function's memory (25 MB at 512 MB), and plain Node's
 * default is as large. With 2,000 probes in flight, 8 MB keeps the peak about 30 MB lower at no CPU
 * cost we could measure; 4 MB saved a few MB more but cost 5-15% more CPU per probe in scavenges.
 */
export const PROBE_SEMI_SPACE_MB = 8;

/**
 * The environment variables that decide how a probe function of `memoryMb` runs: Node's flags and
 * glibc's malloc arenas. The bench starts its probe worker with exactly these (bench/memory.ts).
 *
 * - No --enable-source-maps, unlike the other functions. Node decodes the whole map the first time it
 *   formats a stack through the bundle, and the HTTP path formats some: 43 ms and about 33 MB of RSS
 *   for the probe bundle, spent in the middle of a probe being timed. The map is still in the asset,
 *   for reading a trace from the logs.
 * - Lambda's Node bootstrap passes `--max-semi-space-size` and `--max-old-space-size` itself, unless
 *   NODE_OPTIONS names either, and then passes neither (the nodejs24.x bootstrap; older ones passed
 *   theirs after NODE_OPTIONS, so theirs won). The old-space limit is therefore spelled out here with
 *   the bootstrap's own formula, memory minus a tenth, so that only the young generation changes.
 * - MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (V8's GC and compiler workers,
 *   libuv's pool) an arena of its own, and freed memory stays with its arena; two arenas keep about
 *   10 MB off the peak, again at no CPU cost we could measure.
 */
export function probeRuntimeEnvironment(memoryMb: number): { NODE_OPTIONS: string; MALLOC_ARENA_MAX: string } {
  const oldSpaceMb = memoryMb - Math.floor(memoryMb / 10);
  return {
    NODE_OPTIONS: `--max-semi-space-size=${PROBE_SEMI_SPACE_MB} --max-old-space-size=${oldSpaceMb}`,
    MALLOC_ARENA_MAX: '2',
  };
}

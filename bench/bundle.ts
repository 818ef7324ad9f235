/**
 * Bundles an entry point the way cdk/constructs/vantage-function.ts does for Lambda (esbuild, platform
 * node, ESM, minified, the AWS SDK included, a source map beside it, a `require` shim for CommonJS
 * dependencies, the target and aliases of shared/deploy/lambda-build.ts), so the bench measures the code Lambda
 * runs rather than TypeScript sources stripped at load time. `bytes` is the bundle's own, not the map's.
 */
import { statSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_TARGET, ESM_REQUIRE_BANNER } from '../shared/deploy/lambda-build.ts';

export interface Bundle {
  file: string;
  bytes: number;
}

export async function bundle(entry: string, outfile: string, opts: { target?: string; plugins?: Plugin[]; alias?: Record<string, string> } = {}): Promise<Bundle> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: opts.target ?? BUNDLE_TARGET,
    mainFields: ['module', 'main'],
    minify: true,
    // As the construct: a linked map without the sources, which Node reads at load with --enable-source-maps.
    sourcemap: true,
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'error',
    ...(opts.plugins && { plugins: opts.plugins }),
    ...(opts.alias && { alias: opts.alias }),
  });
  return { file: outfile, bytes: statSync(outfile).size };
}

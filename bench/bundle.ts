/**
 * Bundles an entry point the way cdk/constructs/vantage-function.ts does for Lambda (esbuild, platform
 * node, ESM, minified, the AWS SDK included, a `require` shim for CommonJS dependencies), so the bench
 * measures the code Lambda runs rather than TypeScript sources stripped at load time.
 */
import { statSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';

/** Same shim as the CDK construct: CommonJS dependencies inside an ESM bundle need `require`. */
const ESM_REQUIRE_BANNER = "import { createRequire as __vantageCreateRequire } from 'node:module'; const require = __vantageCreateRequire(import.meta.url);";

export interface Bundle {
  file: string;
  bytes: number;
}

export async function bundle(entry: string, outfile: string, opts: { target?: string; plugins?: Plugin[] } = {}): Promise<Bundle> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: opts.target ?? 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'error',
    ...(opts.plugins && { plugins: opts.plugins }),
  });
  return { file: outfile, bytes: statSync(outfile).size };
}

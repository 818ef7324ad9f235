/**
 * How a Vantage function is bundled, shared by the CDK construct (./constructs/vantage-function.ts)
 * and the bench (bench/bundle.ts, bench/coldstart.ts), so the bench measures the code Lambda runs.
 * Free of aws-cdk-lib on purpose: the bench imports it.
 */
import { fileURLToPath } from 'node:url';
import type { Check } from '../shared/config/schema.ts';

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

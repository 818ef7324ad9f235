/**
 * Where the Lambda runtime and architecture a deployment asks for are known to exist. `cdk synth`
 * runs offline, so nothing asks AWS; a region outside these tables fails `vantage validate` and synth
 * (./deploy-only.ts) instead of failing CreateFunction halfway through a deploy.
 *
 * What was verified, and against what (2026-12, from stored copies of public pages, no live lookup):
 * - arm64: launched in 2021-09 in 10 regions, joined in 2022-10 by the 11 that a 2022-04 list named
 *   as lacking it plus ap-southeast-3, and in 2023 by ap-south-2, ap-southeast-4, eu-central-2 and
 *   eu-south-2. Sources: https://aws.amazon.com/about-aws/whats-new/2021/09/better-price-performance-aws-lambda-functions-aws-graviton2-processor/,
 *   https://aws.amazon.com/about-aws/whats-new/2022/10/aws-lambda-functions-graviton2-12-regions/,
 *   https://aws.amazon.com/about-aws/whats-new/2023/08/aws-lambda-functions-graviton2-6-regions/
 *   (region lists as quoted in zappa/Zappa#1123 and aws-powertools/powertools-lambda-python#3151).
 *   ca-west-1 had no arm64 at its launch (powertools-lambda-python#3545).
 * - NOT verified: the other two regions of the 2023-08 batch (probably me-central-1 and il-central-1),
 *   anything launched since (ca-west-1 later, mx-central-1, ap-southeast-5, ap-southeast-7, …), the
 *   GovCloud, China and ISO partitions. They are left out, so they fail with a hint to use x86_64;
 *   add a region here once its arm64 support is confirmed.
 * - x86_64 is Lambda's original architecture and exists wherever Lambda does; taken as given.
 * - nodejs24.x and nodejs22.x: the Lambda runtimes page lists both (deprecation 2028-04 and 2027-04)
 *   but the stored copies say nothing per region. They are assumed wherever Lambda runs; that is an
 *   assumption, not a check. https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 */

export const LAMBDA_RUNTIMES = ['nodejs24.x', 'nodejs22.x'] as const;
export type LambdaRuntime = (typeof LAMBDA_RUNTIMES)[number];
export const LAMBDA_ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type LambdaArchitecture = (typeof LAMBDA_ARCHITECTURES)[number];

export const DEFAULT_RUNTIME: LambdaRuntime = 'nodejs24.x';
export const DEFAULT_ARCHITECTURE: LambdaArchitecture = 'arm64';

const ARM64_REGIONS: ReadonlySet<string> = new Set([
  // 2021-09 launch
  'us-east-1', 'us-east-2', 'us-west-2', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1',
  // 2022-10
  'af-south-1', 'ap-east-1', 'ap-northeast-2', 'ap-northeast-3', 'ca-central-1', 'eu-south-1', 'eu-west-3', 'eu-north-1', 'me-south-1', 'sa-east-1', 'us-west-1', 'ap-southeast-3',
  // 2023
  'ap-south-2', 'ap-southeast-4', 'eu-central-2', 'eu-south-2',
]);

/** `undefined`: every region Lambda runs in (see above for what that rests on). */
const REGIONS_OF: Readonly<Record<LambdaArchitecture | LambdaRuntime, ReadonlySet<string> | undefined>> = {
  'arm64': ARM64_REGIONS,
  'x86_64': undefined,
  'nodejs24.x': undefined,
  'nodejs22.x': undefined,
};

/** Why this runtime and architecture cannot be used in this region, with the fix; undefined when they can. */
export function unavailableIn(region: string, runtime: LambdaRuntime, architecture: LambdaArchitecture): string | undefined {
  const missing = [architecture, runtime].filter((what) => REGIONS_OF[what] !== undefined && !REGIONS_OF[what].has(region));
  if (missing.length === 0) return undefined;
  const fix = missing.includes(architecture) ? 'set deployment.architecture: x86_64' : 'set deployment.runtime: nodejs22.x';
  return `Lambda ${missing.join(' on ')} is not known to be available in ${region} (shared/config/lambda-regions.ts lists where it is); ${fix}, or deploy this location elsewhere`;
}

/** esbuild's `target` for a runtime: the bundle may use exactly what that Node supports. */
export function bundleTargetOf(runtime: LambdaRuntime): string {
  return runtime.replace(/^nodejs(\d+)\.x$/, 'node$1');
}

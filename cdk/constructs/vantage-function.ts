/**
 * A Vantage Lambda function: Node.js 24 on arm64 unless the deployment says otherwise, bundled by the
 * local esbuild as ESM, with its own log group (retention set) and its own role that starts with
 * nothing but writing to that log group.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleTargetOf, DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, type LambdaArchitecture, type LambdaRuntime } from '../../shared/config/lambda-regions.ts';
import { ESM_REQUIRE_BANNER, NODE_OPTIONS } from '../../shared/deploy/lambda-build.ts';
import { VantageError } from '../../shared/errors.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `deployment.runtime` and `deployment.architecture`, checked per region by shared/config/deploy-only.ts. */
export interface LambdaSettings {
  /** @default nodejs24.x */
  readonly runtime?: LambdaRuntime;
  /** @default arm64 */
  readonly architecture?: LambdaArchitecture;
}

const RUNTIMES: Readonly<Record<LambdaRuntime, lambda.Runtime>> = { 'nodejs24.x': lambda.Runtime.NODEJS_24_X, 'nodejs22.x': lambda.Runtime.NODEJS_22_X };
const ARCHITECTURES: Readonly<Record<LambdaArchitecture, lambda.Architecture>> = { arm64: lambda.Architecture.ARM_64, x86_64: lambda.Architecture.X86_64 };

export interface VantageFunctionProps {
  /** The handler module, relative to the repository root, e.g. `functions/probe/handler.ts`. */
  readonly entry: string;
  /** What the function is for; shown in the console. */
  readonly description: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default {} */
  readonly environment?: Record<string, string>;
  /**
   * Files written next to the bundle (name → content), such as `definitions.json`. They are part of
   * the asset, so changing a check changes the asset hash and redeploys the function.
   * @default none
   */
  readonly bundledFiles?: Record<string, string>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** VPC placement for private locations. @default not in a VPC */
  readonly vpc?: Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'>;
  /**
   * esbuild aliases, package name → the file bundled in its place (see shared/deploy/lambda-build.ts).
   * @default none
   */
  readonly aliases?: Readonly<Record<string, string>>;
  /** @default nodejs24.x on arm64 */
  readonly lambda?: LambdaSettings;
}

export class VantageFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: VantageFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An explicit role instead of the default one with AWSLambdaBasicExecutionRole: that managed policy
    // lets the function write to every log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));

    const files = Object.entries(props.bundledFiles ?? {});
    const staged = files.length > 0 ? stageFiles(this, files) : undefined;
    const runtime = props.lambda?.runtime ?? DEFAULT_RUNTIME;

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: RUNTIMES[runtime],
      // Graviton by default: about 20% cheaper per GB-second than x86 for the same work.
      // https://aws.amazon.com/lambda/pricing/
      architecture: ARCHITECTURES[props.lambda?.architecture ?? DEFAULT_ARCHITECTURE],
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS, ...props.environment },
      ...props.vpc,
      bundling: {
        format: OutputFormat.ESM,
        target: bundleTargetOf(runtime),
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Maps point at files in the repository instead of carrying them: a third of the size.
        sourcesContent: false,
        // The SDK is bundled rather than taken from the runtime, so the deployed code runs the SDK
        // version the tests ran. https://docs.aws.amazon.com/lambda/latest/dg/nodejs-package.html
        bundleAwsSDK: true,
        ...(props.aliases && Object.keys(props.aliases).length > 0 && {
          esbuildArgs: { '--alias': Object.entries(props.aliases).map(([name, file]) => `${name}=${file}`) },
        }),
        ...(staged && {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (_inputDir: string, outputDir: string) => staged.map(({ path, name }) => `cp ${shellQuote(path)} ${shellQuote(join(outputDir, name))}`),
          },
        }),
      },
    });
  }

  /** Adds a statement to the function's own role. */
  addToRolePolicy(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes the files inside the cloud assembly directory (cdk.out, or a test's temporary one), under a
 * name derived from their content, so concurrent stacks never overwrite each other's files.
 */
function stageFiles(scope: Construct, files: Array<[string, string]>): Array<{ name: string; path: string }> {
  const outdir = Stage.of(scope)?.outdir;
  if (!outdir) throw new VantageError('DEPLOYMENT_INVALID', `${scope.node.path}: bundled files need an App or Stage`);
  return files.map(([name, content]) => {
    if (name.includes('/') || name.startsWith('.')) throw new VantageError('DEPLOYMENT_INVALID', `bundled file name "${name}" must be a plain file name`);
    const hash = createHash('sha256').update(name).update('\0').update(content).digest('hex').slice(0, 16);
    const dir = join(outdir, '.vantage-files', hash);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, name);
    writeFileSync(path, content);
    return { name, path };
  });
}

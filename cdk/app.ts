/**
 * The CDK app: `npx cdk synth --all` / `npx cdk deploy --all`, run by cdk.json as `node cdk/app.ts`
 * (Node 24 strips the types). The checks config comes from `--context config=path`: YAML, or a
 * TypeScript/JavaScript module (`--context config=checks.ts`) imported the same way the CLI does.
 *
 * Environment: each stack's region comes from the config (home region, locations). The account is
 * `deployment.account`, else the one the CLI's credentials belong to (CDK_DEFAULT_ACCOUNT), else left
 * to deploy time (AWS::AccountId), which is how `cdk synth` works offline with no credentials.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../shared/config/load.ts';
import { ConfigError } from '../shared/errors.ts';
import { SecretReferenceError } from './secret-refs.ts';
import { buildVantage, DeploymentMissingError } from './vantage.ts';

const app = new App();
const configPath = String(app.node.tryGetContext('config') ?? 'examples/checks.yaml');
const prefix = app.node.tryGetContext('prefix') as string | undefined;

try {
  const config = await loadConfig(configPath);
  buildVantage(app, config, { ...(prefix && { prefix }), ...(process.env['CDK_DEFAULT_ACCOUNT'] && { defaultAccount: process.env['CDK_DEFAULT_ACCOUNT'] }) }, configPath);
} catch (err) {
  // Mistakes in the config are the user's to fix: say what and where, without a stack trace.
  if (err instanceof ConfigError || err instanceof DeploymentMissingError || err instanceof SecretReferenceError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

// Every finding fails synth unless it is acknowledged, with a reason, next to the resource it covers.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();

/**
 * The deployed probe function, invoked by EventBridge `rate(1 minute)` for one location.
 *
 * Built once per container at module scope (the Lambda init phase): the environment is validated,
 * the bundled definitions are read and checked against LOCATION, and the AWS clients are created, so
 * a misconfigured function fails its init with every problem named instead of on its first probe.
 *
 * Environment (./env.ts): TABLE_NAME, HOME_REGION, LOCATION, optional DEFINITIONS_PATH,
 * RESULT_TTL_DAYS and PHASE_METRICS. Definitions are read from `definitions.json` next to this bundle unless
 * DEFINITIONS_PATH says otherwise; the CDK app writes that file with `toDefinitions(config, location)`.
 *
 * The logic is in ./probe-handler.ts (`createProbeHandler`), which tests build with their own parts.
 */
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createSecretResolver } from '../../shared/aws/secrets.ts';
import { DEFINITIONS_FILE, DefinitionsError, loadDefinitionsFile } from '../../shared/config/definitions-file.ts';
import { installProbeContainment, loadProbers } from '../../shared/probe/index.ts';
import { warmUp } from '../../shared/probe/warmup.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { parseProbeEnv } from './env.ts';
import { createProbeHandler } from '../../shared/usecases/probe-handler.ts';

export { createProbeHandler, type ProbeHandlerDeps } from '../../shared/usecases/probe-handler.ts';

const env = parseProbeEnv(process.env);
const definitionsPath = env.DEFINITIONS_PATH ?? fileURLToPath(new URL(`./${DEFINITIONS_FILE}`, import.meta.url));
const definitions = loadDefinitionsFile(definitionsPath);
if (definitions.location !== env.LOCATION) {
  // A bundle built for another location would probe the wrong checks under this location's name.
  throw new DefinitionsError([{ path: 'location', message: `the bundle is for "${definitions.location ?? '(every location)'}", this function is LOCATION "${env.LOCATION}"` }], definitionsPath);
}
// gRPC support loads only where gRPC checks run, and then during init rather than in the first probe.
await loadProbers(definitions.checks);
// The first probe of a cold container then measures the network, not module loading and JIT.
await warmUp();
// After the runtime's own handlers, which still get every error that is not a probe's (containment.ts).
installProbeContainment();

/**
 * Bounded requests: the SDK waits forever by default, and a hung write must not use up the time
 * reserved before the deadline.
 */
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 5_000 };

// The table is in the home region, which is not this function's region for a remote location.
const dynamo = new DynamoDBClient({ region: env.HOME_REGION, requestHandler });

/** Secrets are regional: one client per region an ARN names, created on first use. */
function perRegion<C>(make: (region: string | undefined) => C): (region: string | undefined) => C {
  const clients = new Map<string, C>();
  return (region) => {
    const key = region ?? '';
    let client = clients.get(key);
    if (!client) clients.set(key, (client = make(region)));
    return client;
  };
}

const resolveSecret = createSecretResolver({
  secretsManager: perRegion((region) => new SecretsManagerClient({ ...(region && { region }), requestHandler })),
  ssm: perRegion((region) => new SSMClient({ ...(region && { region }), requestHandler })),
  defaultRegion: env.HOME_REGION,
});

export const handler = createProbeHandler({
  checks: definitions.checks,
  location: env.LOCATION,
  store: createStore({ client: dynamo, tableName: env.TABLE_NAME, ...(env.RESULT_TTL_DAYS !== undefined && { resultTtlDays: env.RESULT_TTL_DAYS }) }),
  runner: { resolveSecret },
  phaseMetrics: env.PHASE_METRICS,
});

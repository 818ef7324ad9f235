/**
 * The deployed probe function, invoked by EventBridge `rate(1 minute)` for one location.
 *
 * Built once per container at module scope (the Lambda init phase): the environment is validated,
 * the bundled definitions are read and checked against LOCATION, and the AWS clients are created, so
 * a misconfigured function fails its init with every problem named instead of on its first probe.
 *
 * Environment (./env.ts): TABLE_NAME, HOME_REGION, LOCATION, optional DEFINITIONS_PATH,
 * RESULT_TTL_DAYS, PHASE_METRICS, CONFIRM_FUNCTIONS (the other locations' probe functions, invoked
 * asynchronously to confirm), and in a private location INSTANCE and INSTANCE_FUNCTIONS (this
 * instance, and the other instances it shares the checks with and retests on), DEFER_QUEUE_URL (its
 * own SQS delay queue: a cycle hands rounds more than 5 s away to it instead of waiting, billed, for
 * them; the queue's event source mapping invokes this function with them). Definitions are read
 * from `definitions.json` next to this bundle unless DEFINITIONS_PATH says otherwise; the CDK app
 * writes that file with `toDefinitions(config, location)`. A confirmation to an agent location (the
 * file's `agentLocations`) is not an Invoke: it is an inbox item in that location's partition of the
 * home table, which its agents poll (shared/usecases/agent/inbox.ts).
 *
 * The logic is in ./probe-handler.ts (`createProbeHandler`), which tests build with their own parts.
 */
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { lambdaConfirmSender, lambdaRetestSender } from '../../shared/aws/lambda-invoke.ts';
import { createSecretResolver, perRegion, regionOfArn } from '../../shared/aws/secrets.ts';
import { sqsDefer } from '../../shared/aws/sqs-defer.ts';
import { DEFINITIONS_FILE, DefinitionsError, loadDefinitionsFile } from '../../shared/config/definitions-file.ts';
import { installProbeContainment, loadProbers } from '../../shared/probe/index.ts';
import { warmUp } from '../../shared/probe/warmup.ts';
import { createAgentStore } from '../../shared/store/agents.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { inboxConfirmSender, routeConfirms } from '../../shared/usecases/agent/inbox.ts';
import { parseProbeEnv } from './env.ts';
import { createInstanceShare, PEER_ANSWER_MARGIN_MS, routeRetests } from '../../shared/usecases/instances.ts';
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

const resolveSecret = createSecretResolver({
  secretsManager: perRegion((region) => new SecretsManagerClient({ ...(region && { region }), requestHandler })),
  ssm: perRegion((region) => new SSMClient({ ...(region && { region }), requestHandler })),
  defaultRegion: env.HOME_REGION,
});

const store = createStore({ client: dynamo, tableName: env.TABLE_NAME, ...(env.RESULT_TTL_DAYS !== undefined && { resultTtlDays: env.RESULT_TTL_DAYS }) });

/** A log line of the same shape as the handler's own (errors by code and name only: a message can quote a response). */
function warn(message: string, err: unknown) {
  const e = err as { code?: unknown; name?: unknown } | null;
  process.stdout.write(`${JSON.stringify({ level: 'WARN', message, location: env.LOCATION, errorCode: typeof e?.code === 'string' ? e.code : 'UNEXPECTED', errorName: typeof e?.name === 'string' ? e.name : typeof err })}\n`);
}

// Confirmations go to the other locations, mostly in other regions: a client per region an ARN names.
const lambdaFor = perRegion((region) => new LambdaClient({ ...(region && { region }), requestHandler }));
const lambdaConfirm = Object.keys(env.confirmFunctions).length > 0 ? lambdaConfirmSender(lambdaFor, env.confirmFunctions) : undefined;
// Agent locations take theirs through the table, which is already this function's channel.
const agentLocations = new Set(definitions.agentLocations ?? []);
const confirm = agentLocations.size > 0
  ? routeConfirms(agentLocations, inboxConfirmSender(createAgentStore({ client: dynamo, tableName: env.TABLE_NAME })), lambdaConfirm)
  : lambdaConfirm;

/**
 * A retest waits for the other instance's whole attempt, so its request may take as long as the
 * slowest check plus the margin (the caller cuts each one off sooner, at its own check's timeout).
 * One attempt only: a retest that failed to reach the peer is run here instead, which is the retry.
 */
const retestRequestTimeout = Math.max(0, ...definitions.checks.map((c) => c.timeout)) + PEER_ANSWER_MARGIN_MS;
const retestLambdaFor = perRegion((region) => new LambdaClient({ ...(region && { region }), maxAttempts: 1, requestHandler: { connectionTimeout: 2_000, requestTimeout: retestRequestTimeout } }));
const peers = Object.keys(env.instanceFunctions);
const share = env.INSTANCE === undefined ? undefined : createInstanceShare({
  location: env.LOCATION,
  self: env.INSTANCE,
  peers,
  store,
  onError: (err) => warn('instance heartbeats unreadable; running every check', err),
});
const retest = share && peers.length > 0
  ? routeRetests(Object.fromEntries(Object.entries(env.instanceFunctions).map(([id, arn]) => [id, lambdaRetestSender(retestLambdaFor(regionOfArn(arn)), arn)])), share.livePeers)
  : undefined;

// The queue is this function's own, in its region. One attempt: a failed send falls back to waiting.
const defer = env.DEFER_QUEUE_URL === undefined ? undefined : sqsDefer(new SQSClient({ maxAttempts: 1, requestHandler }), env.DEFER_QUEUE_URL);

export const handler = createProbeHandler({
  checks: definitions.checks,
  location: env.LOCATION,
  store,
  runner: { resolveSecret },
  phaseMetrics: env.PHASE_METRICS,
  ...(confirm && { confirm }),
  ...(defer && { defer }),
  ...(env.INSTANCE !== undefined && { instance: { id: env.INSTANCE, peers, ...(retest && { retest }) } }),
  ...(share && { selectChecks: share.selectChecks }),
});

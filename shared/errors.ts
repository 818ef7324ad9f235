/**
 * Domain errors: a small hierarchy with a stable `code`, so callers branch on codes, not messages.
 * Failures of outside systems are turned into these at the boundary that talks to them.
 */
/**
 * Every condition Vantage reports as an error, one stable code each (undici's `errors.js` is the
 * model). Callers branch on these, never on message text; adding a condition means adding its code
 * here, so the set stays closed and `switch (err.code)` can be exhaustive.
 */
export const ERROR_CODES = [
  // Input from people: the config, the CLI's arguments, the deployment block.
  'CONFIG_INVALID',         // a config failed validation; ConfigError carries every issue
  'USAGE',                  // a CLI flag or argument is wrong (exit 2)
  'DEPLOYMENT_MISSING',     // `cdk synth` on a config without a deployment block
  'DEPLOYMENT_INVALID',     // the deployment cannot be built as configured (synth-time checks)
  'SECRET_REFERENCE_INVALID', // a {secretsManager}/{ssm} reference that cannot be granted
  // What the functions read at init.
  'ENV_INVALID',            // a function's environment variables
  'DEFINITIONS_INVALID',    // the bundled definitions file
  'CRON_INVALID',           // a maintenance window's cron expression or time zone cannot be read
  // Probing.
  'SECRET_UNRESOLVED',      // a secret or ${env:} reference could not be resolved at probe time
  'GRPC_TARGET_INVALID',    // a gRPC target that is not host:port
  'GRPC_RESPONSE_INVALID',  // a health response that is not the protobuf it should be
  // Reaching other probe functions: confirmations (async Invoke) and retests on another instance.
  'INVOKE_FAILED',          // the Lambda Invoke call itself failed (network, throttling, access, no such function)
  'INVOKE_FUNCTION_ERROR',  // the invoked function ran and threw (X-Amz-Function-Error)
  'INVOKE_RESPONSE_INVALID', // the invoked function answered with something that is not a probe result
  'CONFIRM_NO_FUNCTION',    // a confirmation for a location with no probe function in CONFIRM_FUNCTIONS
  'RETEST_NO_LIVE_PEER',    // no other instance of the location is live to retest on
  'RETEST_TIMEOUT',         // the other instance did not answer a retest in time
  'RETEST_RESULT_INVALID',  // the other instance answered for another check
  'PROBE_REQUEST_INVALID',  // a retest request for a check this probe function does not run, or an SQS message that is no continuation
  'AGENT_NO_DEFINITIONS',   // `vantage agent` found no DEFINITIONS item for its location in the table
  'AGENT_STOPPED',          // an inbox request the agent was running when it stopped; nothing of it is recorded
  'AGENT_REQUEST_TIMEOUT',  // an agent's inbox request (confirmation or retest) ran past its deadline and was left to finish unawaited
  'DEFER_FAILED',           // a cycle's continuation could not be queued (SQS SendMessage failed); the cycle waits instead
  // The store.
  'STORE_ITEM_INVALID', 'STORE_NO_STREAM', 'STORE_REQUEST_INVALID', 'STORE_TABLE_NOT_FOUND', 'STORE_THROTTLED',
  'STORE_UNAVAILABLE', 'STORE_UNPROCESSED_ITEMS', 'STORE_UNPROCESSED_KEYS', 'STATE_VERSION_CONFLICT',
  'SILENCE_EXISTS',         // a new silence's id is taken (ids are random; the CLI picks another)
  // Evaluation and alerts.
  'RESULT_UNEVALUABLE', 'STATE_CONFLICT_RETRIES_EXHAUSTED', 'ALERT_PUBLISH_FAILED', 'METRIC_INVALID',
  'SLO_MINUTE_INVALID',     // an accounted minute not on a minute boundary, or added to an hour it is not in
  // Deliveries to channels (the notifier and its FIFO queue).
  'DELIVERY_ENQUEUE_FAILED', // SendMessage(Batch) to the delivery queue or its dead-letter queue failed or refused entries
  'DELIVERY_MESSAGE_INVALID', // a queue body that is not a DeliveryMessage of a known version
  'DELIVERY_TARGET_UNKNOWN', // a delivery for a channel or target the notifier's definitions no longer have
  'STATUS_PAGE_PUT_FAILED', // PutObject of the deployed status page failed; the next sweep's refresh tries again
  // The cost model's inputs.
  'COST_INPUT_INVALID',
  // The local pipeline and its emulators.
  'JAVA_MISSING', 'DYNAMODB_LOCAL_DIED', 'DYNAMODB_LOCAL_EXITED', 'DYNAMODB_LOCAL_PORT', 'DYNAMODB_LOCAL_SPAWN', 'DYNAMODB_LOCAL_START_TIMEOUT',
  'STREAM_NOT_ENABLED', 'STREAM_NO_ITERATOR', 'SNS_EMULATOR_FAILED', 'PIPELINE_ABORTED', 'DEMO_PORT_BUSY',
  // `vantage import blackbox`.
  'IMPORT_REGEX_UNSUPPORTED', // an RE2 pattern with a construct JavaScript cannot express (caught and reported by the converter)
  // Tooling (the docs generator).
  'DOCS_MARKERS_MISSING',
  'BUILD_DECLARATIONS_FAILED', // the package build (scripts/dts.ts) could not write types an editor can read
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class VantageError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export interface ConfigIssue {
  /** Where the problem is, as a user would write it: `checks[2].http.tls.ca`. */
  path: string;
  message: string;
}

/** A config that failed validation. It carries every problem found, not just the first. */
export class ConfigError extends VantageError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], source?: string) {
    super('CONFIG_INVALID', `${source ? `${source}: ` : ''}${issues.length} problem(s)\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

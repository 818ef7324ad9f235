/**
 * The probe function's environment, validated once at cold start. The CDK app sets these; a missing or
 * malformed one fails the init with every problem named, rather than the first probe.
 */
import { EnvironmentError, defaulted, matching, nonEmpty, oneOf, optional, readEnv, required, wholeNumber, type EnvOf } from '../../shared/config/env-vars.ts';
import type { ConfigIssue } from '../../shared/errors.ts';

/** Instance ids of a private location: "1", "2", … (`deployment.privateLocations[].instances`). */
const INSTANCE_ID = /^[1-9]\d{0,2}$/;
const INSTANCE_ID_EXPECTED = 'expected an instance id: a whole number from 1, such as "1"';

const PROBE_ENV = {
  /** The results table, in the home region. */
  TABLE_NAME: required(matching(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name')),
  /** Where the table lives; a probe in another region writes across regions. */
  HOME_REGION: required(matching(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'expected an AWS region such as us-east-1')),
  /** This probe's location name, as checks name it (a region or a private location). */
  LOCATION: required(nonEmpty),
  /** @default `definitions.json` next to the handler bundle, where the CDK app puts it */
  DEFINITIONS_PATH: optional(nonEmpty),
  /** @default 30 */
  RESULT_TTL_DAYS: optional(wholeNumber(1, 3650)),
  /** `deployment.metrics.phases`: the phases as EMF metrics, not only properties. @default false */
  PHASE_METRICS: defaulted(oneOf({ true: true, false: false }), false),
  /** This function's instance of a private location; absent in an AWS region. */
  INSTANCE: optional(matching(INSTANCE_ID, INSTANCE_ID_EXPECTED)),
  /** This function's own SQS delay queue, for handing a cycle's later rounds on instead of waiting. Absent: wait. */
  DEFER_QUEUE_URL: optional(matching(/^https:\/\/\S+$/, 'expected an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)')),
};

export type ProbeEnv = EnvOf<typeof PROBE_ENV> & {
  /**
   * CONFIRM_FUNCTIONS: location → its probe functions, for every other location of a check this
   * function runs (a private location lists each instance). Empty when absent: no confirmations.
   */
  confirmFunctions: Record<string, string[]>;
  /** INSTANCE_FUNCTIONS: instance id → function ARN, this location's other instances. Empty when absent. */
  instanceFunctions: Record<string, string>;
};

/** A Lambda function ARN, unqualified or with a version or alias (what Invoke takes as FunctionName). */
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;
const isArn = (v: unknown): v is string => typeof v === 'string' && LAMBDA_ARN.test(v);

type Env = Record<string, string | undefined>;

/**
 * Keys are named in a message only when they look like what they should be (a location name or an
 * instance id: config, not secrets); anything else is named by its position.
 */
function at(name: string, key: string, index: number): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? `${name}["${key}"]` : `${name}[entry ${index + 1}]`;
}

/** The variable's JSON object, `{}` when absent. The parser's message is never repeated: V8 quotes the text. */
function jsonObject(env: Env, name: string, expected: string, issues: ConfigIssue[]): Array<[string, unknown]> {
  const text = env[name];
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    issues.push({ path: name, message: `expected JSON: ${expected}` });
    return [];
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return Object.entries(value);
  issues.push({ path: name, message: `expected ${expected}` });
  return [];
}

function readConfirmFunctions(env: Env, issues: ConfigIssue[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  jsonObject(env, 'CONFIRM_FUNCTIONS', 'an object from location name to an array of Lambda function ARNs', issues).forEach(([location, arns], i) => {
    const path = at('CONFIRM_FUNCTIONS', location, i);
    if (location === '') issues.push({ path, message: 'expected a location name' });
    // Confirmations go to a check's other locations; its own would answer itself.
    if (location === env.LOCATION) issues.push({ path, message: 'is this function\'s own LOCATION' });
    if (!Array.isArray(arns) || arns.length === 0) return void issues.push({ path, message: 'expected a non-empty array of Lambda function ARNs' });
    arns.forEach((arn: unknown, j) => { if (!isArn(arn)) issues.push({ path: `${path}[${j}]`, message: 'expected a Lambda function ARN' }); });
    out[location] = arns.filter(isArn);
  });
  return out;
}

function readInstanceFunctions(env: Env, issues: ConfigIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = jsonObject(env, 'INSTANCE_FUNCTIONS', 'an object from instance id to a Lambda function ARN', issues);
  if (entries.length > 0 && env.INSTANCE === undefined) issues.push({ path: 'INSTANCE_FUNCTIONS', message: 'is set without INSTANCE' });
  entries.forEach(([instance, arn], i) => {
    const path = at('INSTANCE_FUNCTIONS', instance, i);
    if (!INSTANCE_ID.test(instance)) issues.push({ path, message: INSTANCE_ID_EXPECTED });
    else if (instance === env.INSTANCE) issues.push({ path, message: 'is this function\'s own INSTANCE; list the other instances' });
    if (!isArn(arn)) issues.push({ path, message: 'expected a Lambda function ARN' });
    else out[instance] = arn;
  });
  return out;
}

/** Values are never echoed in the error: only which variable (or entry) is wrong and why. */
export function parseProbeEnv(env: Env): ProbeEnv {
  const parsed = readEnv(env, PROBE_ENV);
  const issues = [...parsed.issues];
  const confirmFunctions = readConfirmFunctions(env, issues);
  const instanceFunctions = readInstanceFunctions(env, issues);
  if (issues.length > 0) throw new EnvironmentError('probe', issues);
  return { ...parsed.env, confirmFunctions, instanceFunctions };
}

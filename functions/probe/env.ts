/**
 * The probe function's environment, validated once at cold start. The CDK app sets these; a missing or
 * malformed one fails the init with every problem named, rather than the first probe.
 */
import { EnvironmentError, defaulted, matching, nonEmpty, oneOf, optional, readEnv, required, wholeNumber, type EnvOf } from '../../shared/config/env-vars.ts';

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
};

export type ProbeEnv = EnvOf<typeof PROBE_ENV>;

/** Values are never echoed in the error: only which variable is wrong and why. */
export function parseProbeEnv(env: Record<string, string | undefined>): ProbeEnv {
  const parsed = readEnv(env, PROBE_ENV);
  if (parsed.issues.length > 0) throw new EnvironmentError('probe', parsed.issues);
  return parsed.env;
}

/**
 * The probe function's environment, validated once at cold start. The CDK app sets these; a missing or
 * malformed one fails the init with every problem named, rather than the first probe.
 */
import { z } from 'zod';
import { VantageError, type ConfigIssue } from '../../shared/errors.ts';

export class EnvironmentError extends VantageError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super('ENV_INVALID', `probe environment: ${issues.length} problem(s)\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

const ProbeEnv = z.object({
  /** The results table, in the home region. */
  TABLE_NAME: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name'),
  /** Where the table lives; a probe in another region writes across regions. */
  HOME_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'expected an AWS region such as us-east-1'),
  /** This probe's location name, as checks name it (a region or a private location). */
  LOCATION: z.string().min(1),
  /** @default `definitions.json` next to the handler bundle, where the CDK app puts it */
  DEFINITIONS_PATH: z.string().min(1).optional(),
  /** @default 30 */
  RESULT_TTL_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
  /** `deployment.metrics.phases`: the phases as EMF metrics, not only properties. @default false */
  PHASE_METRICS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export type ProbeEnv = z.output<typeof ProbeEnv>;

/** Values are never echoed in the error: only which variable is wrong and why. */
export function parseProbeEnv(env: Record<string, string | undefined>): ProbeEnv {
  const parsed = ProbeEnv.safeParse(env, { reportInput: true });
  if (!parsed.success) {
    throw new EnvironmentError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.input === undefined ? 'required' : i.message })));
  }
  return parsed.data;
}

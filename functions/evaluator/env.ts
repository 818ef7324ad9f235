/**
 * The evaluator function's environment, validated once at cold start. The CDK app sets these
 * (ResultsTable.bindEvaluator: TABLE_NAME, AlertTopic.bindPublisher: TOPIC_ARN).
 */
import { z } from 'zod';
import { VantageError, type ConfigIssue } from '../../shared/errors.ts';

export class EvaluatorEnvironmentError extends VantageError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super('ENV_INVALID', `evaluator environment: ${issues.length} problem(s)\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

const EvaluatorEnv = z.object({
  /** The results table (the function runs in its region, the home region). */
  TABLE_NAME: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name'),
  /** The alert topic. */
  TOPIC_ARN: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]{1,256}$/, 'expected an SNS topic ARN'),
  /** @default `definitions.json` next to the handler bundle, where the CDK app puts it */
  DEFINITIONS_PATH: z.string().min(1).optional(),
});

export type EvaluatorEnv = z.output<typeof EvaluatorEnv>;

/** Values are never echoed in the error: only which variable is wrong and why. */
export function parseEvaluatorEnv(env: Record<string, string | undefined>): EvaluatorEnv {
  const parsed = EvaluatorEnv.safeParse(env, { reportInput: true });
  if (!parsed.success) {
    throw new EvaluatorEnvironmentError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.input === undefined ? 'required' : i.message })));
  }
  return parsed.data;
}

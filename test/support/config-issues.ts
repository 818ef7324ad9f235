/** The issues a config-loading call reports, or none: for asserting on every problem at once. */
import { ConfigError, type ConfigIssue } from '../../shared/errors.ts';

export function configIssues(run: () => unknown): ConfigIssue[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

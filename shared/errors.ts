/**
 * Domain errors: a small hierarchy with a stable `code`, so callers branch on codes, not messages.
 * Failures of outside systems are turned into these at the boundary that talks to them.
 */
export class VantageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
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

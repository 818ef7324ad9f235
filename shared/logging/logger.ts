/**
 * A structured logger: one JSON line per entry, which CloudWatch Logs Insights can query by field.
 * Callers pass ids, codes and counts, never payloads: results and messages may hold what a check
 * was configured with.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  const log = (level: string) => (message: string, fields: LogFields = {}) => write(JSON.stringify({ level, message, ...fields }));
  return { info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** The error's stable code and name for a log line; the message may quote a response, so it stays out. */
export function errorFields(err: unknown): LogFields {
  const e = err as { code?: unknown; name?: unknown; awsCode?: unknown } | null;
  return {
    errorCode: typeof e?.code === 'string' ? e.code : 'UNEXPECTED',
    errorName: typeof e?.name === 'string' ? e.name : typeof err,
    ...(typeof e?.awsCode === 'string' && { awsCode: e.awsCode }),
  };
}

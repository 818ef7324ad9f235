/**
 * How an adapter names an AWS SDK failure in its own error's message: the exception's name and the
 * HTTP status the SDK keeps on `$metadata`, never the request (which may carry a body or a secret).
 */
export function awsErrorName(err: unknown): string {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  const name = typeof e?.name === 'string' ? e.name : 'UnknownError';
  const status = e?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? `${name} (HTTP ${status})` : name;
}

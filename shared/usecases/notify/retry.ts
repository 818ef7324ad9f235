/**
 * When the notifier tries again: the timing parameters and the backoff between attempts. The same code
 * runs deployed and under `vantage dev`; only the numbers differ.
 */
export interface NotifierRetry {
  /** The first retry's delay; each further one doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts before a retryable failure is dead-lettered; the queue's maxReceiveCount is this + 2. */
  maxAttempts: number;
  /** One POST's deadline. */
  attemptTimeoutMs: number;
}

/** Deployed: ten attempts over about 25 minutes before the dead-letter queue. */
export const AWS_NOTIFIER_RETRY: NotifierRetry = { baseDelayMs: 10_000, maxDelayMs: 300_000, maxAttempts: 10, attemptTimeoutMs: 10_000 };
/** `vantage dev`: the same shape, quick enough to watch. */
export const LOCAL_NOTIFIER_RETRY: NotifierRetry = { baseDelayMs: 1_000, maxDelayMs: 30_000, maxAttempts: 10, attemptTimeoutMs: 5_000 };

/**
 * The visibility delay before attempt `attempt + 1`: exponential, ±20% jitter, at least Retry-After,
 * never above maxDelayMs. Whole seconds, at least 1: that is what ChangeMessageVisibility takes
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
 */
export function backoffMs(attempt: number, retry: NotifierRetry, random: () => number, retryAfterMs?: number): number {
  const exp = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp * (0.8 + 0.4 * random());
  const wanted = Math.max(jittered, retryAfterMs ?? 0);
  return Math.max(1000, Math.ceil(Math.min(retry.maxDelayMs, wanted) / 1000) * 1000);
}

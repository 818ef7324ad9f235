/**
 * Waits `ms`, or less if `signal` fires (or has already fired). Never rejects: the caller checks the
 * signal afterwards, so a stop during a backoff ends the wait without an exception to unwind.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Immediate retests: a failed probe is run again at once, up to `check.retries` times, and the newest
 * completed attempt is the result. The deployed probe cycle (./probe-cycle.ts) and the CLI (`vantage
 * run`, `vantage check`) both go through `probeWithRetests`, so a check that production calls UP after
 * a retest is UP on a laptop too.
 */
import type { Check } from '../config/schema.ts';
import { pool } from '../pool.ts';
import type { ProbeResult } from '../probe/types.ts';

/** One attempt at one check. It must honour the signal. */
export type ProbeAttempt = (check: Check, signal: AbortSignal) => Promise<ProbeResult>;

export const isAborted = (r: ProbeResult) => r.failure?.reason === 'aborted';

/**
 * After the signal, a prober gets this long to wind down before the caller stops waiting for it.
 * Probers honour the signal; this only keeps one that does not from using the time reserved for writing.
 */
export const ABORT_GRACE_MS = 250;

function boundedBySignal(check: Check, probe: ProbeAttempt, signal: AbortSignal): Promise<ProbeResult> {
  const startedAt = new Date().toISOString();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cutOff = new Promise<ProbeResult>((resolve) => {
    onAbort = () => {
      timer = setTimeout(() => resolve({
        checkId: check.id, kind: check.kind, target: '', startedAt, ok: false, status: 'down', phases: { total: 0 }, assertions: [],
        failure: { reason: 'aborted', message: 'the prober did not stop when the invocation was cancelled' },
      }), ABORT_GRACE_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([probe(check, signal), cutOff]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  });
}

/**
 * `check.retries` immediate retests while it keeps failing. The result carries `retries`: how many
 * retests ran before it (0 when the first attempt was the answer). `retest` runs the retests when
 * given (another instance of a private location); the first attempt is always `probe`.
 */
export async function probeWithRetests(check: Check, probe: ProbeAttempt, signal: AbortSignal, retest: ProbeAttempt = probe): Promise<ProbeResult> {
  let result = await boundedBySignal(check, probe, signal);
  let retries = 0;
  while (!result.ok && !isAborted(result) && retries < check.retries && !signal.aborted) {
    const again = await boundedBySignal(check, retest, signal);
    // A retest cut short tells nothing; the failure before it is still a real observation.
    if (isAborted(again)) break;
    result = again;
    retries++;
  }
  return { ...result, retries };
}

/**
 * Every check through `probeWithRetests`, at most `limit` in flight, results in the checks' order.
 * `onResult` sees each as it completes (a live view).
 */
export async function probeAllWithRetests(
  checks: readonly Check[],
  probe: ProbeAttempt,
  opts: { signal: AbortSignal; concurrency: number; onResult?: (r: ProbeResult) => void; retest?: ProbeAttempt },
): Promise<ProbeResult[]> {
  return pool(checks, opts.concurrency, (check) => probeWithRetests(check, probe, opts.signal, opts.retest), opts.onResult);
}

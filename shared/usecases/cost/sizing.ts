/**
 * Memory and timeout of a probe function, from the checks it runs. Pure, so the numbers are tested.
 *
 * The busiest minute. The handler spreads checks of 60 s and longer across minutes by check id, but
 * nothing stops all of them landing in one minute, so the sizing assumes they do. Locations are
 * staggered across a check's interval (shared/schedule.ts), so a round can start anywhere in the
 * minute, and a failing check is rechecked every recheckInterval until the minute ends. Whatever the
 * intervals, the last attempt can therefore start just before 60 s and must still finish:
 *
 *   attempt      = max timeout × (1 + max retries)      a failure is retested before it is recorded
 *   waves        = ceil(probes in the busiest round / CONCURRENCY)
 *   span         = 60 s + waves × attempt
 *   timeout      = clamp(ceil(span + WRITE_HEADROOM), 30 s, 900 s)
 *
 *   memory (MB)  = clamp(roundUp64(BASE + concurrent probes × (2 MB + 2 × body cap)), 512, 1769)
 *
 * The timeout is a ceiling, not what is billed: an invocation ends after its last round (and its
 * rechecks), which shared/usecases/cost/estimate.ts prices from the same plan.
 *
 * Memory also buys CPU, and CPU is part of what a probe measures: a TLS handshake on a starved CPU
 * inflates the `tls` phase. 512 MB is the floor for that reason; 1,769 MB is one full vCPU, the most a
 * single-threaded Node.js process can use.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
 *
 * Cost at the floor, arm64: 43,200 invocations a month × 0.5 GB × the seconds each lives. A location
 * whose last round is at the start of the minute lives about 1 s (≈ $0.29 a month); the k-th of n
 * staggered locations of a 60 s check waits k × 60/n s for its round (the third of three: 40 s,
 * ≈ $11.50 a month), and sub-minute checks keep it alive most of the minute (≈ $12–17). `vantage cost`
 * shows the figure per location.
 */
import type { Check } from '../../config/schema.ts';

/** Probes in flight at once; runChecks in shared/probe/index.ts defaults to 64. */
export const CONCURRENCY = 64;
/** Node.js, the SDK and the bundle at rest. */
const BASE_MB = 256;
/** Init, the DynamoDB BatchWriteItem with backoff on unprocessed items after the last round, and the heartbeat. */
const WRITE_HEADROOM_S = 10;
/** A round or a recheck may start until the end of the invocation's minute. */
const MINUTE_S = 60;
export const MIN_MEMORY_MB = 512;
export const MAX_MEMORY_MB = 1769;
export const MIN_TIMEOUT_S = 30;
export const MAX_TIMEOUT_S = 900;

export interface ProbeSizing {
  readonly memoryMb: number;
  readonly timeoutS: number;
  /** Probes in the busiest round, for the comment on the function. */
  readonly busiestRound: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function sizeProbe(checks: readonly Check[]): ProbeSizing {
  const enabled = checks.filter((c) => c.enabled);
  if (enabled.length === 0) return { memoryMb: MIN_MEMORY_MB, timeoutS: MIN_TIMEOUT_S, busiestRound: 0 };
  const busiestRound = enabled.length;
  const attemptS = Math.max(...enabled.map((c) => c.timeout * (1 + c.retries))) / 1000;
  const waves = Math.ceil(busiestRound / CONCURRENCY);
  const spanS = MINUTE_S + waves * attemptS;
  const timeoutS = clamp(Math.ceil(spanS + WRITE_HEADROOM_S), MIN_TIMEOUT_S, MAX_TIMEOUT_S);

  const bodyCapMb = Math.max(...enabled.map((c) => (c.kind === 'http' ? c.http.maxBodyBytes : 0))) / (1024 * 1024);
  const concurrent = Math.min(busiestRound, CONCURRENCY);
  const memoryMb = clamp(Math.ceil((BASE_MB + concurrent * (2 + 2 * bodyCapMb)) / 64) * 64, MIN_MEMORY_MB, MAX_MEMORY_MB);
  return { memoryMb, timeoutS, busiestRound };
}

/**
 * Wall-clock bounds that catch a hang and not a slow machine. CI runs the suite on a 2-core machine,
 * where one test fork can stall for hundreds of milliseconds while another synthesizes a CDK app, so
 * "within timeout + 250 ms" fails on a healthy probe now and then.
 *
 * What these bounds still prove: a probe that ignores its timeout runs for as long as the hostile
 * target keeps it waiting, and every target that uses `hangBound` stalls for longer than the bound
 * (forever, or tens of seconds), so such a probe still fails. What they give up: telling a probe
 * that overshoots its timeout by a second from one that stops on time.
 */

/** Three timeouts plus two seconds: far above any scheduling stall seen on CI, far below the targets' stalls. */
export function hangBound(timeoutMs: number): number {
  return 3 * timeoutMs + 2_000;
}


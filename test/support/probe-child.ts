/**
 * Runs HTTP probes in a process of its own and prints what they measured, for tests that need a
 * fresh process (first-probe timing) or a process whose memory is only the probe's (peak RSS).
 *
 *   node test/support/probe-child.ts '<json Plan>'
 *
 * Prints one JSON line: `{ warmUpMs?, probes: [{ phases, failure?, http?, maxRssBefore, maxRssAfter }] }`.
 * `maxRss*` are the process's peak resident set size in bytes so far (getrusage), read around each probe.
 */
import { probeHttp } from '../../shared/probe/http.ts';
import { warmUp } from '../../shared/probe/warmup.ts';
import { httpCheck } from './http-servers.ts';

export interface Plan {
  /** Run the engine's warm-up first, as the probe function's init and the CLI do. */
  warm?: boolean;
  baseDir?: string;
  /** Each probe's `http` spec and how many times to run it, in order. */
  probes: Array<{ spec: Record<string, unknown>; times?: number; timeout?: string }>;
}

const plan = JSON.parse(process.argv[2]!) as Plan;
const out: { warmUpMs?: number; probes: unknown[] } = { probes: [] };
if (plan.warm) {
  const t0 = performance.now();
  await warmUp();
  out.warmUpMs = performance.now() - t0;
}
for (const p of plan.probes) {
  const check = httpCheck(p.spec, { timeout: p.timeout ?? '10s', ...(plan.baseDir !== undefined && { baseDir: plan.baseDir }) });
  for (let i = 0; i < (p.times ?? 1); i++) {
    const maxRssBefore = process.resourceUsage().maxRSS * 1024;
    const r = await probeHttp(check, { signal: AbortSignal.timeout(check.timeout), timeoutMs: check.timeout });
    const maxRssAfter = process.resourceUsage().maxRSS * 1024;
    out.probes.push({ phases: r.phases, failure: r.failure, http: r.http, maxRssBefore, maxRssAfter });
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);

/**
 * The probe runner: dispatches a check to its protocol's prober and owns what every prober shares:
 * the deadline, the total time, the up/degraded/down status and the result's bookkeeping fields
 * (the Blackbox Exporter split between `prober/handler.go` and the per-protocol probers).
 */
import { latencyOf } from './latency.ts';
import type { Check, GrpcCheck } from '../config/schema.ts';
import { pool } from '../pool.ts';
import { probeDns } from './dns.ts';
import { probeHttp } from './http.ts';
import { prepareIcmp, probeIcmp } from './icmp.ts';
import { probeTcp } from './tcp.ts';
import { probeTls } from './tls.ts';
import { redactUrl } from './redact-url.ts';
import { crashMessage, withinProbe, type ProbeScope } from './containment.ts';
import type { DebugTrace } from './debug.ts';
import type { ProbeContext, ProbeFn, ProbeOutcome, ProbeResult, ProberRegistry } from './types.ts';

/**
 * @grpc/grpc-js and protobufjs are about 400 KB of the probe bundle and the largest share of its
 * module evaluation, so only a location that runs gRPC checks pays for them: esbuild keeps grpc.ts in
 * the one-file bundle but evaluates it (and grpc-js) on the first `import()`. The prober times its
 * phases from its own start, so a first probe's import never shows in them; `loadProbers` moves that
 * cost to the Lambda init.
 */
const loadGrpc = () => import('./grpc.ts');
const probeGrpc: ProbeFn<GrpcCheck> = async (check, ctx) => (await loadGrpc()).probeGrpc(check, ctx);

export { installProbeContainment } from './containment.ts';
export { latencyOf } from './latency.ts';

export const PROBERS: ProberRegistry = { http: probeHttp, tcp: probeTcp, dns: probeDns, grpc: probeGrpc, tls: probeTls, icmp: probeIcmp };

/** Loads the lazily loaded probers these checks need, and finds what ICMP needs, so that none of their probes waits for it. */
export async function loadProbers(checks: readonly Check[]): Promise<void> {
  if (checks.some((c) => c.kind === 'grpc')) await loadGrpc();
  if (checks.some((c) => c.kind === 'icmp')) await prepareIcmp();
}

/**
 * A prober that ignores its signal must still not hold the result past its timeout. The grace covers
 * a prober's own cleanup after the signal fires; past it the runner answers for the prober.
 */
const DEADLINE_GRACE_MS = 100;

export interface RunOptions {
  /** Cancels the probe from outside (the Lambda deadline). */
  signal?: AbortSignal;
  location?: string;
  resolveSecret?: ProbeContext['resolveSecret'];
  env?: ProbeContext['env'];
  registry?: ProberRegistry;
  /** The probe's debug log (./debug.ts); its entries are the caller's to show, never part of the result. */
  debug?: DebugTrace;
}

function targetOf(check: Check): string {
  switch (check.kind) {
    case 'http': return redactUrl(check.http.url);
    case 'tcp': return `${check.tcp.host}:${check.tcp.port}`;
    case 'dns': return `${check.dns.name} ${check.dns.type}${check.dns.server ? ` @${check.dns.server}` : ''}`;
    case 'grpc': return check.grpc.target;
    case 'tls': return `${check.tls.host}:${check.tls.port}`;
    case 'icmp': return check.icmp.host;
  }
}

function degradedAfterOf(check: Check): number | undefined {
  return (check as unknown as Record<string, { degradedAfter?: number }>)[check.kind]?.degradedAfter;
}

/** Each assertion's outcome and the failure, in the order the prober judged them. */
function traceVerdict(trace: DebugTrace, outcome: ProbeOutcome): void {
  for (const a of outcome.assertions) {
    trace.add({ phase: 'assertion', message: `${a.ok ? 'pass' : 'FAIL'} ${a.name}`, ...(a.detail !== undefined && { fields: { seen: a.detail } }) });
  }
  if (outcome.failure) trace.add({ phase: 'note', message: `probe failed: ${outcome.failure.reason}`, fields: { message: outcome.failure.message } });
  else trace.add({ phase: 'note', message: 'probe succeeded' });
}

export async function runProbe(check: Check, opts: RunOptions = {}): Promise<ProbeResult> {
  const registry = opts.registry ?? PROBERS;
  const startedAt = new Date();
  const t0 = performance.now();
  const timeoutSignal = AbortSignal.timeout(check.timeout);
  // Fired when the prober crashed asynchronously: whatever it still has open, it should let go.
  const crashed = new AbortController();
  const signal = AbortSignal.any(opts.signal ? [opts.signal, timeoutSignal, crashed.signal] : [timeoutSignal, crashed.signal]);
  const ctx: ProbeContext = {
    signal,
    timeoutMs: check.timeout,
    ...(opts.location !== undefined && { location: opts.location }),
    ...(opts.resolveSecret && { resolveSecret: opts.resolveSecret }),
    ...(opts.env && { env: opts.env }),
    ...(opts.debug && { debug: opts.debug }),
  };
  const prober = registry[check.kind] as ProbeFn;
  const failed = (failure: ProbeOutcome['failure']): ProbeOutcome => ({
    target: targetOf(check),
    ok: false,
    phases: { total: performance.now() - t0 },
    assertions: [],
    failure,
  });
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => resolve(failed({ reason: 'timeout', message: `no result within ${check.timeout}ms` })), check.timeout + DEADLINE_GRACE_MS);
  });
  // An error the prober raised where no caller sees it (see containment.ts) ends this probe only.
  let ended = false;
  let onCrash: (o: ProbeOutcome) => void = () => {};
  const crash = new Promise<ProbeOutcome>((resolve) => { onCrash = resolve; });
  const scope: ProbeScope = {
    checkId: check.id,
    crash: (err) => {
      if (ended) return false;
      ended = true;
      onCrash(failed({ reason: 'internal', message: crashMessage(err) }));
      crashed.abort();
      return true;
    },
  };
  let outcome: ProbeOutcome;
  try {
    outcome = await Promise.race([withinProbe(scope, () => prober(check, ctx)), guard, crash]);
  } catch (err) {
    // Probers return failures as values; an exception here is a bug in Vantage, reported as such.
    outcome = failed({ reason: 'internal', message: `prober crashed: ${(err as Error)?.message ?? String(err)}` });
  } finally {
    ended = true;
    clearTimeout(timer);
  }
  if (!outcome.ok && opts.signal?.aborted && outcome.failure) {
    outcome = { ...outcome, failure: { reason: 'aborted', message: `cancelled: ${outcome.failure.message}` } };
  }
  if (opts.debug) traceVerdict(opts.debug, outcome);
  const degradedAfter = degradedAfterOf(check);
  const status = !outcome.ok ? 'down' : degradedAfter !== undefined && latencyOf(outcome) > degradedAfter ? 'degraded' : 'up';
  return {
    checkId: check.id,
    kind: check.kind,
    ...(opts.location !== undefined && { location: opts.location }),
    startedAt: startedAt.toISOString(),
    ...outcome,
    status,
  };
}

/**
 * Runs many checks with at most `concurrency` in flight. Each probe's timing is its own: a slow target
 * occupies one slot and never delays when another probe starts or how its phases are measured.
 */
export async function runChecks(
  checks: readonly Check[],
  opts: RunOptions & { concurrency?: number; onResult?: (r: ProbeResult) => void } = {},
): Promise<ProbeResult[]> {
  return pool(checks, opts.concurrency ?? 64, (check) => runProbe(check, opts), opts.onResult);
}


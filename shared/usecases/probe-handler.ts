/**
 * The probe handler, built from injected dependencies: `createProbeHandler(deps)` returns the
 * middy-wrapped Lambda handler. ./handler.ts builds the deployed one from the environment.
 *
 * Deadline: middy 7 passes the handler `{ signal }`, an AbortSignal it aborts `timeoutEarlyInMillis`
 * before the Lambda deadline (from `context.getRemainingTimeInMillis()`), and at that same moment it
 * settles the invocation with `timeoutEarlyResponse()` (by default a thrown TimeoutError).
 * https://middy.js.org/docs/writing-middlewares/timeouts/
 * The signal reaches every probe and the wait between rounds. The early response is a promise that
 * never settles: the handler itself answers, after it has written what it measured. Letting middy
 * answer at the signal would end the invocation mid-write, and Lambda freezes unfinished writes.
 * So `stopBeforeDeadlineMs` is the time reserved for writing results and the heartbeat.
 */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { Check } from '../config/schema.ts';
import { heartbeatEmfLine, probeResultEmfLine } from '../metrics/emf.ts';
import { abortableSleep, runProbeCycle, type ProbeCycleSummary } from './probe-cycle.ts';
import { runProbe, type RunOptions } from '../probe/index.ts';
import type { Store } from '../store/dynamo.ts';

export interface ProbeHandlerDeps {
  /** This location's checks (the bundled definitions). */
  checks: readonly Check[];
  location: string;
  store: Pick<Store, 'putResults' | 'putHeartbeat'>;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Passed to every probe: secret resolution, `${env:…}` values, and (in tests) the prober registry. */
  runner?: Pick<RunOptions, 'resolveSecret' | 'env' | 'registry'> & { concurrency?: number };
  /** Waits between rounds; must return early when the signal fires. @default abortableSleep */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** One line of output (the structured log line and the EMF metric lines). @default stdout */
  write?: (line: string) => void;
  /** Declare the phases as EMF metrics, not only properties (`deployment.metrics.phases`). @default false */
  phaseMetrics?: boolean;
  /**
   * Cancel probes this long before the Lambda deadline, keeping the time for writing results (whose
   * retries of unprocessed items are bounded by the store's backoff). @default 5_000
   */
  stopBeforeDeadlineMs?: number;
}

export type ProbeEvent = Partial<Pick<ScheduledEvent, 'time'>> & Record<string, unknown>;

/** EventBridge's `time` is the scheduled minute, which stays right when the invocation starts late. */
function scheduledAt(event: ProbeEvent | undefined, clock: () => Date): Date {
  const t = typeof event?.time === 'string' ? Date.parse(event.time) : Number.NaN;
  return Number.isFinite(t) ? new Date(t) : clock();
}

function errorFields(err: unknown): Record<string, string> {
  const e = err as { code?: unknown; name?: unknown } | null;
  // Only the code and name: a message can quote a response or a request.
  return { errorCode: typeof e?.code === 'string' ? e.code : 'UNEXPECTED', errorName: typeof e?.name === 'string' ? e.name : typeof err };
}

export function createProbeHandler(deps: ProbeHandlerDeps) {
  const clock = deps.clock ?? (() => new Date());
  const write = deps.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const { concurrency, ...runOptions } = deps.runner ?? {};

  const probeCycle = async (event: ProbeEvent, context: Context, { signal }: { signal: AbortSignal }): Promise<ProbeCycleSummary> => {
    const requestId = context?.awsRequestId;
    try {
      const { summary, results } = await runProbeCycle({
        checks: deps.checks,
        location: deps.location,
        scheduledAt: scheduledAt(event, clock),
        probe: (check, probeSignal) => runProbe(check, { ...runOptions, signal: probeSignal, location: deps.location }),
        sleep: deps.sleep ?? abortableSleep,
        store: deps.store,
        signal,
        now: clock,
        ...(concurrency !== undefined && { concurrency }),
      });
      for (const result of results) write(probeResultEmfLine(result, deps.location, { phaseMetrics: deps.phaseMetrics ?? false }));
      write(heartbeatEmfLine(deps.location, clock().getTime()));
      write(JSON.stringify({ level: summary.stoppedEarly ? 'WARN' : 'INFO', message: 'probe cycle', requestId, ...summary }));
      return summary;
    } catch (err) {
      write(JSON.stringify({ level: 'ERROR', message: 'probe cycle failed', requestId, location: deps.location, ...errorFields(err) }));
      throw err;
    }
  };

  return middy<ProbeEvent, ProbeCycleSummary>({
    timeoutEarlyInMillis: deps.stopBeforeDeadlineMs ?? 5_000,
    timeoutEarlyResponse: () => new Promise<never>(() => {}),
  }).handler(probeCycle);
}

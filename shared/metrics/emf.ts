/**
 * CloudWatch Embedded Metric Format: one JSON log line per probe result, which CloudWatch Logs turns
 * into metrics with no PutMetricData call and no extra IAM permission.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * Write each line with `process.stdout.write(line + '\n')`, not `console.log`: with Lambda's JSON log
 * format, console output is wrapped in another JSON object and the metrics are lost (the reason the
 * official Node.js EMF library moved to stdout in 4.1.1).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Libraries.html
 *
 * Pure: no clock, no I/O. The metric names here are the contract with the dashboard and the alarms
 * in cdk/, which import them.
 */
import type { Phases, ProbeResult } from '../probe/types.ts';

export const NAMESPACE = 'Vantage';

export const DIMENSIONS = { check: 'CheckId', location: 'Location' } as const;

export const METRICS = {
  /** 1 when the run passed (up or degraded), 0 when it failed. Average × 100 is availability. */
  success: 'Success',
  /** The whole probe, ms: `phases.total`. */
  latency: 'Latency',
  /** 1 per probe invocation per location; its absence is what the missing-heartbeat alarm watches. */
  heartbeat: 'Heartbeat',
} as const;

/** Phase → metric name, each in milliseconds (Blackbox Exporter's `probe_http_duration_seconds{phase}`). */
export const PHASE_METRICS = {
  dns: 'PhaseDns',
  connect: 'PhaseConnect',
  tls: 'PhaseTls',
  ttfb: 'PhaseTtfb',
  transfer: 'PhaseTransfer',
} as const satisfies { [K in Exclude<keyof Phases, 'total'>]-?: string };

type MetricDef = { Name: string; Unit: 'Count' | 'Milliseconds' };

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: MetricDef[] }>;
  };
  [key: string]: unknown;
}

/** Rounded to 0.1 ms: finer digits are noise from performance.now(), and they bloat every log line. */
function ms(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The EMF document for one result. Metrics carry the dimensions [CheckId, Location]; status, kind and
 * failure reason ride along as plain properties for Logs Insights (they are not dimensions, which would
 * multiply the metric count and cost). The target is left out: a URL's query string can hold a token.
 */
export function probeResultEmf(result: ProbeResult, fallbackLocation = 'unknown'): EmfDocument {
  if (!result.checkId) throw new TypeError('a result needs a checkId to become a metric');
  const metrics: MetricDef[] = [
    { Name: METRICS.success, Unit: 'Count' },
    { Name: METRICS.latency, Unit: 'Milliseconds' },
  ];
  const values: Record<string, number> = {
    [METRICS.success]: result.ok ? 1 : 0,
    [METRICS.latency]: ms(result.phases.total),
  };
  for (const [phase, name] of Object.entries(PHASE_METRICS) as Array<[keyof typeof PHASE_METRICS, string]>) {
    const v = result.phases[phase];
    if (v === undefined || !Number.isFinite(v)) continue;
    metrics.push({ Name: name, Unit: 'Milliseconds' });
    values[name] = ms(v);
  }
  const parsedStart = Date.parse(result.startedAt);
  return {
    _aws: {
      Timestamp: Number.isFinite(parsedStart) ? parsedStart : 0,
      CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [[DIMENSIONS.check, DIMENSIONS.location]], Metrics: metrics }],
    },
    [DIMENSIONS.check]: result.checkId,
    [DIMENSIONS.location]: result.location ?? fallbackLocation,
    ...values,
    status: result.status,
    kind: result.kind,
    ...(result.failure && { failureReason: result.failure.reason }),
    ...(result.retries !== undefined && { retries: result.retries }),
  };
}

/** One line, ready for stdout (without the trailing newline). */
export function probeResultEmfLine(result: ProbeResult, fallbackLocation?: string): string {
  return JSON.stringify(probeResultEmf(result, fallbackLocation));
}

/** The per-location heartbeat: `Heartbeat` = 1 with the single dimension Location. */
export function heartbeatEmf(location: string, timestampMs: number): EmfDocument {
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [[DIMENSIONS.location]], Metrics: [{ Name: METRICS.heartbeat, Unit: 'Count' }] }],
    },
    [DIMENSIONS.location]: location,
    [METRICS.heartbeat]: 1,
  };
}

export function heartbeatEmfLine(location: string, timestampMs: number): string {
  return JSON.stringify(heartbeatEmf(location, timestampMs));
}

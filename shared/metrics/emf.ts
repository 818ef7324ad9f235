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
 * in cdk/, which import them, and with the cost model (shared/cost), which counts what is declared.
 *
 * Only what the deployment reads is declared as a metric, because CloudWatch bills every metric name ×
 * dimension-value combination as a custom metric at $0.30 a month however rarely it is written
 * (https://aws.amazon.com/cloudwatch/pricing/): Success and Latency per check × location (the
 * dashboard), Heartbeat per location (the missing-heartbeat alarm), and Maintenance per check (the
 * dashboard's shading, written only while a check is muted). Everything else rides in the
 * same line as a plain property, which costs only its bytes of log ingestion and stays queryable with
 * Logs Insights, e.g. `stats pct(PhaseTls, 95) by CheckId, Location` (the specification above: members
 * that no MetricDirective names stay in the log event and become no metric).
 */
import { latencyOf } from '../probe/latency.ts';
import type { Phases, ProbeResult } from '../probe/types.ts';
import { VantageError } from '../errors.ts';

export const NAMESPACE = 'Vantage';

export const DIMENSIONS = { check: 'CheckId', location: 'Location' } as const;

export const METRICS = {
  /** 1 when the run passed (up or degraded), 0 when it failed. Average × 100 is availability. */
  success: 'Success',
  /** The check's latency, ms (shared/probe/latency.ts): `phases.total`, an ICMP probe's average RTT. */
  latency: 'Latency',
  /** 1 per probe invocation per location; its absence is what the missing-heartbeat alarm watches. */
  heartbeat: 'Heartbeat',
  /** 1 per sweep run, no dimensions: its absence is what the "sweep not running" alarm watches (missing data breaching). */
  sweep: 'Sweep',
  /** 1 per sweep run per check a maintenance window or silence covers, dimension CheckId: the dashboard draws it beside availability. */
  maintenance: 'Maintenance',
} as const;

/**
 * Phase → field name, each in milliseconds (Blackbox Exporter's `probe_http_duration_seconds{phase}`).
 * A property of the line by default; a metric too with `phaseMetrics` (`deployment.metrics.phases`).
 * The name is the same either way, so a Logs Insights query works on both.
 */
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

export interface EmfOptions {
  /** Declare the phases as metrics (up to 5 more custom metrics per check × location). @default false */
  phaseMetrics?: boolean;
}

/** Rounded to 0.1 ms: finer digits are noise from performance.now(), and they bloat every log line. */
function ms(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The EMF document for one result. Metrics carry the dimensions [CheckId, Location]; the phases (unless
 * `phaseMetrics`), status, kind and failure reason ride along as plain properties for Logs Insights
 * (they are not dimensions, which would multiply the metric count and cost). The target is left out:
 * a URL's query string can hold a token.
 */
export function probeResultEmf(result: ProbeResult, fallbackLocation = 'unknown', options: EmfOptions = {}): EmfDocument {
  if (!result.checkId) throw new VantageError('METRIC_INVALID', 'a result needs a checkId to become a metric');
  const metrics: MetricDef[] = [
    { Name: METRICS.success, Unit: 'Count' },
    { Name: METRICS.latency, Unit: 'Milliseconds' },
  ];
  const values: Record<string, number> = {
    [METRICS.success]: result.ok ? 1 : 0,
    [METRICS.latency]: ms(latencyOf(result)),
  };
  for (const [phase, name] of Object.entries(PHASE_METRICS) as Array<[keyof typeof PHASE_METRICS, string]>) {
    const v = result.phases[phase];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (options.phaseMetrics) metrics.push({ Name: name, Unit: 'Milliseconds' });
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
export function probeResultEmfLine(result: ProbeResult, fallbackLocation?: string, options?: EmfOptions): string {
  return JSON.stringify(probeResultEmf(result, fallbackLocation, options));
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

/** What one sweep run did; plain properties of its EMF line, for Logs Insights (not metrics, so they cost nothing extra). */
export interface SweepCounts {
  /** Checks the sweep looked at. */
  checks: number;
  /** Checks whose state changed (or whose outbox was sent). */
  changed: number;
  /** Notifications published, ops warnings included. */
  published: number;
}

/** The sweep's line: `Sweep` = 1 in NAMESPACE with no dimensions (one custom metric for the whole deployment), with its counts alongside. */
export function sweepEmf(timestampMs: number, counts: SweepCounts): EmfDocument {
  return {
    _aws: { Timestamp: timestampMs, CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [[]], Metrics: [{ Name: METRICS.sweep, Unit: 'Count' }] }] },
    [METRICS.sweep]: 1,
    ...counts,
  };
}

export function sweepEmfLine(timestampMs: number, counts: SweepCounts): string {
  return JSON.stringify(sweepEmf(timestampMs, counts));
}

/**
 * The custom metrics a document declares: each metric name once per dimension set. Over a month, the
 * distinct (name, dimension values) pairs written are what CloudWatch bills.
 */
export function declaredMetrics(doc: EmfDocument): number {
  return doc._aws.CloudWatchMetrics.reduce((n, d) => n + d.Metrics.length * d.Dimensions.length, 0);
}

/**
 * `Maintenance` = 1 for one check, with the single dimension CheckId, from the home region's sweep.
 * The sweep writes it only for checks whose state has a mute, so outside windows the metric is never
 * written; CloudWatch meters custom metrics by the hour they are sent
 * (https://aws.amazon.com/cloudwatch/pricing/), so a half-hour window a week costs a sliver of one.
 */
export function maintenanceEmf(timestampMs: number, checkId: string): EmfDocument {
  return {
    _aws: { Timestamp: timestampMs, CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [[DIMENSIONS.check]], Metrics: [{ Name: METRICS.maintenance, Unit: 'Count' }] }] },
    [DIMENSIONS.check]: checkId,
    [METRICS.maintenance]: 1,
  };
}

/**
 * One EMF document per check in maintenance, one per line (a document carries one value of each
 * dimension, so checks cannot share one); '' for none. Written with a trailing newline, each line is
 * its own log event.
 */
export function maintenanceEmfLine(now: number, checkIds: readonly string[]): string {
  return checkIds.map((id) => JSON.stringify(maintenanceEmf(now, id))).join('\n');
}

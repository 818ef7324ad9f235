/** Conversions from the config and probe contracts into the evaluator's terms. */
import { windowApplies } from '../config/maintenance.ts';
import type { Check, MaintenanceWindow } from '../config/schema.ts';
import { VantageError } from '../errors.ts';
import { latencyOf } from '../probe/latency.ts';
import type { ProbeResult } from '../probe/types.ts';
import type { PolicyInput, ResultRecord } from './types.ts';

/** The check's policy, with the config's maintenance windows that apply to it (scoped by check ids and tags). */
export function policyFor(check: Check, maintenance: readonly MaintenanceWindow[] = []): PolicyInput {
  const windows = maintenance.filter((w) => windowApplies(w, check));
  return {
    ...check.alerting, channels: [...check.alerting.channels], locations: [...check.locations], checkId: check.id,
    ...(windows.length > 0 && { maintenance: windows }),
    ...(check.slo !== undefined && { slo: check.slo }),
  };
}

/** A probe result without the check id, location or a parseable start time cannot be evaluated. */
export class UnevaluableResultError extends VantageError {
  constructor(message: string) {
    super('RESULT_UNEVALUABLE', message);
  }
}

export function toResultRecord(result: ProbeResult): ResultRecord {
  const { checkId, location } = result;
  if (checkId === undefined || location === undefined) throw new UnevaluableResultError('a probe result needs checkId and location to be evaluated');
  const ts = Date.parse(result.startedAt);
  if (!Number.isFinite(ts)) throw new UnevaluableResultError(`startedAt "${result.startedAt}" is not an ISO 8601 time`);
  const phases: Record<string, number> = {};
  for (const [name, ms] of Object.entries(result.phases)) if (typeof ms === 'number') phases[name] = ms;
  const record: ResultRecord = { checkId, location, ts, ok: result.ok, status: result.status, latencyMs: latencyOf(result), phases, target: result.target };
  if (result.failure) record.failure = { reason: result.failure.reason, message: result.failure.message };
  const certExpiresAt = Date.parse(result.tls?.certExpiresAt ?? '');
  if (Number.isFinite(certExpiresAt)) record.certExpiresAt = certExpiresAt;
  if (result.trigger !== undefined) record.trigger = result.trigger;
  return record;
}

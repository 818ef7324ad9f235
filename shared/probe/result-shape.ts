/**
 * Whether a value that crossed a process boundary (a Lambda Invoke payload, an agent's REPLY item) is
 * a ProbeResult. Enough of the shape to record it and evaluate it; the other side runs this same
 * code, so no more.
 */
import type { ProbeResult } from './types.ts';

const STATUSES: ReadonlySet<unknown> = new Set(['up', 'degraded', 'down']);

export function isProbeResult(v: unknown): v is ProbeResult {
  const r = v as Partial<Record<keyof ProbeResult, unknown>> | null;
  return typeof r === 'object' && r !== null
    && typeof r.ok === 'boolean' && STATUSES.has(r.status)
    && typeof r.kind === 'string' && typeof r.target === 'string'
    && typeof r.startedAt === 'string' && Number.isFinite(Date.parse(r.startedAt))
    && typeof r.phases === 'object' && r.phases !== null && typeof (r.phases as { total?: unknown }).total === 'number'
    && Array.isArray(r.assertions)
    && (r.failure === undefined || (typeof r.failure === 'object' && r.failure !== null && typeof (r.failure as { reason?: unknown }).reason === 'string'));
}

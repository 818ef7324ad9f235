/**
 * The two requests one probe location (or instance) sends another: a confirmation and a retest. They
 * live in the core because they cross every boundary as data: Lambda Invoke payloads (./aws),
 * agent inbox items in the table (./store/agents.ts) and the probe handler's events
 * (./usecases/probe-requests.ts re-exports them beside the handler-only ContinueRequest).
 */

/** Sent by a location that starts failing (or starts recovering) to the check's other locations. */
export interface ConfirmRequest {
  type: 'vantage.confirm';
  checkIds: string[];
  /** The location that asks. */
  from: string;
  /** ISO 8601. */
  requestedAt: string;
}

/** Synchronous (RequestResponse) request to another instance of the same private location: run one attempt, return it. */
export interface RetestRequest {
  type: 'vantage.retest';
  checkId: string;
  /** The instance that asks. */
  from: string;
  /** ISO 8601. */
  requestedAt: string;
}

const isRecord = (e: unknown): e is Record<string, unknown> => typeof e === 'object' && e !== null && !Array.isArray(e);
const isIso = (v: unknown) => typeof v === 'string' && Number.isFinite(Date.parse(v));

export function isConfirmRequest(e: unknown): e is ConfirmRequest {
  return isRecord(e) && e.type === 'vantage.confirm' && Array.isArray(e.checkIds) && e.checkIds.every((id) => typeof id === 'string')
    && typeof e.from === 'string' && isIso(e.requestedAt);
}

export function isRetestRequest(e: unknown): e is RetestRequest {
  return isRecord(e) && e.type === 'vantage.retest' && typeof e.checkId === 'string' && typeof e.from === 'string' && isIso(e.requestedAt);
}

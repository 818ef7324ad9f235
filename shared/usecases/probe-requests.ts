/**
 * The events a probe handler accepts besides EventBridge's scheduled one, and how a probe sends them.
 * A confirmation request goes from one location to a check's other locations (Lambda async Invoke in
 * AWS, the other location's handler in `vantage dev`); a retest request goes to another instance of the
 * same private location and waits for its one attempt.
 */
import type { ProbeResult } from '../probe/types.ts';
import type { ConfirmRequest, RetestRequest } from '../requests.ts';

export { isConfirmRequest, isRetestRequest, type ConfirmRequest, type RetestRequest } from '../requests.ts';

/** One run handed to a continuation: the check, when it is due (epoch ms), and why (absent: scheduled). */
export interface ContinueRun {
  checkId: string;
  at: number;
  trigger?: 'recheck' | 'confirm';
}

/**
 * A cycle's remaining runs, handed to a later invocation of the same location (an SQS delay queue in
 * AWS, a timer in `vantage dev`) instead of waiting idle, and billed, until they are due.
 */
export interface ContinueRequest {
  type: 'vantage.continue';
  /** ISO 8601: the minute of the cycle that handed the runs on (it bounds their rechecks). */
  scheduledAt: string;
  runs: ContinueRun[];
  /** The cycle was answering a confirmation: its continuation must not send confirmations either. */
  confirm?: boolean;
}

export type ProbeRequest = ConfirmRequest | RetestRequest | ContinueRequest;

const isRecord = (e: unknown): e is Record<string, unknown> => typeof e === 'object' && e !== null && !Array.isArray(e);
const isIso = (v: unknown) => typeof v === 'string' && Number.isFinite(Date.parse(v));

const isContinueRun = (r: unknown): r is ContinueRun => isRecord(r) && typeof r.checkId === 'string' && typeof r.at === 'number' && Number.isFinite(r.at)
  && (r.trigger === undefined || r.trigger === 'recheck' || r.trigger === 'confirm');

export function isContinueRequest(e: unknown): e is ContinueRequest {
  return isRecord(e) && e.type === 'vantage.continue' && isIso(e.scheduledAt) && Array.isArray(e.runs) && e.runs.every(isContinueRun)
    && (e.confirm === undefined || typeof e.confirm === 'boolean');
}

/** How a probe reaches another location (Lambda async Invoke in AWS; the other location's handler in `vantage dev`). */
export type ConfirmSender = (location: string, request: ConfirmRequest) => Promise<void | typeof NOT_SENT>;

/** What a ConfirmSender answers for a location it has no route to (an agent's to a Lambda location): not sent, and not an error. */
export const NOT_SENT = 'not-sent';

/** How a probe reaches another instance of its own location; resolves with that instance's ProbeResult. */
export type RetestSender = (request: RetestRequest) => Promise<ProbeResult>;

/**
 * How a cycle hands its remaining runs to a later invocation of its own location: deliver `request`
 * to this location's handler about `delayMs` from now, never later (it may come early; the cycle
 * sleeps the rest). SQS SendMessage with DelaySeconds in AWS (../aws/sqs-defer.ts); in `vantage dev`, a timer.
 */
export type DeferSender = (request: ContinueRequest, delayMs: number) => Promise<void>;

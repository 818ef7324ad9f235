/**
 * Confirmation requests: when a location starts failing a check (or starts recovering), it asks the
 * check's other locations to probe it now, so every location's counters are current within seconds
 * instead of at their next scheduled run. The evaluator's rules do not change; a confirmation is an
 * ordinary recorded run (`trigger: 'confirm'`).
 *
 * Sending is best effort and must never hold up the cycle: requests go out concurrently with the
 * cycle's next waits, a failure is reported by code only, and the cycle waits for them at most
 * CONFIRM_SEND_BOUND_MS before it ends (Lambda freezes a container after the handler returns, so an
 * unfinished async Invoke would otherwise be lost silently).
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 */
import type { Check } from '../config/schema.ts';
import { NOT_SENT, type ConfirmRequest, type ConfirmSender } from './probe-requests.ts';

/** How long the end of a cycle waits for unfinished confirmation requests. An async Invoke answers in tens of ms. */
export const CONFIRM_SEND_BOUND_MS = 2_000;

/** One request per other location, naming the checks (of those given) that location runs. */
export function confirmRequests(checks: readonly Check[], from: string, at: Date): Array<{ location: string; request: ConfirmRequest }> {
  const byLocation = new Map<string, string[]>();
  for (const check of checks) {
    for (const location of check.locations) {
      if (location === from) continue;
      const ids = byLocation.get(location) ?? [];
      if (!ids.includes(check.id)) ids.push(check.id);
      byLocation.set(location, ids);
    }
  }
  return [...byLocation.entries()].map(([location, checkIds]) => ({
    location,
    request: { type: 'vantage.confirm', checkIds, from, requestedAt: at.toISOString() },
  }));
}

/** Sends every request concurrently; resolves (never rejects) with how many were accepted (a sender's NOT_SENT is not). */
export async function sendConfirmations(
  send: ConfirmSender,
  requests: ReadonlyArray<{ location: string; request: ConfirmRequest }>,
  onError: (location: string, err: unknown) => void,
): Promise<number> {
  const outcomes = await Promise.allSettled(requests.map(async ({ location, request }) => send(location, request)));
  let sent = 0;
  outcomes.forEach((o, i) => {
    if (o.status === 'fulfilled') {
      if (o.value !== NOT_SENT) sent++;
    }
    else onError(requests[i]!.location, o.reason);
  });
  return sent;
}

/** Waits for the pending sends, but never longer than `boundMs`. */
export async function settleWithin(pending: ReadonlyArray<Promise<unknown>>, boundMs = CONFIRM_SEND_BOUND_MS): Promise<void> {
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, boundMs);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(pending), bound]);
  clearTimeout(timer);
}

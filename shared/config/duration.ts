/** Durations are written as strings the way Prometheus users write them: `500ms`, `5s`, `2m`, `1h`, `1d`. */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * The longest delay a Node.js timer takes: setTimeout treats anything longer as 1 ms
 * (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args), so a duration past it would fire
 * at once. Every bound below is well inside it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Upper bounds per kind of duration, and why:
 * - probe: a timeout (and the degradedAfter/maxResponseTime judged within it) is at most a minute. The
 *   probe function runs a location's minute in one invocation, and 4 attempts (retries: 3) of 60 s are
 *   already 4 of the 15 minutes Lambda allows; a target that needs longer is not a health check.
 * - interval: at most a day. A location with no result for 3 intervals counts as silent, so a longer
 *   interval would leave an outage unnoticed for days.
 * - alerting (for, repeatInterval, flapping.within, escalate[].after): at most 7 days, past which a
 *   pending alert or a reminder is no longer news.
 * - maintenance (a recurring window's duration): at most 7 days. Every evaluation looks back this far
 *   for occurrences still open, and a planned downtime longer than a week is a disabled check.
 */
export const DURATION_MAX_MS = { probe: 60_000, interval: 86_400_000, alerting: 7 * 86_400_000, maintenance: 7 * 86_400_000 } as const;

/**
 * Parses a duration string to milliseconds, or returns undefined when it is not one. The result is not
 * bounded (`1` and 400 zeros is Infinity): the schema holds each field to its DURATION_MAX_MS.
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** Formats milliseconds back into the shortest exact duration string (used in messages). */
export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

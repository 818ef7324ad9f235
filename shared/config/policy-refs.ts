/**
 * Rules between the alert policy's own fields, judged on what each check runs with: its `alerting`
 * over `defaults.alerting`, a check's own key replacing the default's. A problem is reported on the
 * field the check wrote, or once on `defaults.alerting` when the defaults alone cause it.
 */
import type { ConfigIssue } from '../errors.ts';
import { DURATION_MAX_MS, formatDuration, parseDuration } from './duration.ts';
import { formatPath } from './paths.ts';
import { arrayOf, isRecord, issue, own, type RawPath, type RawRecord } from './raw.ts';

/** A merged field: its value and where it was written (undefined: the built-in default). */
interface Field {
  value: unknown;
  path?: RawPath;
}

type Merged = (key: string) => Field | undefined;

function merged(defaults: unknown, own_: unknown, at: RawPath | undefined): Merged {
  return (key) => {
    if (at !== undefined && own(own_, key) !== undefined) return { value: own(own_, key), path: [...at, key] };
    if (own(defaults, key) !== undefined) return { value: own(defaults, key), path: ['defaults', 'alerting', key] };
    return undefined;
  };
}

const isWindow = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 30;
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;
const fromCheck = (f: Field | undefined) => f?.path?.[0] === 'checks';
const where = (f: Field) => (f.path ? formatPath(f.path) : 'the default');

/** `window` and `for` are two answers to "when is a location failing"; a policy takes one. */
function windowAndFor(get: Merged, subject: string, ownOnly: boolean): ConfigIssue[] {
  const window = get('window');
  const forField = get('for');
  if (window === undefined || forField === undefined) return [];
  if (ownOnly && !fromCheck(window) && !fromCheck(forField)) return [];
  const target = fromCheck(window) || !fromCheck(forField) ? window : forField;
  const other = target === window ? forField : window;
  const note = fromCheck(other) || !ownOnly ? '' : ` (${other === forField ? 'for' : 'window'} comes from ${where(other)})`;
  return [issue(target.path as RawPath, `window and for both set ${subject}${note}; use one`)];
}

/** With a window of N runs, a threshold above N could never be reached. */
function thresholdOverWindow(get: Merged, subject: string, ownOnly: boolean): ConfigIssue[] {
  const window = get('window');
  const threshold = get('failureThreshold') ?? { value: 2 };
  if (window === undefined || !isWindow(window.value) || !isCount(threshold.value) || threshold.value <= window.value) return [];
  if (ownOnly && !fromCheck(window) && !fromCheck(threshold)) return [];
  const target = fromCheck(window) || !fromCheck(threshold) ? window : threshold;
  const other = target === window ? threshold : window;
  const origin = other.path === undefined ? ' (the default)' : fromCheck(other) || !ownOnly ? '' : ` (from ${where(other)})`;
  const text = target === window
    ? `window ${window.value} is less than failureThreshold ${threshold.value}${origin} ${subject}: no location could ever fail; raise window or lower failureThreshold`
    : `failureThreshold ${threshold.value} is more than window ${window.value}${origin} ${subject}: no location could ever fail; lower failureThreshold or raise window`;
  return [issue(target.path as RawPath, text)];
}

/** Escalation levels follow each other: each `after` later than the one before. */
function escalateOrder(escalate: unknown, at: RawPath): ConfigIssue[] {
  let previous: { ms: number; text: string; level: number } | undefined;
  return arrayOf(escalate).flatMap((level, j) => {
    const text = own(level, 'after');
    const ms = typeof text === 'string' ? parseDuration(text) : undefined;
    if (ms === undefined || ms <= 0 || ms > DURATION_MAX_MS.alerting) return [];
    const before = previous;
    previous = { ms, text: text as string, level: j + 1 };
    if (before === undefined || ms > before.ms) return [];
    return [issue([...at, j, 'after'], `${text as string} is not after level ${before.level}'s ${formatDuration(before.ms)}; each level's after must be later than the one before`)];
  });
}

/** Every problem between alert policy fields, for the defaults and for each check as merged. */
export function policyIssues(defaults: RawRecord, checks: readonly unknown[]): ConfigIssue[] {
  const dAlerting = own(defaults, 'alerting');
  const forDefaults = merged(dAlerting, undefined, undefined);
  return [
    ...windowAndFor(forDefaults, 'in defaults.alerting', false),
    ...thresholdOverWindow(forDefaults, 'in defaults.alerting', false),
    ...escalateOrder(own(dAlerting, 'escalate'), ['defaults', 'alerting', 'escalate']),
    ...checks.flatMap((c, i) => {
      if (!isRecord(c)) return [];
      const at: RawPath = ['checks', i, 'alerting'];
      const get = merged(dAlerting, own(c, 'alerting'), at);
      const id = own(c, 'id');
      const subject = `for check ${typeof id === 'string' ? `"${id}"` : `checks[${i}]`}`;
      return [
        ...windowAndFor(get, subject, true),
        ...thresholdOverWindow(get, subject, true),
        ...escalateOrder(own(own(c, 'alerting'), 'escalate'), [...at, 'escalate']),
      ];
    }),
  ];
}

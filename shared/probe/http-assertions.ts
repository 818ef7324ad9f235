/**
 * The checks an HTTP response is judged by: status, version, headers, body regexes and JSON paths.
 * Each returns plain values; the prober decides the order and which failure is reported.
 */
import type { Assertion, Failure, FailureReason } from './types.ts';

/**
 * Every assertion that was evaluated, and the first that failed. Assertions are added in the order
 * their failures take precedence, so the reported failure is the most fundamental one.
 */
export class Verdict {
  readonly assertions: Assertion[] = [];
  failure: Failure | undefined;

  add(name: string, ok: boolean, detail: string | undefined, reason: FailureReason, message: () => string): void {
    this.assertions.push(detail === undefined ? { name, ok } : { name, ok, detail });
    if (!ok && this.failure === undefined) this.failure = { reason, message: message() };
  }

  /** A failure that is not itself an assertion (transport) and outranks every assertion. */
  fail(failure: Failure): void {
    this.failure = failure;
  }
}

/** `validStatusCodes` entries: exact codes, or classes such as "2xx". */
export function statusAllowed(status: number, valid: ReadonlyArray<number | string>): boolean {
  for (const v of valid) {
    if (typeof v === 'number' ? v === status : Math.floor(status / 100) === v.charCodeAt(0) - 48) return true;
  }
  return false;
}

/** Regexes come from a config that was validated at load time; compiling each once saves every probe the work. */
const compiled = new Map<string, RegExp>();
export function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (re === undefined) {
    re = new RegExp(source);
    compiled.set(source, re);
  }
  return re;
}

/** A header's value as one string: repeated headers are joined as RFC 9110 §5.3 allows. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const key = name.toLowerCase();
  const v = Object.hasOwn(headers, key) ? headers[key] : undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** At most this much of a seen value goes into an assertion's detail. */
const DETAIL_MAX = 120;
export function shorten(text: string): string {
  return text.length <= DETAIL_MAX ? text : `${text.slice(0, DETAIL_MAX)}…`;
}

type PathStep = string | number;

/**
 * `$.a.b[0].c`, `$.items[2]`, `$["odd key"]` → steps. Undefined for anything else: the path language
 * is deliberately this small, and a path it cannot read must fail loudly rather than match nothing.
 */
export function parseJsonPath(path: string): PathStep[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: PathStep[] = [];
  const step = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[(?:"([^"]*)"|'([^']*)')\]/y;
  step.lastIndex = 1;
  while (step.lastIndex < path.length) {
    const m = step.exec(path);
    if (m === null) return undefined;
    steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])!));
  }
  return steps;
}

/** The value at `steps`, or `missing` when the path leads nowhere. */
export const MISSING: unique symbol = Symbol('missing');
export function valueAt(doc: unknown, steps: readonly PathStep[]): unknown {
  let cur: unknown = doc;
  for (const s of steps) {
    if (typeof s === 'number') {
      if (!Array.isArray(cur) || s >= cur.length) return MISSING;
      cur = cur[s];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, s)) return MISSING;
      cur = (cur as Record<string, unknown>)[s];
    }
  }
  return cur;
}

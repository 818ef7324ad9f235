/**
 * Reading a config as written, before (and whatever) the schema says about it. The cross-reference
 * and deploy-only rules run on this form so they report alongside schema errors instead of after
 * them: zod skips an object's refinements once any field inside it failed. Every accessor here
 * tolerates a wrong shape by answering "absent", and looks up own keys only, so a name such as
 * `constructor` or `toString` is never found on Object.prototype.
 */
import type { ConfigIssue } from '../errors.ts';
import { formatPath } from './paths.ts';

export type RawPath = Array<string | number>;
export type RawRecord = Readonly<Record<string, unknown>>;

/** A config is a handful of levels deep (checks[0].http.tls.ca is 5); this is far past any real one. */
export const MAX_DEPTH = 64;

export const isRecord = (v: unknown): v is RawRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The record at `v`, or an empty one when `v` is anything else. */
export const recordOf = (v: unknown): RawRecord => (isRecord(v) ? v : {});

/** An own property only. */
export function own(obj: unknown, key: string): unknown {
  return isRecord(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export const arrayOf = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

export const issue = (path: RawPath, message: string): ConfigIssue => ({ path: formatPath(path), message });

/**
 * Visits every value under `root` with its path, depth first, own enumerable keys only. Stops at
 * MAX_DEPTH, so a cyclic or absurdly deep object (a TypeScript config, or YAML that got past the
 * parser) cannot overflow the stack.
 */
export function walk(root: unknown, visit: (value: unknown, path: RawPath) => void, path: RawPath = []): void {
  visit(root, path);
  if (path.length >= MAX_DEPTH) return;
  if (Array.isArray(root)) root.forEach((v, i) => walk(v, visit, [...path, i]));
  else if (isRecord(root)) for (const key of Object.keys(root)) walk(root[key], visit, [...path, key]);
}

/**
 * Keys that cannot be config names: `__proto__` is dropped by zod's records and sets the prototype
 * when assigned, so a channel, header or tag under it would silently vanish. Nesting past MAX_DEPTH is
 * refused here too, since nothing that deep is a config.
 */
export function structureIssues(root: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  let tooDeep = false;
  walk(root, (value, path) => {
    if (isRecord(value) && Object.hasOwn(value, '__proto__')) issues.push(issue([...path, '__proto__'], 'reserved key: "__proto__" cannot be a name here'));
    if (!tooDeep && path.length >= MAX_DEPTH && (isRecord(value) || Array.isArray(value))) {
      tooDeep = true;
      issues.push(issue(path, `nested deeper than ${MAX_DEPTH} levels`));
    }
  });
  return issues;
}

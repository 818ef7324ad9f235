/**
 * zod's issues as config issues, one per problem, each on the path where it is:
 * - an unknown key is named on its own path (zod reports it on the parent);
 * - a missing field says `required`;
 * - when a value fails a union (`webhook[1]` is a URL or `{url, secret?}`), the option of the value's
 *   own type is the one the user meant, so when exactly one option did not fail on the type itself its
 *   issues are reported, at their nested paths (`webhook[1].url: required`, `webhook[1].sekret:
 *   unknown key`). Otherwise, and for a value of no option's type, the union's own message is.
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import { formatPath } from './paths.ts';

type Issue = z.core.$ZodIssue;

/** An option the value is of the type of: none of its issues is about the value's type at the option's root. */
function ofValueType(issues: readonly Issue[]): boolean {
  return !issues.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_union'));
}

/**
 * `missing` reads `input`, which zod sets only when parsing with `reportInput: true`; without it a
 * missing field keeps zod's own message.
 */
export function configIssuesOf(issues: readonly Issue[], at: readonly PropertyKey[] = []): ConfigIssue[] {
  return issues.flatMap((issue) => {
    const path = [...at, ...issue.path];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown key' }));
    if (issue.code === 'invalid_union') {
      const meant = issue.errors.filter(ofValueType);
      if (meant.length === 1) return configIssuesOf(meant[0]!, path);
    }
    const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && 'input' in issue && issue.input === undefined;
    return [{ path: formatPath(path), message: missing ? 'required' : issue.message }];
  });
}

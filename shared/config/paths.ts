/**
 * Issue paths as users read them. Kept apart from ./load.ts (which pulls in the YAML parser) so the
 * Lambda runtime, which never reads YAML, can name a problem's path without bundling it.
 */

/** `['checks', 2, 'http', 'tls', 'ca']` → `checks[2].http.tls.ca` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

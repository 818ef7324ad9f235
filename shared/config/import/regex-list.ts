/** A list of exporter regexps, each translated (./re2.ts) or reported. */
import type { Notes } from './notes.ts';
import { translateRe2 } from './re2.ts';
import { list, str } from './shape.ts';

/** One pattern as Vantage should compile it, or undefined (reported) when it cannot be. */
export function regex(raw: unknown, path: string, notes: Notes): string | undefined {
  const source = str(raw);
  if (source === undefined) {
    notes.add(path, 'dropped', 'not a string');
    return undefined;
  }
  const t = translateRe2(source);
  if (!t.ok) {
    notes.add(path, 'dropped', `the RE2 pattern ${JSON.stringify(source)} uses ${t.reason}`);
    return undefined;
  }
  if (t.source !== source) notes.add(path, 'mapped', `RE2 ${JSON.stringify(source)} is written for JavaScript as ${JSON.stringify(t.source)}`);
  return t.source;
}

export function regexes(raw: unknown, at: string, notes: Notes): string[] {
  return list(raw).map((r, i) => regex(r, `${at}[${i}]`, notes)).filter((r): r is string => r !== undefined);
}

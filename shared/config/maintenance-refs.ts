/**
 * Rules for the `maintenance` list that relate fields to each other or to the checks: which fields go
 * together, end after start, unique names, known check ids, tags some check has. Like ./cross-refs.ts
 * they read the config as written (./raw.ts), so they report in the same run as the schema, which
 * checks each field on its own (a bad cron, an unknown time zone, a malformed time).
 */
import type { ConfigIssue } from '../errors.ts';
import { parseInstant } from './instant.ts';
import { selectorApplies } from './maintenance.ts';
import { arrayOf, isRecord, issue, own, type RawPath, type RawRecord } from './raw.ts';

const has = (w: RawRecord, key: string) => own(w, key) !== undefined;

/** What one window says about itself: a recurring and a one-off window take different fields. */
export function windowIssues(w: unknown, at: RawPath): ConfigIssue[] {
  if (!isRecord(w)) return [];
  const out: ConfigIssue[] = [];
  const oneOff = ['start', 'end'].filter((k) => has(w, k));
  if (has(w, 'cron')) {
    if (!has(w, 'duration')) out.push(issue([...at, 'duration'], 'required with cron: how long each window lasts, e.g. 30m'));
    for (const k of oneOff) out.push(issue([...at, k], `a window is recurring (cron, duration) or one-off (start, end), not both; remove ${k} or cron`));
    return out;
  }
  if (has(w, 'duration')) out.push(issue([...at, 'duration'], 'only with cron; a one-off window lasts from start to end'));
  if (has(w, 'timezone')) out.push(issue([...at, 'timezone'], 'only with cron; start and end carry their own zone'));
  if (oneOff.length === 0) return [...out, issue(at, 'a window needs cron and duration (recurring) or start and end (one-off)')];
  if (oneOff.length === 1) return [...out, issue([...at, oneOff[0] === 'start' ? 'end' : 'start'], `required with ${oneOff[0]}`)];
  const [start, end] = [own(w, 'start'), own(w, 'end')];
  const s = typeof start === 'string' ? parseInstant(start) : undefined;
  const e = typeof end === 'string' ? parseInstant(end) : undefined;
  if (s !== undefined && e !== undefined && e <= s) out.push(issue([...at, 'end'], `${end as string} is not after start ${start as string}`));
  return out;
}

function duplicateNames(windows: readonly unknown[]): ConfigIssue[] {
  const seen = new Map<string, number>();
  return windows.flatMap((w, i) => {
    const name = own(w, 'name');
    if (typeof name !== 'string') return [];
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, i);
      return [];
    }
    return [issue(['maintenance', i, 'name'], `duplicate name "${name}" (also maintenance[${first}])`)];
  });
}

interface CheckRef {
  id: string;
  tags?: Record<string, string>;
}

/** The checks as written that have an id (tags only when they are a map of strings). */
function checkRefs(checks: readonly unknown[]): CheckRef[] {
  return checks.flatMap((c) => {
    const id = own(c, 'id');
    if (typeof id !== 'string') return [];
    const tags = own(c, 'tags');
    const ok = isRecord(tags) && Object.values(tags).every((v) => typeof v === 'string');
    return [{ id, ...(ok && { tags: tags as Record<string, string> }) }];
  });
}

function selectorIssues(w: unknown, at: RawPath, checks: readonly CheckRef[]): ConfigIssue[] {
  const ids = own(w, 'checks');
  const known = new Set(checks.map((c) => c.id));
  const out = arrayOf(ids).flatMap((id, j) => (typeof id === 'string' && !known.has(id) ? [issue([...at, 'checks', j], `unknown check "${id}"`)] : []));
  const tags = own(w, 'tags');
  if (!isRecord(tags) || Object.keys(tags).length === 0 || !Object.values(tags).every((v) => typeof v === 'string')) return out;
  const list = Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? (ids as string[]) : undefined;
  const wanted = Object.entries(tags).map(([k, v]) => `${k}=${v as string}`).join(', ');
  if (!checks.some((c) => selectorApplies({ tags: tags as Record<string, string> }, c))) {
    out.push(issue([...at, 'tags'], `no check has the tags ${wanted}; the window would cover nothing`));
  } else if (list !== undefined && !checks.some((c) => selectorApplies({ checks: list, tags: tags as Record<string, string> }, c))) {
    out.push(issue([...at, 'tags'], `none of the checks ${list.join(', ')} has the tags ${wanted}; the window would cover nothing`));
  }
  return out;
}

/** Every problem in the config's `maintenance` list as written, each with its path. */
export function maintenanceIssues(cfg: RawRecord, checks: readonly unknown[]): ConfigIssue[] {
  const windows = arrayOf(own(cfg, 'maintenance'));
  const refs = checkRefs(checks);
  return [
    ...duplicateNames(windows),
    ...windows.flatMap((w, i) => [...windowIssues(w, ['maintenance', i]), ...selectorIssues(w, ['maintenance', i], refs)]),
  ];
}

/**
 * Which checks a maintenance window covers, and when it is open. Pure and zod-free: the evaluator
 * (policyFor, the sweep, replay) calls these on every evaluation.
 */
import { VantageError } from '../errors.ts';
import { cronStarts, parseCron, type Cron } from './cron.ts';
import type { MaintenanceWindow } from './schema.ts';

/** The one rule for scoping by ids and tags (silences use it too): any of `checks`, all of `tags`, both when both are given, every check when neither is. */
export function selectorApplies(selector: { checks?: readonly string[]; tags?: Readonly<Record<string, string>> }, check: { id: string; tags?: Readonly<Record<string, string>> }): boolean {
  if (selector.checks !== undefined && !selector.checks.includes(check.id)) return false;
  const tags = check.tags ?? {};
  return Object.entries(selector.tags ?? {}).every(([key, value]) => Object.hasOwn(tags, key) && tags[key] === value);
}

export function windowApplies(w: MaintenanceWindow, check: { id: string; tags?: Record<string, string> }): boolean {
  return selectorApplies(w, check);
}

/** Parsed expressions by text: the same few windows are asked about on every evaluation. */
const parsed = new Map<string, Cron>();

function cronOf(w: MaintenanceWindow, text: string): Cron {
  const known = parsed.get(text);
  if (known) return known;
  const result = parseCron(text);
  // The loader and the definitions file's check refuse a bad cron, so this is a window built by hand.
  if (!result.ok) throw new VantageError('CRON_INVALID', `maintenance window "${w.name}": cron ${result.message}`);
  if (parsed.size >= 1024) parsed.clear();
  parsed.set(text, result.cron);
  return result.cron;
}

/** Every occurrence of w with start < to and end > from, ascending by start; at most `limit` (default 10_000). */
export function occurrences(w: MaintenanceWindow, from: number, to: number, limit = 10_000): Array<{ start: number; end: number }> {
  if (w.cron !== undefined) {
    const durationMs = w.durationMs ?? 0;
    if (durationMs <= 0) return [];
    // start + duration > from  ⇔  start > from - duration; instants are whole ms.
    const starts = cronStarts(cronOf(w, w.cron), w.timezone ?? 'UTC', from - durationMs + 1, to, limit);
    return starts.map((start) => ({ start, end: start + durationMs }));
  }
  if (w.start !== undefined && w.end !== undefined && w.start < to && w.end > from && limit > 0) return [{ start: w.start, end: w.end }];
  return [];
}

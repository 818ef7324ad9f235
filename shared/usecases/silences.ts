/**
 * Which ad-hoc silences (`vantage silence`, stored as SILENCE items) cover a check, as the mutes the
 * pure evaluator takes (`evaluate(..., { mutes })`). The matching rule is the maintenance windows'
 * (shared/config/maintenance.ts `windowApplies`): `checks` matches any of its ids, `tags` all of its
 * tags, and a silence with both needs both. A silence always has at least one of them (the store
 * refuses one with neither), so no silence mutes every check by accident.
 */
import { selectorApplies } from '../config/maintenance.ts';
import type { Mute } from '../evaluate/types.ts';
import type { StoredSilence } from '../store/items.ts';

/** What matching needs of a check. */
export interface SilenceTarget {
  id: string;
  tags?: Readonly<Record<string, string>>;
}

/**
 * Silences that ended longer ago than this are not passed to the evaluator. It needs a mute only
 * where it overlaps the span since the state's last evaluation, and that span is never longer than
 * the sweep period (a minute) while the evaluator runs. Only after an outage of the evaluator itself
 * can it be longer, and then a mute the state holds but the observations no longer carry ends at the
 * latest at that evaluation (shared/evaluate/mute.ts `currentEnd` clamps it), which is what a day-old
 * silence would decide anyway: it is over. A day keeps the work per check to the live silences and
 * the few that ended recently, however many `list --all` still shows.
 */
export const SILENCE_LOOKBACK_MS = 24 * 60 * 60 * 1000;

export function silenceApplies(s: Pick<StoredSilence, 'checks' | 'tags'>, check: SilenceTarget): boolean {
  const checks = s.checks !== undefined && s.checks.length > 0 ? s.checks : undefined;
  // No matcher never means every check (the store refuses one, but an item is data).
  if (!checks && Object.keys(s.tags ?? {}).length === 0) return false;
  return selectorApplies({ checks, ...(s.tags && { tags: s.tags }) }, check);
}

/**
 * The mutes of the silences covering `check`, one per silence. With `now` (epoch ms), silences that
 * ended more than SILENCE_LOOKBACK_MS before it are left out. A silence expired before it started
 * spans nothing and is left out too.
 */
export function mutesFor(silences: readonly StoredSilence[], check: SilenceTarget, now?: number): Mute[] {
  const mutes: Mute[] = [];
  for (const s of silences) {
    const start = Date.parse(s.startsAt);
    const end = Date.parse(s.endsAt);
    if (!(end > start)) continue;
    if (now !== undefined && end < now - SILENCE_LOOKBACK_MS) continue;
    if (silenceApplies(s, check)) mutes.push({ kind: 'silence', name: s.id, start, end });
  }
  return mutes;
}

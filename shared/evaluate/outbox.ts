/** The outbox half of "a crash can repeat a notification but never lose one" (design.md). */
import type { CheckState } from './types.ts';

/**
 * The state without the notifications that were published. Keys not in the outbox are ignored, so
 * clearing twice (a retried write) is harmless. Returns the same state when nothing was cleared.
 */
export function clearPublished(state: CheckState, publishedKeys: Iterable<string>): CheckState {
  const published = new Set(publishedKeys);
  const outbox = state.outbox.filter((n) => !published.has(n.dedupeKey));
  return outbox.length === state.outbox.length ? state : { ...state, outbox };
}

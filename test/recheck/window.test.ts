/**
 * `alerting.window` on the probe's side: the location's view (its MEMORY entry) counts failures among
 * the last runs exactly as the evaluator does, so a location rechecks while a failure is pending and
 * its view crosses with the evaluator's on the same run. The view survives the store (parseEntry).
 */
import { describe, expect, it } from 'vitest';
import { applyResult, freshLocation } from '../../shared/evaluate/location.ts';
import type { LocationState, ResultRecord } from '../../shared/evaluate/index.ts';
import { advance, parseEntry, type MemoryEntry } from '../../shared/usecases/recheck.ts';
import { simulationCheck } from './simulation.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

describe('a location view with alerting.window', () => {
  it('crosses on the third failure of five, in step with the evaluator, through a stored round trip', () => {
    const check = simulationCheck({ alerting: { window: 5, failureThreshold: 3 } });
    const runs = [false, true, false, true, false, true, true];
    let entry: MemoryEntry | undefined;
    let evaluator: LocationState = freshLocation();
    const failing: boolean[] = [];
    runs.forEach((ok, i) => {
      const record: ResultRecord = { checkId: check.id, location: 'eu', ts: T0 + i * 10_000, ok, status: ok ? 'up' : 'down' };
      const advanced = advance(entry, record, { check, location: 'eu', endedAt: record.ts + 100, mayConfirm: false });
      // As the store gives it back: JSON, then the defensive parse.
      entry = advanced.entry && parseEntry(JSON.parse(JSON.stringify(advanced.entry)));
      evaluator = applyResult(evaluator, record, check.alerting);
      expect(entry?.view.failing ?? false).toBe(evaluator.failing);
      expect(entry?.view.recent).toBe(evaluator.recent);
      failing.push(evaluator.failing);
    });
    expect(failing).toEqual([false, false, false, false, true, true, false]);
  });
});

/**
 * `trigger` reaches the accounting on every path a result takes: a probe result, a stored item, a
 * replayed JSON line. Without it a recheck would count as a sample (README "SLOs": they are not).
 */
import { describe, expect, it } from 'vitest';
import { parseResultLines } from '../../../shared/evaluate/backtest.ts';
import { toResultRecord } from '../../../shared/evaluate/index.ts';
import { samplesOf } from '../../../shared/evaluate/slo/index.ts';
import type { ProbeResult } from '../../../shared/probe/types.ts';
import { fromResultItem, storedResultToRecord, toResultItem } from '../../../shared/store/items.ts';

const probe: ProbeResult = {
  checkId: 'api', kind: 'http', target: 'https://api.example.com/health', location: 'eu', startedAt: '2026-11-03T12:00:10.000Z',
  ok: false, status: 'down', phases: { connect: 5000, total: 5003 }, assertions: [], failure: { reason: 'connect_timeout', message: 'x' },
};
const MINUTE = Date.UTC(2026, 10, 3, 12, 0, 0);

describe('ResultRecord.trigger', () => {
  it('is carried from a probe result, and absent on a scheduled run', () => {
    expect(toResultRecord({ ...probe, trigger: 'confirm' }).trigger).toBe('confirm');
    expect(toResultRecord(probe)).not.toHaveProperty('trigger');
  });

  it('survives the results table', () => {
    const stored = fromResultItem(JSON.parse(JSON.stringify(toResultItem({ ...probe, trigger: 'recheck' }))) as object);
    expect(storedResultToRecord(stored).trigger).toBe('recheck');
    expect(storedResultToRecord(fromResultItem(JSON.parse(JSON.stringify(toResultItem(probe))) as object))).not.toHaveProperty('trigger');
  });

  it('is read from replay lines, and a triggered line is no sample', () => {
    const line = (extra: object) => JSON.stringify({ checkId: 'api', location: 'eu', ts: '2026-11-03T12:00:10Z', ok: true, status: 'up', latencyMs: 80, ...extra });
    const parsed = parseResultLines([line({}), line({ trigger: 'recheck', ts: '2026-11-03T12:00:20Z' }), line({ trigger: 'sometimes' })].join('\n'));
    expect(parsed.results.map((r) => r.record.trigger)).toEqual([undefined, 'recheck']);
    expect(parsed.issues).toEqual([{ line: 3, message: expect.stringMatching(/^trigger: /) as unknown as string }]);
    expect(samplesOf(parsed.results.map((r) => r.record), MINUTE).samples).toBe(1);
  });
});

/**
 * The local sweep's cadence: every minute as deployed, or every shortest interval when that is
 * shorter; a failing sweep is reported and the next one still runs.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { runSweeps, sweepEveryMs } from '../../dev/pipeline.ts';

const checks = (intervals: Array<[string, boolean]>) => loadConfigObject({
  defaults: { locations: ['a'], timeout: '1s' },
  checks: intervals.map(([interval, enabled], i) => ({ id: `c${i}`, interval, enabled, http: { url: 'http://127.0.0.1:9/' } })),
}).checks;

describe('sweepEveryMs', () => {
  it('is a minute for checks of a minute or more, and the shortest enabled interval below that', () => {
    expect(sweepEveryMs(checks([['5m', true], ['1m', true]]))).toBe(60_000);
    expect(sweepEveryMs(checks([['5m', true], ['5s', true], ['2s', false]]))).toBe(5_000);
  });
});

describe('runSweeps', () => {
  it('reports a failing sweep and goes on sweeping until stopped', async () => {
    const stop = new AbortController();
    const errors: unknown[] = [];
    let calls = 0;
    await runSweeps(1, stop.signal, async () => {
      calls++;
      if (calls === 3) stop.abort();
      if (calls === 1) throw new Error('table unavailable');
    }, (err) => errors.push(err));

    expect(calls).toBe(3);
    expect(errors).toEqual([new Error('table unavailable')]);
  });
});

/**
 * Late results, exactly once (issue 11 item 5), over histories shaped like the probe cycle (see
 * ./cycle-histories.ts): each location's results reach the evaluator 0..1 interval late, interleaved
 * across locations, with duplicates delivered again at any later time and a sweep every minute.
 * Bounds the statement needs (the generator keeps them): an outage lasts long enough for every
 * affected location to cross its threshold (an interval + 11 s per required failure), and outages are
 * at least 4 intervals + 60 s apart, so each resolution is released (every location reported after
 * the recovery began, however late) before the next outage starts.
 *
 * Each history is evaluated three ways: in ts order with no lag (the reference), and with the lagged
 * delivery by an eager store (writes every state) and by the real one (writes only when `changed`,
 * publishes the outbox with failures and crashes, passes heartbeats).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cycleScenarioArb } from './cycle-histories.ts';
import { describeTally, emptyTally, runHistory } from './late-harness.ts';

const HISTORIES = 10_000;

describe('late results, exactly once', () => {
  it(`${HISTORIES} probe-cycle histories with each location up to an interval late, duplicates and sweeps: one DOWN and one RESOLVED per outage, as many paging incidents as in ts order, nothing lost, lazy writes decide the same`, () => {
    const tally = emptyTally();
    let outages = 0;
    let lagged = 0;
    fc.assert(fc.property(cycleScenarioArb, (s) => {
      runHistory(s, tally);
      outages += s.outages.length;
      if (s.lags.slice(0, s.locations).some((l) => l > 0.5)) lagged += 1;
    }), { numRuns: HISTORIES, seed: 11_05 });
    // the histories must be the hard kind in earnest: many outages, and a location over half an interval late in many
    expect(outages).toBeGreaterThan(HISTORIES * 1.5);
    expect(lagged).toBeGreaterThan(HISTORIES / 5);
    // steady state writes nothing; during incidents every result may be written (the held resolution reads lastTs)
    expect(tally.steadyWrites).toBe(0);
    console.log(describeTally(tally));
  }, 120_000);
});

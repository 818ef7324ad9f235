import { describe, expect, it } from 'vitest';
import { costSection, costTarget, measureCost, type CostResult } from '../../bench/cost.ts';

describe('bench cost section', () => {
  // Prepare + Act: the estimates the bench reports, with the codec's sizes (no probe sample).
  const cost = measureCost({ root: process.cwd() });
  const [reference, withPhases] = cost.cases.map((c) => c.estimate);

  it('prices the reference config as deployed by default, and again with the phases as metrics', () => {
    expect(cost.cases.map((c) => c.config)).toEqual(['bench/reference-checks.yaml', 'bench/reference-checks.yaml', 'examples/demo.yaml']);
    expect(reference!.customMetrics).toBe(121);
    expect(withPhases!.customMetrics).toBe(421);
    expect(cost.notes).toEqual(['cost: item and EMF line sizes are estimated from the store codec and a representative result, not from a measured probe result']);
  });

  it('judges the target on the all-in figure, and shows the per-run and fixed parts beside it', () => {
    const e = reference!;
    const t = costTarget(cost);
    expect(t).toEqual({
      name: 'All-in cost per million check runs (reference config)',
      goal: '≤ $2',
      measured: `$${e.perMillionRunsUsd.toFixed(2)} (per-run costs $${e.perMillionRunsPerRunOnlyUsd.toFixed(2)} + fixed monthly $${(e.perMillionRunsUsd - e.perMillionRunsPerRunOnlyUsd).toFixed(2)})`,
      verdict: 'not met',
    });
    // 121 metrics at 1 minute: $0.60 a check × location is $13.70 a million on its own.
    expect(e.perMillionRunsUsd).toBeGreaterThan(13.7);
  });

  it('says met only when the all-in figure is within $2, and not measured when the section did not run', () => {
    const cheap: CostResult = { ...cost, cases: [{ ...cost.cases[0]!, estimate: { ...reference!, perMillionRunsUsd: 2 } }] };
    expect(costTarget(cheap).verdict).toBe('met');
    expect(costTarget(undefined, 'not selected (--only)')).toMatchObject({ verdict: 'not measured', why: 'not selected (--only)' });
  });

  it('states what is counted and why the fixed part decides the verdict', () => {
    const text = costSection(cost);
    expect(text).toContain('target $2.00 per million check runs, all-in: not met');
    expect(text).toContain('(121 custom metrics $36.30, 6 alarms $0.60, 657,000 idle delivery-queue polls $0.33, 1 dashboard $3.00, 2 KMS keys $2.00)');
    expect(text).toContain('at 1m a check × location runs 43,800 times a month, so its $0.60 of metrics alone is $13.70 per million of its runs');
  });
});

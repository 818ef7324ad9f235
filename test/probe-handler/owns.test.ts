/**
 * Per-round ownership (`ProbeCycleOptions.owns`, an agent instance's share): a run is taken by the
 * instance that owns its check when its round comes, not when the minute was planned, so a check moves
 * between instances mid-minute. Scripted prober, recording store and virtual clock from ./cycle-harness.ts.
 */
import { describe, expect, it } from 'vitest';
import { runProbeCycle } from '../../shared/usecases/probe-cycle.ts';
import { createProbeHandler } from '../../shared/usecases/probe-handler.ts';
import type { ProbeCycleSummary } from '../../shared/usecases/probe-cycle.ts';
import type { Context } from 'aws-lambda';
import type { Check } from '../../shared/config/schema.ts';
import { planMinute } from '../../shared/schedule.ts';
import { LOCATION, MINUTE, setup, URL } from './cycle-harness.ts';

const from = (t0: number) => (_id: string, at: number) => at >= t0;
const until = (t0: number) => (_id: string, at: number) => at < t0;

describe('runProbeCycle with owns', () => {
  it('leaves a run owned at plan time but not at its round, counting it in `others`, not `skipped`', async () => {
    const t = setup([{ id: 'fast', interval: '15s', ...URL }, { id: 'slow', ...URL }], {}, { owns: until(MINUTE + 20_000) });
    const asked: Array<[string, number]> = [];
    const owns = t.opts.owns!;
    t.opts.owns = (id, at) => {
      asked.push([id, t.at(at)]);
      return owns(id, at);
    };

    const { summary, results } = await runProbeCycle(t.opts);

    expect(results.map((r) => [r.checkId, t.at(Date.parse(r.startedAt))])).toEqual([['fast', 0], ['slow', 100], ['fast', 15_000]]);
    // Asked at each run's due time, not once at planning.
    expect(asked).toEqual([['fast', 0], ['slow', 0], ['fast', 15_000], ['fast', 30_000], ['fast', 45_000]]);
    expect(summary).toMatchObject({ due: 5, recorded: 3, others: 2, skipped: 0, rounds: 2 });
  });

  it('judges a run at its due time, not when a late round wakes: a passed round of its own runs at once', async () => {
    // The cycle starts 12 s late, so the round due at :00 runs at :12, after the check moved at :05.
    const mine = setup([{ id: 'api', ...URL }], {}, { owns: until(MINUTE + 5_000) }, 12_000);
    const theirs = setup([{ id: 'api', ...URL }], {}, { owns: from(MINUTE + 5_000) }, 12_000);

    const [a, b] = [await runProbeCycle(mine.opts), await runProbeCycle(theirs.opts)];

    // Both judge the run due at :00 by that moment: one runs it, the other leaves it.
    expect(a.results.map((r) => mine.at(Date.parse(r.startedAt)))).toEqual([12_000]);
    expect(b.summary).toMatchObject({ recorded: 0, others: 1 });
  });

  it('takes a run it did not own at plan time once it owns the check at its round', async () => {
    const t = setup([{ id: 'fast', interval: '15s', ...URL }], {}, { owns: from(MINUTE + 20_000) });

    const { summary, results } = await runProbeCycle(t.opts);

    expect(results.map((r) => t.at(Date.parse(r.startedAt)))).toEqual([30_000, 45_000]);
    expect(summary).toMatchObject({ due: 4, recorded: 2, others: 2, rounds: 2 });
  });

  it('leaves a recheck whose round comes after the check moved, and its retest (part of the run) stays with the run', async () => {
    const t = setup([{ id: 'api', alerting: { failureThreshold: 3 }, ...URL }], { api: ['down'] }, { owns: until(MINUTE + 5_000) });

    const { summary, results } = await runProbeCycle(t.opts);

    // The scheduled run at :00 with its immediate retest (100 ms later, recorded); the recheck due at
    // 10.2 s belongs to the new owner.
    expect(results.map((r) => [t.at(Date.parse(r.startedAt)), r.retries, r.trigger ?? 'scheduled'])).toEqual([[100, 1, 'scheduled']]);
    expect(summary).toMatchObject({ recorded: 1, rechecks: 0, others: 1 });
  });

  it('never filters a confirmation run, but leaves the recheck it leads to when the check is not owned then', async () => {
    const THREE = { locations: [LOCATION, 'us-east-1', 'ap-southeast-1'] };
    const t = setup([{ id: 'api', ...THREE, ...URL }], { api: ['down'] }, { owns: () => false }, 33_000);

    const { summary, results } = await runProbeCycle({ ...t.opts, confirmChecks: t.opts.checks });

    expect(results.map((r) => [r.checkId, r.trigger])).toEqual([['api', 'confirm']]);
    expect(summary).toMatchObject({ trigger: 'confirm', recorded: 1, others: 1 });
  });

  it('rechecks follow the owner: one left in memory past the minute runs on the instance that owns the check then', async () => {
    // Instance a owns the check until the next minute starts, b from then on; they share the location's memory.
    const a = setup([{ id: 'slow', interval: '5m', ...URL }], { slow: ['down'] });
    let m = MINUTE;
    while (planMinute(a.opts.checks, LOCATION, m).length === 0) m += 60_000;
    const next = m + 60_000;
    a.clock.t = m + 55_000; // late, so the recheck (10 s after the run) falls in the next minute
    await runProbeCycle({ ...a.opts, scheduledAt: new Date(m), instance: 'a', owns: until(next) });
    const recheckAt = (a.memory[LOCATION]!.slow as { recheckAt: number }).recheckAt;

    // Next minute: both instances plan it from the shared memory; only the owner runs it.
    a.clock.t = next;
    const onA = await runProbeCycle({ ...a.opts, scheduledAt: new Date(next), instance: 'a', owns: until(next) });
    a.clock.t = next;
    const onB = await runProbeCycle({ ...a.opts, scheduledAt: new Date(next), instance: 'b', owns: from(next) });

    expect(recheckAt).toBeGreaterThanOrEqual(next);
    expect(onA.summary).toMatchObject({ recorded: 0, others: 1 });
    expect(onB.summary).toMatchObject({ recorded: 1, rechecks: 1, others: 0 });
    expect(onB.results[0]).toMatchObject({ checkId: 'slow', trigger: 'recheck', instance: 'b' });
  });

  it('without owns, runs everything and reports others: 0', async () => {
    const t = setup([{ id: 'fast', interval: '15s', ...URL }]);

    const { summary } = await runProbeCycle(t.opts);

    expect(summary).toMatchObject({ recorded: 4, others: 0 });
  });
});

describe('createProbeHandler with owns', () => {
  it('passes owns to every scheduled cycle: a check owned by nobody here is not probed', async () => {
    const t = setup([{ id: 'mine', ...URL }, { id: 'theirs', ...URL }]);
    const probed: string[] = [];
    const handler = createProbeHandler({
      checks: t.opts.checks,
      location: LOCATION,
      store: t.store,
      owns: (id) => id === 'mine',
      clock: () => new Date(t.clock.t),
      sleep: t.opts.sleep,
      write: () => {},
      stopBeforeDeadlineMs: 0,
      runner: {
        registry: {
          http: async (check: Check) => {
            probed.push(check.id);
            return { checkId: check.id, kind: 'http', target: 't', startedAt: new Date(t.clock.t).toISOString(), ok: true, status: 'up', phases: { total: 1 }, assertions: [] };
          },
        } as never,
      },
    });

    const summary = await handler({ time: new Date(MINUTE).toISOString() }, {} as Context) as ProbeCycleSummary;

    expect(probed).toEqual(['mine']);
    expect(summary).toMatchObject({ recorded: 1, others: 1 });
  });
});

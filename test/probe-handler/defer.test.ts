/**
 * Continuations: a cycle whose next run is more than DEFER_AFTER_MS away hands its pending runs to
 * `defer` and ends, and the continuation (a ContinueRequest, after an SQS round trip through JSON)
 * runs them as the waiting invocation would have. Each scenario is run twice on the virtual clock of
 * ./cycle-harness.ts, once waiting in-process and once through continuations delivered the way
 * ../../shared/aws/sqs-defer.ts asks SQS to (DelaySeconds, one second early, plus the event source
 * mapping's latency), and the results must be the same.
 */
import { describe, expect, it } from 'vitest';
import { delaySeconds } from '../../shared/aws/sqs-defer.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { DEFER_AFTER_MS, runProbeCycle, STALE_AFTER_MS, type ProbeCycleOptions, type ProbeCycleOutcome } from '../../shared/usecases/probe-cycle.ts';
import type { ConfirmRequest, ContinueRequest } from '../../shared/usecases/probe-requests.ts';
import { LOCATION, MINUTE, setup, URL, type Outcome } from './cycle-harness.ts';

/** This location is the third of three: at 60 s it probes at :40. */
const THIRD = { locations: ['us-east-1', 'ap-southeast-1', LOCATION] };
/** The event source mapping's delivery after the delay (long polling answers within a fraction of a second). */
const ESM_LATENCY_MS = 300;

type Setup = ReturnType<typeof setup>;
interface Deferred { request: ContinueRequest; delayMs: number; sentAt: number }

/** The cycle, then every continuation it (and they) queued, each delivered as SQS would deliver it. */
async function withContinuations(t: Setup, over: Partial<ProbeCycleOptions> = {}) {
  const queued: Deferred[] = [];
  const defer = async (request: ContinueRequest, delayMs: number) => {
    queued.push({ request: JSON.parse(JSON.stringify(request)) as ContinueRequest, delayMs, sentAt: t.clock.t });
  };
  const outcomes: ProbeCycleOutcome[] = [await runProbeCycle({ ...t.opts, ...over, defer })];
  for (let i = 0; i < queued.length; i++) {
    const { request, delayMs, sentAt } = queued[i]!;
    t.clock.t = sentAt + delaySeconds(delayMs) * 1000 + ESM_LATENCY_MS;
    const resume = { runs: request.runs, confirm: request.confirm === true };
    outcomes.push(await runProbeCycle({ ...t.opts, ...over, defer, scheduledAt: new Date(request.scheduledAt), resume }));
  }
  return { outcomes, queued, results: outcomes.flatMap((o) => o.results) };
}

const shape = (results: ProbeResult[]) => results.map((r) => [r.checkId, Date.parse(r.startedAt) - MINUTE, r.trigger ?? 'scheduled', r.ok]);

describe('a cycle with a defer port', () => {
  it('hands the third location\'s :40 round to a continuation, which runs it at :40 exactly as the waiting cycle does', async () => {
    const list = [{ id: 'api', ...THIRD, ...URL }];
    const waiting = setup(list);
    const inProcess = await runProbeCycle(waiting.opts);
    const t = setup(list);

    const { outcomes, queued, results } = await withContinuations(t);

    expect(queued).toHaveLength(1);
    expect(queued[0]!.request).toEqual({ type: 'vantage.continue', scheduledAt: new Date(MINUTE).toISOString(), runs: [{ checkId: 'api', at: MINUTE + 40_000 }] });
    expect(queued[0]!.delayMs).toBe(40_000);
    expect(delaySeconds(queued[0]!.delayMs)).toBe(39);
    // The deferring invocation ran nothing and still wrote its heartbeat; the continuation slept the last 0.7 s.
    expect(outcomes[0]!.summary).toMatchObject({ deferred: 1, recorded: 0, rounds: 0, due: 1 });
    expect(t.heartbeats[0]).toMatchObject({ checksRun: 0 });
    expect(t.sleeps).toEqual([1_000 - ESM_LATENCY_MS]);
    expect(outcomes[1]!.summary).toMatchObject({ deferred: 0, recorded: 1, rounds: 1, due: 0, stale: 0 });
    expect(results).toEqual(inProcess.results);
    expect(shape(results)).toEqual([['api', 40_000, 'scheduled', true]]);
  });

  it('carries pending rechecks across deferrals, with the same runs, times and triggers as waiting', async () => {
    const list = [
      { id: 'api', alerting: { failureThreshold: 3, recheckInterval: '20s' }, ...URL },
      { id: 'late', ...THIRD, ...URL },
      { id: 'fast', interval: '30s', ...URL },
    ];
    const script: Record<string, Outcome[]> = { api: ['down'] };
    const waiting = setup(list, script);
    const inProcess = await runProbeCycle(waiting.opts);
    const t = setup(list, script);

    const { outcomes, queued, results } = await withContinuations(t);

    expect(shape(results)).toEqual(shape(inProcess.results));
    expect(results).toEqual(inProcess.results);
    // The rechecks themselves crossed: a continuation held api's recheck.
    expect(queued.some((q) => q.request.runs.some((r) => r.checkId === 'api' && r.trigger === 'recheck'))).toBe(true);
    expect(results.filter((r) => r.trigger === 'recheck')).toHaveLength(2);
    expect(t.memory[LOCATION]).toEqual(waiting.memory[LOCATION]);
    // Every wait that was left in-process is short: the early arrival, or a gap under DEFER_AFTER_MS.
    expect(Math.max(...t.sleeps)).toBeLessThanOrEqual(DEFER_AFTER_MS);
    expect(Math.max(...waiting.sleeps)).toBeGreaterThan(DEFER_AFTER_MS);
    expect(outcomes.reduce((n, o) => n + o.summary.deferred, 0)).toBe(queued.reduce((n, q) => n + q.request.runs.length, 0));
  });

  it('waits in-process when the continuation cannot be queued, reporting it: nothing is lost', async () => {
    const list = [{ id: 'api', ...THIRD, ...URL }];
    const errors: string[] = [];
    const t = setup(list, {}, {
      defer: async () => { throw Object.assign(new Error('boom'), { code: 'DEFER_FAILED' }); },
      onSideError: (what, err) => errors.push(`${what} ${(err as { code: string }).code}`),
    });

    const { summary, results } = await runProbeCycle(t.opts);

    expect(errors).toEqual(['defer DEFER_FAILED']);
    expect(summary).toMatchObject({ deferred: 0, recorded: 1 });
    expect(shape(results)).toEqual([['api', 40_000, 'scheduled', true]]);
    expect(t.sleeps).toEqual([40_000]);
  });

  it('waits in-process for a gap under DEFER_AFTER_MS', async () => {
    const t = setup([{ id: 'api', ...THIRD, ...URL }], {}, {}, 40_000 - DEFER_AFTER_MS);
    let deferred = 0;

    await runProbeCycle({ ...t.opts, defer: async () => { deferred++; } });

    expect(deferred).toBe(0);
    expect(t.sleeps).toEqual([DEFER_AFTER_MS]);
  });

  it('drops a continuation that arrives more than STALE_AFTER_MS after its runs were due, and ignores checks it does not run', async () => {
    const t = setup([{ id: 'api', ...THIRD, ...URL }]);
    const runs = [{ checkId: 'api', at: MINUTE + 40_000 }, { checkId: 'gone', at: MINUTE + 40_000 }];
    t.clock.t = MINUTE + 40_000 + STALE_AFTER_MS + 1;

    const stale = await runProbeCycle({ ...t.opts, resume: { runs, confirm: false } });
    t.clock.t = MINUTE + 40_000 + STALE_AFTER_MS;
    const justInTime = await runProbeCycle({ ...t.opts, resume: { runs, confirm: false } });

    expect(stale.summary).toMatchObject({ stale: 1, recorded: 0, rounds: 0 });
    expect(justInTime.summary).toMatchObject({ stale: 0, recorded: 1 });
    expect(t.calls.map((c) => c.id)).toEqual(['api']);
  });

  it('keeps a confirmation\'s continuation from sending confirmations', async () => {
    // Answering a confirmation at :05 for a check this location probed at :00: its run is due at :20
    // (recheckInterval after), 15 s away, so the cycle defers it. It fails there, leaving rest.
    const list = [{ id: 'api', alerting: { recheckInterval: '20s' }, locations: [LOCATION, 'us-east-1', 'ap-southeast-1'], ...URL }];
    const run = (continuationOfConfirm: boolean) => {
      const t = setup(list, { api: ['down'] }, {}, 5_000);
      const sent: ConfirmRequest[] = [];
      const confirm = async (_: string, request: ConfirmRequest) => { sent.push(request); };
      const lastRunAt = new Map([['api', MINUTE]]);
      return { t, sent, go: () => withContinuations(t, { confirm, lastRunAt, ...(continuationOfConfirm ? { confirmChecks: t.opts.checks } : {}) }) };
    };
    const answer = run(true);
    const { queued, results, outcomes } = await answer.go();

    expect(queued[0]!.request).toMatchObject({ confirm: true, runs: [{ checkId: 'api', at: MINUTE + 20_000, trigger: 'confirm' }] });
    // The recheck 20 s later was handed on again, still as a confirmation's.
    expect(queued[1]!.request).toMatchObject({ confirm: true, runs: [{ checkId: 'api', trigger: 'recheck' }] });
    expect(shape(results)).toEqual([['api', 20_100, 'confirm', false], ['api', 40_300, 'recheck', false]]);
    expect(outcomes.slice(1).map((o) => o.summary)).toMatchObject([{ trigger: 'confirm', confirmsSent: 0 }, { trigger: 'confirm', confirmsSent: 0 }]);
    expect(answer.sent).toEqual([]);
    // Control: the same failure in a scheduled cycle's continuation does ask.
    const t = setup(list, { api: ['down'] }, {}, 0);
    const sent: ConfirmRequest[] = [];
    t.clock.t = MINUTE + 20_000;
    await runProbeCycle({ ...t.opts, confirm: async (_, r) => { sent.push(r); }, resume: { runs: [{ checkId: 'api', at: MINUTE + 20_000 }], confirm: false } });
    expect(sent).toHaveLength(2);
  });
});

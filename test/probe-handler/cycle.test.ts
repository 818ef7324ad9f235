/**
 * The probe cycle with a scripted prober, a recording store and a virtual clock: which runs happen,
 * which retests, what is recorded, and what the signal stops. The handler test covers the same path
 * against a real HTTP server and DynamoDB Local.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { abortableSleep, runProbeCycle, type ProbeCycleOptions } from '../../shared/usecases/probe-cycle.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { UnprocessedItemsError } from '../../shared/store/errors.ts';

const MINUTE = new Date('2026-11-03T10:00:00.000Z');

function checks(list: Array<Record<string, unknown>>): Check[] {
  return loadConfigObject({ defaults: { locations: ['eu-west-1'] }, checks: list }).checks;
}

/** Outcomes per check id, consumed in order; the last one repeats. */
function scriptedProbe(script: Record<string, Array<'up' | 'down' | 'aborted'>>, clock: { t: number }) {
  const calls: Array<{ id: string; at: number }> = [];
  const probe = async (check: Check, signal: AbortSignal): Promise<ProbeResult> => {
    calls.push({ id: check.id, at: clock.t });
    const steps = script[check.id] ?? ['up'];
    const n = calls.filter((c) => c.id === check.id).length - 1;
    let outcome = steps[Math.min(n, steps.length - 1)]!;
    if (signal.aborted) outcome = 'aborted';
    return {
      checkId: check.id, kind: check.kind, target: 't', location: 'eu-west-1', startedAt: new Date(MINUTE.getTime() + clock.t + n).toISOString(),
      ok: outcome === 'up', status: outcome === 'up' ? 'up' : 'down', phases: { total: 1 }, assertions: [],
      ...(outcome !== 'up' && { failure: { reason: outcome === 'aborted' ? 'aborted' as const : 'connect_refused' as const, message: outcome } }),
    };
  };
  return { probe, calls };
}

function recordingStore(fail?: Error) {
  const written: ProbeResult[][] = [];
  const heartbeats: Array<{ location: string; checksRun: number; failures?: number }> = [];
  return {
    written,
    heartbeats,
    store: {
      putResults: async (results: readonly ProbeResult[]) => {
        if (fail) throw fail;
        written.push([...results]);
        return { written: results.length, calls: 1 };
      },
      putHeartbeat: async (location: string, info: { checksRun: number; failures?: number }) => {
        heartbeats.push({ location, checksRun: info.checksRun, failures: info.failures });
      },
    },
  };
}

function setup(list: Array<Record<string, unknown>>, script: Record<string, Array<'up' | 'down' | 'aborted'>> = {}, over: Partial<ProbeCycleOptions> = {}) {
  const clock = { t: 0 };
  const { probe, calls } = scriptedProbe(script, clock);
  const rec = recordingStore();
  const sleeps: number[] = [];
  const controller = new AbortController();
  const opts: ProbeCycleOptions = {
    checks: checks(list),
    location: 'eu-west-1',
    scheduledAt: MINUTE,
    probe,
    store: rec.store,
    signal: controller.signal,
    elapsed: () => clock.t,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    ...over,
  };
  return { opts, calls, sleeps, controller, clock, ...rec };
}

describe('runProbeCycle', () => {
  it('runs a 15 s check in four rounds and a minutely check once, then writes results and a heartbeat', async () => {
    const t = setup([
      { id: 'fast', interval: '15s', timeout: '2s', http: { url: 'http://127.0.0.1:1/' } },
      { id: 'slow', http: { url: 'http://127.0.0.1:1/' } },
    ]);

    const { summary, results } = await runProbeCycle(t.opts);

    expect(t.calls).toEqual([
      { id: 'fast', at: 0 }, { id: 'slow', at: 0 },
      { id: 'fast', at: 15_000 }, { id: 'fast', at: 30_000 }, { id: 'fast', at: 45_000 },
    ]);
    expect(t.sleeps).toEqual([15_000, 15_000, 15_000]);
    expect(results).toHaveLength(5);
    expect(t.written).toEqual([results]);
    expect(t.heartbeats).toEqual([{ location: 'eu-west-1', checksRun: 5, failures: 0 }]);
    expect(summary).toMatchObject({ rounds: 4, due: 5, recorded: 5, failed: 0, retested: 0, aborted: 0, skipped: 0, stoppedEarly: false });
  });

  it('retests a failure immediately, records the retest, and counts the retests on the result', async () => {
    const t = setup([
      { id: 'blip', http: { url: 'http://127.0.0.1:1/' } },
      { id: 'down', http: { url: 'http://127.0.0.1:1/' } },
      { id: 'no-retest', retries: 0, http: { url: 'http://127.0.0.1:1/' } },
      { id: 'stubborn', retries: 3, http: { url: 'http://127.0.0.1:1/' } },
    ], { blip: ['down', 'up'], down: ['down'], 'no-retest': ['down'], stubborn: ['down', 'down', 'up'] });

    const { summary, results } = await runProbeCycle(t.opts);

    expect(results.map((r) => [r.checkId, r.ok, r.retries])).toEqual([
      ['blip', true, 1], ['down', false, 1], ['no-retest', false, 0], ['stubborn', true, 2],
    ]);
    expect(t.calls.map((c) => c.id)).toEqual(['blip', 'down', 'no-retest', 'stubborn', 'blip', 'down', 'stubborn', 'stubborn']);
    expect(summary).toMatchObject({ recorded: 4, failed: 2, retested: 3, failedChecks: ['down', 'no-retest'] });
  });

  it('stops at the signal: no further round or retest, and what was measured is still written', async () => {
    const controller = new AbortController();
    const t = setup([{ id: 'fast', interval: '15s', timeout: '2s', http: { url: 'http://127.0.0.1:1/' } }], {}, {
      signal: controller.signal,
      sleep: async () => controller.abort(), // the deadline arrives while waiting for the second round
    });

    const { summary } = await runProbeCycle(t.opts);

    expect(t.calls).toHaveLength(1);
    expect(t.written.flat()).toHaveLength(1);
    expect(t.heartbeats).toHaveLength(1);
    expect(summary).toMatchObject({ due: 4, recorded: 1, skipped: 3, stoppedEarly: true });
  });

  it('records no result for a probe the signal cut short, but keeps a real failure whose retest was cut short', async () => {
    const t = setup([
      { id: 'cut', http: { url: 'http://127.0.0.1:1/' } },
      { id: 'failed-then-cut', http: { url: 'http://127.0.0.1:1/' } },
    ], { cut: ['aborted'], 'failed-then-cut': ['down', 'aborted'] });

    const { summary, results } = await runProbeCycle(t.opts);

    expect(results.map((r) => [r.checkId, r.ok, r.retries, r.failure?.reason])).toEqual([['failed-then-cut', false, 0, 'connect_refused']]);
    expect(summary).toMatchObject({ recorded: 1, aborted: 1, failed: 1 });
  });

  it('writes a heartbeat when nothing is due, and none when the results could not be written', async () => {
    const idle = setup([{ id: 'other-place', locations: ['us-east-1'], http: { url: 'http://127.0.0.1:1/' } }]);
    const broken = setup([{ id: 'a', http: { url: 'http://127.0.0.1:1/' } }]);
    const failing = recordingStore(new UnprocessedItemsError(0, [{ pk: 'CHECK#a', sk: 'RESULT#x' }], 8));

    const idleOutcome = await runProbeCycle(idle.opts);
    const error = await runProbeCycle({ ...broken.opts, store: failing.store }).catch((e: unknown) => e);

    expect(idleOutcome.summary).toMatchObject({ rounds: 0, due: 0, recorded: 0 });
    expect(idle.heartbeats).toEqual([{ location: 'eu-west-1', checksRun: 0, failures: 0 }]);
    expect(error).toMatchObject({ code: 'STORE_UNPROCESSED_ITEMS' });
    expect(failing.heartbeats).toEqual([]);
  });
});

describe('a prober that ignores the signal', () => {
  it('is not waited for past a short grace, so the results are still written', async () => {
    const controller = new AbortController();
    const t = setup([
      { id: 'quick', http: { url: 'http://127.0.0.1:1/' } },
      { id: 'stuck', http: { url: 'http://127.0.0.1:1/' } },
    ], {}, { signal: controller.signal });
    const scripted = t.opts.probe;
    t.opts.probe = (check, signal) => (check.id === 'stuck' ? new Promise<ProbeResult>(() => {}) : scripted(check, signal));
    setTimeout(() => controller.abort(), 20);

    const { summary } = await runProbeCycle(t.opts);

    expect(summary).toMatchObject({ recorded: 1, aborted: 1, stoppedEarly: true });
    expect(t.written.flat().map((r) => r.checkId)).toEqual(['quick']);
  });
});

describe('abortableSleep', () => {
  it('ends early without throwing when the signal fires, and at once when it already has', async () => {
    const controller = new AbortController();
    const pending = abortableSleep(60_000, controller.signal);
    controller.abort();

    await expect(pending).resolves.toBeUndefined();
    await expect(abortableSleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});

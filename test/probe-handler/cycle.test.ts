/**
 * The probe cycle with a scripted prober, a recording store and a virtual clock (injected `now` and
 * `sleep`: no real waiting): which runs happen and when, which retests and rechecks, what each round
 * writes, which confirmations go out, and what the signal stops. The memory methods of the recording
 * store are an in-memory map here; test/probe-handler/handler.test.ts and test/store cover the real
 * item on DynamoDB Local.
 */
import { describe, expect, it } from 'vitest';
import { abortableSleep, runProbeCycle } from '../../shared/usecases/probe-cycle.ts';
import type { ConfirmRequest } from '../../shared/usecases/probe-requests.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { UnprocessedItemsError } from '../../shared/store/errors.ts';
import { LOCATION, MINUTE, recordingStore, setup, URL } from './cycle-harness.ts';

describe('runProbeCycle: the timeline', () => {
  it('runs a 15 s check in four rounds and a minutely check once, writing after every round', async () => {
    const t = setup([{ id: 'fast', interval: '15s', timeout: '2s', ...URL }, { id: 'slow', ...URL }]);

    const { summary, results } = await runProbeCycle(t.opts);

    expect(t.calls.map((c) => [c.id, t.at(c.at)])).toEqual([['fast', 0], ['slow', 100], ['fast', 15_000], ['fast', 30_000], ['fast', 45_000]]);
    expect(results).toHaveLength(5);
    expect(t.written.map((batch) => batch.map((r) => r.checkId))).toEqual([['fast', 'slow'], ['fast'], ['fast'], ['fast']]);
    // One heartbeat after each round (the sweep judges silence by them), then the cycle's own.
    expect(t.heartbeats).toEqual([2, 1, 1, 1, 5].map((checksRun) => ({ location: LOCATION, checksRun, failures: 0 })));
    expect(summary).toMatchObject({ trigger: 'scheduled', rounds: 4, due: 5, recorded: 5, rechecks: 0, failed: 0, retested: 0, aborted: 0, skipped: 0, stoppedEarly: false });
  });

  it('keeps the stagger when the invocation starts late: rounds are at minute start + offset, a passed one at once', async () => {
    const three = { locations: ['ap-southeast-1', LOCATION, 'us-east-1'] };
    const late = setup([{ id: 'api', ...three, ...URL }, { id: 'fast', interval: '30s', ...three, ...URL }], {}, {}, 12_000);

    await runProbeCycle(late.opts);

    // Second of three locations: phase 20 s at 60 s, 10 s at 30 s. The 10 s round had passed at 12 s.
    expect(late.calls.map((c) => [c.id, late.at(c.at)])).toEqual([['fast', 12_000], ['api', 20_000], ['fast', 40_000]]);
    expect(late.sleeps[0]).toBe(20_000 - 12_100);
  });

  it('retests a failure immediately and records the retest, counting it on the result', async () => {
    const t = setup([
      { id: 'blip', ...URL },
      { id: 'no-retest', retries: 0, alerting: { failureThreshold: 1 }, ...URL },
      { id: 'stubborn', retries: 3, ...URL },
    ], { blip: ['down', 'up'], 'no-retest': ['down'], stubborn: ['down', 'down', 'up'] });

    const { summary, results } = await runProbeCycle(t.opts);

    expect(results.map((r) => [r.checkId, r.ok, r.retries])).toEqual([['blip', true, 1], ['no-retest', false, 0], ['stubborn', true, 2]]);
    expect(summary).toMatchObject({ recorded: 3, failed: 1, retested: 2, rechecks: 0, failedChecks: ['no-retest'] });
  });

  it('stops at the signal: no further round or retest, and what was measured is still written', async () => {
    const controller = new AbortController();
    const t = setup([{ id: 'fast', interval: '15s', timeout: '2s', ...URL }], {}, {
      signal: controller.signal,
      sleep: async () => controller.abort(), // the deadline arrives while waiting for the second round
    });

    const { summary } = await runProbeCycle(t.opts);

    expect(t.calls).toHaveLength(1);
    expect(t.written.flat()).toHaveLength(1);
    expect(t.heartbeats).toHaveLength(2); // the round's and the cycle's
    expect(summary).toMatchObject({ due: 4, recorded: 1, skipped: 3, stoppedEarly: true });
  });

  it('records no result for a probe the signal cut short, but keeps a real failure whose retest was cut short', async () => {
    const t = setup([{ id: 'cut', ...URL }, { id: 'failed-then-cut', ...URL }], { cut: ['aborted'], 'failed-then-cut': ['down', 'aborted'] });

    const { summary, results } = await runProbeCycle(t.opts);

    // The failure is undecided, so it is rechecked; that recheck too is cut short and not recorded.
    expect(results.map((r) => [r.checkId, r.ok, r.retries, r.failure?.reason])).toEqual([['failed-then-cut', false, 0, 'connect_refused']]);
    expect(summary).toMatchObject({ recorded: 1, aborted: 2, failed: 1 });
  });

  it('writes a heartbeat when nothing is due, and none when the results could not be written', async () => {
    const idle = setup([{ id: 'other-place', locations: ['us-east-1'], ...URL }]);
    const broken = setup([{ id: 'a', ...URL }]);
    const failing = recordingStore(new UnprocessedItemsError(0, [{ pk: 'CHECK#a', sk: 'RESULT#x' }], 8));

    const idleOutcome = await runProbeCycle(idle.opts);
    const error = await runProbeCycle({ ...broken.opts, store: failing.store }).catch((e: unknown) => e);

    expect(idleOutcome.summary).toMatchObject({ rounds: 0, due: 0, recorded: 0 });
    expect(idle.heartbeats).toEqual([{ location: LOCATION, checksRun: 0, failures: 0 }]);
    expect(error).toMatchObject({ code: 'STORE_UNPROCESSED_ITEMS' });
    expect(failing.heartbeats).toEqual([]);
  });

  it('stamps the instance on results that carry none and on the heartbeat, and retests with `retest`', async () => {
    const t = setup([{ id: 'a', ...URL }, { id: 'b', ...URL }], { a: ['down'], b: ['down'] });
    const retested: string[] = [];
    t.opts.instance = '1';
    t.opts.retest = async (check) => {
      retested.push(check.id);
      return { checkId: check.id, kind: check.kind, target: 't', location: LOCATION, startedAt: new Date(t.clock.t).toISOString(), ok: check.id === 'a', status: check.id === 'a' ? 'up' : 'down', phases: { total: 1 }, assertions: [], instance: '2' };
    };

    const { results } = await runProbeCycle(t.opts);

    expect(retested.slice(0, 2)).toEqual(['a', 'b']);
    expect(results.slice(0, 2).map((r) => [r.checkId, r.ok, r.instance])).toEqual([['a', true, '2'], ['b', false, '2']]);
    expect(t.heartbeats.length).toBeGreaterThan(0);
    expect(t.heartbeats.every((h) => (h as { instance?: string }).instance === '1')).toBe(true);
  });
});

describe('runProbeCycle: rechecks', () => {
  it('rechecks an undecided failure every recheckInterval after the run ended, until the threshold is decided', async () => {
    const t = setup([{ id: 'api', alerting: { failureThreshold: 3 }, ...URL }], { api: ['down'] });

    const { results, summary } = await runProbeCycle(t.opts);

    // Each run (attempt + retest) takes 200 ms; the next starts 10 s after it ended.
    expect(results.map((r) => [t.at(Date.parse(r.startedAt)), r.trigger ?? 'scheduled'])).toEqual([[100, 'scheduled'], [10_300, 'recheck'], [20_500, 'recheck']]);
    expect(t.written).toHaveLength(3);
    expect(summary).toMatchObject({ recorded: 3, rechecks: 2, failed: 3 });
    // Failing now (decided): the entry stays, with no recheck due.
    expect(t.memory[LOCATION]!.api).toMatchObject({ view: { failing: true, consecutiveFailures: 3 } });
    expect(t.memory[LOCATION]!.api).not.toHaveProperty('recheckAt');
  });

  it('rechecks a recovery while failing, and forgets the check at rest: steady state writes no memory', async () => {
    const t = setup([{ id: 'api', ...URL }], { api: ['down', 'down', 'down', 'down', 'up'] });

    await runProbeCycle(t.opts);
    const next = { ...t.opts, scheduledAt: new Date(MINUTE + 60_000) };
    t.clock.t = MINUTE + 60_000;
    const writesBefore = t.memoryWrites.length;
    const { results } = await runProbeCycle(next);
    t.clock.t = MINUTE + 120_000;
    const writesAtRest = t.memoryWrites.length;
    await runProbeCycle({ ...t.opts, scheduledAt: new Date(MINUTE + 120_000) });

    // Minute 2: the first success while failing is undecided, the recheck 10 s later recovers.
    expect(results.map((r) => [r.ok, r.trigger ?? 'scheduled'])).toEqual([[true, 'scheduled'], [true, 'recheck']]);
    expect(t.memoryWrites.length).toBeGreaterThan(writesBefore);
    expect(t.memory[LOCATION]).toEqual({});
    // Minute 3, all up: one memory read per round, no write.
    expect(t.memoryWrites.length).toBe(writesAtRest);
  });

  it('lets a scheduled run due before the recheck replace it', async () => {
    const t = setup([{ id: 'fast', interval: '15s', alerting: { failureThreshold: 3, recheckInterval: '20s' }, ...URL }], { fast: ['down'] });

    const { results } = await runProbeCycle(t.opts);

    expect(results.map((r) => [t.at(Date.parse(r.startedAt)), r.trigger ?? 'scheduled'])).toEqual([[100, 'scheduled'], [15_100, 'scheduled'], [30_100, 'scheduled'], [45_100, 'scheduled']]);
  });

  it('leaves a recheck past the minute in memory, and the next invocation runs it when due in a minute the check is not scheduled', async () => {
    const t = setup([{ id: 'slow', interval: '5m', ...URL }], { slow: ['down'] });
    // Find this 5-minute check's minute and start there, 55 s in, so its recheck falls in the next minute.
    let m = MINUTE;
    while ((await import('../../shared/schedule.ts')).planMinute(t.opts.checks, LOCATION, m).length === 0) m += 60_000;
    t.clock.t = m + 55_000;

    const first = await runProbeCycle({ ...t.opts, scheduledAt: new Date(m) });
    const entry = t.memory[LOCATION]!.slow as { recheckAt: number };
    t.clock.t = m + 60_000;
    const second = await runProbeCycle({ ...t.opts, scheduledAt: new Date(m + 60_000) });

    expect(first.results).toHaveLength(1);
    expect(entry.recheckAt).toBe(m + 55_200 + 10_000);
    expect(second.summary).toMatchObject({ due: 0, recorded: 1, rechecks: 1 });
    // Attempt at recheckAt, retest 100 ms later: the retest is what is recorded.
    expect(Date.parse(second.results[0]!.startedAt)).toBe(entry.recheckAt + 100);
  });
});

describe('runProbeCycle: confirmations', () => {
  const THREE = { locations: [LOCATION, 'us-east-1', 'ap-southeast-1'] };

  function sender() {
    const sent: Array<{ location: string; request: ConfirmRequest }> = [];
    return { sent, confirm: async (location: string, request: ConfirmRequest) => { sent.push({ location, request }); } };
  }

  it('asks the other locations when the view leaves rest, at most once per direction per interval, and forgets the bound after it', async () => {
    const s = sender();
    const list = [{ id: 'api', retries: 0, alerting: { failureThreshold: 3 }, ...THREE, ...URL }, { id: 'solo', ...URL }];
    // Minute 1 starts 5 s late: api fails at :05 (asks), its recheck passes (rest again). Minute 2, on
    // time, fails at 1:00, 55 s after asking: within the interval, so it does not ask again.
    const t = setup(list, { api: ['down', 'up', 'down', 'up', 'up'], solo: ['down'] }, { confirm: s.confirm }, 5_000);

    await runProbeCycle(t.opts);
    const bound = structuredClone(t.memory[LOCATION]!.api);
    t.clock.t = MINUTE + 60_000;
    await runProbeCycle({ ...t.opts, scheduledAt: new Date(MINUTE + 60_000) });
    t.clock.t = MINUTE + 120_000;
    await runProbeCycle({ ...t.opts, scheduledAt: new Date(MINUTE + 120_000) });

    // solo has no other location, so confirm defaults to false for it.
    expect(s.sent.map((x) => [x.location, x.request.checkIds, x.request.from, x.request.requestedAt])).toEqual([
      ['us-east-1', ['api'], LOCATION, new Date(MINUTE + 5_000).toISOString()],
      ['ap-southeast-1', ['api'], LOCATION, new Date(MINUTE + 5_000).toISOString()],
    ]);
    expect(bound).toEqual({ view: expect.objectContaining({ failing: false, consecutiveFailures: 0 }), confirmedAt: { down: MINUTE + 5_100 } });
    expect(t.memory[LOCATION]).not.toHaveProperty('api');
  });

  it('never lets a failing sender fail or hold up the cycle, and reports it', async () => {
    const errors: string[] = [];
    const t = setup([{ id: 'api', ...THREE, ...URL }], { api: ['down'] }, {
      confirm: async () => { throw Object.assign(new Error('boom'), { code: 'INVOKE_FAILED' }); },
      onSideError: (what, err, location) => errors.push(`${what} ${location} ${(err as { code: string }).code}`),
    });

    const { summary } = await runProbeCycle(t.opts);

    expect(summary).toMatchObject({ recorded: 2, confirmsSent: 0 });
    expect(errors).toEqual(['confirm us-east-1 INVOKE_FAILED', 'confirm ap-southeast-1 INVOKE_FAILED']);
  });

  it('answers a confirmation by running the checks at once, with rechecks, never asking anyone, and one probed moments ago recheckInterval after that run', async () => {
    const s = sender();
    const list = [{ id: 'api', ...THREE, ...URL }, { id: 'recent', ...THREE, ...URL }];
    const t = setup(list, { api: ['down'] }, { confirm: s.confirm }, 33_000);
    const all = t.opts.checks;
    const lastRunAt = new Map([['recent', MINUTE + 30_000]]);

    const { results, summary } = await runProbeCycle({ ...t.opts, confirmChecks: all, lastRunAt });

    expect(results.map((r) => [r.checkId, t.at(Date.parse(r.startedAt)), r.trigger])).toEqual([['api', 33_100, 'confirm'], ['recent', 40_000, 'confirm'], ['api', 43_300, 'recheck']]);
    expect(summary).toMatchObject({ trigger: 'confirm', due: 2, confirmsSent: 0 });
    expect(s.sent).toEqual([]);
  });
});

describe('a prober that ignores the signal', () => {
  it('is not waited for past a short grace, so the results are still written', async () => {
    const controller = new AbortController();
    const t = setup([{ id: 'quick', ...URL }, { id: 'stuck', ...URL }], {}, { signal: controller.signal });
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

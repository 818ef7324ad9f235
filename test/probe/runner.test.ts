/** The runner's own duties: deadline, status, crash containment and the concurrency limit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { PROBERS, runChecks, runProbe } from '../../shared/probe/index.ts';
import type { ProberRegistry } from '../../shared/probe/types.ts';
import { startHttp, type Running } from '../support/http-servers.ts';
import { hangBound } from '../support/timing.ts';

let server: Running;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = await startHttp((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const delay = req.url === '/slow' ? 1_500 : req.url === '/hold' ? 100 : 0;
    setTimeout(() => { inFlight--; res.writeHead(200).end('ok'); }, delay);
  });
});
afterAll(() => server.close());

function checks(specs: Array<Record<string, unknown>>, defaults: Record<string, unknown> = {}): Check[] {
  return loadConfigObject({ defaults: { timeout: '3s', interval: '60s', ...defaults }, checks: specs }).checks;
}

describe('runChecks', () => {
  it('never has more than `concurrency` probes in flight', async () => {
    maxInFlight = 0;
    const list = checks(Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, http: { url: server.url('/hold') } })));
    const results = await runChecks(list, { concurrency: 3 });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('a slow target occupies one slot and does not inflate the others\' timings', async () => {
    const list = checks([
      { id: 'slow', http: { url: server.url('/slow') } },
      ...Array.from({ length: 8 }, (_, i) => ({ id: `fast${i}`, http: { url: server.url('/') } })),
    ]);
    const results = await runChecks(list, { concurrency: 4 });
    const slow = results.find((r) => r.checkId === 'slow')!;
    expect(slow.phases.total).toBeGreaterThanOrEqual(1_400);
    // Each fast probe is timed from its own start, not from when the batch started.
    for (const r of results.filter((x) => x.checkId !== 'slow')) expect(r.phases.total).toBeLessThan(slow.phases.total / 2);
  });

  it('returns results in the order of the checks', async () => {
    const list = checks([{ id: 'a', http: { url: server.url('/slow') } }, { id: 'b', http: { url: server.url('/') } }]);
    expect((await runChecks(list, { concurrency: 2 })).map((r) => r.checkId)).toEqual(['a', 'b']);
  });
});

describe('runProbe', () => {
  const [check] = checks([{ id: 'x', http: { url: 'http://127.0.0.1:9/' } }], { timeout: '300ms' });

  it('answers for a prober that ignores its signal, at the timeout plus a small grace', async () => {
    const registry: ProberRegistry = { ...PROBERS, http: () => new Promise(() => {}) };
    const t0 = performance.now();
    const r = await runProbe(check!, { registry });
    // This prober never settles: without the runner's own guard there would be no answer at all.
    expect(performance.now() - t0).toBeLessThan(hangBound(300));
    expect(r).toMatchObject({ ok: false, status: 'down', failure: { reason: 'timeout' } });
  });

  it('turns a prober crash into an internal failure, never an exception', async () => {
    const registry: ProberRegistry = { ...PROBERS, http: async () => { throw new TypeError('boom'); } };
    const r = await runProbe(check!, { registry });
    expect(r.failure).toEqual({ reason: 'internal', message: 'prober crashed: boom' });
  });

  it('reports a probe cancelled from outside as aborted', async () => {
    const controller = new AbortController();
    const [slow] = checks([{ id: 's', http: { url: server.url('/slow') } }]);
    setTimeout(() => controller.abort(), 50);
    const r = await runProbe(slow!, { signal: controller.signal });
    expect(r.failure?.reason).toBe('aborted');
  });

  it('marks a passing probe slower than degradedAfter as degraded', async () => {
    const [slow] = checks([{ id: 's', http: { url: server.url('/hold'), degradedAfter: '20ms' } }]);
    const r = await runProbe(slow!);
    expect([r.ok, r.status]).toEqual([true, 'degraded']);
  });
});

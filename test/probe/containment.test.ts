/**
 * Errors a prober raises where no caller sees them end that probe only: each check still gets its
 * own result, and the others (real probes against a local server) are unaffected. The process-level
 * handlers are the real ones (installProbeContainment), installed in this test process.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { installProbeContainment } from '../../shared/probe/containment.ts';
import { PROBERS, runChecks, runProbe } from '../../shared/probe/index.ts';
import type { ProbeFn, ProberRegistry } from '../../shared/probe/types.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

let server: Running;
let uninstall: () => void;
const logged: string[] = [];

beforeAll(async () => {
  server = await startHttp((_req, res) => res.writeHead(200).end('ok'));
  uninstall = installProbeContainment({ log: (line) => logged.push(line) });
});
afterAll(async () => {
  uninstall();
  await server.close();
});

const never = new Promise<never>(() => {});

/** Each fake fails the way a buggy prober can, then never answers: only containment ends it. */
const CRASHES: Record<string, ProbeFn> = {
  // A socket-like emitter whose 'error' nobody listens for: Node throws it from the emit.
  'emitter-error': () => {
    const socket = new EventEmitter();
    setTimeout(() => socket.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 5);
    return never;
  },
  'unawaited-rejection': () => {
    setTimeout(() => { void Promise.reject(new Error('nobody awaited this')); }, 5);
    return never;
  },
  'timer-throw': () => {
    setTimeout(() => { throw new TypeError('cannot read properties of undefined'); }, 5);
    return never;
  },
};

/** Dispatches on the URL path: `/crash/<kind>` goes to a fake, anything else to the real HTTP prober. */
const registry: ProberRegistry = {
  ...PROBERS,
  http: (check, ctx) => {
    const kind = new URL(check.http.url).pathname.split('/')[2];
    return kind ? CRASHES[kind]!(check, ctx) : PROBERS.http(check, ctx);
  },
};

function checks(specs: Array<Record<string, unknown>>): Check[] {
  return loadConfigObject({ defaults: { timeout: '5s', interval: '60s' }, checks: specs }).checks;
}

describe('runner containment', () => {
  it('gives every check its own result when some probers crash asynchronously', async () => {
    const list = checks([
      ...Object.keys(CRASHES).map((kind) => ({ id: kind, http: { url: server.url(`/crash/${kind}`) } })),
      ...Array.from({ length: 6 }, (_, i) => ({ id: `real${i}`, http: { url: server.url(`/ok${i}`) } })),
    ]);
    const t0 = performance.now();
    const results = await runChecks(list, { concurrency: 4, registry });
    const ms = performance.now() - t0;

    expect(results.map((r) => r.checkId)).toEqual(list.map((c) => c.id));
    for (const r of results.filter((x) => x.checkId?.startsWith('real'))) expect([r.checkId, r.ok, r.status]).toEqual([r.checkId, true, 'up']);
    const byId = Object.fromEntries(results.map((r) => [r.checkId, r]));
    expect(byId['emitter-error']).toMatchObject({ ok: false, status: 'down', failure: { reason: 'internal', message: 'prober crashed asynchronously: Error: read ECONNRESET (ECONNRESET)' } });
    expect(byId['unawaited-rejection']?.failure).toEqual({ reason: 'internal', message: 'prober crashed asynchronously: Error: nobody awaited this' });
    expect(byId['timer-throw']?.failure).toEqual({ reason: 'internal', message: 'prober crashed asynchronously: TypeError: cannot read properties of undefined' });
    // Contained at once, not at the 5 s timeout.
    expect(ms).toBeLessThan(5000);
  });

  it('aborts the crashed prober\'s signal, so whatever it still holds is let go', async () => {
    let signal: AbortSignal | undefined;
    const own: ProberRegistry = { ...PROBERS, http: (_check, ctx) => {
      signal = ctx.signal;
      setTimeout(() => { throw new Error('late bug'); }, 5);
      return never;
    } };
    const [check] = checks([{ id: 'x', http: { url: server.url('/') } }]);
    const r = await runProbe(check!, { registry: own });
    expect(r.failure?.reason).toBe('internal');
    expect(signal?.aborted).toBe(true);
  });

  it('logs, and otherwise ignores, an error from a prober whose probe already ended', async () => {
    let emitted = false;
    const late: ProberRegistry = { ...PROBERS, http: async (check) => {
      const socket = new EventEmitter();
      // Scheduled by the prober, so in its scope, and fired after its result is in.
      setTimeout(() => { emitted = true; socket.emit('error', new Error('after the result')); }, 50);
      return { target: check.http.url, ok: true, phases: { total: 1 }, assertions: [] };
    } };
    const [check] = checks([{ id: 'ended', http: { url: server.url('/') } }]);
    const r = await runProbe(check!, { registry: late });
    expect(r.ok).toBe(true);
    expect(emitted).toBe(false);
    await expect.poll(() => logged.length).toBeGreaterThan(0);
    expect(logged.at(-1)).toBe('vantage: ignored an error from the prober of ended after its probe ended: Error: after the result');
  });

  it('passes an error raised outside every probe to the handlers installed before it', async () => {
    // The test runner's own handlers are set aside so this deliberate error does not fail the run.
    uninstall();
    const saved = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const seen: unknown[] = [];
    process.on('uncaughtException', (err) => seen.push(err));
    const remove = installProbeContainment({ log: (line) => logged.push(line) });
    try {
      const err = new Error('not a probe\'s');
      await new Promise<void>((resolve) => setTimeout(() => { resolve(); throw err; }, 0));
      await expect.poll(() => seen.length).toBe(1);
      expect(seen[0]).toBe(err);
    } finally {
      remove();
      process.removeAllListeners('uncaughtException');
      for (const l of saved) process.on('uncaughtException', l);
      uninstall = installProbeContainment({ log: (line) => logged.push(line) });
    }
  });
});

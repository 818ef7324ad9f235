/**
 * The probe ticker invokes each location's handler like EventBridge `rate(1 minute)`: at once for the
 * current minute, then at every minute boundary, overlapping a slow invocation rather than waiting for
 * it; it routes confirmation requests to the other locations' handlers; a stopped location writes
 * nothing and answers nothing, and starts again at once. The schedule is pinned on a virtual clock
 * (an injected `now` and `sleep`); the last cases drive the real probe handler against a local server.
 */
import http from 'node:http';
import net from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { gateWrites, runProbeTicker, startProbeTicker, type ProbeTickerOptions } from '../../dev/probe-ticker.ts';
import type { ProbeHandlerDeps } from '../../shared/usecases/probe-handler.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import type { HeartbeatInfo } from '../../shared/store/items.ts';
import { createStore } from '../../shared/store/dynamo.ts';

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if (s instanceof http.Server) s.closeAllConnections();
    await new Promise((done) => s.close(done));
  }
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as net.AddressInfo).port;
}

function memoryStore() {
  const results: ProbeResult[] = [];
  const heartbeats: Array<{ location: string } & HeartbeatInfo> = [];
  return {
    results,
    heartbeats,
    store: {
      putResults: async (rs: readonly ProbeResult[]) => { results.push(...rs); return { written: rs.length, calls: 1 }; },
      putHeartbeat: async (location: string, info: HeartbeatInfo) => { heartbeats.push({ location, ...info }); },
    } as unknown as ProbeHandlerDeps['store'],
  };
}

/** Resolves once `condition` holds, checked on every event-loop turn; the test's timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 3, 10, 0, 20);
const config = (locations: string[]) => loadConfigObject({
  defaults: { locations, interval: '5s', timeout: '1s', retries: 0 },
  checks: [{ id: 'api', http: { url: 'http://127.0.0.1:9/' } }],
}).checks;

interface Invocation { location: string; event: Record<string, unknown>; at: number; deps: ProbeHandlerDeps }

/**
 * A ticker on a virtual clock whose handlers only record what they were invoked with. `sleep` moves
 * the clock on by what was asked, so the boundaries come from the ticker's arithmetic alone.
 */
function virtualTicker(locations: string[], opts: { hold?: Promise<void>; startMs?: number; agents?: Pick<ProbeTickerOptions, 'agentLocations' | 'agentInbox'> } = {}) {
  const clock = { ms: opts.startMs ?? T0 };
  const invocations: Invocation[] = [];
  const stop = new AbortController();
  const errors: unknown[] = [];
  let finished = 0;
  const ticker = startProbeTicker({
    checks: config(locations),
    store: memoryStore().store,
    signal: stop.signal,
    ...opts.agents,
    write: () => {},
    onError: (_l, e) => errors.push(e),
    now: () => clock.ms,
    sleep: async (ms) => {
      // Every location waits on one clock: a wait ends at its own deadline, not after the others'.
      const until = clock.ms + ms;
      await new Promise((r) => setImmediate(r));
      clock.ms = Math.max(clock.ms, until);
    },
    createHandler: ((deps: ProbeHandlerDeps) => async (event: Record<string, unknown>) => {
      invocations.push({ location: deps.location, event, at: clock.ms, deps });
      await opts.hold;
      finished++;
    }) as unknown as ProbeTickerOptions['createHandler'],
  });
  return { clock, invocations, stop, ticker, errors, finished: () => finished };
}

const times = (inv: Invocation[], location: string) => inv.filter((i) => i.location === location && i.event.source === 'aws.events').map((i) => [Date.parse(String(i.event.time)) - T0, i.at - T0]);

describe('startProbeTicker on a virtual clock', () => {
  it('invokes each location at once for the current minute, then at every minute boundary with that minute as `time`', async () => {
    const v = virtualTicker(['a', 'b']);
    await until(() => v.invocations.length >= 6);
    v.stop.abort();
    await v.ticker.done;

    // [scheduled minute, when invoked], relative to a start at 10:00:20.
    const expected = [[-20_000, 0], [40_000, 40_000], [100_000, 100_000]];
    expect(times(v.invocations, 'a').slice(0, 3)).toEqual(expected);
    expect(times(v.invocations, 'b').slice(0, 3)).toEqual(expected);
    expect(v.invocations[0]!.event).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-11-03T10:00:00Z' });
    expect(v.errors).toEqual([]);
  });

  it('does not wait for a slow invocation: the next minute overlaps it, as Lambda allows', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => { release = r; });
    const v = virtualTicker(['a'], { hold });
    await until(() => v.invocations.length >= 3);

    // Three invocations started, a minute apart, while the first had not finished.
    expect(times(v.invocations, 'a').slice(0, 3).map(([, at]) => at)).toEqual([0, 40_000, 100_000]);
    expect(v.finished()).toBe(0);
    v.stop.abort();
    release();
    await v.ticker.done;
  });

  it('routes a confirmation request to the other location\'s handler, and a stopped one drops it', async () => {
    const v = virtualTicker(['a', 'b']);
    await until(() => v.invocations.length >= 2);
    const confirm = v.invocations.find((i) => i.location === 'a')!.deps.confirm!;
    const request = { type: 'vantage.confirm' as const, checkIds: ['api'], from: 'a', requestedAt: new Date(T0).toISOString() };

    await confirm('b', request);
    expect(v.invocations.filter((i) => i.event.type === 'vantage.confirm')).toEqual([expect.objectContaining({ location: 'b', event: request })]);

    expect(v.ticker.stop('b')).toBe(true);
    await confirm('b', request);
    expect(v.invocations.filter((i) => i.event.type === 'vantage.confirm')).toHaveLength(1);
    v.stop.abort();
    await v.ticker.done;
  });

  it('does not tick an agent location, and sends confirmations to it to its inbox', async () => {
    const inbox: Array<[string, unknown]> = [];
    const v = virtualTicker(['a', 'edge'], { agents: { agentLocations: new Set(['edge']), agentInbox: async (location, request) => { inbox.push([location, request]); } } });
    await until(() => v.invocations.length >= 2);
    expect(v.ticker.locations).toEqual(['a']);
    expect(new Set(v.invocations.map((i) => i.location))).toEqual(new Set(['a']));
    expect(v.ticker.start('edge')).toBe(false);

    const confirm = v.invocations[0]!.deps.confirm!;
    const request = { type: 'vantage.confirm' as const, checkIds: ['api'], from: 'a', requestedAt: new Date(T0).toISOString() };
    await confirm('edge', request);
    expect(inbox).toEqual([['edge', request]]);
    expect(v.invocations.filter((i) => i.event.type === 'vantage.confirm')).toEqual([]);
    v.stop.abort();
    await v.ticker.done;
  });

  it('delivers a continuation (the SQS delay queue\'s part) to the same location after its delay, and drops it once the location is stopped', async () => {
    const v = virtualTicker(['a', 'b'], { startMs: T0 + 5_000 });
    await until(() => v.invocations.length >= 2);
    const defer = v.invocations.find((i) => i.location === 'a')!.deps.defer!;
    const request = { type: 'vantage.continue' as const, scheduledAt: new Date(T0 - 20_000).toISOString(), runs: [{ checkId: 'api', at: T0 + 35_000 }] };
    const asked = v.clock.ms;

    await defer(request, 28_000);
    await until(() => v.invocations.some((i) => i.event.type === 'vantage.continue'));
    const delivered = v.invocations.filter((i) => i.event.type === 'vantage.continue');
    expect(delivered).toEqual([expect.objectContaining({ location: 'a', event: request })]);
    expect(delivered[0]!.at - asked).toBeGreaterThanOrEqual(28_000);

    expect(v.ticker.stop('a')).toBe(true);
    await defer(request, 1_000);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(v.invocations.filter((i) => i.event.type === 'vantage.continue')).toHaveLength(1);
    v.stop.abort();
    await v.ticker.done;
  });

  it('a stopped location is not invoked again until started, and then at once for the current minute', async () => {
    const v = virtualTicker(['a', 'b']);
    await until(() => v.invocations.length >= 2);
    expect(v.ticker.stop('a')).toBe(true);
    expect(v.ticker.stop('a')).toBe(false);
    expect(v.ticker.state('a')).toBe('stopped');
    await until(() => times(v.invocations, 'b').length >= 3);
    expect(times(v.invocations, 'a')).toHaveLength(1);

    const restartedAt = v.clock.ms;
    expect(v.ticker.start('a')).toBe(true);
    expect(v.ticker.start('a')).toBe(false);
    expect(v.ticker.start('nowhere')).toBe(false);
    const again = v.invocations.filter((i) => i.location === 'a')[1]!;
    expect(again.at).toBe(restartedAt);
    expect(Date.parse(String(again.event.time))).toBe(Math.floor(restartedAt / MINUTE) * MINUTE);
    v.stop.abort();
    await v.ticker.done;
  });
});

describe('gateWrites', () => {
  it('drops every write of the real Store once closed and passes reads', async () => {
    const calls: string[] = [];
    const store = createStore({ client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 't' });
    const names = Object.keys(store);
    const fake = Object.fromEntries(names.map((n) => [n, async () => { calls.push(n); return 'real'; }]));
    const closed = new AbortController();
    const gated = gateWrites(fake, closed.signal) as Record<string, () => Promise<unknown>>;
    closed.abort();

    for (const n of names) await gated[n]!();

    // Whatever still reaches the store must be a read; a write under another name would show here.
    expect(calls.length).toBeGreaterThan(0);
    for (const n of calls) expect(n).toMatch(/^(get|list)/);
    expect(await gated.putResults!()).toEqual({ written: 0, calls: 0 });
  });
});

describe('runProbeTicker with the real probe handler', () => {
  it('records results from every location, naming it in the User-Agent, and stops promptly', async () => {
    const agents: string[] = [];
    const port = await listen(http.createServer((req, res) => { agents.push(String(req.headers['user-agent'])); res.end('ok'); }));
    const checks = loadConfigObject({ defaults: { locations: ['a', 'b'], interval: '1s', timeout: '500ms', retries: 0 }, checks: [{ id: 'api', http: { url: `http://127.0.0.1:${port}/` } }] }).checks;
    const mem = memoryStore();
    const stop = new AbortController();

    const running = runProbeTicker({ checks, store: mem.store, signal: stop.signal, write: () => {}, onError: (l, e) => { throw new Error(`${l}: ${String(e)}`); } });
    await until(() => ['a', 'b'].every((l) => mem.results.some((r) => r.location === l)));
    stop.abort();
    await running;

    expect(mem.results.every((r) => r.ok && r.checkId === 'api')).toBe(true);
    for (const l of ['a', 'b']) expect(agents).toContain(`Vantage/1.0 (location=${l})`);
  });

  it('stopping a location cancels its probes in flight and records nothing from it, heartbeat included', async () => {
    // Accepts connections and reads (so it sees the client hang up) but never answers.
    const port = await listen(net.createServer((socket) => socket.resume()));
    const checks = loadConfigObject({ defaults: { locations: ['a', 'b'], interval: '30s', timeout: '20s', retries: 1 }, checks: [{ id: 'hang', http: { url: `http://127.0.0.1:${port}/` } }] }).checks;
    const mem = memoryStore();
    const stop = new AbortController();
    let connections = 0;
    servers.at(-1)!.on('connection', () => connections++);
    const ticker = startProbeTicker({ checks, store: mem.store, signal: stop.signal, write: () => {}, onError: () => {} });
    await until(() => connections >= 2);

    ticker.stop('a');
    const t0 = performance.now();
    stop.abort();
    await ticker.done;

    // Half the probes' 20 s timeout: room for any stall, and far short of waiting the probes out.
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(mem.results).toEqual([]);
    expect(mem.heartbeats.filter((h) => h.location === 'a')).toEqual([]);
  });
});

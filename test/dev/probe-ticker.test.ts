/**
 * The probe ticker drives the real probe handler once per round: grouping by location and interval,
 * results from each location at the interval, and a stop that cancels probes in flight without
 * recording them.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Context } from 'aws-lambda';
import { planTickGroups, runProbeTicker } from '../../dev/probe-ticker.ts';
import { createProbeHandler } from '../../shared/usecases/probe-handler.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import type { HeartbeatInfo } from '../../shared/store/items.ts';

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
    },
  };
}

describe('planTickGroups', () => {
  it('makes one group per location and sub-minute interval (as one-minute checks), and one per location for the rest', () => {
    const config = loadConfigObject({
      defaults: { locations: ['a', 'b'], timeout: '1s' },
      checks: [
        { id: 'fast', interval: '1s', http: { url: 'http://127.0.0.1:1/' } },
        { id: 'fast-too', interval: '1s', locations: ['a'], http: { url: 'http://127.0.0.1:1/' } },
        { id: 'medium', interval: '15s', http: { url: 'http://127.0.0.1:1/' } },
        { id: 'slow', interval: '5m', http: { url: 'http://127.0.0.1:1/' } },
        { id: 'off', interval: '1s', enabled: false, http: { url: 'http://127.0.0.1:1/' } },
      ],
    });

    const groups = planTickGroups(config.checks).map((g) => ({ ...g, checks: g.checks.map((c) => [c.id, c.interval]) }));

    expect(groups).toEqual([
      { location: 'a', everyMs: 1_000, onMinute: false, checks: [['fast', 60_000], ['fast-too', 60_000]] },
      { location: 'b', everyMs: 1_000, onMinute: false, checks: [['fast', 60_000]] },
      { location: 'a', everyMs: 15_000, onMinute: false, checks: [['medium', 60_000]] },
      { location: 'b', everyMs: 15_000, onMinute: false, checks: [['medium', 60_000]] },
      { location: 'a', everyMs: 60_000, onMinute: true, checks: [['slow', 300_000]] },
      { location: 'b', everyMs: 60_000, onMinute: true, checks: [['slow', 300_000]] },
    ]);
  });
});

/** Resolves once `condition` holds, checked on every event-loop turn; the test's timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

/**
 * The ticker with a virtual clock: `now` reads `clock.ms`, and each invocation of the real probe
 * handler records the time it was invoked for, then moves the clock on by what `roundMs` says the
 * round took. The ticker's sleeps are real but last only what is left of the interval on the
 * virtual clock, so the schedule is decided by the ticker's arithmetic alone, not by how busy the
 * machine is.
 */
async function tickVirtually(opts: { checks: ReturnType<typeof loadConfigObject>['checks']; startMs: number; rounds: number; roundMs: (invokedFor: number) => number }) {
  const clock = { ms: opts.startMs };
  const invokedFor: number[] = [];
  const stop = new AbortController();
  const mem = memoryStore();
  await runProbeTicker({
    checks: opts.checks,
    store: mem.store,
    signal: stop.signal,
    write: () => {},
    onError: (l, e) => { throw new Error(`${l}: ${String(e)}`); },
    now: () => clock.ms,
    createHandler: ((deps) => {
      const handler = createProbeHandler(deps);
      return async (event: { time: string }, context: Context) => {
        const at = Date.parse(event.time);
        invokedFor.push(at);
        const out = await handler(event, context);
        clock.ms = at + opts.roundMs(at);
        if (invokedFor.length === opts.rounds) stop.abort();
        return out;
      };
    }) as typeof createProbeHandler,
  });
  return { invokedFor: invokedFor.map((t) => t - opts.startMs), mem };
}

describe('runProbeTicker', () => {
  it('writes a result per location every interval through the probe handler, naming the location in the User-Agent', async () => {
    const agents: string[] = [];
    const port = await listen(http.createServer((req, res) => { agents.push(String(req.headers['user-agent'])); res.end('ok'); }));
    const config = loadConfigObject({ defaults: { locations: ['a', 'b'], interval: '250ms', timeout: '200ms', retries: 0 }, checks: [{ id: 'api', http: { url: `http://127.0.0.1:${port}/` } }] });
    const mem = memoryStore();
    const stop = new AbortController();

    const running = runProbeTicker({ checks: config.checks, store: mem.store, signal: stop.signal, write: () => {}, onError: (l, e) => { throw new Error(`${l}: ${String(e)}`); } });
    // Stops on what happened rather than after a fixed time; the cadence is pinned below, on a virtual clock.
    const of = (location: string) => mem.results.filter((r) => r.location === location);
    await until(() => of('a').length >= 3 && of('b').length >= 3);
    stop.abort();
    await running;

    for (const location of ['a', 'b']) {
      const mine = of(location);
      expect(mine.every((r) => r.ok && r.checkId === 'api')).toBe(true);
      expect(mem.heartbeats.filter((h) => h.location === location).length).toBe(mine.length);
      expect(agents).toContain(`Vantage/1.0 (location=${location})`);
      // Each round is its own invocation: one result each, started an interval or more after the last.
      const starts = mine.map((r) => Date.parse(r.startedAt));
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(250 - 5);
    }
  });

  it('invokes each interval on the interval\'s grid when rounds fit in it', async () => {
    const port = await listen(http.createServer((_req, res) => res.end('ok')));
    const config = loadConfigObject({ defaults: { locations: ['a'], interval: '250ms', timeout: '200ms', retries: 0 }, checks: [{ id: 'api', http: { url: `http://127.0.0.1:${port}/` } }] });

    const { invokedFor, mem } = await tickVirtually({ checks: config.checks, startMs: Date.UTC(2026, 10, 3, 10, 0, 0), rounds: 5, roundMs: () => 240 });

    expect(invokedFor).toEqual([0, 250, 500, 750, 1000]);
    expect(mem.results).toHaveLength(5);
  });

  it('skips the ticks a round overran instead of running them back to back', async () => {
    const port = await listen(http.createServer((_req, res) => res.end('ok')));
    const config = loadConfigObject({ defaults: { locations: ['a'], interval: '250ms', timeout: '200ms', retries: 0 }, checks: [{ id: 'api', http: { url: `http://127.0.0.1:${port}/` } }] });

    // Rounds take 600 ms of a 250 ms interval: the ticks at 250 and 500 are missed, 750 is next.
    const { invokedFor } = await tickVirtually({ checks: config.checks, startMs: Date.UTC(2026, 10, 3, 10, 0, 0), rounds: 3, roundMs: () => 600 });

    expect(invokedFor).toEqual([0, 750, 1500]);
  });

  it('invokes checks of a minute or more at minute boundaries, as EventBridge rate(1 minute) does', async () => {
    const port = await listen(http.createServer((_req, res) => res.end('ok')));
    const config = loadConfigObject({ defaults: { locations: ['a'], interval: '5m', timeout: '1s', retries: 0 }, checks: [{ id: 'api', http: { url: `http://127.0.0.1:${port}/` } }] });
    const minute = 60_000;
    // Starts mid-minute; each round ends 5 ms before the next boundary, so the real sleeps stay short.
    const start = Date.UTC(2026, 10, 3, 10, 0, 20);
    const endsBeforeNextMinute = (at: number) => (Math.floor(at / minute) + 1) * minute - 5 - at;

    const { invokedFor } = await tickVirtually({ checks: config.checks, startMs: start, rounds: 3, roundMs: endsBeforeNextMinute });

    expect(invokedFor).toEqual([0, 40_000, 100_000]);
  });

  it('stops promptly with probes in flight, and records none of them', async () => {
    // Accepts connections and never answers, so every probe would run to its 20 s timeout.
    // Reads (so it sees the client hang up) but never answers.
    const port = await listen(net.createServer((socket) => socket.resume()));
    const config = loadConfigObject({ defaults: { locations: ['a', 'b'], interval: '30s', timeout: '20s', retries: 1 }, checks: [{ id: 'hang', http: { url: `http://127.0.0.1:${port}/` } }] });
    const mem = memoryStore();
    const stop = new AbortController();
    let connections = 0;
    servers.at(-1)!.on('connection', () => connections++);
    const running = runProbeTicker({ checks: config.checks, store: mem.store, signal: stop.signal, write: () => {}, onError: () => {} });
    // Both locations' probes are in flight once the target has both connections.
    await until(() => connections >= 2);

    const t0 = performance.now();
    stop.abort();
    await running;

    // Half the probes' 20 s timeout: room for any stall, and far short of waiting the probes out.
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(mem.results).toEqual([]);
  });
});

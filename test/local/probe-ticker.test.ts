/**
 * The probe ticker drives the real probe handler once per round: grouping by location and interval,
 * results from each location at the interval, and a stop that cancels probes in flight without
 * recording them.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { planTickGroups, runProbeTicker } from '../../shared/local/probe-ticker.ts';
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

describe('runProbeTicker', () => {
  it('writes a result per location every interval through the probe handler, naming the location in the User-Agent', async () => {
    const agents: string[] = [];
    const port = await listen(http.createServer((req, res) => { agents.push(String(req.headers['user-agent'])); res.end('ok'); }));
    const config = loadConfigObject({ defaults: { locations: ['a', 'b'], interval: '250ms', timeout: '200ms', retries: 0 }, checks: [{ id: 'api', http: { url: `http://127.0.0.1:${port}/` } }] });
    const mem = memoryStore();
    const stop = new AbortController();

    const running = runProbeTicker({ checks: config.checks, store: mem.store, signal: stop.signal, write: () => {}, onError: (l, e) => { throw new Error(`${l}: ${String(e)}`); } });
    await new Promise((r) => setTimeout(r, 1_100));
    stop.abort();
    await running;

    for (const location of ['a', 'b']) {
      const mine = mem.results.filter((r) => r.location === location);
      // Rounds at 0, 250, 500, 750 and 1000 ms; a busy machine may lose one.
      expect(mine.length).toBeGreaterThanOrEqual(4);
      expect(mine.length).toBeLessThanOrEqual(5);
      expect(mine.every((r) => r.ok && r.checkId === 'api')).toBe(true);
      expect(mem.heartbeats.filter((h) => h.location === location).length).toBe(mine.length);
      expect(agents).toContain(`Vantage/1.0 (location=${location})`);
    }
  });

  it('stops promptly with probes in flight, and records none of them', async () => {
    // Accepts connections and never answers, so every probe would run to its 20 s timeout.
    // Reads (so it sees the client hang up) but never answers.
    const port = await listen(net.createServer((socket) => socket.resume()));
    const config = loadConfigObject({ defaults: { locations: ['a', 'b'], interval: '30s', timeout: '20s', retries: 1 }, checks: [{ id: 'hang', http: { url: `http://127.0.0.1:${port}/` } }] });
    const mem = memoryStore();
    const stop = new AbortController();
    const running = runProbeTicker({ checks: config.checks, store: mem.store, signal: stop.signal, write: () => {}, onError: () => {} });
    await new Promise((r) => setTimeout(r, 300));

    const t0 = performance.now();
    stop.abort();
    await running;

    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(mem.results).toEqual([]);
  });
});

/**
 * The demo targets on 127.0.0.1 (free ports here; the fixed ones belong to `npm start`), with an
 * injected clock for the outage schedule.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_BANNER, DEMO_OUTAGE, DemoPortBusyError, outagePhase, startDemoTargets, type DemoEvent, type DemoTargets } from '../../dev/demo-targets.ts';

let demo: DemoTargets | undefined;
afterEach(async () => { await demo?.stop(); demo = undefined; });

const free = { api: 0, tcp: 0, receiver: 0 };

describe('outagePhase', () => {
  it('fails from 20 s after launch for 40 s, then every 2 minutes', () => {
    expect(outagePhase(0, DEMO_OUTAGE)).toEqual({ failing: false, untilMs: 20_000 });
    expect(outagePhase(20_000, DEMO_OUTAGE)).toEqual({ failing: true, untilMs: 60_000 });
    expect(outagePhase(59_999, DEMO_OUTAGE)).toEqual({ failing: true, untilMs: 60_000 });
    expect(outagePhase(60_000, DEMO_OUTAGE)).toEqual({ failing: false, untilMs: 140_000 });
    expect(outagePhase(140_000, DEMO_OUTAGE)).toEqual({ failing: true, untilMs: 180_000 });
  });
});

describe('demo targets', () => {
  it('serves /health by the schedule, /slow after the delay, the TCP banner, and reports webhook posts', async () => {
    let now = 1_000_000;
    const events: DemoEvent[] = [];
    demo = await startDemoTargets({ ports: free, now: () => now, slowMs: 200, onEvent: (e) => events.push(e) });
    const base = `http://127.0.0.1:${demo.ports.api}`;

    const healthy = await fetch(`${base}/health`);
    expect([healthy.status, await healthy.json()]).toEqual([200, { status: 'ok' }]);
    now += 25_000;
    const failing = await fetch(`${base}/health`);
    expect([failing.status, (await failing.json() as { status: string }).status]).toEqual([503, 'failing']);

    const t0 = performance.now();
    expect((await fetch(`${base}/slow`)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);

    const banner = await new Promise<string>((resolve, reject) => {
      let text = '';
      const s = net.connect(demo!.ports.tcp, '127.0.0.1');
      s.on('data', (c: Buffer) => { text += c.toString(); });
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    expect(banner).toBe(DEMO_BANNER);

    const posted = await fetch(`http://127.0.0.1:${demo.ports.receiver}/hook`, {
      method: 'POST', body: JSON.stringify({ event: 'DOWN', checkId: 'demo-api' }), headers: { 'vantage-event': 'DOWN', 'vantage-delivery-attempt': '2' },
    });
    expect(posted.status).toBe(204);
    expect(events.filter((e) => e.type === 'receiver')).toEqual([{ type: 'receiver', path: '/hook', attempt: 2, body: { event: 'DOWN', checkId: 'demo-api' } }]);
    expect(events[0]).toMatchObject({ type: 'demo_ready', api: base });
    expect(events[1]).toEqual({ type: 'demo_outage', failing: false, forMs: 20_000 });
  });

  it('says which port is busy and why, and leaves none of its own listening', async () => {
    const squatter = net.createServer();
    await new Promise<void>((done) => squatter.listen(0, '127.0.0.1', done));
    const busy = (squatter.address() as net.AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const api = (probe.address() as net.AddressInfo).port;
    await new Promise((done) => probe.close(done));
    try {
      const started = startDemoTargets({ ports: { api, tcp: 0, receiver: busy } });
      await expect(started).rejects.toThrow(DemoPortBusyError);
      await expect(started).rejects.toThrow(new RegExp(`webhook receiver cannot listen on 127\\.0\\.0\\.1:${busy}: the port is already in use`));
      // The API had started before the receiver failed; it was closed again.
      await new Promise<void>((done, fail) => probe.once('error', fail).listen(api, '127.0.0.1', done));
      await new Promise((done) => probe.close(done));
    } finally {
      await new Promise((done) => squatter.close(done));
    }
  });
});

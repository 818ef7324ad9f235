/**
 * End to end: stopping and starting a location of a running `vantage dev` through its control URL.
 * Three locations at a 2 s interval against a healthy target this test runs; one of them is stopped.
 * Nothing is then recorded from it, the sweep (or the other locations' results) finds it silent after
 * 3 intervals and LOCATION_SILENT reaches the check's webhook; started again, its results resume.
 *
 * The test synchronises on the `--json` events and on what the receiver gets. It asserts lower bounds
 * only (silence is not reported before 3 intervals have passed); the waits are hang guards.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listenLoopback, webhookReceiver, type ReceivedHook } from '../support/http-servers.ts';
import { collectDev, stopDev, DEV_LOCATIONS, spawnDev, writeDevConfig } from '../support/dev-pipeline.ts';
import { waitFor } from '../support/processes.ts';

const LOCATIONS = DEV_LOCATIONS;
const STOPPED = 'ap-southeast-1';
const INTERVAL_MS = 2_000;

type Hook = ReceivedHook<{ event: string; checkId: string; locations?: Array<{ location: string }> }>;
type DevEvent = { ts: string; type: string; at: number } & Record<string, unknown>;

let target: http.Server;
const { server: receiver, hooks } = webhookReceiver<Hook['body']>();
let workdir: string;
let child: ChildProcess;
let childExit: Promise<unknown>;
const events: DevEvent[] = [];
let stderr = '';
let control: string;

/** The last events (and what else helps) when a wait times out. */
const lastSeen = () => `last events:\n${events.slice(-15).map((e) => JSON.stringify(e)).join('\n')}\nhooks: ${JSON.stringify(hooks.map((h) => h.body.event))}\nstderr:\n${stderr}`;
const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs: number) => waitFor(what, probe, timeoutMs, lastSeen);

const silentHooks = (location: string) => hooks.filter((h) => h.body.event === 'LOCATION_SILENT' && h.body.locations?.some((l) => l.location === location));
const resultsOf = (location: string, since = 0) => events.filter((e) => e.type === 'result' && e.location === location && e.at >= since);

beforeAll(async () => {
  target = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  const [targetPort, receiverPort] = [await listenLoopback(target), await listenLoopback(receiver)];

  workdir = mkdtempSync(join(tmpdir(), 'vantage-e2e-control-'));
  const config = writeDevConfig(workdir, { checkId: 'e2e-control', targetPort, receiverPort, intervalSeconds: INTERVAL_MS / 1000, timeout: '1s' });

  child = spawnDev(config);
  childExit = collectDev(child, events, (text) => { stderr += text; });

  await until('the ready event', () => events.some((e) => e.type === 'ready'), 60_000);
  control = String((await until('the control event', () => events.find((e) => e.type === 'control'), 5_000)).url);
  await until('a result from every location', () => LOCATIONS.every((l) => resultsOf(l).length > 0), 20_000);
}, 90_000);

afterAll(async () => {
  await stopDev(child, childExit);
  await Promise.all([closeServer(target), closeServer(receiver)]);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('vantage dev control URL', () => {
  it('is a loopback URL that names unknown locations 404', async () => {
    expect(control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${control}/locations/nowhere/stop`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ locations: LOCATIONS });
  });

  it('a stopped location records nothing, and LOCATION_SILENT for it reaches the channel after 3 intervals', async () => {
    const lastBefore = Math.max(...resultsOf(STOPPED).map((e) => Date.parse(e.ts)));
    const res = await fetch(`${control}/locations/${STOPPED}/stop`, { method: 'POST' });
    const stoppedAt = Date.now();
    expect(await res.json()).toEqual({ location: STOPPED, state: 'stopped', changed: true });
    await until('the location_stopped event', () => events.some((e) => e.type === 'location_stopped' && e.location === STOPPED), 5_000);

    const silent = await until(`LOCATION_SILENT for ${STOPPED} at the receiver`, () => silentHooks(STOPPED).find((h) => h.at >= stoppedAt), 60_000);
    console.log(`LOCATION_SILENT reached the receiver ${silent.at - stoppedAt} ms after the stop (interval ${INTERVAL_MS} ms)`);
    expect(silent.body.checkId).toBe('e2e-control');
    // Silence is 3 intervals without a result, counted from the last one it wrote.
    expect(silent.at - lastBefore).toBeGreaterThanOrEqual(3 * INTERVAL_MS);

    // A write already under way at the stop may still land; no probe that started after it does,
    // and nothing at all arrives once that write has had an interval to finish.
    expect(resultsOf(STOPPED).filter((e) => Date.parse(e.ts) > stoppedAt)).toEqual([]);
    expect(resultsOf(STOPPED, stoppedAt + INTERVAL_MS)).toEqual([]);
    // The others kept probing all along.
    for (const l of LOCATIONS.filter((x) => x !== STOPPED)) expect(resultsOf(l, stoppedAt + INTERVAL_MS).length).toBeGreaterThan(0);
    expect(hooks.filter((h) => h.body.event === 'DOWN')).toEqual([]);
  }, 90_000);

  it('started again, its results resume', async () => {
    const res = await fetch(`${control}/locations/${STOPPED}/start`, { method: 'POST' });
    const startedAt = Date.now();
    expect(await res.json()).toEqual({ location: STOPPED, state: 'running', changed: true });

    const resumed = await until('a result from the restarted location', () => resultsOf(STOPPED, startedAt).find((e) => e.ok === true), 30_000);
    console.log(`${STOPPED} recorded again ${resumed.at - startedAt} ms after the start`);
    expect(events.some((e) => e.type === 'location_started' && e.location === STOPPED)).toBe(true);
    expect(hooks.filter((h) => h.body.event === 'DOWN')).toEqual([]);
  }, 45_000);

  it('no location that kept writing results was reported silent', () => {
    const others = LOCATIONS.filter((l) => l !== STOPPED);
    expect(others.flatMap((l) => silentHooks(l).map((h) => ({ location: l, at: new Date(h.at).toISOString() })))).toEqual([]);
  });
});

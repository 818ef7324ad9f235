/**
 * End to end: `vantage dev` delivering one check's alerts to a channel with Slack, PagerDuty and a
 * signed webhook (its secret from `${env:…}`), all receivers on 127.0.0.1, through the notifier
 * code on the local FIFO queue. The PagerDuty receiver answers 500 to its first 3 requests, so the
 * DOWN is retried while the check recovers: the RESOLVED must wait behind it in its FIFO group.
 * What must hold: every receiver accepts DOWN before RESOLVED and nothing twice, PagerDuty gets a
 * trigger then a resolve of one dedup_key, the failing target's streak raises CHANNEL_FAILING on the
 * other targets, and `vantage channels test --endpoint` through the running pipeline reports each
 * target delivered.
 *
 * The test synchronises on the `--json` events and on what the receivers get; it asserts no timing
 * upper bound (the waits only keep a broken run from hanging).
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../shared/alert/channels/signature.ts';
import { runCli } from '../support/cli.ts';
import { collectDev, stopDev, DEV_LOCATIONS, spawnDev, writeDevConfig } from '../support/dev-pipeline.ts';
import { startHttp, type Running } from '../support/http-servers.ts';
import { waitFor } from '../support/processes.ts';

const CHECK = 'e2e-channels';
const HOOK_SECRET = 'e2e-signing-secret-0123';
const PD_KEY = 'E2EROUTINGKEY000000000000000000';
/** Requests the PagerDuty receiver refuses with 500 before it accepts. */
const PD_FAILURES = 3;

interface Hit { path: string; at: number; status: number; headers: http.IncomingHttpHeaders; body: string }
type DevEvent = { ts: string; type: string } & Record<string, unknown>;

let failing = false;
let target: Running;
let receiver: Running;
const hits: Hit[] = [];
let pdSeen = 0;

let workdir: string;
let config: string;
let child: ChildProcess;
let childExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
const events: DevEvent[] = [];
let stderr = '';

const lastSeen = () => `last events:\n${events.slice(-20).map((e) => JSON.stringify(e)).join('\n')}\nhits: ${JSON.stringify(hits.map((h) => [h.path, h.status, eventOf(h)]))}\nstderr:\n${stderr}`;
const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs: number) => waitFor(what, probe, timeoutMs, lastSeen);

/** The Vantage event a request carried, from what each kind of receiver gets. */
function eventOf(h: Hit): string {
  const body = JSON.parse(h.body) as Record<string, unknown>;
  if (h.path === '/hook') return String(body.event);
  if (h.path === '/slack') return /^\[(\w+)\]/.exec(String((body.attachments as Array<{ fallback?: string }>)[0]?.fallback))?.[1] ?? '?';
  return String(body.event_action);
}
/** What a receiver accepted (2xx), in arrival order. */
const accepted = (path: string) => hits.filter((h) => h.path === path && h.status < 300);

beforeAll(async () => {
  target = await startHttp((_req, res) => { res.writeHead(failing ? 503 : 200).end(failing ? 'down' : 'ok'); });
  receiver = await startHttp((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      const path = req.url ?? '';
      const status = path === '/pd' && ++pdSeen <= PD_FAILURES ? 500 : path === '/pd' ? 202 : 200;
      hits.push({ path, at: Date.now(), status, headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 202 ? '{"status":"success"}' : '{}');
    });
  });
  workdir = mkdtempSync(join(tmpdir(), 'vantage-e2e-channels-'));
  config = writeDevConfig(workdir, {
    checkId: CHECK, targetPort: target.port, intervalSeconds: 1, timeout: '800ms',
    channels: {
      alerts: `{ slack: { url: "${receiver.url('/slack')}" }, pagerduty: { routingKey: "${PD_KEY}", url: "${receiver.url('/pd')}" }, webhook: [{ url: "${receiver.url('/hook')}", secret: "\${env:E2E_HOOK_SECRET}" }] }`,
    },
  });

  child = spawnDev(config, { E2E_HOOK_SECRET: HOOK_SECRET });
  childExit = collectDev(child, events, (text) => { stderr += text; });

  await until('the ready event', () => events.some((e) => e.type === 'ready'), 60_000);
  const readyAt = Date.now();
  await until('a passing round from every location', () => DEV_LOCATIONS.every((l) => events.some((e) => e.type === 'result' && e.location === l && Date.parse(e.ts) >= readyAt && e.ok)), 10_000);
}, 90_000);

afterAll(async () => {
  await stopDev(child, childExit);
  await Promise.all([target?.close(), receiver?.close()]);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('vantage dev with Slack, PagerDuty and a signed webhook', () => {
  it('delivers DOWN before RESOLVED to every target while PagerDuty fails its first attempts, nothing twice', async () => {
    failing = true;
    await until('DOWN at Slack', () => accepted('/slack').find((h) => eventOf(h) === 'DOWN'), 20_000);
    failing = false;
    await until('the resolve at PagerDuty', () => accepted('/pd').find((h) => eventOf(h) === 'resolve'), 45_000);
    await until('RESOLVED at Slack and the webhook', () => ['/slack', '/hook'].every((p) => accepted(p).some((h) => eventOf(h) === 'RESOLVED')), 10_000);
    const slackDown = accepted('/slack').find((h) => eventOf(h) === 'DOWN')!;
    const pdDown = accepted('/pd').find((h) => eventOf(h) === 'trigger')!;
    const pdResolve = accepted('/pd').find((h) => eventOf(h) === 'resolve')!;
    console.log(`PagerDuty accepted DOWN ${pdDown.at - slackDown.at} ms after Slack (3 refusals, backoff from 1 s), and its resolve ${pdResolve.at - pdDown.at} ms after that`);
    // A moment for anything that would arrive twice.
    await new Promise((r) => setTimeout(r, 2_000));

    const checkEvents = (path: string) => accepted(path).map(eventOf).filter((e) => e !== 'CHANNEL_FAILING');
    expect(checkEvents('/slack')).toEqual(['DOWN', 'RESOLVED']);
    expect(checkEvents('/hook')).toEqual(['DOWN', 'RESOLVED']);
    expect(checkEvents('/pd')).toEqual(['trigger', 'resolve']);

    // PagerDuty: the refused DOWN was the same event each time, and the resolve closes that incident.
    const pd = hits.filter((h) => h.path === '/pd').map((h) => ({ status: h.status, ...(JSON.parse(h.body) as { event_action: string; dedup_key: string; routing_key: string }) }));
    expect(pd.map((e) => [e.status, e.event_action])).toEqual([[500, 'trigger'], [500, 'trigger'], [500, 'trigger'], [202, 'trigger'], [202, 'resolve']]);
    expect(new Set(pd.map((e) => e.dedup_key)).size).toBe(1);
    expect(pd.every((e) => e.routing_key === PD_KEY)).toBe(true);

    // The webhook: signed with the secret from the environment, one dedupe key per event.
    const hooks = accepted('/hook');
    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const h of hooks) expect(verifySignature(String(h.headers['vantage-signature']), h.body, HOOK_SECRET, { nowSeconds })).toBe(true);
    const keys = hooks.map((h) => String(h.headers['vantage-dedupe-key']));
    expect(new Set(keys).size).toBe(keys.length);
    const [down, resolved] = hooks.filter((h) => eventOf(h) !== 'CHANNEL_FAILING').map((h) => JSON.parse(h.body) as { incidentId: string; checkId: string });
    expect(resolved!.incidentId).toBe(down!.incidentId);
    expect(down!.checkId).toBe(CHECK);

    // The live view's events: each refused attempt, then the delivery on the fourth.
    const pdEvents = events.filter((e) => e.target === 'pagerduty' && e.event === 'DOWN' && (e.type === 'delivery_failed' || e.type === 'delivered'));
    expect(pdEvents.map((e) => [e.type, e.attempt])).toEqual([['delivery_failed', 1], ['delivery_failed', 2], ['delivery_failed', 3], ['delivered', 4]]);
    expect(JSON.stringify(events.filter((e) => typeof e.target === 'string'))).not.toContain('127.0.0.1');
  }, 90_000);

  it('raised CHANNEL_FAILING once on the other targets after PagerDuty failed 3 times in a row', () => {
    const failingAt = (path: string) => accepted(path).filter((h) => eventOf(h) === 'CHANNEL_FAILING');

    expect(failingAt('/slack')).toHaveLength(1);
    expect(failingAt('/hook')).toHaveLength(1);
    expect(JSON.parse(failingAt('/hook')[0]!.body)).toMatchObject({ event: 'CHANNEL_FAILING', channel: 'alerts', target: 'pagerduty', failures: PD_FAILURES });
    expect(events.filter((e) => e.type === 'channel_failing')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'channel_recovered')).toEqual([expect.objectContaining({ channel: 'alerts', target: 'pagerduty' })]);
  });

  it('`vantage channels test alerts --endpoint` goes through the running notifier and reports each target delivered', async () => {
    const ready = events.find((e) => e.type === 'ready')!;
    const before = hits.length;

    const run = await runCli(['channels', 'test', 'alerts', '--config', config, '--endpoint', String(ready.dynamodb), '--timeout', '30s']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^queued 3 test deliveries \(test:alerts:[0-9a-f]+\)/);
    expect(lines.slice(1).sort()).toEqual([
      expect.stringMatching(/^alerts\/pagerduty: delivered, HTTP 202 in \d+ ms \(1 attempt\)$/),
      expect.stringMatching(/^alerts\/slack: delivered, HTTP 200 in \d+ ms \(1 attempt\)$/),
      expect.stringMatching(/^alerts\/webhook\[0\] \(webhook\): delivered, HTTP 200 in \d+ ms \(1 attempt\)$/),
    ]);
    const tests = hits.slice(before);
    expect(tests.map((h) => h.path).sort()).toEqual(['/hook', '/pd', '/pd', '/slack']);
    expect(tests.filter((h) => h.path === '/pd').map(eventOf)).toEqual(['trigger', 'resolve']);
    expect(JSON.parse(tests.find((h) => h.path === '/hook')!.body)).toMatchObject({ event: 'TEST', channel: 'alerts' });
  }, 45_000);

  it('stops on SIGTERM with exit 0', async () => {
    child.kill('SIGTERM');
    const exit = await Promise.race([childExit, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);

    expect(exit, 'vantage dev did not exit within 10 s').toEqual({ code: 0, signal: null });
  }, 20_000);
});

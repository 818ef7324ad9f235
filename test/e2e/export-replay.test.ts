/**
 * End to end: what the pipeline sent is what a replay of its exported results sends. A real
 * `vantage dev --json` (DynamoDB Local, its stream, the evaluator, fauxqs, the notifier) runs a check
 * against a loopback target that goes down and comes back, with a webhook receiver on loopback; then
 * `vantage export` reads the results out of DynamoDB Local (before dev stops: the JVM goes with it),
 * and `vantage replay` of the export with the same config must give the same notifications (a
 * global outage's DOWN and RESOLVED, a regional one's PARTIAL and RESOLVED), in the same order, with
 * the same incident ids and dedupe keys.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listenLoopback, webhookReceiver } from '../support/http-servers.ts';
import { collectDev, spawnDev, stopDev, writeDevConfig } from '../support/dev-pipeline.ts';
import { waitFor } from '../support/processes.ts';
import { runCli } from '../support/cli.ts';

type DevEvent = { type: string; at: number } & Record<string, unknown>;
type Hook = { event: string; checkId: string; incidentId: string; dedupeKey: string };

const CHECK = 'export-api';
/** The target fails for everyone, for the locations listed (told apart by User-Agent), or for none. */
let failFor: 'all' | 'none' | string[] = 'none';
let target: http.Server;
const { server: receiver, hooks } = webhookReceiver<Hook>();
let workdir: string;
let config: string;
let child: ChildProcess | undefined;
let childExit: Promise<unknown> | undefined;
const events: DevEvent[] = [];
let stderr = '';

const lastSeen = () => `last events:\n${events.slice(-15).map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${stderr}`;
const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs: number) => waitFor(what, probe, timeoutMs, lastSeen);
const notifications = () => events.filter((e) => e.type === 'notification');

beforeAll(async () => {
  target = http.createServer((req, res) => {
    const ua = req.headers['user-agent'] ?? '';
    const failing = failFor === 'all' || (Array.isArray(failFor) && failFor.some((l) => ua.includes(`location=${l}`)));
    res.writeHead(failing ? 503 : 200).end(failing ? 'down' : 'ok');
  });
  const [targetPort, receiverPort] = [await listenLoopback(target), await listenLoopback(receiver)];
  workdir = mkdtempSync(join(tmpdir(), 'vantage-export-e2e-'));
  config = writeDevConfig(workdir, { checkId: CHECK, targetPort, receiverPort, intervalSeconds: 1, timeout: '800ms' });
});

afterAll(async () => {
  await stopDev(child, childExit);
  await Promise.all([closeServer(target), closeServer(receiver)]);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('export then replay', () => {
  it('gives the notifications the pipeline sent', async () => {
    const from = new Date().toISOString();
    child = spawnDev(config);
    childExit = collectDev(child, events, (text) => { stderr += text; });
    // DynamoDB Local's JVM starts in a few seconds, slower on a busy 2-core machine.
    const ready = await until('the ready event', () => events.find((e) => e.type === 'ready'), 60_000);
    await until('a passing result', () => events.some((e) => e.type === 'result' && e.ok === true), 10_000);

    // A global outage, then a regional one: DOWN and RESOLVED, then PARTIAL and its RESOLVED.
    failFor = 'all';
    await until('DOWN sent', () => notifications().some((e) => e.event === 'DOWN'), 20_000);
    failFor = 'none';
    await until('RESOLVED sent', () => notifications().some((e) => e.event === 'RESOLVED'), 20_000);
    failFor = ['eu-west-1'];
    await until('PARTIAL sent', () => notifications().some((e) => e.event === 'PARTIAL'), 20_000);
    failFor = 'none';
    await until('the second RESOLVED sent', () => notifications().filter((e) => e.event === 'RESOLVED').length === 2, 20_000);
    await until('every notification at the receiver', () => hooks.length === notifications().length, 10_000);

    const exported = join(workdir, 'results.jsonl');
    const exp = await runCli(['export', '--endpoint', String(ready.dynamodb), '--table', String(ready.tableName), '--check', CHECK, '--from', from, '--to', 'now', '--out', exported]);
    expect(exp.stderr).toMatch(/vantage export: \d+ result\(s\) of 1 check\(s\)/);
    expect(exp.code).toBe(0);
    await stopDev(child, childExit);

    const replayed = await runCli(['replay', '--config', config, '--results', exported, '--json']);
    expect(replayed.code).toBe(0);
    const decided = replayed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Hook);
    const sent = notifications().map((e) => ({ event: e.event, checkId: e.checkId }));
    console.log(`pipeline sent ${sent.map((s) => s.event).join(', ')}; the replay of ${readFileSync(exported, 'utf8').trim().split('\n').length} exported results decided ${decided.map((d) => d.event).join(', ')}`);
    // What was sent is the pipeline's business (dev.test.ts holds it to its policy); here it must be what the replay decides.
    expect(sent.map((s) => s.event)).toEqual(expect.arrayContaining(['DOWN', 'PARTIAL', 'RESOLVED']));
    expect(decided.map((d) => ({ event: d.event, checkId: d.checkId }))).toEqual(sent);
    // The same incidents, as the receiver got them from the notifier.
    const received = hooks.map((h) => h.body);
    expect(decided.map((d) => [d.incidentId, d.dedupeKey])).toEqual(received.map((h) => [h.incidentId, h.dedupeKey]));
  }, 120_000);
});

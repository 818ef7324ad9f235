/**
 * The probe handler's side of continuations: a scheduled invocation hands a later round to `defer`,
 * and the handler runs a ContinueRequest arriving as an SQS event (or bare), against a real loopback
 * HTTP server. The store is ./cycle-harness.ts's recording one: continuations add no store access of
 * their own (test/probe-handler/handler.test.ts covers the DynamoDB store).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { createProbeHandler, type ProbeEvent } from '../../shared/usecases/probe-handler.ts';
import type { ProbeCycleSummary } from '../../shared/usecases/probe-cycle.ts';
import type { ContinueRequest } from '../../shared/usecases/probe-requests.ts';
import { LOCATION, recordingStore } from './cycle-harness.ts';

let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((_, res) => { hits++; res.writeHead(200).end('ok'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

const MINUTE = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/** A clock that starts at `start` and moves only by the injected sleep. */
function setup(start: number) {
  let t = start;
  const rec = recordingStore();
  const lines: string[] = [];
  const deferred: Array<{ request: ContinueRequest; delayMs: number }> = [];
  const checks = loadConfigObject({ checks: [{ id: 'api', locations: ['us-east-1', 'ap-southeast-1', LOCATION], http: { url: `${base}/` } }] }).checks;
  const handler = createProbeHandler({
    checks,
    location: LOCATION,
    store: rec.store,
    clock: () => new Date(t),
    sleep: async (ms) => { t += ms; },
    write: (line) => lines.push(line),
    defer: async (request, delayMs) => { deferred.push({ request, delayMs }); },
  });
  const invoke = (event: ProbeEvent) => handler(event, context) as Promise<ProbeCycleSummary>;
  const advanceTo = (at: number) => { t = at; };
  return { invoke, advanceTo, lines, deferred, rec };
}

const sqs = (body: unknown) => ({ Records: [{ eventSource: 'aws:sqs', body: typeof body === 'string' ? body : JSON.stringify(body) }] }) as ProbeEvent;
const continuation = (at: number): ContinueRequest => ({ type: 'vantage.continue', scheduledAt: MINUTE.toISOString(), runs: [{ checkId: 'api', at }] });

describe('probe handler continuations', () => {
  it('hands the third location\'s :40 round on from the scheduled invocation, then runs it from the SQS event', async () => {
    const t = setup(MINUTE.getTime() + 1_000);
    const before = hits;

    const first = await t.invoke({ time: MINUTE.toISOString() });
    // SQS makes it visible one second early (DelaySeconds 38 of 39 s), plus the mapping's polling.
    t.advanceTo(MINUTE.getTime() + 1_000 + 38_000 + 300);
    const second = await t.invoke(sqs(t.deferred[0]!.request));

    expect(first).toMatchObject({ deferred: 1, recorded: 0 });
    expect(t.deferred).toEqual([{ request: continuation(MINUTE.getTime() + 40_000), delayMs: 39_000 }]);
    expect(second).toMatchObject({ deferred: 0, recorded: 1, stale: 0 });
    expect(hits - before).toBe(1);
    expect(t.rec.written.flat().map((r) => r.checkId)).toEqual(['api']);
    expect(JSON.parse(t.lines.at(-1)!)).toMatchObject({ level: 'INFO', message: 'probe cycle (continued)', recorded: 1 });
  });

  it('runs a bare ContinueRequest (the local pipeline\'s form)', async () => {
    const t = setup(MINUTE.getTime() + 40_000);

    expect(await t.invoke(continuation(MINUTE.getTime() + 40_000))).toMatchObject({ recorded: 1 });
  });

  it('answers a stale continuation without running or throwing, and says so', async () => {
    const t = setup(MINUTE.getTime() + 40_000 + 61_000);
    const before = hits;

    const summary = await t.invoke(sqs(continuation(MINUTE.getTime() + 40_000)));

    expect(summary).toMatchObject({ stale: 1, recorded: 0 });
    expect(hits).toBe(before);
    expect(JSON.parse(t.lines.at(-1)!)).toMatchObject({ level: 'WARN', stale: 1 });
  });

  it('rejects an SQS message that is not a continuation, running nothing', async () => {
    const t = setup(MINUTE.getTime());
    const before = hits;

    await expect(t.invoke(sqs('{"type":"vantage.continue"'))).rejects.toMatchObject({ code: 'PROBE_REQUEST_INVALID' });
    await expect(t.invoke(sqs({ type: 'vantage.confirm', checkIds: ['api'] }))).rejects.toMatchObject({ code: 'PROBE_REQUEST_INVALID' });
    expect(hits).toBe(before);
    expect(t.rec.heartbeats).toEqual([]);
  });
});

describe('DEFER_QUEUE_URL', () => {
  const env = { TABLE_NAME: 'vantage-results', HOME_REGION: 'eu-west-1', LOCATION };

  it('is optional, and must be an https queue URL when set (the value is never echoed)', async () => {
    const { parseProbeEnv } = await import('../../functions/probe/env.ts');
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/vantage-rounds-eu-west-1';

    expect(parseProbeEnv(env).DEFER_QUEUE_URL).toBeUndefined();
    expect(parseProbeEnv({ ...env, DEFER_QUEUE_URL: url }).DEFER_QUEUE_URL).toBe(url);
    expect(() => parseProbeEnv({ ...env, DEFER_QUEUE_URL: 'vantage-rounds secret' })).toThrow(/DEFER_QUEUE_URL/);
    expect(() => parseProbeEnv({ ...env, DEFER_QUEUE_URL: 'vantage-rounds secret' })).not.toThrow(/secret/);
  });
});

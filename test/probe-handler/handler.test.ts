/**
 * The probe handler end to end: the middy-wrapped handler probes a real loopback HTTP server and
 * writes to DynamoDB Local (started once for this file). The deployed `handler` is imported last,
 * with its environment pointing at the same emulator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { createStore, type Store } from '../../shared/store/dynamo.ts';
import { createProbeHandler, type ProbeHandlerDeps } from '../../shared/usecases/probe-handler.ts';
import { parseProbeEnv } from '../../functions/probe/env.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { abortableSleep } from '../../shared/usecases/probe-cycle.ts';
import type { ConfirmRequest } from '../../shared/usecases/probe-requests.ts';

const SECRET = 'tok-3f9a1c77e2b04d5e';
/**
 * The current minute, not a fixed date: the cycle's clock starts there, and DynamoDB Local deletes
 * items whose TTL (a heartbeat's is 7 days after it) has passed, at a moment of its choosing.
 */
const MINUTE = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();

let db: TestDynamoDb;
let server: Server;
let base: string;
const hits = new Map<string, number>();
const seenAuth: string[] = [];
/** Requests the server never answers, with a promise that settles when the client goes away. */
const hung: Array<{ closed: Promise<void> }> = [];

function route(req: IncomingMessage): 'answer' | 'hang' {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  hits.set(path, (hits.get(path) ?? 0) + 1);
  if (req.headers.authorization) seenAuth.push(req.headers.authorization);
  return path === '/hang' ? 'hang' : 'answer';
}

beforeAll(async () => {
  db = await startTestDynamoDb();
  server = createServer((req, res) => {
    if (route(req) === 'hang') {
      hung.push({ closed: new Promise((resolve) => req.socket.once('close', () => resolve())) });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    // /flaky fails its first request in each test and passes after.
    const status = path === '/down' ? 503 : path === '/flaky' && hits.get(path) === 1 ? 503 : 200;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'unavailable');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  hits.clear();
  seenAuth.length = 0;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.stop();
});

function config(checks: Array<Record<string, unknown>>, locations = ['eu-west-1']) {
  return loadConfigObject({ defaults: { locations, timeout: '2s' }, checks });
}

function context(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return { awsRequestId: 'req-1', getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;
}

/**
 * The cycle's wall clock, starting at MINUTE and running at real speed; `skip` (the injected sleep)
 * moves it forward, so rounds and rechecks happen without real waiting. Probes stamp real times, which
 * the cycle tolerates (it keeps a run's end within its round).
 */
function virtualClock() {
  let skew = Date.parse(MINUTE) - Date.now();
  const waits: number[] = [];
  return {
    waits,
    clock: () => new Date(Date.now() + skew),
    // A few real ms per wait keep each round's results apart in their millisecond keys.
    skip: async (ms: number) => { waits.push(ms); skew += ms; await new Promise((resolve) => setTimeout(resolve, 3)); },
  };
}

type SetupOptions = Partial<Pick<ProbeHandlerDeps, 'stopBeforeDeadlineMs' | 'sleep' | 'phaseMetrics' | 'clock' | 'confirm' | 'instance' | 'selectChecks'>> & { locations?: string[] };

async function setup(checks: Array<Record<string, unknown>>, over: SetupOptions = {}) {
  const { tableName } = await db.newTable();
  const store = createStore({ client: db.client, tableName });
  const lines: string[] = [];
  const time = virtualClock();
  const { locations, ...deps } = over;
  const handler = createProbeHandler({
    checks: config(checks, locations).checks,
    location: 'eu-west-1',
    store,
    runner: { env: { API_TOKEN: SECRET } },
    write: (line) => lines.push(line),
    clock: time.clock,
    sleep: time.skip,
    ...deps,
  });
  return { handler, store, lines, tableName, time };
}

async function resultsOf(store: Store, checkId: string) {
  return store.listResults(checkId, { to: new Date('2030-01-01T00:00:00Z') });
}

describe('probe handler', () => {
  it('writes one result per due check and a heartbeat, retesting a failure once and recording it', async () => {
    // Prepare
    const { handler, store, lines } = await setup([
      { id: 'ok', http: { url: `${base}/ok`, headers: { Authorization: 'Bearer ${env:API_TOKEN}' } } },
      { id: 'flaky', http: { url: `${base}/flaky` } },
      { id: 'down', alerting: { failureThreshold: 1 }, http: { url: `${base}/down` } },
      { id: 'never-retested', retries: 0, alerting: { failureThreshold: 1 }, http: { url: `${base}/down` } },
      { id: 'elsewhere', locations: ['us-east-1'], http: { url: `${base}/elsewhere` } },
    ]);

    // Act
    const summary = await handler({ time: MINUTE }, context(60_000));

    // Assess
    expect(summary).toMatchObject({ due: 4, recorded: 4, failed: 2, retested: 2, aborted: 0, skipped: 0, stoppedEarly: false });
    const [ok, flaky, down, never] = await Promise.all(['ok', 'flaky', 'down', 'never-retested'].map((id) => resultsOf(store, id)));
    expect(ok).toMatchObject([{ ok: true, status: 'up', httpStatus: 200, retries: 0, location: 'eu-west-1' }]);
    expect(flaky).toMatchObject([{ ok: true, httpStatus: 200, retries: 1 }]);
    expect(down).toMatchObject([{ ok: false, status: 'down', httpStatus: 503, retries: 1, failure: { reason: 'status_code' } }]);
    expect(never).toMatchObject([{ ok: false, retries: 0 }]);
    expect(await resultsOf(store, 'elsewhere')).toEqual([]);
    expect(Object.fromEntries(hits)).toEqual({ '/ok': 1, '/flaky': 2, '/down': 3 });
    expect(await store.getHeartbeats(['eu-west-1'])).toMatchObject([{ location: 'eu-west-1', checksRun: 4, failures: 2 }]);
    // The secret went to the target and nowhere else.
    expect(seenAuth).toEqual([`Bearer ${SECRET}`]);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(JSON.stringify(ok)).not.toContain(SECRET);
  });

  it('logs one structured line per invocation, beside one metric line per result and no heartbeat metric', async () => {
    const { handler, lines } = await setup([{ id: 'ok', http: { url: `${base}/ok` } }, { id: 'down', retries: 0, alerting: { failureThreshold: 1 }, http: { url: `${base}/down` } }]);

    await handler({ time: MINUTE }, context(60_000));

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const logs = parsed.filter((l) => l.message === 'probe cycle');
    expect(logs).toEqual([expect.objectContaining({ level: 'INFO', requestId: 'req-1', location: 'eu-west-1', due: 2, recorded: 2, failed: 1, failedChecks: ['down'], durationMs: expect.any(Number) })]);
    expect(parsed.filter((l) => '_aws' in l).map((l) => [l.CheckId ?? null, l.Success ?? null, l.Heartbeat ?? null])).toEqual([
      ['ok', 1, null], ['down', 0, null],
    ]);
    // Only what the dashboard and the alarm read is a metric; the phases are plain fields of the line.
    const declared = (l: Record<string, unknown>) => (l._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));
    // Silence is decided by the sweep from the DynamoDB heartbeats, not by a CloudWatch alarm on a metric.
    expect(parsed.filter((l) => '_aws' in l).map(declared)).toEqual([['Success', 'Latency'], ['Success', 'Latency']]);
    expect(parsed.find((l) => l.CheckId === 'ok')).toMatchObject({ PhaseDns: expect.any(Number), PhaseConnect: expect.any(Number), PhaseTtfb: expect.any(Number) });
  });

  it('declares the phases as metrics too with phaseMetrics (deployment.metrics.phases)', async () => {
    const { handler, lines } = await setup([{ id: 'ok', http: { url: `${base}/ok` } }], { phaseMetrics: true });

    await handler({ time: MINUTE }, context(60_000));

    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.CheckId === 'ok')!;
    const names = (line._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);
    // Plain HTTP on loopback: no TLS phase.
    expect(names).toEqual(['Success', 'Latency', 'PhaseDns', 'PhaseConnect', 'PhaseTtfb', 'PhaseTransfer']);
  });

  it('runs a 15 s check as four rounds in one invocation', async () => {
    // No real waiting (virtualClock): the rounds' waits are recorded and the test does not take a minute.
    const { handler, store, time } = await setup([{ id: 'fast', interval: '15s', http: { url: `${base}/ok` } }]);

    const summary = await handler({ time: MINUTE }, context(60_000));

    const results = await resultsOf(store, 'fast');
    expect(summary).toMatchObject({ rounds: 4, due: 4, recorded: 4 });
    expect(results).toHaveLength(4);
    expect(new Set(results.map((r) => r.ts)).size).toBe(4);
    expect(time.waits).toHaveLength(3);
    expect(hits.get('/ok')).toBe(4);
  });

  it('stops early when the signal fires before the deadline: in-flight probes are cancelled, later rounds skipped, the rest written', async () => {
    // Prepare: the deadline is 1.5 s away and 1 s is kept for writing, so middy's signal fires at 0.5 s.
    const { handler, store, lines } = await setup([
      { id: 'fast', interval: '15s', http: { url: `${base}/ok` } },
      { id: 'hangs', timeout: '10s', http: { url: `${base}/hang` } },
    ], { stopBeforeDeadlineMs: 1_000, sleep: abortableSleep });

    // Act
    const summary = await handler({ time: MINUTE }, context(1_500));

    // Assess
    expect(summary).toMatchObject({ due: 5, recorded: 1, aborted: 1, skipped: 3, stoppedEarly: true });
    expect(await resultsOf(store, 'fast')).toHaveLength(1);
    expect(await resultsOf(store, 'hangs')).toEqual([]);
    expect(await store.getHeartbeats(['eu-west-1'])).toMatchObject([{ checksRun: 1 }]);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ level: 'WARN', stoppedEarly: true });
    // The cancelled probe closed its connection: it did not outlive the invocation.
    expect(hung).toHaveLength(1);
    await hung[0]!.closed;
  });

  it('fails the invocation with a domain error and no heartbeat when the table is missing', async () => {
    const lines: string[] = [];
    const store = createStore({ client: db.client, tableName: 'no-such-table' });
    const handler = createProbeHandler({ checks: config([{ id: 'ok', http: { url: `${base}/ok` } }]).checks, location: 'eu-west-1', store, write: (l) => lines.push(l) });

    await expect(handler({ time: MINUTE }, context(60_000))).rejects.toMatchObject({ code: 'STORE_TABLE_NOT_FOUND' });

    // The memory read fails first and is only a warning: the results are what must be written.
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.at(-1)).toEqual(expect.objectContaining({ level: 'ERROR', errorCode: 'STORE_TABLE_NOT_FOUND', location: 'eu-west-1' }));
    expect(parsed.slice(0, -1)).toEqual(parsed.slice(0, -1).map(() => expect.objectContaining({ level: 'WARN', message: 'probe memory unavailable', errorCode: 'STORE_TABLE_NOT_FOUND' })));
  });
});

describe('probe handler: rechecks, confirmations and retest requests', () => {
  it('writes each round before the next, keeps the memory item while undecided, and records rechecks as such', async () => {
    const seenBeforeRecheck: number[] = [];
    const t = await setup([{ id: 'down', http: { url: `${base}/down` } }]);
    const skip = t.time.skip;
    const handler = createProbeHandler({
      checks: config([{ id: 'down', http: { url: `${base}/down` } }]).checks, location: 'eu-west-1', store: t.store, write: () => {}, clock: t.time.clock,
      sleep: async (ms) => { seenBeforeRecheck.push((await resultsOf(t.store, 'down')).length); await skip(ms); },
    });

    const summary = await handler({ time: MINUTE }, context(60_000));

    expect(summary).toMatchObject({ recorded: 2, rechecks: 1, failed: 2 });
    expect(seenBeforeRecheck).toEqual([1]);
    const stored = await resultsOf(t.store, 'down');
    expect(stored.map((r) => [r.ok, r.trigger ?? 'scheduled'])).toEqual([[false, 'scheduled'], [false, 'recheck']]);
    // failureThreshold 2 reached: decided, so the entry stays (away from rest) with no recheck due.
    const memory = await t.store.getMemory('eu-west-1');
    expect(memory.down).toMatchObject({ view: { failing: true, consecutiveFailures: 2 } });
    expect(memory.down).not.toHaveProperty('recheckAt');
  });

  it('asks the other locations to confirm, and answers a confirmation with runs marked confirm and no requests of its own', async () => {
    const sent: Array<{ location: string; request: ConfirmRequest }> = [];
    const confirm = async (location: string, request: ConfirmRequest) => { sent.push({ location, request }); };
    const locations = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
    const asking = await setup([{ id: 'down', http: { url: `${base}/down` } }], { locations, confirm });
    const answering = createProbeHandler({
      checks: config([{ id: 'down', http: { url: `${base}/down` } }, { id: 'ok', http: { url: `${base}/ok` } }], locations).checks,
      location: 'ap-southeast-1', store: asking.store, write: () => {}, clock: asking.time.clock, sleep: asking.time.skip, confirm,
    });

    await asking.handler({ time: MINUTE }, context(60_000));
    const requests = [...sent];
    const summary = await answering(requests[1]!.request, context(60_000));

    expect(requests.map((r) => [r.location, r.request.checkIds, r.request.from])).toEqual([['us-east-1', ['down'], 'eu-west-1'], ['ap-southeast-1', ['down'], 'eu-west-1']]);
    expect(summary).toMatchObject({ trigger: 'confirm', due: 1, confirmsSent: 0 });
    expect(sent).toHaveLength(2);
    // ap-southeast-1, the third location, is scheduled at :40: its confirmation run at about :10 and
    // the recheck 10 s later both come before it. (us-east-1, scheduled at :20, would let that run confirm.)
    const fromAp = (await resultsOf(asking.store, 'down')).filter((r) => r.location === 'ap-southeast-1');
    expect(fromAp.map((r) => r.trigger)).toEqual(['confirm', 'recheck']);
    expect((await asking.store.getMemory('ap-southeast-1')).down).toMatchObject({ view: { failing: true } });
    expect(await resultsOf(asking.store, 'ok')).toEqual([]);
  });

  it('answers a retest request with one attempt of its own, stamped with its instance, and records nothing', async () => {
    const t = await setup([{ id: 'down', http: { url: `${base}/down` } }], { instance: { id: '2' } });

    const result = await t.handler({ type: 'vantage.retest', checkId: 'down', from: '1', requestedAt: MINUTE }, context(60_000));
    const unknown = await t.handler({ type: 'vantage.retest', checkId: 'nope', from: '1', requestedAt: MINUTE }, context(60_000)).catch((e: unknown) => e);

    expect(result).toMatchObject({ checkId: 'down', ok: false, retries: 0, instance: '2', http: { status: 503 } });
    expect(hits.get('/down')).toBe(1);
    expect(await resultsOf(t.store, 'down')).toEqual([]);
    expect(await t.store.getHeartbeats(['eu-west-1'])).toEqual([]);
    expect(unknown).toMatchObject({ code: 'PROBE_REQUEST_INVALID' });
  });
});

describe('environment', () => {
  it('names every missing or malformed variable, without echoing values', () => {
    const error = (() => {
      try {
        parseProbeEnv({ HOME_REGION: 'Europe', RESULT_TTL_DAYS: 'forever' });
      } catch (e) {
        return e as { code: string; issues: Array<{ path: string; message: string }>; message: string };
      }
      throw new Error('accepted');
    })();

    expect(error.code).toBe('ENV_INVALID');
    expect(error.issues.map((i) => i.path).sort()).toEqual(['HOME_REGION', 'LOCATION', 'RESULT_TTL_DAYS', 'TABLE_NAME']);
    expect(error.issues.find((i) => i.path === 'TABLE_NAME')?.message).toBe('required');
    expect(error.message).not.toContain('Europe');
  });

  it('reads PHASE_METRICS as a boolean, false when absent, and refuses anything but true or false', () => {
    const env = { TABLE_NAME: 'vantage-results', HOME_REGION: 'us-east-1', LOCATION: 'eu-west-1' };
    expect(parseProbeEnv(env).PHASE_METRICS).toBe(false);
    expect(parseProbeEnv({ ...env, PHASE_METRICS: 'false' }).PHASE_METRICS).toBe(false);
    expect(parseProbeEnv({ ...env, PHASE_METRICS: 'true' }).PHASE_METRICS).toBe(true);
    expect(() => parseProbeEnv({ ...env, PHASE_METRICS: 'yes' })).toThrow(/PHASE_METRICS/);
  });
});

describe('deployed handler', () => {
  const saved = { ...process.env };
  let dir: string;

  afterAll(() => {
    process.env = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds from the environment and bundled definitions, refuses a bundle for another location, and writes results', async () => {
    // Prepare: a bundle for eu-west-1, and an environment that points the SDK at DynamoDB Local.
    const { tableName } = await db.newTable();
    dir = mkdtempSync(join(tmpdir(), 'vantage-probe-'));
    const definitionsPath = join(dir, 'definitions.json');
    writeFileSync(definitionsPath, JSON.stringify(toDefinitions(config([{ id: 'ok', http: { url: `${base}/ok` } }]), 'eu-west-1')));
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      HOME_REGION: 'us-east-1',
      LOCATION: 'us-east-1',
      DEFINITIONS_PATH: definitionsPath,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });

    // Act + Assess: the wrong location fails the init.
    vi.resetModules();
    await expect(import('../../functions/probe/handler.ts')).rejects.toMatchObject({ code: 'DEFINITIONS_INVALID' });

    process.env.LOCATION = 'eu-west-1';
    vi.resetModules();
    const { handler } = await import('../../functions/probe/handler.ts');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let summary;
    try {
      summary = await handler({ time: MINUTE }, context(60_000));
    } finally {
      stdout.mockRestore();
    }

    expect(summary).toMatchObject({ recorded: 1, location: 'eu-west-1' });
    const item = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'LOCATION#eu-west-1' }, sk: { S: 'HEARTBEAT' } } }));
    expect(item.Item?.checksRun).toEqual({ N: '1' });
  });
});

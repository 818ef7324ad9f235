/**
 * The sweep's SLO accounting on real local parts: results written by the real store into DynamoDB
 * Local as the probe writes them (scheduled runs, and a recheck and a confirmation carrying their
 * `trigger`), evaluated through the table's stream, then the real handler's sweep once a minute at
 * an injected clock, writing the real rollup store. Alerts go through fauxqs.
 *
 * The expected minutes are written out by hand from the accounting rules: a minute's class is the
 * check's state as the sweep evaluates it at `now` (after that minute's next round), and its samples
 * are its scheduled results only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { addMinute, emptyHour, type HourRollup, type MinuteClass, type MinuteRecord } from '../../shared/evaluate/slo/index.ts';
import type { LogFields, Logger } from '../../shared/logging/logger.ts';
import { createStreamPoller } from '../../dev/stream-poller.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { createStore, StoreError } from '../../shared/store/dynamo.ts';
import { createRollupStore, type RollupStore } from '../../shared/store/rollups.ts';
import { checksById, createEvaluatorHandler, type EvaluatorDeps } from '../../shared/usecases/evaluate-batch/evaluator-handler.ts';
import type { SweepSummary } from '../../shared/usecases/evaluate-batch/sweep.ts';
import { depsFromEnvironment } from '../../functions/evaluator/handler.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { startTestSnsEmulator, type TestSnsEmulator } from '../support/sns-emulator.ts';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const LOCATIONS = ['eu-west-1', 'us-east-1'] as const;
/** Rounds start on the minute; the sweep runs half a minute later. */
const SWEEP_AT = 30_000;

const config = loadConfigObject({
  defaults: { locations: [...LOCATIONS], interval: '1m', alerting: { channels: ['oncall'], failureThreshold: 2, quorum: 2 } },
  channels: { oncall: { email: ['oncall@example.com'] } },
  checks: [
    // 99 % over a day: 1 % of the minutes may be bad. The page rule fires at 10× that over 10 and 5 minutes.
    { id: 'api', http: { url: 'https://api.example.com/health' }, slo: { objective: 99, window: '1d', burnRates: [{ severity: 'page', factor: 10, long: '10m', short: '5m' }] } },
    { id: 'web', http: { url: 'https://www.example.com/' } },
  ],
});

let db: TestDynamoDb;
let emu: TestSnsEmulator;
beforeAll(async () => {
  [db, emu] = await Promise.all([startTestDynamoDb(), startTestSnsEmulator()]);
});
afterAll(async () => {
  await Promise.all([db?.stop(), emu?.stop()]);
});

function result(checkId: string, location: string, ts: number, ok: boolean, trigger?: 'recheck' | 'confirm'): ProbeResult {
  return {
    checkId, kind: 'http', target: `https://${checkId}.example.com/`, location, startedAt: new Date(ts).toISOString(),
    ok, status: ok ? 'up' : 'down', phases: { total: 17 }, assertions: [], retries: 0,
    ...(!ok && { failure: { reason: 'timeout', message: `timeout from ${location}` } }),
    ...(trigger && { trigger }),
  };
}

const scheduled = (time: number): ScheduledEvent => ({
  version: '0', id: `sweep-${time}`, 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012',
  time: new Date(time).toISOString(), region: 'eu-west-1', resources: ['arn:aws:events:eu-west-1:123456789012:rule/vantage-sweep'], detail: {},
});
const CONTEXT = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const isResultInsert = (r: DynamoDBRecord) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.type?.S === 'RESULT';

async function harness(opts: { wrapRollups?: (r: RollupStore) => RollupStore; statusPage?: EvaluatorDeps['statusPage'] } = {}) {
  const { tableName, streamArn } = await db.newTable();
  // The simulated time is in the past and DynamoDB Local deletes expired items; keep heartbeats and results.
  const store = createStore({ client: db.client, tableName, heartbeatTtlDays: 36_500, resultTtlDays: 36_500 });
  const real = createRollupStore(db.client, tableName);
  const rollups = opts.wrapRollups ? opts.wrapRollups(real) : real;
  const logs: Array<{ message: string; fields: LogFields }> = [];
  const log = (message: string, fields: LogFields = {}) => { logs.push({ message, fields }); };
  const logger: Logger = { info: log, warn: log, error: log };
  let now = T0;
  const deps: EvaluatorDeps = {
    store, rollups, publisher: snsPublisher(emu.sns, emu.topicArn), checks: checksById(config.checks), channels: config.channels,
    maintenance: [], clock: () => now, logger, writeMetric: () => {}, ...(opts.statusPage && { statusPage: opts.statusPage }),
  };
  const handler = createEvaluatorHandler(deps);
  const poller = createStreamPoller({ streams: db.streams, streamArn, handler: (event) => handler(event, CONTEXT), maxRetries: 0, filter: isResultInsert });
  return {
    rollups: real, logs,
    /** One probe round at minute `m`: api up or failing (with the probe's recheck and a confirmation), web always up. */
    async round(m: number, apiOk: boolean) {
      const at = T0 + m * MIN;
      const results = LOCATIONS.flatMap((l, i) => [result('api', l, at + 1000 + i * 100, apiOk), result('web', l, at + 1500 + i * 100, true)]);
      if (!apiOk && m === 5) {
        results.push(...LOCATIONS.map((l, i) => result('api', l, at + 20_000 + i * 100, false, 'recheck')), result('api', 'eu-west-1', at + 25_000, false, 'confirm'));
      }
      await store.putResults(results);
      for (const l of LOCATIONS) await store.putHeartbeat(l, { lastSeen: new Date(at + 28_000).toISOString(), checksRun: 2 });
      now = at + 29_000;
      await poller.drain();
    },
    sweep(m: number): Promise<SweepSummary> {
      now = T0 + m * MIN + SWEEP_AT;
      return handler(scheduled(now), CONTEXT);
    },
    /** A sweep `offsetMs` into minute `m`. */
    sweepAt(m: number, offsetMs: number): Promise<SweepSummary> {
      now = T0 + m * MIN + offsetMs;
      return handler(scheduled(now), CONTEXT);
    },
    /** Two evaluator invocations sweeping the same minute at once, each with its own client. */
    async sweepTwiceAtOnce(m: number): Promise<SweepSummary[]> {
      now = T0 + m * MIN + SWEEP_AT;
      const client = new DynamoDBClient(db.clientConfig);
      try {
        const other = createEvaluatorHandler({ ...deps, store: createStore({ client, tableName, heartbeatTtlDays: 36_500 }), rollups: createRollupStore(client, tableName) });
        return await Promise.all([handler(scheduled(now), CONTEXT), other(scheduled(now), CONTEXT)]);
      } finally {
        client.destroy();
      }
    },
  };
}

/** A minute of two scheduled samples, both at 17 ms (the first latency bucket). */
function minute(m: number, cls: MinuteClass, ok: number, failing: string[] = []): MinuteRecord {
  const buckets = new Array<number>(11).fill(0);
  buckets[0] = 2;
  return { start: T0 + m * MIN, class: cls, failing, samples: 2, ok, fast: ok, buckets, latencySumMs: 34 };
}

function fold(checkId: string, minutes: readonly MinuteRecord[]): HourRollup[] {
  return [minutes.reduce((h, m) => addMinute(h, m), emptyHour(checkId, T0))];
}

describe('the sweep accounts every minute into the rollups', () => {
  it('classifies each minute by the sweep\'s evaluated state, counts scheduled results only, adds nothing when retried, and pages on the burn', async () => {
    // Prepare
    const h = await harness();
    await emu.received();
    const summaries: SweepSummary[] = [];

    // Act: up for rounds 0–4, api down from round 5 on; a sweep after each round from round 1.
    await h.round(0, true);
    for (let m = 1; m <= 11; m++) {
      await h.round(m, m < 5);
      summaries.push(await h.sweep(m));
      // A sweep retried at the same instant (EventBridge delivers at least once).
      if (m === 3 || m === 10) summaries.push(await h.sweep(m));
    }
    const deliveries = await emu.received();

    // Assess: minutes 0–3 up; minute 4 is classified at 5:30, after round 5's recheck made both
    // locations failing (two failures each), so it is down though its own two samples passed;
    // minute 5's recheck and confirmation are not samples.
    const both = ['eu-west-1', 'us-east-1'];
    const api = [0, 1, 2, 3].map((m) => minute(m, 'up', 2)).concat(minute(4, 'down', 2, both), ...[5, 6, 7, 8, 9, 10].map((m) => minute(m, 'down', 0, both)));
    expect(await h.rollups.hours('api', T0, T0 + HOUR)).toEqual(fold('api', api));
    expect(await h.rollups.hours('web', T0, T0 + HOUR)).toEqual(fold('web', Array.from({ length: 11 }, (_, m) => minute(m, 'up', 2))));
    // Two checks a sweep; the retries wrote nothing.
    expect(summaries.map((s) => s.accounted)).toEqual([2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 0, 2]);
    expect(summaries.every((s) => s.accountFailed === 0)).toBe(true);

    // The stream sent DOWN at round 5; the sweep at 5:30 read the burn (minute 4 bad of the five
    // accounted: 20 % errors, 20× the 1 % budget rate in both windows) and paged once: the episode
    // was still burning at 10:30 and is not sent again.
    expect(deliveries.map((d) => `${d.attributes.checkId} ${d.attributes.event}`)).toEqual(['api DOWN', 'api BUDGET_BURN']);
    const burn = deliveries[1]!;
    expect(burn.attributes.severity).toBe('critical');
    const facts = (JSON.parse(burn.message) as { burn: Record<string, number | string>; incidentId: string }).burn;
    expect(facts).toMatchObject({ rule: 'page-10m', severity: 'page', factor: 10, longWindowMs: 10 * MIN, shortWindowMs: 5 * MIN, objective: 99 });
    // Both windows end at 5:00 and hold minutes 0–4 only (before 0:00 nothing was accounted).
    expect(facts.longRate).toBeCloseTo(20, 9);
    expect(facts.shortRate).toBeCloseTo(20, 9);
    // Over the whole 1-day window: 300 s eligible, 60 s bad, 3 s allowed: 20 budgets used, 19 overspent.
    expect(facts.budgetRemaining).toBeCloseTo(-19, 9);
    expect(h.logs.filter((l) => l.message.includes('not accounted') || l.message.includes('not read'))).toEqual([]);
  });

  it('logs one check\'s failure and accounts the others; refreshes the status page last and logs its failure', async () => {
    // A throttled write for one check is a fault DynamoDB Local does not produce on demand.
    const order: string[] = [];
    const h = await harness({
      wrapRollups: (r) => ({
        hours: (id, from, to) => r.hours(id, from, to),
        addMinute: async (id, m) => {
          order.push(`account ${id}`);
          if (id === 'web') throw new StoreError('STORE_THROTTLED', 'UpdateItem rollup: throttled');
          return r.addMinute(id, m);
        },
      }),
      statusPage: { refresh: async (at) => { order.push(`status ${new Date(at).toISOString()}`); throw new StoreError('STORE_UNAVAILABLE', 'bucket away'); } },
    });
    await h.round(0, true);
    await h.round(1, true);

    const summary = await h.sweep(1);

    expect(summary).toMatchObject({ accounted: 1, accountFailed: 1 });
    expect(order.slice(0, 2).sort()).toEqual(['account api', 'account web']);
    expect(order.slice(2)).toEqual(['status 2026-11-20T10:01:30.000Z']);
    expect((await h.rollups.hours('api', T0, T0 + HOUR))[0]?.minutes).toEqual({ 0: { class: 'up', samples: 2, ok: 2, fast: 2, failing: [] } });
    expect(await h.rollups.hours('web', T0, T0 + HOUR)).toEqual([]);
    expect(h.logs.filter((l) => l.message.startsWith('minute not accounted')).map((l) => [l.fields.checkId, l.fields.errorCode])).toEqual([['web', 'STORE_THROTTLED']]);
    expect(h.logs.filter((l) => l.message.startsWith('status page not refreshed'))).toHaveLength(1);
  });

  it('reads and writes each minute once when one process sweeps more often than once a minute, as vantage dev does', async () => {
    const calls = { addMinute: 0, hours: 0 };
    const h = await harness({
      wrapRollups: (real) => ({
        addMinute: (id, m) => { calls.addMinute++; return real.addMinute(id, m); },
        hours: (id, from, to) => { calls.hours++; return real.hours(id, from, to); },
      }),
    });
    for (let m = 0; m <= 5; m++) await h.round(m, true);

    // Three sweeps in minute 5 (a burn reading is due all of it: 10:05): the first accounts [10:04, 10:05) and reads api's burn rates.
    const first = await h.sweep(5);
    const again = [await h.sweepAt(5, 40_000), await h.sweepAt(5, 50_000)];

    expect(first.accounted).toBe(2);
    expect(again.map((s) => s.accounted)).toEqual([0, 0]);
    // One write per check, one burn read of api's 3-day window (its rules fire nothing, so no 30-day read).
    expect(calls).toEqual({ addMinute: 2, hours: 1 });
    expect(await h.rollups.hours('api', T0, T0 + HOUR)).toEqual(fold('api', [minute(4, 'up', 2)]));
  });

  it('counts a minute once when two invocations sweep it at the same time', async () => {
    const h = await harness();
    await h.round(0, true);
    await h.round(1, true);

    const [a, b] = await h.sweepTwiceAtOnce(1);

    // Each check's minute is written by exactly one of them; the other's condition failed.
    expect(a!.accounted! + b!.accounted!).toBe(2);
    expect(await h.rollups.hours('api', T0, T0 + HOUR)).toEqual(fold('api', [minute(0, 'up', 2)]));
    expect(await h.rollups.hours('web', T0, T0 + HOUR)).toEqual(fold('web', [minute(0, 'up', 2)]));
  });

  it('is wired into the deployed evaluator', () => {
    const deps = depsFromEnvironment({ TABLE_NAME: 'vantage-results', TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:vantage-alerts', DEFINITIONS_PATH: definitionsFile() });
    expect(deps.rollups).toBeDefined();
  });
});

function definitionsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-slo-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'definitions.json');
  writeFileSync(path, JSON.stringify(toDefinitions(config)));
  return path;
}

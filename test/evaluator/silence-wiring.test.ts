/**
 * Silences and maintenance windows through the evaluator's two paths (the stream batch and the
 * sweep) on real local parts: DynamoDB Local with its stream, fauxqs for SNS, the real store, the
 * injected clock. What is wired here, not what the pure policy decides (test/evaluate/ has that):
 * the silences are read once per batch and per sweep and reach every check's evaluation as mutes, a
 * check's maintenance windows reach its policy, suppressed notifications are logged with why, and a
 * failure to read the silences neither pages nor drops results.
 *
 * Times are near now, not fixed: DynamoDB Local deletes silences whose TTL (end + 30 days) has passed.
 */
import type { Context, DynamoDBRecord, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { MaintenanceWindow } from '../../shared/config/schema.ts';
import type { CheckState } from '../../shared/evaluate/index.ts';
import type { LogFields, Logger } from '../../shared/logging/logger.ts';
import { createStreamPoller } from '../../dev/stream-poller.ts';
import type { FailureReason, ProbeResult } from '../../shared/probe/types.ts';
import { createStore, StoreError, type Store, type StoredSilence } from '../../shared/store/dynamo.ts';
import { checksById, createEvaluatorHandler, type EvaluatorDeps } from '../../shared/usecases/evaluate-batch/evaluator-handler.ts';
import type { SweepStore } from '../../shared/usecases/evaluate-batch/sweep.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { startTestSnsEmulator, type TestSnsEmulator } from '../support/sns-emulator.ts';

const MIN = 60_000;
/** An hour ago, on a minute: recent enough for every TTL, far enough back for the simulated minutes. */
const T0 = Math.floor(Date.now() / MIN) * MIN - 60 * MIN;
const LOCATIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'] as const;
type Loc = (typeof LOCATIONS)[number];
const ALL_DOWN = { 'eu-west-1': 'timeout', 'us-east-1': 'timeout', 'ap-southeast-2': 'timeout' } as const;
const SWEEP_AT = 30_000;
const iso = (ms: number) => new Date(ms).toISOString();

const config = loadConfigObject({
  defaults: { locations: [...LOCATIONS], interval: '1m', alerting: { channels: ['oncall'] } },
  channels: { oncall: { email: ['oncall@example.com'] } },
  checks: [
    { id: 'api', tags: { team: 'payments' }, http: { url: 'https://api.example.com/health' } },
    { id: 'web', tags: { team: 'web' }, http: { url: 'https://web.example.com/' } },
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
beforeEach(async () => {
  await emu.received();
});

function probeResult(checkId: string, location: Loc, minute: number, failure?: FailureReason): ProbeResult {
  return {
    checkId, kind: 'http', target: `https://${checkId}.example.com/`, location,
    startedAt: iso(T0 + minute * MIN + LOCATIONS.indexOf(location) * 1000),
    ok: failure === undefined, status: failure === undefined ? 'up' : 'down',
    phases: { total: 17 }, assertions: [],
    ...(failure !== undefined && { failure: { reason: failure, message: `${failure} from ${location}` } }),
  };
}

const scheduled = (time: number): ScheduledEvent => ({
  version: '0', id: `sweep-${time}`, 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012',
  time: iso(time), region: 'eu-west-1', resources: ['arn:aws:events:eu-west-1:123456789012:rule/vantage-sweep'], detail: {},
});
const CONTEXT = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const isResultInsert = (r: DynamoDBRecord) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.type?.S === 'RESULT';

interface Harness {
  store: Store;
  logs: Array<{ message: string; fields: LogFields }>;
  counts: { listSilences: number; putState: number };
  /** When set, listSilences fails with it. */
  silencesFault: StoreError | undefined;
  /** One round at `minute` for both checks (failing where given), written and delivered through the stream. */
  round(minute: number, failing?: Partial<Record<string, Partial<Record<Loc, FailureReason>>>>): Promise<void>;
  /** The stream's records, read without evaluating them. */
  collect(minute: number, failing?: Partial<Record<string, Partial<Record<Loc, FailureReason>>>>): Promise<DynamoDBRecord[]>;
  invoke(records: DynamoDBRecord[]): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;
  sweep(minute: number): Promise<unknown>;
  state(checkId: string): Promise<CheckState | undefined>;
  /** The sweeps' EMF lines, one document each. */
  metrics: string[];
  silence(over: Partial<StoredSilence>): Promise<StoredSilence>;
}

async function harness(opts: { maintenance?: MaintenanceWindow[] } = {}): Promise<Harness> {
  const { tableName, streamArn } = await db.newTable();
  const store = createStore({ client: db.client, tableName, heartbeatTtlDays: 36_500 });
  let now = T0;
  const logs: Harness['logs'] = [];
  const log = (message: string, fields: LogFields = {}) => { logs.push({ message, fields }); };
  const logger: Logger = { info: log, warn: log, error: log };
  const h = {} as Harness;
  const counted: SweepStore = {
    ...store,
    listSilences: () => {
      h.counts.listSilences++;
      return h.silencesFault ? Promise.reject(h.silencesFault) : store.listSilences();
    },
    putState: (state, expected) => { h.counts.putState++; return store.putState(state, expected); },
  };
  const deps: EvaluatorDeps = {
    store: counted,
    publisher: snsPublisher(emu.sns, emu.topicArn),
    checks: checksById(config.checks),
    channels: config.channels,
    maintenance: opts.maintenance ?? [],
    clock: () => now,
    logger,
    writeMetric: (line) => { h.metrics.push(...line.split('\n')); },
  };
  const handler = createEvaluatorHandler(deps);
  let sink = (event: DynamoDBStreamEvent) => handler(event, CONTEXT);
  const poller = createStreamPoller({ streams: db.streams, streamArn, handler: (event) => sink(event), maxRetries: 0, filter: isResultInsert });
  const write = async (minute: number, failing: Partial<Record<string, Partial<Record<Loc, FailureReason>>>> = {}) => {
    await store.putResults(['api', 'web'].flatMap((id) => LOCATIONS.map((l) => probeResult(id, l, minute, failing[id]?.[l]))));
    for (const l of LOCATIONS) await store.putHeartbeat(l, { lastSeen: iso(T0 + minute * MIN + 3000), checksRun: 2 });
    now = T0 + minute * MIN + 5000;
  };
  Object.assign(h, {
    store, logs, metrics: [], counts: { listSilences: 0, putState: 0 }, silencesFault: undefined,
    async round(minute, failing) {
      await write(minute, failing);
      await poller.drain();
    },
    async collect(minute, failing) {
      await write(minute, failing);
      const records: DynamoDBRecord[] = [];
      const deliver = sink;
      sink = async (event) => { records.push(...event.Records); return { batchItemFailures: [] }; };
      await poller.drain();
      sink = deliver;
      return records;
    },
    invoke: (records) => handler({ Records: records }, CONTEXT),
    async sweep(minute) {
      now = T0 + minute * MIN + SWEEP_AT;
      return handler(scheduled(now), CONTEXT);
    },
    state: (checkId) => store.getState<CheckState>(checkId),
    async silence(over) {
      const s: StoredSilence = { id: 's-0000a1a1', checks: ['api'], startsAt: iso(T0), endsAt: iso(T0 + 30 * MIN), createdBy: 'test', createdAt: iso(T0), ...over };
      await store.putSilence(s);
      return s;
    },
  } satisfies Omit<Harness, never>);
  return h;
}

const suppressedLogs = (h: Harness) => h.logs.filter((l) => l.message === 'evaluation.suppressed').map((l) => l.fields);

describe('a failure to read the silences', () => {
  it('fails the whole stream batch: nothing is written or sent, and the retry evaluates it', async () => {
    // Prepare: a healthy round, then two failing ones read off the stream.
    const h = await harness();
    await h.round(0);
    const records = [...await h.collect(1, { api: ALL_DOWN }), ...await h.collect(2, { api: ALL_DOWN })];
    const writesBefore = h.counts.putState;
    h.silencesFault = new StoreError('STORE_THROTTLED', 'Query: throttled');

    // Act
    const failed = await h.invoke(records);

    // Assess: every check's first record is reported, so Lambda retries the batch from there.
    const firstOf = (checkId: string) => records.find((r) => r.dynamodb?.NewImage?.checkId?.S === checkId)!.dynamodb!.SequenceNumber;
    expect(failed.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([firstOf('api'), firstOf('web')].sort());
    expect(h.counts.putState).toBe(writesBefore);
    expect(await emu.received()).toEqual([]);
    expect(h.logs).toContainEqual({ message: 'silences unavailable; retrying the batch', fields: expect.objectContaining({ errorCode: 'STORE_THROTTLED' }) });

    // Act: Lambda's retry, with the table answering again.
    h.silencesFault = undefined;
    const retried = await h.invoke(records);

    // Assess: the results were not lost; they page now.
    expect(retried.batchItemFailures).toEqual([]);
    expect((await emu.received()).map((d) => d.attributes.event)).toEqual(['DOWN']);
  });

  it('makes the sweep decide nothing and throw, after logging why', async () => {
    // Prepare: api DOWN, then every location goes quiet, so the sweep has a REMINDER to decide.
    const h = await harness();
    await h.round(0);
    await h.round(1, { api: ALL_DOWN });
    await h.round(2, { api: ALL_DOWN });
    await emu.received();
    const writesBefore = h.counts.putState;
    h.silencesFault = new StoreError('STORE_UNAVAILABLE', 'Query failed');

    // Act
    const outcome = await h.sweep(20).then(() => 'resolved', (err: unknown) => err);

    // Assess
    expect(outcome).toBe(h.silencesFault);
    expect(h.counts.putState).toBe(writesBefore);
    expect(await emu.received()).toEqual([]);
    expect(h.logs.map((l) => l.message)).toContain('silences unavailable; this sweep decides nothing, the next one tries again');
  });
});

describe('silences reach the evaluation', () => {
  it('are read once per stream batch and once per sweep, whatever the number of checks', async () => {
    const h = await harness();
    await h.round(0);
    expect(h.counts.listSilences).toBe(1);
    await h.sweep(0);
    expect(h.counts.listSilences).toBe(2);
  });

  it('mute only the checks they match: a silenced outage sends nothing and is logged; another check pages', async () => {
    // Prepare: a silence for api, by id.
    const h = await harness();
    const s = await h.silence({});
    await h.round(0);

    // Act: both checks fail everywhere for two rounds.
    await h.round(1, { api: ALL_DOWN, web: ALL_DOWN });
    await h.round(2, { api: ALL_DOWN, web: ALL_DOWN });

    // Assess
    const sent = await emu.received();
    expect(sent.map((d) => [d.attributes.checkId, d.attributes.event])).toEqual([['web', 'DOWN']]);
    const api = await h.state('api');
    expect(api?.overall).toBe('DOWN');
    expect(api?.mute).toMatchObject({ kind: 'silence', name: s.id });
    expect(suppressedLogs(h)).toContainEqual(expect.objectContaining({ checkId: 'api', event: 'DOWN', by: 'silence', byName: s.id }));
  });

  it('by tag, the same way', async () => {
    const h = await harness();
    await h.silence({ checks: undefined, tags: { team: 'web' } });
    await h.round(0);

    await h.round(1, { api: ALL_DOWN, web: ALL_DOWN });
    await h.round(2, { api: ALL_DOWN, web: ALL_DOWN });

    expect((await emu.received()).map((d) => [d.attributes.checkId, d.attributes.event])).toEqual([['api', 'DOWN']]);
  });

  it('keep the sweep quiet too: with time passing and no results, a silenced DOWN check stays unsent and muted', async () => {
    const h = await harness();
    const s = await h.silence({});
    await h.round(0);
    for (const minute of [1, 2]) await h.round(minute, { api: ALL_DOWN });

    // Every location goes quiet (LOCATION_SILENT, REMINDER would be due); only the sweep runs.
    for (const minute of [3, 8, 14]) await h.sweep(minute);

    // web, not silenced, shows the sweep had things to send.
    const sent = await emu.received();
    expect(sent.filter((d) => d.attributes.checkId === 'web').map((d) => d.attributes.event)).toContain('LOCATION_SILENT');
    expect(sent.filter((d) => d.attributes.checkId === 'api')).toEqual([]);
    expect((await h.state('api'))?.mute).toMatchObject({ kind: 'silence', name: s.id });
  });

  it('expired, lets the sweep send the DOWN of a check still failing', async () => {
    // Prepare: api fails under its silence; nothing is sent.
    const h = await harness();
    const s = await h.silence({});
    await h.round(0);
    for (const minute of [1, 2, 3]) await h.round(minute, { api: ALL_DOWN });
    expect(await emu.received()).toEqual([]);

    // Act: the silence is expired between rounds; only the sweep runs after it.
    await h.store.expireSilence(s.id, new Date(T0 + 3 * MIN + 10_000));
    await h.sweep(3);

    // Assess
    const sent = await emu.received();
    expect(sent.map((d) => [d.attributes.checkId, d.attributes.event])).toEqual([['api', 'DOWN']]);
    expect((await h.state('api'))?.mute).toBeUndefined();
  });
});

describe('maintenance windows reach the policy', () => {
  it('from deps.maintenance, in the stream path', async () => {
    const window: MaintenanceWindow = { name: 'db-migration', checks: ['api'], start: T0, end: T0 + 30 * MIN };
    const h = await harness({ maintenance: [window] });
    await h.round(0);

    await h.round(1, { api: ALL_DOWN, web: ALL_DOWN });
    await h.round(2, { api: ALL_DOWN, web: ALL_DOWN });

    expect((await emu.received()).map((d) => [d.attributes.checkId, d.attributes.event])).toEqual([['web', 'DOWN']]);
    expect((await h.state('api'))?.mute).toMatchObject({ kind: 'maintenance', name: 'db-migration' });
    expect(suppressedLogs(h)).toContainEqual(expect.objectContaining({ checkId: 'api', event: 'DOWN', by: 'maintenance', byName: 'db-migration' }));
  });

  it('and the sweep draws them: a Maintenance point for the muted check only, none once the window is over', async () => {
    const window: MaintenanceWindow = { name: 'db-migration', checks: ['api'], start: T0, end: T0 + 3 * MIN };
    const h = await harness({ maintenance: [window] });
    await h.round(0, { api: ALL_DOWN, web: ALL_DOWN });
    await h.sweep(1);
    const points = (from: number) => h.metrics.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>).filter((d) => 'Maintenance' in d);
    expect(points(0).map((d) => [d.CheckId, d.Maintenance])).toEqual([['api', 1]]);
    const after = h.metrics.length;
    await h.sweep(4);
    expect(points(after)).toEqual([]);
  });
});

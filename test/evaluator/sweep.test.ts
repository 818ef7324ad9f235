/**
 * The scheduled sweep on real local parts: results and heartbeats written with the real store into
 * DynamoDB Local, the first rounds delivered through its stream, and after that no stream record at
 * all: only EventBridge-shaped scheduled events, at simulated minutes with an injected clock. Alerts
 * go through fauxqs to subscribed SQS queues (one emulator for the alert topic, one for the ops topic).
 */
import type { Context, DynamoDBRecord, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { snsPublisher, type Publisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { CheckState } from '../../shared/evaluate/index.ts';
import type { LogFields, Logger } from '../../shared/logging/logger.ts';
import { createStreamPoller } from '../../dev/stream-poller.ts';
import type { FailureReason, ProbeResult } from '../../shared/probe/types.ts';
import { createStore, opsMarksOf, type Store } from '../../shared/store/dynamo.ts';
import type { VersionedState } from '../../shared/store/items.ts';
import type { OpsMarks } from '../../shared/store/ops-marks.ts';
import { checksById, createEvaluatorHandler, type EvaluatorDeps } from '../../shared/usecases/evaluate-batch/evaluator-handler.ts';
import { isSweepEvent, type SweepStore, type SweepSummary } from '../../shared/usecases/evaluate-batch/sweep.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { specViolations } from '../support/emf-spec.ts';
import { startTestSnsEmulator, type Delivery, type TestSnsEmulator } from '../support/sns-emulator.ts';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const MIN = 60_000;
const INTERVAL = MIN;
const LOCATIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'] as const;
type Loc = (typeof LOCATIONS)[number];
/** Sweeps run half a minute after each round, so a decision's minute is unambiguous. */
const SWEEP_AT = 30_000;

const config = loadConfigObject({
  defaults: { locations: [...LOCATIONS], interval: '1m', alerting: { channels: ['oncall'] } },
  // No `events`: the channel hears everything, LOCATION_SILENT and REMINDER included.
  channels: { oncall: { email: ['oncall@example.com'] } },
  checks: [{ id: 'api', name: 'Public API', http: { url: 'https://api.example.com/health' }, alerting: { repeatInterval: '5m' } }],
});

let db: TestDynamoDb;
let emu: TestSnsEmulator;
let ops: TestSnsEmulator;

beforeAll(async () => {
  [db, emu, ops] = await Promise.all([startTestDynamoDb(), startTestSnsEmulator(), startTestSnsEmulator({ topicName: 'vantage-ops', queueName: 'ops-inbox' })]);
});
afterAll(async () => {
  await Promise.all([db?.stop(), emu?.stop(), ops?.stop()]);
});
beforeEach(async () => {
  await emu.received();
  await ops.received();
});

function probeResult(location: Loc, minute: number, failure?: FailureReason): ProbeResult {
  return {
    checkId: 'api', kind: 'http', target: 'https://api.example.com/health', location,
    startedAt: new Date(T0 + minute * MIN + LOCATIONS.indexOf(location) * 1000).toISOString(),
    ok: failure === undefined, status: failure === undefined ? 'up' : 'down',
    phases: { total: 17 }, assertions: [],
    ...(failure !== undefined && { failure: { reason: failure, message: `${failure} from ${location}` } }),
  };
}

const scheduled = (time: number): ScheduledEvent => ({
  version: '0', id: `sweep-${time}`, 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012',
  time: new Date(time).toISOString(), region: 'eu-west-1', resources: ['arn:aws:events:eu-west-1:123456789012:rule/vantage-sweep'], detail: {},
});

const isResultInsert = (r: DynamoDBRecord) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.type?.S === 'RESULT';
const quietLogger = (entries: Array<{ message: string; fields: LogFields }>): Logger => {
  const log = (message: string, fields: LogFields = {}) => { entries.push({ message, fields }); };
  return { info: log, warn: log, error: log };
};
const CONTEXT = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

interface Counts { putState: number; putIncident: number; opsSet: number }

interface Harness {
  store: Store;
  deps: EvaluatorDeps;
  counts: Counts;
  emf: string[];
  logs: Array<{ message: string; fields: LogFields }>;
  streamInvocations: number;
  /** Writes results and heartbeats for these locations (failing as given), as a probe round at `minute`. */
  write(minute: number, locations: readonly Loc[], failing?: Partial<Record<Loc, FailureReason>>): Promise<void>;
  /** Writes a round and delivers it through the stream. */
  round(minute: number, failing?: Partial<Record<Loc, FailureReason>>): Promise<void>;
  /** Reads the stream without evaluating, to hand-deliver it later. */
  collect(): Promise<DynamoDBRecord[]>;
  /** One sweep at `minute` + 30 s: a scheduled event, no records. */
  sweep(minute: number): Promise<SweepSummary>;
  state(): Promise<CheckState | undefined>;
}

async function harness(opts: { wrapStore?: (s: Store) => SweepStore; instances?: Record<string, number>; opsMarks?: (m: OpsMarks) => OpsMarks } = {}): Promise<Harness> {
  const { tableName, streamArn } = await db.newTable();
  // The simulated time is fixed in the past, and DynamoDB Local really deletes items whose `ttl` has
  // passed (a heartbeat's is 7 days after its lastSeen); a heartbeat that vanished would look like silence.
  const store = createStore({ client: db.client, tableName, heartbeatTtlDays: 36_500 });
  const counts: Counts = { putState: 0, putIncident: 0, opsSet: 0 };
  const base = opts.wrapStore ? opts.wrapStore(store) : store;
  const counted: SweepStore = {
    ...base,
    putState: (state, expected) => { counts.putState++; return base.putState(state, expected); },
    putIncident: (incident) => { counts.putIncident++; return base.putIncident(incident); },
  };
  const marks = opsMarksOf(store);
  const countedMarks: OpsMarks = { get: (l) => marks.get(l), set: (l, i, m) => { counts.opsSet++; return marks.set(l, i, m); } };
  let now = T0;
  const emf: string[] = [];
  const logs: Harness['logs'] = [];
  const deps: EvaluatorDeps = {
    store: counted,
    publisher: snsPublisher(emu.sns, emu.topicArn),
    opsPublisher: snsPublisher(ops.sns, ops.topicArn),
    opsMarks: opts.opsMarks ? opts.opsMarks(countedMarks) : countedMarks,
    ...(opts.instances && { instances: opts.instances }),
    checks: checksById(config.checks),
    channels: config.channels,
    maintenance: [],
    clock: () => now,
    logger: quietLogger(logs),
    writeMetric: (line) => emf.push(line),
  };
  const handler = createEvaluatorHandler(deps);
  const h: Harness = {
    store, deps, counts, emf, logs, streamInvocations: 0,
    async write(minute, locations, failing = {}) {
      await store.putResults(locations.map((l) => probeResult(l, minute, failing[l])));
      for (const l of locations) await store.putHeartbeat(l, { lastSeen: new Date(T0 + minute * MIN + 3000).toISOString(), checksRun: 1 });
      now = T0 + minute * MIN + 5000;
    },
    async round(minute, failing = {}) {
      await h.write(minute, LOCATIONS, failing);
      await poller.drain();
    },
    async collect() {
      const records: DynamoDBRecord[] = [];
      sink = async (event) => { records.push(...event.Records); return { batchItemFailures: [] }; };
      await poller.drain();
      sink = deliver;
      return records;
    },
    async sweep(minute) {
      now = T0 + minute * MIN + SWEEP_AT;
      return handler(scheduled(now), CONTEXT);
    },
    state: () => store.getState<CheckState>('api'),
  };
  const deliver = async (event: DynamoDBStreamEvent) => {
    h.streamInvocations++;
    return handler(event, CONTEXT);
  };
  let sink = deliver;
  const poller = createStreamPoller({ streams: db.streams, streamArn, handler: (event) => sink(event), maxRetries: 0, filter: isResultInsert });
  return h;
}

const events = (ds: Delivery[]) => ds.map((d) => d.attributes.event);
const payloadOf = (d: Delivery) => JSON.parse(d.message) as Record<string, unknown>;

describe('isSweepEvent', () => {
  it('takes EventBridge scheduled events only', () => {
    expect(isSweepEvent(scheduled(T0))).toBe(true);
    expect(isSweepEvent({ Records: [] })).toBe(false);
    expect(isSweepEvent({ source: 'aws.events', 'detail-type': 'Object Created' })).toBe(false);
    expect(isSweepEvent(null)).toBe(false);
  });
});

describe('the sweep, with no stream records at all', () => {
  it('sends LOCATION_SILENT through the check\'s channel within 3 intervals + 1 minute of the location\'s last evidence', async () => {
    // Prepare: three healthy rounds through the stream create the state.
    const h = await harness();
    for (const minute of [0, 1, 2]) await h.round(minute);
    const streamed = h.streamInvocations;
    // ap-southeast-2's last evidence is its heartbeat of the round at minute 2.
    const lastEvidence = T0 + 2 * MIN + 3000;

    // Act: ap-southeast-2 writes nothing more; the others keep writing (never delivered); only the sweep runs.
    const arrivals: Array<{ at: number; delivery: Delivery }> = [];
    for (let minute = 3; minute <= 9; minute++) {
      await h.write(minute, ['eu-west-1', 'us-east-1']);
      await h.sweep(minute);
      for (const delivery of await emu.received()) arrivals.push({ at: T0 + minute * MIN + SWEEP_AT, delivery });
    }

    // Assess
    expect(h.streamInvocations).toBe(streamed);
    expect(arrivals.map((a) => a.delivery.attributes.event)).toEqual(['LOCATION_SILENT']);
    const [{ at, delivery }] = arrivals as [typeof arrivals[number]];
    expect(at - lastEvidence).toBeGreaterThan(3 * INTERVAL);
    expect(at - lastEvidence).toBeLessThanOrEqual(3 * INTERVAL + MIN);
    expect(delivery.attributes).toEqual({ checkId: 'api', event: 'LOCATION_SILENT', severity: 'warning', channels: ['oncall'] });
    expect(payloadOf(delivery)).toMatchObject({
      event: 'LOCATION_SILENT', dedupeKey: `api:ap-southeast-2:silent:${new Date(lastEvidence).toISOString()}:LOCATION_SILENT:1`,
      locations: [expect.objectContaining({ location: 'ap-southeast-2' })],
    });
    expect((await h.state())?.outbox).toEqual([]);
  });

  it('sends a REMINDER every repeatInterval while every location of a DOWN check is silent', async () => {
    // Prepare: DOWN through the stream (two failed rounds everywhere; us-east-1 completes the quorum at minute 2 + 1 s).
    const h = await harness();
    await h.round(0);
    const down = { 'eu-west-1': 'timeout', 'us-east-1': 'timeout', 'ap-southeast-2': 'timeout' } as const;
    await h.round(1, down);
    await h.round(2, down);
    const [page] = await emu.received();
    expect(page?.attributes.event).toBe('DOWN');
    const downAt = T0 + 2 * MIN + 1000;

    // Act: every location goes dark; the sweep runs every minute.
    const arrivals: Array<{ minute: number; event: string; key: string }> = [];
    for (let minute = 3; minute <= 13; minute++) {
      await h.sweep(minute);
      for (const d of await emu.received()) arrivals.push({ minute, event: String(d.attributes.event), key: String(payloadOf(d).dedupeKey) });
    }

    // Assess: each location is reported silent once; reminders at the first sweep ≥ 5 m after the DOWN, then 5 m after that.
    expect(arrivals.filter((a) => a.event === 'LOCATION_SILENT').map((a) => a.minute)).toEqual([5, 5, 5]);
    const reminders = arrivals.filter((a) => a.event === 'REMINDER');
    expect(reminders.map((a) => T0 + a.minute * MIN + SWEEP_AT - downAt >= 5 * MIN)).toEqual([true, true]);
    expect(reminders.map((a) => a.minute)).toEqual([7, 12]);
    expect(reminders.map((a) => a.key.split(':').slice(-2).join(':'))).toEqual(['REMINDER:1', 'REMINDER:2']);
    expect(arrivals.map((a) => a.event)).not.toContain('RESOLVED');
  });

  it('writes nothing in steady state, and writes one Sweep EMF line per run', async () => {
    // Prepare
    const h = await harness({ instances: { dc1: 2 } });
    await h.round(0);
    await h.round(1);
    for (const instance of ['1', '2']) await h.store.putHeartbeat('dc1', { lastSeen: new Date(T0 + MIN).toISOString(), checksRun: 1, instance });
    const before = { ...h.counts };
    const version = (await h.state())?.version;

    // Act: healthy rounds keep being written (not delivered); five sweeps.
    const summaries: SweepSummary[] = [];
    for (let minute = 2; minute <= 6; minute++) {
      await h.write(minute, LOCATIONS);
      for (const instance of ['1', '2']) await h.store.putHeartbeat('dc1', { lastSeen: new Date(T0 + minute * MIN + 3000).toISOString(), checksRun: 1, instance });
      summaries.push(await h.sweep(minute));
    }

    // Assess
    expect(h.counts).toEqual(before);
    expect((await h.state())?.version).toBe(version);
    expect(await emu.received()).toEqual([]);
    expect(await ops.received()).toEqual([]);
    expect(summaries).toEqual(Array(5).fill({ checks: 1, candidates: 0, changed: 0, published: 0, failed: 0, leftOver: 0 }));
    expect(h.emf).toHaveLength(5);
    for (const line of h.emf) expect(specViolations(line)).toEqual([]);
    expect(JSON.parse(h.emf[0]!)).toEqual({
      _aws: { Timestamp: T0 + 2 * MIN + SWEEP_AT, CloudWatchMetrics: [{ Namespace: 'Vantage', Dimensions: [[]], Metrics: [{ Name: 'Sweep', Unit: 'Count' }] }] },
      Sweep: 1, checks: 1, changed: 0, published: 0,
    });
  });

  // At minute 7 the stream's REMINDER is young, so the sweep would not send it as a leftover anyway; at
  // minute 8 (the stream lagging a minute) it is old enough, and only the rule that a retry after a
  // lost race sends nothing but its own decisions keeps it from going out twice.
  it.each([7, 8])('publishes a notification once when the sweep (at minute %i) loses a version race to a stream batch deciding the same one', async (sweepMinute) => {
    // Prepare: DOWN at minute 2 + 1 s; at minute 7 a REMINDER is due for both the sweep and the stream.
    let interleave: (() => Promise<void>) | undefined;
    const h = await harness({
      wrapStore: (store) => ({
        ...store,
        getState: async <S extends VersionedState>(checkId: string) => {
          const read = await store.getState<S>(checkId);
          const other = interleave;
          interleave = undefined;
          if (other) await other();
          return read;
        },
      }),
    });
    await h.round(0);
    const down = { 'eu-west-1': 'timeout', 'us-east-1': 'timeout' } as const;
    await h.round(1, down);
    await h.round(2, down);
    expect(events(await emu.received())).toEqual(['DOWN']);
    await h.write(7, LOCATIONS, down);
    const records = await h.collect();

    // The stream invocation is its own handler (another Lambda instance), whose publish is held open
    // so that the sweep re-reads its state while the REMINDER is written but not yet cleared.
    let entered!: () => void;
    const inPublish = new Promise<void>((resolve) => { entered = resolve; });
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const real = snsPublisher(emu.sns, emu.topicArn);
    const held: Publisher = { publish: async (m) => { entered(); await released; return real.publish(m); } };
    const stream = createEvaluatorHandler({ ...h.deps, store: h.store, publisher: held, clock: () => T0 + sweepMinute * MIN + 5000 });
    let streamDone: Promise<unknown> | undefined;
    interleave = async () => {
      streamDone = stream({ Records: records }, CONTEXT);
      await inPublish;
    };

    // Act: the sweep reads, the stream reads, decides, writes and starts publishing; the sweep's write then loses.
    const summary = await h.sweep(sweepMinute);
    release();
    await streamDone;

    // Assess
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'state version conflict; re-reading' }));
    expect(summary).toMatchObject({ candidates: 1, published: 0 });
    const delivered = await emu.received();
    expect(events(delivered)).toEqual(['REMINDER']);
    expect(payloadOf(delivered[0]!).dedupeKey).toMatch(/:REMINDER:1$/);
    const after = await h.state();
    expect(after?.outbox).toEqual([]);
    expect(after?.incident?.sent.REMINDER).toBe(1);
    // And the next sweep sends nothing more.
    await h.sweep(sweepMinute + 1);
    expect(await emu.received()).toEqual([]);
  });
});

describe('INSTANCE_SILENT to the ops topic', () => {
  const beat = (h: Harness, instance: string, minute: number) => h.store.putHeartbeat('dc1', { lastSeen: new Date(T0 + minute * MIN + 3000).toISOString(), checksRun: 1, instance });

  it('warns once per silence of an instance, never through the check\'s channels, and forgets it once heard from again', async () => {
    // Prepare: dc1 runs three instances; 3 never starts, 2 stops after minute 1.
    const h = await harness({ instances: { dc1: 3 } });
    await h.round(0);
    const arrivals: Array<{ minute: number; payload: Record<string, unknown>; attributes: Delivery['attributes']; subject?: string }> = [];
    const sweepAt = async (minute: number, instances: string[]) => {
      for (const i of instances) await beat(h, i, minute);
      await h.write(minute, LOCATIONS);
      await h.sweep(minute);
      for (const d of await ops.received()) arrivals.push({ minute, payload: payloadOf(d), attributes: d.attributes, subject: d.subject });
    };

    // Act 1
    for (let minute = 0; minute <= 7; minute++) await sweepAt(minute, minute <= 1 ? ['1', '2'] : ['1']);

    // Assess 1: instance 2 three minutes after its heartbeat at 1:03; instance 3 three minutes after the sweep first missed it (0:30).
    expect(arrivals.map((a) => [a.minute, a.payload.instance])).toEqual([[4, '2'], [4, '3']]);
    expect(arrivals[0]?.attributes).toEqual({ event: 'INSTANCE_SILENT', severity: 'warning', location: 'dc1' });
    expect(arrivals[0]?.subject).toBe('[INSTANCE_SILENT] dc1 instance 2 of 3 silent for 3m 27s');
    expect(arrivals[0]?.payload).toMatchObject({ lastSeen: new Date(T0 + MIN + 3000).toISOString(), dedupeKey: `dc1:2:silent:${new Date(T0 + MIN + 3000).toISOString()}:INSTANCE_SILENT:1` });
    expect(arrivals[1]?.payload).toMatchObject({ noticedAt: new Date(T0 + SWEEP_AT).toISOString() });
    expect(await emu.received()).toEqual([]);

    // Act 2: instance 2 is back at minute 8, silent again after minute 9.
    arrivals.length = 0;
    const setsBefore = h.counts.opsSet;
    await sweepAt(8, ['1', '2']);
    expect(h.counts.opsSet - setsBefore).toBe(1);
    expect((await h.deps.opsMarks!.get(['dc1'])).get('dc1')).toEqual({ 3: { since: T0 + SWEEP_AT, neverSeen: true, warned: true } });
    await sweepAt(9, ['1', '2']);
    for (let minute = 10; minute <= 14; minute++) await sweepAt(minute, ['1']);

    // Assess 2: a new silence, a new key.
    expect(arrivals.map((a) => [a.minute, a.payload.instance, a.payload.dedupeKey])).toEqual([
      [12, '2', `dc1:2:silent:${new Date(T0 + 9 * MIN + 3000).toISOString()}:INSTANCE_SILENT:1`],
    ]);
  });

  it('retries a warning whose publish failed at the next sweep, and does not stop the checks\' sweep', async () => {
    let failing = true;
    const h = await harness({ instances: { dc1: 2 } });
    const real = snsPublisher(ops.sns, ops.topicArn);
    h.deps.opsPublisher = { publish: async (m) => { if (failing) throw new Error('ops topic down'); return real.publish(m); } };
    await h.round(0);
    for (let minute = 0; minute <= 4; minute++) {
      await beat(h, '1', minute);
      if (minute === 0) await beat(h, '2', minute);
      await h.write(minute, LOCATIONS);
      await h.sweep(minute);
    }
    expect(await ops.received()).toEqual([]);
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'instance silence not decided; the next sweep tries again' }));

    failing = false;
    await beat(h, '1', 5);
    await h.write(5, LOCATIONS);
    await h.sweep(5);
    expect((await ops.received()).map((d) => payloadOf(d).instance)).toEqual(['2']);
  });
});

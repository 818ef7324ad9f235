/**
 * The evaluate→publish path end to end on real local parts: results written with the store land in
 * DynamoDB Local, its stream is read with the Streams API by the stream poller, the evaluator handler
 * gets Lambda-shaped events, and alerts go through fauxqs to a subscribed SQS queue. SNS is mocked
 * only to make Publish fail, which fauxqs never does.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { snsPublisher, type Publisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { CheckState } from '../../shared/evaluate/index.ts';
import { localClientConfig } from '../../dev/sns-emulator.ts';
import { createStreamPoller } from '../../dev/stream-poller.ts';
import type { FailureReason, ProbeResult } from '../../shared/probe/types.ts';
import { createStore, VersionConflictError, type Store } from '../../shared/store/dynamo.ts';
import type { VersionedState } from '../../shared/store/items.ts';
import { checksById, createEvaluatorHandler, STOP_MARGIN_MS, type EvaluatorDeps } from '../../shared/usecases/evaluate-batch/evaluator-handler.ts';
import type { LogFields, Logger } from '../../shared/logging/logger.ts';
import type { SweepStore } from '../../shared/usecases/evaluate-batch/sweep.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { startTestSnsEmulator, type Delivery, type TestSnsEmulator } from '../support/sns-emulator.ts';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const MIN = 60_000;
const LOCATIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'] as const;
type Loc = (typeof LOCATIONS)[number];

const config = loadConfigObject({
  defaults: { locations: [...LOCATIONS], alerting: { channels: ['oncall', 'chat'] } },
  channels: {
    oncall: { email: ['oncall@example.com'], events: ['DOWN', 'RESOLVED'] },
    chat: { webhook: ['https://hooks.example.com/x'], events: ['PARTIAL'] },
    certs: { email: ['pki@example.com'], events: ['CERT_EXPIRING'] },
  },
  checks: [
    { id: 'api', name: 'Public API', http: { url: 'https://api.example.com/health', headers: { Authorization: 'Bearer do-not-leak' } } },
    { id: 'web', http: { url: 'https://www.example.com/' } },
    { id: 'shop', http: { url: 'https://shop.example.com/' }, alerting: { channels: ['oncall', 'certs'], certExpiringDays: 14 } },
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
    checkId,
    kind: 'http',
    target: `https://${checkId}.example.com/health`,
    location,
    // Locations a second apart, so one round's records have a stable stream order.
    startedAt: new Date(T0 + minute * MIN + LOCATIONS.indexOf(location) * 1000).toISOString(),
    ok: failure === undefined,
    status: failure === undefined ? 'up' : 'down',
    phases: failure === undefined ? { dns: 1, connect: 2, tls: 3, ttfb: 10, transfer: 1, total: 17 } : { dns: 1, connect: 2, total: 3 },
    assertions: [],
    ...(failure !== undefined && { failure: { reason: failure, message: `${failure} from ${location}` } }),
  };
}

interface LogEntry { level: string; message: string; fields: LogFields }

function recordingLogger(entries: LogEntry[]): Logger {
  const log = (level: string) => (message: string, fields: LogFields = {}) => { entries.push({ level, message, fields }); };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

const isResultInsert = (r: DynamoDBRecord) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.type?.S === 'RESULT';
const checkOf = (r: DynamoDBRecord) => r.dynamodb?.NewImage?.checkId?.S;
const locationOf = (r: DynamoDBRecord) => r.dynamodb?.NewImage?.location?.S;
const NO_CONTEXT = {} as Context;

interface Harness {
  store: Store;
  deps: EvaluatorDeps;
  logs: LogEntry[];
  invocations: Array<{ event: DynamoDBStreamEvent; response: DynamoDBBatchResponse }>;
  /** Writes one round of results (failing locations per check) and heartbeats, then lets the poller deliver them. */
  round(minute: number, failing: Partial<Record<string, Partial<Record<Loc, FailureReason>>>>, checks?: string[]): Promise<void>;
  /** Writes results without delivering them. */
  write(minute: number, failing: Partial<Record<string, Partial<Record<Loc, FailureReason>>>>, checks?: string[]): Promise<void>;
  drain(): Promise<void>;
  /** Reads what the stream holds without running the evaluator, to hand-deliver it later. */
  collect(): Promise<DynamoDBRecord[]>;
  invoke(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse>;
  state(checkId: string): Promise<CheckState | undefined>;
}

async function harness(opts: { publisher?: Publisher; wrapStore?: (s: Store) => SweepStore; filter?: boolean; maxRetries?: number; onDiscard?: (records: DynamoDBRecord[]) => void } = {}): Promise<Harness> {
  const { tableName, streamArn } = await db.newTable();
  // T0 is fixed in the past and DynamoDB Local deletes items whose `ttl` has passed (a heartbeat's is
  // 7 days after its lastSeen); a heartbeat deleted mid-test would look like silence.
  const store = createStore({ client: db.client, tableName, heartbeatTtlDays: 36_500 });
  let now = T0;
  const logs: LogEntry[] = [];
  const deps: EvaluatorDeps = {
    store: opts.wrapStore ? opts.wrapStore(store) : store,
    publisher: opts.publisher ?? snsPublisher(emu.sns, emu.topicArn),
    checks: checksById(config.checks),
    channels: config.channels,
    maintenance: [],
    clock: () => now,
    logger: recordingLogger(logs),
  };
  const handler = createEvaluatorHandler(deps);
  const invocations: Harness['invocations'] = [];
  const invoke = async (event: DynamoDBStreamEvent) => {
    const response = await handler(event, NO_CONTEXT);
    invocations.push({ event, response });
    return response;
  };
  let sink = invoke;
  const poller = createStreamPoller({
    streams: db.streams,
    streamArn,
    handler: (event) => sink(event),
    maxRetries: opts.maxRetries ?? 2,
    ...(opts.filter !== false && { filter: isResultInsert }),
    ...(opts.onDiscard && { onDiscard: (b) => opts.onDiscard!(b.records) }),
  });
  const write: Harness['write'] = async (minute, failing, checks = ['api']) => {
    const results = checks.flatMap((id) => LOCATIONS.map((loc) => probeResult(id, loc, minute, failing[id]?.[loc])));
    await store.putResults(results);
    for (const loc of LOCATIONS) await store.putHeartbeat(loc, { lastSeen: new Date(T0 + minute * MIN + 3000).toISOString(), checksRun: checks.length });
    now = T0 + minute * MIN + 5000;
  };
  const drain = async () => { await poller.drain(); };
  const collect = async () => {
    const records: DynamoDBRecord[] = [];
    sink = async (event) => {
      records.push(...event.Records);
      return { batchItemFailures: [] };
    };
    await poller.drain();
    sink = invoke;
    return records;
  };
  return {
    store, deps, logs, invocations, write, drain, collect, invoke,
    round: async (minute, failing, checks) => {
      await write(minute, failing, checks);
      await drain();
    },
    state: (checkId) => store.getState<CheckState>(checkId),
  };
}

const bothDown = { api: { 'eu-west-1': 'connect_refused', 'us-east-1': 'timeout' } } as const;

function payloadOf(d: Delivery | undefined): Record<string, unknown> {
  return JSON.parse(d!.message) as Record<string, unknown>;
}

describe('CERT_EXPIRING through the stream', () => {
  const DAY = 86_400_000;
  /** One passing round of `shop` whose server presents a certificate expiring at `notAfter`, delivered. */
  async function certRound(h: Harness, minute: number, notAfter: number): Promise<void> {
    const certExpiresAt = new Date(notAfter).toISOString();
    await h.store.putResults(LOCATIONS.map((loc) => ({ ...probeResult('shop', loc, minute), tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', certExpiresAt } })));
    for (const loc of LOCATIONS) await h.store.putHeartbeat(loc, { lastSeen: new Date(T0 + minute * MIN + 3000).toISOString(), checksRun: 1 });
    await h.drain();
  }

  it('warns once from the stored result\'s certificate expiry, then writes and sends nothing, even for a replayed batch', async () => {
    const h = await harness();
    // Prepare: 30 days left is outside the 14-day window.
    await certRound(h, 0, T0 + 30 * DAY);
    expect(await emu.received()).toEqual([]);

    // Act: a rollback to an old certificate with 10 days left.
    const notAfter = T0 + MIN + 10 * DAY + 12 * 3_600_000;
    await certRound(h, 1, notAfter);

    // Assess
    const [warning, ...more] = await emu.received();
    expect(more).toEqual([]);
    expect(warning?.attributes).toEqual({ checkId: 'shop', event: 'CERT_EXPIRING', severity: 'warning', channels: ['certs'] });
    expect(warning?.subject).toBe('[CERT_EXPIRING] shop: certificate expires in 10 days');
    const key = `shop:cert:${new Date(notAfter).toISOString()}:CERT_EXPIRING:1`;
    expect(payloadOf(warning)).toMatchObject({ event: 'CERT_EXPIRING', certDaysLeft: 10, certExpiresAt: new Date(notAfter).toISOString(), dedupeKey: key, locations: [{ location: 'eu-west-1' }] });
    const stored = await h.state('shop');
    expect(stored).toMatchObject({ overall: 'UP', outbox: [], certWarnedExpiry: notAfter });
    expect(await h.store.listIncidents('shop')).toEqual([]);

    // Steady state after the warning: the same certificate writes nothing and sends nothing.
    await certRound(h, 2, notAfter);
    expect(await emu.received()).toEqual([]);
    expect((await h.state('shop'))?.version).toBe(stored?.version);

    // The warning's batch delivered again changes nothing.
    const warningBatch = h.invocations.find((i) => i.event.Records.some((r) => r.dynamodb?.NewImage?.ts?.S === new Date(T0 + MIN).toISOString()))!.event;
    expect(await h.invoke(warningBatch)).toEqual({ batchItemFailures: [] });
    expect(await emu.received()).toEqual([]);
    expect(await h.state('shop')).toEqual(stored);
  });
});

describe('evaluate → publish through the stream', () => {
  it('pages DOWN once two of three locations fail twice, then RESOLVED after two good rounds', async () => {
    const h = await harness();

    // Prepare: a first healthy round creates the state; a second one writes nothing.
    await h.round(0, {});
    const first = await h.state('api');
    await h.round(1, {});
    expect((await h.state('api'))?.version).toBe(first?.version);
    expect(await emu.received()).toEqual([]);

    // One failed run per location is a blip: nothing is sent.
    await h.round(2, bothDown);
    expect(await emu.received()).toEqual([]);

    // Act: the second failed run crosses the threshold in two locations, the quorum.
    await h.round(3, bothDown);

    // Assess
    const [down, ...moreDown] = await emu.received();
    expect(moreDown).toEqual([]);
    expect(down?.subject).toBe('[DOWN] Public API: 2/3 locations failing');
    expect(down?.attributes).toEqual({ checkId: 'api', event: 'DOWN', severity: 'critical', channels: ['oncall'] });
    const payload = payloadOf(down);
    expect(payload).toMatchObject({
      schemaVersion: 1, event: 'DOWN', checkId: 'api', checkName: 'Public API', kind: 'http',
      target: 'https://api.example.com/health', since: new Date(T0 + 2 * MIN).toISOString(), locationCount: 3, channels: ['oncall'],
    });
    expect(payload.locations).toEqual([
      expect.objectContaining({ location: 'eu-west-1', reason: 'connect_refused', message: 'connect_refused from eu-west-1', phases: { dns: 1, connect: 2, total: 3 } }),
      expect.objectContaining({ location: 'us-east-1', reason: 'timeout', message: 'timeout from us-east-1' }),
    ]);
    // fauxqs hands over the whole MessageStructure document; the readable text is its default/email.
    const structure = JSON.parse(down!.rawMessage) as Record<string, string>;
    expect(structure.email).toContain('State:   DOWN, 2 of 3 locations failing');
    expect(structure.email).toContain('  - eu-west-1: connect_refused: connect_refused from eu-west-1');
    expect(down!.rawMessage).not.toContain('do-not-leak');
    const afterDown = await h.state('api');
    expect(afterDown?.outbox).toEqual([]);
    expect(afterDown?.overall).toBe('DOWN');
    const [open] = await h.store.listIncidents('api');
    expect(open).toMatchObject({ incidentId: payload.incidentId, startedAt: new Date(T0 + 2 * MIN).toISOString(), locations: ['eu-west-1', 'us-east-1'], firstReason: 'connect_refused' });
    expect(open?.endedAt).toBeUndefined();

    // Still failing: no second page.
    await h.round(4, bothDown);
    expect(await emu.received()).toEqual([]);

    // One good round is not recovery; the second is.
    await h.round(5, {});
    expect(await emu.received()).toEqual([]);
    await h.round(6, {});
    const [resolved, ...moreResolved] = await emu.received();
    expect(moreResolved).toEqual([]);
    expect(resolved?.attributes).toEqual({ checkId: 'api', event: 'RESOLVED', severity: 'info', channels: ['oncall'] });
    const resolvedPayload = payloadOf(resolved);
    expect(resolvedPayload).toMatchObject({ event: 'RESOLVED', incidentId: payload.incidentId, since: payload.since });
    // From eu-west-1's first failed run to us-east-1's second good one (locations run a second apart).
    expect(resolvedPayload.durationMs).toBe(4 * MIN + 1000);
    expect(resolved?.subject).toBe('[RESOLVED] Public API: up again after 4m 1s');
    const [closed, ...others] = await h.store.listIncidents('api');
    expect(others).toEqual([]);
    expect(closed).toMatchObject({ incidentId: payload.incidentId, endedAt: new Date(T0 + 6 * MIN + 1000).toISOString(), locations: ['eu-west-1', 'us-east-1'] });
    expect((await h.state('api'))?.outbox).toEqual([]);
    expect(h.invocations.every((i) => i.response.batchItemFailures.length === 0)).toBe(true);
  });

  it('changes nothing and publishes nothing when the same batch is delivered again', async () => {
    const h = await harness();
    await h.round(0, {});
    await h.round(2, bothDown);
    await h.round(3, bothDown);
    expect((await emu.received()).map((d) => d.attributes.event)).toEqual(['DOWN']);
    const downBatch = h.invocations.at(-1)!.event;
    const before = await h.state('api');

    const response = await h.invoke(downBatch);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await emu.received()).toEqual([]);
    expect(await h.state('api')).toEqual(before);
  });

  it('keeps the notification in the outbox when publishing fails, and the next invocation sends it exactly once', async () => {
    const failing = new SNSClient(localClientConfig(emu.endpoint, emu.region));
    const sns = mockClient(failing);
    sns.on(PublishCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'InternalErrorException' }));
    let publisher: Publisher = snsPublisher(emu.sns, emu.topicArn);
    const discarded: DynamoDBRecord[] = [];
    const h = await harness({ publisher: { publish: (m) => publisher.publish(m) }, maxRetries: 0, onDiscard: (r) => discarded.push(...r) });
    await h.round(0, {});
    await h.round(2, bothDown);

    // Act 1: SNS is down when DOWN is decided.
    publisher = snsPublisher(failing, emu.topicArn);
    await h.round(3, bothDown);

    // Assess 1: nothing arrived, the DOWN waits in the stored outbox, and the check's records are handed back.
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(await emu.received()).toEqual([]);
    const stored = await h.state('api');
    expect(stored?.outbox.map((n) => n.event)).toEqual(['DOWN']);
    const failed = h.invocations.at(-1)!;
    expect(failed.response.batchItemFailures).toEqual([{ itemIdentifier: failed.event.Records[0]!.dynamodb!.SequenceNumber }]);
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'error', fields: expect.objectContaining({ checkId: 'api', errorCode: 'ALERT_PUBLISH_FAILED', awsCode: 'InternalErrorException' }) }));
    expect(discarded.map(locationOf)).toEqual([...LOCATIONS]);

    // Act 2: SNS is back; Lambda's retry delivers the same records again.
    publisher = snsPublisher(emu.sns, emu.topicArn);
    const retry = await h.invoke({ Records: discarded });

    // Assess 2: the stored DOWN goes out once, the replayed records decide nothing new.
    expect(retry).toEqual({ batchItemFailures: [] });
    const delivered = await emu.received();
    expect(delivered.map((d) => d.attributes.event)).toEqual(['DOWN']);
    expect(payloadOf(delivered[0]).dedupeKey).toBe(stored?.outbox[0]?.dedupeKey);
    expect((await h.state('api'))?.outbox).toEqual([]);

    // And later invocations do not send it again.
    await h.round(4, bothDown);
    expect(await emu.received()).toEqual([]);
    sns.restore();
    failing.destroy();
  });

  it('sends a leftover outbox before evaluating new results', async () => {
    const failing = new SNSClient(localClientConfig(emu.endpoint, emu.region));
    mockClient(failing).on(PublishCommand).rejects(new Error('down'));
    let publisher: Publisher = snsPublisher(failing, emu.topicArn);
    const h = await harness({ publisher: { publish: (m) => publisher.publish(m) }, maxRetries: 0 });
    await h.round(0, {});
    await h.round(2, bothDown);
    await h.round(3, bothDown);
    expect((await h.state('api'))?.outbox).toHaveLength(1);

    publisher = snsPublisher(emu.sns, emu.topicArn);
    await h.round(4, {});
    await h.round(5, {});

    expect((await emu.received()).map((d) => d.attributes.event)).toEqual(['DOWN', 'RESOLVED']);
    failing.destroy();
  });

  it('reports a failing check with its first record only, and processes the other checks of the batch', async () => {
    const selective = new SNSClient(localClientConfig(emu.endpoint, emu.region));
    mockClient(selective).on(PublishCommand).callsFake((input: { MessageAttributes?: Record<string, { StringValue?: string }> }) => {
      if (input.MessageAttributes?.checkId?.StringValue === 'api') throw Object.assign(new Error('throttled'), { name: 'ThrottledException' });
      return emu.sns.send(new PublishCommand(input as ConstructorParameters<typeof PublishCommand>[0]));
    });
    const h = await harness({ publisher: snsPublisher(selective, emu.topicArn), maxRetries: 0 });
    const down = { ...bothDown, web: { 'eu-west-1': 'status_code', 'us-east-1': 'status_code' } } as const;
    // web's results are written first, so api's first record is in the middle of the batch.
    await h.round(0, {}, ['web', 'api']);
    await h.round(2, down, ['web', 'api']);

    await h.round(3, down, ['web', 'api']);

    const { event, response } = h.invocations.at(-1)!;
    const firstApi = event.Records.find((r) => checkOf(r) === 'api')!;
    expect(event.Records.map(checkOf)).toEqual(['web', 'web', 'web', 'api', 'api', 'api']);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: firstApi.dynamodb!.SequenceNumber }] });
    const delivered = await emu.received();
    expect(delivered.map((d) => [d.attributes.checkId, d.attributes.event])).toEqual([['web', 'DOWN']]);
    expect((await h.state('web'))?.outbox).toEqual([]);
    expect((await h.state('api'))?.outbox.map((n) => n.event)).toEqual(['DOWN']);
    selective.destroy();
  });

  it('re-reads and re-applies after losing a version race to a concurrent invocation', async () => {
    let interleave: (() => Promise<void>) | undefined;
    let conflicts = 0;
    const h = await harness({
      wrapStore: (store) => ({
        ...store,
        getState: async <S extends VersionedState>(checkId: string) => {
          const read = await store.getState<S>(checkId);
          // The concurrent invocation runs between this read and the write that follows it.
          const other = interleave;
          interleave = undefined;
          if (other) await other();
          return read;
        },
        putState: async <S extends VersionedState>(state: S, expected?: number) => {
          try {
            return await store.putState(state, expected);
          } catch (err) {
            if (err instanceof VersionConflictError) conflicts++;
            throw err;
          }
        },
      }),
    });
    await h.round(0, {});
    await h.round(2, bothDown);
    await h.write(3, bothDown);
    const records = await h.collect();
    const from = (loc: Loc) => records.filter((r) => locationOf(r) === loc);
    let concurrent: DynamoDBBatchResponse | undefined;
    interleave = async () => { concurrent = await h.invoke({ Records: from('us-east-1') }); };

    // Act: eu-west-1's second failure is evaluated on a state read before us-east-1's was written.
    const response = await h.invoke({ Records: [...from('eu-west-1'), ...from('ap-southeast-2')] });

    // Assess: the write lost the race, was re-applied on the newer state, and the DOWN counts both.
    expect(concurrent).toEqual({ batchItemFailures: [] });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(conflicts).toBe(1);
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'state version conflict; re-reading', fields: expect.objectContaining({ checkId: 'api' }) }));
    const state = await h.state('api');
    expect(state?.locations['eu-west-1']?.failing).toBe(true);
    expect(state?.locations['us-east-1']?.failing).toBe(true);
    const delivered = await emu.received();
    expect(delivered.map((d) => d.attributes.event)).toEqual(['DOWN']);
    expect((payloadOf(delivered[0]).locations as Array<{ location: string }>).map((l) => l.location)).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('hands a check back to Lambda when it keeps losing the version race', async () => {
    let racing = false;
    const h = await harness({
      wrapStore: (store) => ({
        ...store,
        getState: async <S extends VersionedState>(checkId: string) => {
          const read = await store.getState<S>(checkId);
          // Another writer gets in after every read: a real conditional-write failure each time.
          if (racing && read) await store.putState(read);
          return read;
        },
      }),
    });
    await h.round(0, {});
    racing = true;
    await h.write(2, bothDown);
    const records = await h.collect();

    const response = await h.invoke({ Records: records });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]!.dynamodb!.SequenceNumber }] });
    expect(h.logs.filter((l) => l.message === 'state version conflict; re-reading')).toHaveLength(4);
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'error', fields: expect.objectContaining({ checkId: 'api', errorCode: 'STATE_CONFLICT_RETRIES_EXHAUSTED' }) }));
    expect((await h.state('api'))?.locations['eu-west-1']?.consecutiveFailures).toBe(0);
  });

  it('ignores stream records that are not result inserts, and results of unknown checks', async () => {
    // No event source filter: state and incident writes come back through the stream too.
    const h = await harness({ filter: false });
    await h.round(0, {}, ['api', 'gone']);
    await h.round(2, bothDown, ['api', 'gone']);
    await h.round(3, bothDown, ['api', 'gone']);

    const kinds = new Set(h.invocations.flatMap((i) => i.event.Records.map((r) => `${r.eventName} ${r.dynamodb?.NewImage?.type?.S}`)));
    expect(kinds).toContain('INSERT STATE');
    expect(kinds).toContain('MODIFY STATE');
    expect(kinds).toContain('INSERT INCIDENT');
    expect(h.invocations.every((i) => i.response.batchItemFailures.length === 0)).toBe(true);
    expect((await emu.received()).map((d) => [d.attributes.checkId, d.attributes.event])).toEqual([['api', 'DOWN']]);
    expect(await h.state('gone')).toBeUndefined();
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'results for an unknown check ignored', fields: expect.objectContaining({ checkId: 'gone' }) }));
  });

  it('leaves checks it has no time to start for the retry', async () => {
    const h = await harness();
    await h.write(0, {}, ['web', 'api']);
    const records = await h.collect();
    const handler = createEvaluatorHandler(h.deps);

    const response = await handler({ Records: records }, { getRemainingTimeInMillis: () => STOP_MARGIN_MS - 1 } as Context);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      ['web', 'api'].map((id) => records.find((r) => checkOf(r) === id)!.dynamodb!.SequenceNumber),
    );
    expect(await h.state('api')).toBeUndefined();
    expect(await h.state('web')).toBeUndefined();
  });
});

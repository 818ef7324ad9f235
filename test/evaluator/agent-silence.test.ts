/**
 * INSTANCE_SILENT for agent instances: the sweep finds an agent location's instances by their beat
 * items (the agent store's listBeats, on DynamoDB Local), decides each like a private location's
 * instance, treats a passed `leavingAt` as a clean leave, and forgets marks whose beat item is gone.
 * Warnings go to the ops topic of the SNS emulator.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildInstanceSilentMessage } from '../../shared/alert/message.ts';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { LogFields, Logger } from '../../shared/logging/logger.ts';
import { createAgentStore, type AgentBeat, type AgentStore } from '../../shared/store/agents.ts';
import { createStore, opsMarksOf } from '../../shared/store/dynamo.ts';
import type { OpsMarks } from '../../shared/store/ops-marks.ts';
import { checksById, createEvaluatorHandler } from '../../shared/usecases/evaluate-batch/evaluator-handler.ts';
import { sweepInstances } from '../../shared/usecases/evaluate-batch/instance-silence.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { startTestSnsEmulator, type Delivery, type TestSnsEmulator } from '../support/sns-emulator.ts';

// Near the real clock: DynamoDB Local deletes items whose `ttl` has passed, and a beat that vanished would be a different case.
const T0 = Math.floor(Date.now() / 60_000) * 60_000;
const MIN = 60_000;
const SWEEP_AT = 30_000;
const LOCATION = 'office';

let db: TestDynamoDb;
let ops: TestSnsEmulator;

beforeAll(async () => {
  [db, ops] = await Promise.all([startTestDynamoDb(), startTestSnsEmulator({ topicName: 'vantage-ops', queueName: 'ops-inbox' })]);
});
afterAll(async () => {
  await Promise.all([db?.stop(), ops?.stop()]);
});
beforeEach(async () => {
  await ops.received();
});

const quietLogger = (entries: Array<{ message: string; fields: LogFields }>): Logger => {
  const log = (message: string, fields: LogFields = {}) => { entries.push({ message, fields }); };
  return { info: log, warn: log, error: log };
};
const payloadOf = (d: Delivery) => JSON.parse(d.message) as Record<string, unknown>;
const iso = (ms: number) => new Date(ms).toISOString();

interface Harness {
  tableName: string;
  agents: AgentStore;
  marks: OpsMarks;
  logs: Array<{ message: string; fields: LogFields }>;
  beat(instance: string, at: number, extra?: Partial<AgentBeat>): Promise<void>;
  sweep(minute: number): Promise<number>;
}

async function harness(expected = 2): Promise<Harness> {
  const { tableName } = await db.newTable('agent-silence');
  const agents = createAgentStore({ client: db.client, tableName });
  const marks = opsMarksOf(createStore({ client: db.client, tableName }));
  const logs: Harness['logs'] = [];
  const registered = new Map<string, string>();
  return {
    tableName, agents, marks, logs,
    async beat(instance, at, extra = {}) {
      if (!registered.has(instance)) registered.set(instance, iso(at));
      await agents.putBeat(LOCATION, { instance, lastSeen: iso(at), registeredAt: registered.get(instance)!, ...extra });
    },
    sweep: (minute) => sweepInstances({
      publisher: snsPublisher(ops.sns, ops.topicArn), marks, instances: {}, agents: { [LOCATION]: expected }, beats: agents, logger: quietLogger(logs),
    }, T0 + minute * MIN + SWEEP_AT),
  };
}

describe('INSTANCE_SILENT for agent instances', () => {
  it('warns once for an agent instance that stopped beating, says how many of the expected are live, and never for one that left cleanly', async () => {
    // Prepare: host-1 beats all along; host-2 stops after minute 1; host-3 leaves at minute 2 (leavingAt 20 s later) and stops.
    const h = await harness(2);
    const arrivals: Array<{ minute: number; payload: Record<string, unknown>; subject?: string }> = [];
    for (let minute = 0; minute <= 7; minute++) {
      await h.beat('host-1', T0 + minute * MIN + 3000);
      if (minute <= 1) await h.beat('host-2', T0 + minute * MIN + 3000);
      if (minute <= 2) await h.beat('host-3', T0 + minute * MIN + 3000, minute === 2 ? { leavingAt: iso(T0 + minute * MIN + 23_000) } : {});
      // Act
      await h.sweep(minute);
      for (const d of await ops.received()) arrivals.push({ minute, payload: payloadOf(d), subject: d.subject });
    }

    // Assess: host-2 three minutes after its beat at 1:03, once; host-3 never.
    expect(arrivals.map((a) => [a.minute, a.payload.instance])).toEqual([[4, 'host-2']]);
    const [warning] = arrivals;
    expect(warning?.subject).toBe('[INSTANCE_SILENT] office agent instance host-2 silent for 3m 27s, 1 of 2 live');
    expect(warning?.payload).toMatchObject({
      event: 'INSTANCE_SILENT', location: LOCATION, instance: 'host-2', instanceCount: 2, agent: { live: 1 },
      lastSeen: iso(T0 + MIN + 3000), dedupeKey: `office:host-2:silent:${iso(T0 + MIN + 3000)}:INSTANCE_SILENT:1`,
    });
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'agent instance silent', fields: expect.objectContaining({ instance: 'host-2', live: 1, expected: 2 }) }));
    expect((await h.marks.get([LOCATION])).get(LOCATION)).toEqual({ 'host-2': { since: T0 + MIN + 3000, warned: true } });
  });

  it('drops the mark of an instance that left cleanly, and of one whose beat item is gone', async () => {
    // Prepare: both were warned about once (their marks are set); host-a then came back and left, host-b's beat expired.
    const h = await harness(2);
    await h.beat('host-a', T0);
    await h.beat('host-b', T0);
    await h.beat('host-c', T0 + 5 * MIN);
    await h.sweep(4);
    expect([...Object.keys((await h.marks.get([LOCATION])).get(LOCATION) ?? {})].sort()).toEqual(['host-a', 'host-b']);
    expect((await ops.received()).map((d) => payloadOf(d).instance).sort()).toEqual(['host-a', 'host-b']);

    await h.beat('host-a', T0 + 5 * MIN, { leavingAt: iso(T0 + 5 * MIN + 20_000) });
    await h.beat('host-c', T0 + 5 * MIN + 10_000);
    await db.client.send(new DeleteItemCommand({ TableName: h.tableName, Key: marshall({ pk: `LOCATION#${LOCATION}`, sk: 'HEARTBEAT#host-b' }) }));

    // Act: a sweep after host-a's leavingAt, and one much later, when host-a is long quiet.
    await h.sweep(5);
    await h.sweep(20);

    // Assess: nothing remembered, nothing more sent about host-a or host-b; host-c (quiet since 5:10) is warned.
    expect((await h.marks.get([LOCATION])).get(LOCATION)).toEqual({ 'host-c': { since: T0 + 5 * MIN + 10_000, warned: true } });
    expect((await ops.received()).map((d) => payloadOf(d).instance)).toEqual(['host-c']);
  });

  it('is wired into the scheduled sweep through SweepDeps.agents and agentBeats', async () => {
    const h = await harness(1);
    await h.beat('solo-1', T0);
    const config = loadConfigObject({ checks: [] });
    const now = T0 + 4 * MIN;
    const handler = createEvaluatorHandler({
      store: createStore({ client: db.client, tableName: h.tableName }),
      publisher: snsPublisher(ops.sns, ops.topicArn),
      opsPublisher: snsPublisher(ops.sns, ops.topicArn),
      opsMarks: h.marks,
      agents: { [LOCATION]: 1 },
      agentBeats: h.agents,
      checks: checksById(config.checks),
      channels: config.channels,
      maintenance: [],
      clock: () => now,
      logger: quietLogger(h.logs),
      writeMetric: () => {},
    });
    const event = { version: '0', id: 'sweep', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: iso(now), region: 'eu-west-1', resources: [], detail: {} } as ScheduledEvent;

    const summary = await handler(event, { getRemainingTimeInMillis: () => 60_000 } as unknown as Context);

    expect(summary.published).toBe(1);
    const [d] = await ops.received();
    expect(d?.subject).toBe('[INSTANCE_SILENT] office agent instance solo-1 silent for 4m, 0 of 1 live');
    expect(payloadOf(d!)).toMatchObject({ instance: 'solo-1', instanceCount: 1, agent: { live: 0 } });
  });
});

describe('the agent INSTANCE_SILENT message', () => {
  it('says it is an agent instance and how many of the expected are live, in the text and the payload', () => {
    const plain = { event: 'INSTANCE_SILENT', location: 'office', instance: 'host-9', instanceCount: 3, lastSeen: T0, at: T0 + 200_000, dedupeKey: 'k' } as const;
    const msg = buildInstanceSilentMessage({ ...plain, agent: { live: 2 } });
    expect(msg.text).toContain('INSTANCE_SILENT: office agent instance host-9');
    expect(msg.text).toContain('Location: office (agent location: 2 of 3 expected instances live)');
    expect(msg.payload.agent).toEqual({ live: 2 });
    // A private location's message is unchanged.
    expect(buildInstanceSilentMessage(plain).payload).not.toHaveProperty('agent');
    expect(buildInstanceSilentMessage(plain).subject).toBe('[INSTANCE_SILENT] office instance host-9 of 3 silent for 3m 20s');
  });
});

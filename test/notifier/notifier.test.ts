/**
 * The notifier end to end on real parts: alerts enqueued by the evaluator's delivery queue into a FIFO
 * queue on fauxqs, the handler driven the way the Lambda event source mapping drives it, the ledger in
 * DynamoDB Local, and receivers on 127.0.0.1. Retries are short (1 s, SQS visibility's unit).
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveriesOf, deliveryQueue, type DeliveryQueue } from '../../shared/alert/delivery-queue.ts';
import { groupIdOf, type DeliveryMessage } from '../../shared/alert/delivery.ts';
import { buildAlertMessage, type AlertFacts } from '../../shared/alert/message.ts';
import { snsPublisher, type Publisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check, ChannelConfig } from '../../shared/config/schema.ts';
import { jsonLogger } from '../../shared/logging/logger.ts';
import { deliveryLedger, type DeliveryLedger } from '../../shared/store/deliveries.ts';
import type { NotifyEvent } from '../../shared/usecases/notify/events.ts';
import { createNotifierHandler, type NotifierRetry } from '../../shared/usecases/notify/notifier-handler.ts';
import { channelSecretResolver } from '../../shared/usecases/notify/secrets.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { startTestSnsEmulator, type TestSnsEmulator } from '../support/sns-emulator.ts';
import { capturedLines, createFifoQueues, drainDead, drive, scriptedReceiver, type FifoQueues, type Handler, type Receiver } from './harness.ts';

let emu: TestSnsEmulator;
let db: TestDynamoDb;
const receivers: Receiver[] = [];

beforeAll(async () => {
  [emu, db] = await Promise.all([startTestSnsEmulator(), startTestDynamoDb()]);
}, 60_000);

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await emu?.stop();
  await db?.stop();
});

async function receiver(...args: Parameters<typeof scriptedReceiver>): Promise<Receiver> {
  const r = await scriptedReceiver(...args);
  receivers.push(r);
  return r;
}

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

function facts(event: AlertFacts['event'], checkId = 'api'): AlertFacts {
  return {
    event, checkId, incidentId: `${checkId}#1`, dedupeKey: `${checkId}#1#${event}`, at: T0 + 120_000, since: T0, locationCount: 2,
    locations: [{ location: 'eu-west-1', reason: 'connect_refused', message: 'connect ECONNREFUSED' }],
    ...(event === 'RESOLVED' && { durationMs: 120_000 }),
  };
}

interface Setup {
  handler: Handler;
  queues: FifoQueues;
  queue: DeliveryQueue;
  ledger: DeliveryLedger;
  channels: Record<string, ChannelConfig>;
  checks: Check[];
  events: NotifyEvent[];
  lines: string[];
  alert(event: AlertFacts['event'], checkId?: string): ReturnType<typeof buildAlertMessage>;
}

async function setup(input: { channels: Record<string, unknown>; checks: unknown[] }, opts: { retry?: Partial<NotifierRetry>; env?: Record<string, string>; alerts?: Publisher } = {}): Promise<Setup> {
  const config = loadConfigObject({ defaults: { locations: ['eu-west-1', 'us-east-1'] }, ...input });
  const retry: NotifierRetry = { baseDelayMs: 1_000, maxDelayMs: 1_000, maxAttempts: 5, attemptTimeoutMs: 2_000, ...opts.retry };
  const [queues, table] = await Promise.all([createFifoQueues(emu.sqs, retry.maxAttempts + 2), db.newTable()]);
  const ledger = deliveryLedger(db.client, table.tableName);
  const queue = deliveryQueue(emu.sqs, queues.queueUrl, config.channels);
  const events: NotifyEvent[] = [];
  const { lines, write } = capturedLines();
  const handler = createNotifierHandler({
    sqs: emu.sqs,
    queueUrl: queues.queueUrl,
    deadLetterUrl: queues.deadLetterUrl,
    channels: config.channels,
    ledger,
    resolveSecret: channelSecretResolver({ env: opts.env ?? {} }),
    queue,
    alerts: opts.alerts ?? snsPublisher(emu.sns, emu.topicArn),
    clock: Date.now,
    random: () => 0.5,
    logger: jsonLogger(write),
    onEvent: (e) => events.push(e),
    retry,
  });
  const byId = new Map(config.checks.map((c) => [c.id, c]));
  return {
    handler, queues, queue, ledger, channels: config.channels, checks: config.checks, events, lines,
    alert: (event, checkId = 'api') => buildAlertMessage(facts(event, checkId), byId.get(checkId)!, config.channels),
  };
}

const check = (id: string, channels: string[]) => ({ id, http: { url: `https://${id}.example.com/health` }, alerting: { channels } });
const ok = (h: { status: number }) => h.status >= 200 && h.status < 300;

describe('ordering and retries', () => {
  it('delivers DOWN before RESOLVED though the DOWN failed three times, with the same dedupe key on every attempt, each once', async () => {
    const hook = await receiver((h, i) => ({ status: i < 3 ? 500 : 204 }));
    const s = await setup({ channels: { hooks: { webhook: [hook.url()], failingAfter: 10 } }, checks: [check('api', ['hooks'])] });
    await s.queue.enqueue(s.alert('DOWN'));
    await s.queue.enqueue(s.alert('RESOLVED'));

    await drive(emu.sqs, s.queues, s.handler);

    const keys = hook.hits.map((h) => h.headers['vantage-dedupe-key']);
    expect(keys).toEqual(['api#1#DOWN', 'api#1#DOWN', 'api#1#DOWN', 'api#1#DOWN', 'api#1#RESOLVED']);
    expect(hook.hits.map((h) => h.headers['vantage-delivery-attempt'])).toEqual(['1', '2', '3', '4', '1']);
    expect(hook.hits.filter(ok).map((h) => (JSON.parse(h.body) as { event: string }).event)).toEqual(['DOWN', 'RESOLVED']);
    expect((await s.ledger.list('hooks')).map((r) => [r.dedupeKey, r.status, r.attempts]).sort()).toEqual([
      ['api#1#DOWN', 'delivered', 4],
      ['api#1#RESOLVED', 'delivered', 1],
    ]);
    expect(s.events.filter((e) => e.type === 'delivery_failed').map((e) => e.type === 'delivery_failed' && [e.attempt, e.error, e.retryInMs])).toEqual([
      [1, 'HTTP 500', 1000], [2, 'HTTP 500', 1000], [3, 'HTTP 500', 1000],
    ]);
  }, 30_000);

  it('dead-letters a target that always answers 500 after maxAttempts, and a 400 at once', async () => {
    const failing = await receiver(() => ({ status: 500 }));
    const refusing = await receiver(() => ({ status: 400, body: '{"error":"bad payload"}' }));
    const s = await setup({
      channels: { flaky: { webhook: [failing.url()], failingAfter: 10 }, wrong: { webhook: [refusing.url()], failingAfter: 10 } },
      checks: [check('api', ['flaky', 'wrong'])],
    }, { retry: { maxAttempts: 3 } });
    await s.queue.enqueue(s.alert('DOWN'));

    await drive(emu.sqs, s.queues, s.handler);

    expect(failing.hits).toHaveLength(3);
    expect(refusing.hits).toHaveLength(1);
    const dead = await drainDead(emu.sqs, s.queues.deadLetterUrl);
    const byTarget = new Map(dead.map((m) => [(JSON.parse(m.Body!) as DeliveryMessage).channel, m]));
    expect(byTarget.get('flaky')?.MessageAttributes).toMatchObject({ reason: { StringValue: 'attempts_exhausted' }, error: { StringValue: 'HTTP 500' } });
    expect(byTarget.get('wrong')?.MessageAttributes).toMatchObject({ reason: { StringValue: 'permanent' }, error: { StringValue: 'HTTP 400' } });
    // The same group as in the delivery queue, so a redrive keeps the order.
    expect(byTarget.get('wrong')?.Attributes?.MessageGroupId).toBe(groupIdOf('wrong', 'webhook[0]', 'api'));
    expect(dead).toHaveLength(2);
    expect(await s.ledger.get('flaky', 'webhook[0]', 'api#1#DOWN')).toMatchObject({ status: 'dead', attempts: 3, lastError: 'HTTP 500', lastStatus: 500 });
    expect(await s.ledger.get('wrong', 'webhook[0]', 'api#1#DOWN')).toMatchObject({ status: 'dead', attempts: 1, lastError: 'HTTP 400' });
    expect(s.events.filter((e) => e.type === 'dead_lettered').map((e) => e.type === 'dead_lettered' && [e.channel, e.attempt, e.permanent]).sort()).toEqual([
      ['flaky', 3, false], ['wrong', 1, true],
    ]);
  }, 30_000);

  it('does not hold another channel while one target keeps failing', async () => {
    const down = await receiver(() => ({ status: 503 }));
    const up = await receiver();
    const s = await setup({
      channels: { broken: { webhook: [down.url()], failingAfter: 10 }, fine: { webhook: [up.url()] } },
      checks: [check('api', ['broken', 'fine'])],
    }, { retry: { maxAttempts: 3 } });
    await s.queue.enqueue(s.alert('DOWN'));
    await s.queue.enqueue(s.alert('RESOLVED'));

    await drive(emu.sqs, s.queues, s.handler);

    expect(up.hits.map((h) => h.headers['vantage-dedupe-key'])).toEqual(['api#1#DOWN', 'api#1#RESOLVED']);
    // The broken target's DOWN was still being retried when the other channel had both.
    expect(down.hits.length).toBeGreaterThanOrEqual(2);
    expect(up.hits[1]!.at).toBeLessThan(down.hits[1]!.at);
    // And its own RESOLVED waited behind its DOWN, which went to the dead-letter queue first.
    expect(down.hits.map((h) => h.headers['vantage-dedupe-key'])).toEqual([...Array(3).fill('api#1#DOWN'), ...Array(3).fill('api#1#RESOLVED')]);
  }, 30_000);
});

describe('CHANNEL_FAILING', () => {
  it('after failingAfter failures the other channel hears it exactly once, email and events too, never the failing target', async () => {
    const failing = await receiver(() => ({ status: 502 }));
    const ops = await receiver();
    const s = await setup({
      channels: { hooks: { webhook: [failing.url()], failingAfter: 2 }, 'ops-chat': { webhook: [ops.url()], email: ['ops@example.com'], events: ['CHANNEL_FAILING'] } },
      checks: [check('api', ['hooks'])],
    }, { retry: { maxAttempts: 4 } });
    await emu.received();
    await s.queue.enqueue(s.alert('DOWN'));

    await drive(emu.sqs, s.queues, s.handler);

    expect(failing.hits).toHaveLength(4);
    expect(failing.hits.every((h) => h.headers['vantage-event'] === 'DOWN')).toBe(true);
    expect(ops.hits).toHaveLength(1);
    const payload = JSON.parse(ops.hits[0]!.body) as Record<string, unknown>;
    expect(payload).toMatchObject({ event: 'CHANNEL_FAILING', severity: 'warning', channel: 'hooks', target: 'webhook[0]', kind: 'webhook', failures: 2, lastError: 'HTTP 502' });
    expect(payload.channels).toEqual(['hooks', 'ops-chat']);
    const email = (await emu.received()).filter((d) => d.attributes.event === 'CHANNEL_FAILING');
    expect(email).toHaveLength(1);
    expect(email[0]!.attributes.channels).toEqual(['hooks', 'ops-chat']);
    expect(s.events.filter((e) => e.type === 'channel_failing')).toEqual([{ type: 'channel_failing', channel: 'hooks', target: 'webhook[0]', failures: 2, notified: ['hooks', 'ops-chat'] }]);
    expect(await s.ledger.getHealth('hooks', 'webhook[0]')).toMatchObject({ failures: 4 });
  }, 30_000);

  it('sends it again on the next failure when a part could not be sent; the queue drops the repeat', async () => {
    const failing = await receiver(() => ({ status: 500 }));
    const ops = await receiver();
    let emailTries = 0;
    const flakyEmail: Publisher = { publish: () => (++emailTries === 1 ? Promise.reject(new Error('SNS down')) : Promise.resolve('m-1')) };
    const s = await setup({
      channels: { hooks: { webhook: [failing.url()], failingAfter: 1 }, ops: { webhook: [ops.url()], events: ['CHANNEL_FAILING'] } },
      checks: [check('api', ['hooks'])],
    }, { retry: { maxAttempts: 3 }, alerts: flakyEmail });
    await s.queue.enqueue(s.alert('DOWN'));

    await drive(emu.sqs, s.queues, s.handler);

    // First failure: queued, email failed, claim given back. Second: both again, the queued repeat dropped. Third: already sent.
    expect(emailTries).toBe(2);
    expect(s.events.filter((e) => e.type === 'channel_failing')).toHaveLength(2);
    expect(ops.hits).toHaveLength(1);
    expect(s.lines.some((l) => l.includes('CHANNEL_FAILING not sent') && l.includes('"part":"email"'))).toBe(true);
  }, 30_000);

  it('a success ends the spell: recovery is reported, and the next spell is announced again', async () => {
    let failingNow = true;
    const flaky = await receiver(() => ({ status: failingNow ? 500 : 200 }));
    const ops = await receiver();
    const s = await setup({
      channels: { hooks: { webhook: [flaky.url()], failingAfter: 1 }, ops: { webhook: [ops.url()], events: ['CHANNEL_FAILING'] } },
      checks: [check('api', ['hooks'])],
    }, { retry: { maxAttempts: 2 } });
    await s.queue.enqueue(s.alert('DOWN'));
    await drive(emu.sqs, s.queues, s.handler);
    failingNow = false;
    await s.queue.enqueue(s.alert('RESOLVED'));
    await drive(emu.sqs, s.queues, s.handler);
    expect(s.events.filter((e) => e.type === 'channel_recovered')).toEqual([{ type: 'channel_recovered', channel: 'hooks', target: 'webhook[0]' }]);
    expect(await s.ledger.getHealth('hooks', 'webhook[0]')).toMatchObject({ failures: 0 });

    failingNow = true;
    await s.queue.enqueue(s.alert('REMINDER'));
    await drive(emu.sqs, s.queues, s.handler);

    // One per spell: the DOWN's two failures made one, the REMINDER's a second.
    const keys = ops.hits.map((h) => (JSON.parse(h.body) as { dedupeKey: string }).dedupeKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    expect(keys.every((k) => k.startsWith('channel:hooks:webhook[0]:failing:'))).toBe(true);
  }, 30_000);
});

describe('duplicates', () => {
  it('an alert enqueued twice is delivered once (SQS deduplication), and a later repeat is skipped by the ledger', async () => {
    const hook = await receiver();
    const s = await setup({ channels: { hooks: { webhook: [hook.url()] } }, checks: [check('api', ['hooks'])] });
    const down = s.alert('DOWN');
    await s.queue.enqueue(down);
    await s.queue.enqueue(down);
    await drive(emu.sqs, s.queues, s.handler);
    expect(hook.hits).toHaveLength(1);

    // Past SQS's 5-minute window the outbox's repeat is a new queue message: only the ledger stops it.
    const [again] = deliveriesOf(down, s.channels, Date.now());
    await emu.sqs.send(new SendMessageCommand({ QueueUrl: s.queues.queueUrl, MessageBody: JSON.stringify(again), MessageGroupId: 'hooks/webhook[0]/api', MessageDeduplicationId: 'after-the-window' }));
    await drive(emu.sqs, s.queues, s.handler);

    expect(hook.hits).toHaveLength(1);
    expect(s.events.filter((e) => e.type === 'duplicate_skipped')).toEqual([{ type: 'duplicate_skipped', channel: 'hooks', target: 'webhook[0]', dedupeKey: 'api#1#DOWN' }]);
  }, 30_000);

  it('dead-letters a body that is not a delivery message without calling anyone', async () => {
    const hook = await receiver();
    const s = await setup({ channels: { hooks: { webhook: [hook.url()] } }, checks: [check('api', ['hooks'])] });
    await emu.sqs.send(new SendMessageCommand({ QueueUrl: s.queues.queueUrl, MessageBody: '{"v":99}', MessageGroupId: 'g', MessageDeduplicationId: 'bad' }));
    await drive(emu.sqs, s.queues, s.handler);
    const dead = await drainDead(emu.sqs, s.queues.deadLetterUrl);
    expect(dead.map((m) => m.MessageAttributes?.reason?.StringValue)).toEqual(['invalid']);
    expect(hook.hits).toHaveLength(0);
  }, 30_000);
});

describe('secrets', () => {
  const SIGNING = 'whsec-5f9c2e7a1b3d4c6e8f0a';
  const ROUTING = 'R0UT1NGKEYabcdef0123456789abcdef';
  const SLACK_PATH = '/services/T0SECRET/B0SECRET/xoxSecretSlackToken42';

  it('never logs or reports a secret, even when the receiver echoes the request back in a 500', async () => {
    // Echoes the path, the headers and the body: everything the notifier sent.
    const echo = await receiver((h) => ({ status: 500, body: JSON.stringify({ path: h.path, headers: h.headers, body: h.body }) }));
    const s = await setup({
      channels: {
        hooks: { webhook: [{ url: echo.url('/signed'), secret: '${env:HOOK_SECRET}' }] },
        chat: { slack: { webhook: echo.url(SLACK_PATH) } },
        oncall: { pagerduty: { routingKey: ROUTING, url: echo.url('/v2/enqueue') } },
      },
      checks: [check('api', ['hooks', 'chat', 'oncall'])],
    }, { env: { HOOK_SECRET: SIGNING }, retry: { maxAttempts: 2 } });
    await s.queue.enqueue(s.alert('DOWN'));

    await drive(emu.sqs, s.queues, s.handler);

    // The receiver did see them, so the echo carried them back.
    const seen = echo.hits.map((h) => `${h.path} ${JSON.stringify(h.headers)} ${h.body}`).join('\n');
    expect(seen).toContain(ROUTING);
    expect(seen).toContain(SLACK_PATH);
    expect(echo.hits.some((h) => String(h.headers['vantage-signature']).startsWith('t='))).toBe(true);
    const told = [...s.lines, ...s.events.map((e) => JSON.stringify(e))].join('\n');
    expect(s.lines.some((l) => l.includes('"response"') && l.includes('***'))).toBe(true);
    for (const secret of [SIGNING, ROUTING, SLACK_PATH, 'xoxSecretSlackToken42', echo.url(SLACK_PATH), echo.url('/signed')]) expect(told).not.toContain(secret);
  }, 30_000);

  it('dead-letters at once when a ${env:} secret is not set', async () => {
    const hook = await receiver();
    const s = await setup({ channels: { hooks: { webhook: [{ url: hook.url(), secret: '${env:MISSING_SECRET}' }] } }, checks: [check('api', ['hooks'])] });
    await s.queue.enqueue(s.alert('DOWN'));
    await drive(emu.sqs, s.queues, s.handler);
    expect(hook.hits).toHaveLength(0);
    expect(await s.ledger.get('hooks', 'webhook[0]', 'api#1#DOWN')).toMatchObject({ status: 'dead', lastError: 'SECRET_UNRESOLVED' });
  }, 30_000);
});

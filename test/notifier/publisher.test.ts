/**
 * The evaluator's side: the composite publisher enqueues one delivery per routed channel and
 * non-email target into a FIFO queue on fauxqs (group and deduplication ids from delivery.ts), then
 * publishes to SNS; a refused enqueue fails the publish before SNS, so the outbox retries both. Also the
 * CHANNEL_FAILING message and the functions' environments.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvaluatorEnv } from '../../functions/evaluator/env.ts';
import { parseNotifierEnv, retryOf } from '../../functions/notifier/env.ts';
import { depsFromEnvironment } from '../../functions/notifier/handler.ts';
import { alertPublisher } from '../../shared/alert/alert-publisher.ts';
import { buildChannelFailingMessage } from '../../shared/alert/channel-failing.ts';
import { deliveryQueue } from '../../shared/alert/delivery-queue.ts';
import { deduplicationIdOf, groupIdOf, type DeliveryMessage } from '../../shared/alert/delivery.ts';
import { buildAlertMessage, type AlertFacts } from '../../shared/alert/message.ts';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { startTestSnsEmulator, type TestSnsEmulator } from '../support/sns-emulator.ts';
import { createFifoQueues } from './harness.ts';

const config = loadConfigObject({
  defaults: { locations: ['eu-west-1', 'us-east-1'], alerting: { channels: ['oncall', 'chat'] } },
  channels: {
    oncall: { email: ['oncall@example.com'], webhook: ['https://hooks.example.com/a', { url: 'https://hooks.example.com/b', secret: { ssm: '/vantage/hook-secret' } }], pagerduty: { routingKey: { ssm: '/vantage/pd-key' } } },
    chat: { slack: { webhook: { ssm: '/vantage/slack-hook' } }, events: ['DOWN'] },
    quiet: { teams: { webhook: { ssm: '/vantage/teams-hook' } }, events: ['RESOLVED'] },
  },
  checks: [{ id: 'api', http: { url: 'https://api.example.com/health' } }],
});
const api = config.checks[0]!;
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const facts = (event: AlertFacts['event']): AlertFacts => ({ event, checkId: 'api', incidentId: 'api#1', dedupeKey: `api#1#${event}`, at: T0, since: T0 - 60_000, locations: [], locationCount: 2 });

let emu: TestSnsEmulator;
beforeAll(async () => { emu = await startTestSnsEmulator(); });
afterAll(() => emu?.stop());

async function receiveAll(queueUrl: string) {
  const out: Array<{ group?: string; dedup?: string; body: DeliveryMessage }> = [];
  for (;;) {
    const res = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'], VisibilityTimeout: 60 }));
    if (!res.Messages?.length) return out;
    for (const m of res.Messages) out.push({ group: m.Attributes?.MessageGroupId, dedup: m.Attributes?.MessageDeduplicationId, body: JSON.parse(m.Body!) as DeliveryMessage });
  }
}

describe('alertPublisher', () => {
  it('enqueues one delivery per routed non-email target with its group and deduplication ids, then publishes to SNS', async () => {
    const queues = await createFifoQueues(emu.sqs, 12);
    const publisher = alertPublisher({ sns: snsPublisher(emu.sns, emu.topicArn), queue: deliveryQueue(emu.sqs, queues.queueUrl, config.channels, { now: () => T0 }) });
    await emu.received();

    const id = await publisher.publish(buildAlertMessage(facts('DOWN'), api, config.channels));

    expect(id).toMatch(/\S/);
    const got = await receiveAll(queues.queueUrl);
    expect(got.map((g) => [g.body.channel, g.body.target, g.group])).toEqual([
      ['oncall', 'webhook[0]', groupIdOf('oncall', 'webhook[0]', 'api')],
      ['oncall', 'webhook[1]', groupIdOf('oncall', 'webhook[1]', 'api')],
      ['oncall', 'pagerduty', groupIdOf('oncall', 'pagerduty', 'api')],
      ['chat', 'slack', groupIdOf('chat', 'slack', 'api')],
    ]);
    expect(got.map((g) => g.dedup)).toEqual(got.map((g) => deduplicationIdOf('api#1#DOWN', g.body.channel, g.body.target)));
    expect(got[0]!.body).toMatchObject({ v: 1, kind: 'webhook', event: 'DOWN', dedupeKey: 'api#1#DOWN', incidentId: 'api#1', checkId: 'api', enqueuedAt: new Date(T0).toISOString() });
    expect(got[0]!.body.payload).toMatchObject({ event: 'DOWN', checkId: 'api', channels: ['oncall', 'chat'] });
    // No secret reference leaves the config: the queue body names targets by key.
    expect(JSON.stringify(got)).not.toContain('/vantage/');
    expect(await emu.received()).toHaveLength(1);
  });

  it('leaves out channels whose events do not admit the event', async () => {
    const queues = await createFifoQueues(emu.sqs, 12);
    const queue = deliveryQueue(emu.sqs, queues.queueUrl, config.channels);
    expect(await queue.enqueue(buildAlertMessage(facts('RESOLVED'), api, config.channels))).toBe(3);
    expect((await receiveAll(queues.queueUrl)).map((g) => `${g.body.channel}/${g.body.target}`)).toEqual(['oncall/webhook[0]', 'oncall/webhook[1]', 'oncall/pagerduty']);
  });

  it('fails the publish before SNS when the queue refuses, so the outbox retries both', async () => {
    await emu.received();
    const publisher = alertPublisher({
      sns: snsPublisher(emu.sns, emu.topicArn),
      queue: deliveryQueue(emu.sqs, `${emu.endpoint}/000000000000/no-such-queue.fifo`, config.channels),
    });
    await expect(publisher.publish(buildAlertMessage(facts('DOWN'), api, config.channels))).rejects.toMatchObject({ code: 'DELIVERY_ENQUEUE_FAILED' });
    expect(await emu.received()).toHaveLength(0);
  });

  it('reports refused entries of a batch as a failed enqueue', async () => {
    // A queue that takes at most 1 KiB refuses each larger delivery in the batch's Failed list, not by throwing.
    const { QueueUrl } = await emu.sqs.send(new CreateQueueCommand({ QueueName: 'tiny.fifo', Attributes: { FifoQueue: 'true', MaximumMessageSize: '1024' } }));
    const queue = deliveryQueue(emu.sqs, QueueUrl!, config.channels);
    const big = { ...facts('DOWN'), locations: ['eu-west-1', 'us-east-1'].map((location) => ({ location, reason: 'timeout', message: 'no answer within 10 s '.repeat(12) })) };
    await expect(queue.enqueue(buildAlertMessage(big, api, config.channels))).rejects.toMatchObject({ code: 'DELIVERY_ENQUEUE_FAILED', awsCode: 'InvalidParameterValue' });
  });

  it('sends more than ten deliveries in calls of ten, in order', async () => {
    const queues = await createFifoQueues(emu.sqs, 12);
    const many = loadConfigObject({
      channels: { hooks: { webhook: Array.from({ length: 23 }, (_, i) => `https://hooks.example.com/${i}`) } },
      checks: [{ id: 'api', http: { url: 'https://api.example.com/health' }, alerting: { channels: ['hooks'] } }],
    });
    const queue = deliveryQueue(emu.sqs, queues.queueUrl, many.channels);
    expect(await queue.enqueue(buildAlertMessage(facts('DOWN'), many.checks[0]!, many.channels))).toBe(23);
    expect((await receiveAll(queues.queueUrl)).map((g) => g.body.target)).toEqual(Array.from({ length: 23 }, (_, i) => `webhook[${i}]`));
  });
});

describe('buildChannelFailingMessage', () => {
  it('routes to every channel that admits CHANNEL_FAILING, with the spell as its key', () => {
    const withOps = { ...config.channels, ops: { ...config.channels.quiet!, events: ['CHANNEL_FAILING' as const] } };
    const m = buildChannelFailingMessage({ channel: 'oncall', target: 'pagerduty', kind: 'pagerduty', failures: 3, since: T0, lastError: 'HTTP 503', at: T0 + 90_000 }, withOps);
    expect(m.payload.channels).toEqual(['oncall', 'ops']);
    expect(m.messageAttributes.channels.StringValue).toBe('["oncall","ops"]');
    expect(m.payload.dedupeKey).toBe('channel:oncall:pagerduty:failing:2026-11-20T10:00:00.000Z');
    expect(m.subject).toBe('[CHANNEL_FAILING] oncall pagerduty: 3 failed deliveries in a row');
    expect(m.text).toContain('Last error: HTTP 503');
    expect(JSON.parse(m.message)).toMatchObject({ default: m.text, email: m.text });
  });
});

describe('environments', () => {
  const URL_OK = 'https://sqs.eu-west-1.amazonaws.com/123456789012/vantage-deliveries.fifo';
  const GOOD = { QUEUE_URL: URL_OK, DEAD_LETTER_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/vantage-deliveries-dead.fifo', TABLE_NAME: 'vantage-results', TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:vantage-alerts' };

  it('the notifier names every missing or malformed variable without echoing values', () => {
    let err: { code?: string; issues?: Array<{ path: string }>; message?: string } | undefined;
    try {
      parseNotifierEnv({ QUEUE_URL: 'https://sqs.example.com/token=hunter2', NOTIFY_MAX_ATTEMPTS: '0' });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe('ENV_INVALID');
    expect(err?.issues?.map((i) => i.path)).toEqual(['QUEUE_URL', 'DEAD_LETTER_URL', 'TABLE_NAME', 'TOPIC_ARN', 'NOTIFY_MAX_ATTEMPTS']);
    expect(err?.message).not.toContain('hunter2');
  });

  it('the notifier reads the retry numbers it is given and leaves the rest to the defaults', () => {
    expect(retryOf(parseNotifierEnv({ ...GOOD, NOTIFY_BASE_DELAY_MS: '2000', NOTIFY_MAX_ATTEMPTS: '4' }))).toEqual({ baseDelayMs: 2_000, maxAttempts: 4 });
    expect(retryOf(parseNotifierEnv(GOOD))).toEqual({});
  });

  it('the notifier builds its parts from the environment and the bundled definitions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vantage-notifier-'));
    try {
      const path = join(dir, 'definitions.json');
      writeFileSync(path, JSON.stringify(toDefinitions(config)));
      const deps = depsFromEnvironment({ ...GOOD, DEFINITIONS_PATH: path, DASHBOARD_URL: 'https://status.example.com', NOTIFY_MAX_ATTEMPTS: '6' });
      expect(Object.keys(deps.channels).sort()).toEqual(['chat', 'oncall', 'quiet']);
      expect(deps.channels.oncall?.webhook[1]).toEqual({ url: 'https://hooks.example.com/b', secret: { ssm: '/vantage/hook-secret' } });
      expect(deps).toMatchObject({ queueUrl: GOOD.QUEUE_URL, deadLetterUrl: GOOD.DEAD_LETTER_URL, links: { dashboard: 'https://status.example.com' }, retry: { maxAttempts: 6 } });
      expect(deps.ops).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the evaluator takes an optional QUEUE_URL and refuses one that is not a queue URL', () => {
    const base = { TABLE_NAME: 'vantage-results', TOPIC_ARN: GOOD.TOPIC_ARN };
    expect(parseEvaluatorEnv({ ...base, QUEUE_URL: URL_OK }).QUEUE_URL).toBe(URL_OK);
    expect(parseEvaluatorEnv(base).QUEUE_URL).toBeUndefined();
    expect(() => parseEvaluatorEnv({ ...base, QUEUE_URL: 'vantage-deliveries.fifo' })).toThrow(/QUEUE_URL/);
  });
});

/**
 * The local deliverer against a real fauxqs topic and real webhook servers on 127.0.0.1: routing by
 * the `channels` attribute, SNS-like headers, retries with backoff that never drop a message and never
 * re-post to a webhook that already answered, and email channels printed once.
 */
import type http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildAlertMessage, type AlertFacts } from '../../shared/alert/message.ts';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { createDeliverer, type DeliveryEvent } from '../../dev/deliverer.ts';
import { startSnsEmulator, type SnsEmulator } from '../../dev/sns-emulator.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

interface Hit { headers: http.IncomingHttpHeaders; body: string; at: number }

/** A webhook that answers `statuses` in turn (the last one from then on) and records every request. */
async function webhook(statuses: number[]): Promise<Running & { hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = await startHttp((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      hits.push({ headers: req.headers, body, at: Date.now() });
      res.writeHead(statuses[Math.min(hits.length - 1, statuses.length - 1)] ?? 200).end();
    });
  });
  return Object.assign(server, { hits });
}

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const facts = (event: AlertFacts['event']): AlertFacts => ({
  event, checkId: 'api', incidentId: 'api:1', dedupeKey: `api:1:${event}:1`, at: T0 + 60_000, since: T0, locationCount: 3,
  locations: [{ location: 'eu-west-1', reason: 'status_code', message: 'status 503' }],
});

let emu: SnsEmulator;
const servers: Running[] = [];
const stops: AbortController[] = [];

beforeAll(async () => { emu = await startSnsEmulator({ queueName: 'deliverer-test' }); });
afterAll(async () => { await emu?.stop(); });
afterEach(async () => {
  for (const c of stops.splice(0)) c.abort();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('deliverer', () => {
  it('posts the payload with SNS headers, retries a failing webhook until it answers 2xx, and emails once', async () => {
    // Prepare
    const steady = await webhook([204]);
    const flaky = await webhook([500, 503, 200]);
    const unrouted = await webhook([200]);
    servers.push(steady, flaky, unrouted);
    const config = loadConfigObject({
      defaults: { locations: ['a', 'b', 'c'], alerting: { channels: ['hooks', 'mail'] } },
      channels: {
        hooks: { webhook: [steady.url('/in'), flaky.url('/in')] },
        mail: { email: ['oncall@example.com'] },
        other: { webhook: [unrouted.url('/in')] },
      },
      checks: [{ id: 'api', http: { url: 'http://127.0.0.1:1/health' } }],
    });
    const message = buildAlertMessage(facts('DOWN'), config.checks[0] as Check, config.channels);
    const events: DeliveryEvent[] = [];
    const stop = new AbortController();
    stops.push(stop);
    const deliverer = createDeliverer({ sqs: emu.sqs, queueUrl: emu.queueUrl, channels: config.channels, onEvent: (e) => events.push(e), baseDelayMs: 1_000 });
    const running = deliverer.run(stop.signal);

    // Act
    const snsMessageId = await snsPublisher(emu.sns, emu.topicArn).publish(message);
    await until(() => flaky.hits.length === 3, 15_000);
    await until(() => events.some((e) => e.type === 'webhook_delivered' && e.url === flaky.url('/in')), 2_000);
    stop.abort();
    await running;

    // Assess: the steady webhook heard it exactly once, although the message was received three times.
    expect(steady.hits).toHaveLength(1);
    expect(unrouted.hits).toHaveLength(0);
    const hit = steady.hits[0]!;
    expect(JSON.parse(hit.body)).toEqual(message.payload);
    expect(hit.headers['x-amz-sns-message-type']).toBe('Notification');
    expect(hit.headers['x-amz-sns-message-id']).toBe(snsMessageId);
    expect(hit.headers['x-amz-sns-topic-arn']).toBe(emu.topicArn);
    expect(hit.headers['content-type']).toMatch(/^application\/json/);
    expect(flaky.hits.map((h) => h.body)).toEqual([hit.body, hit.body, hit.body]);
    // Backoff: 1 s after the first failure, 2 s after the second (visibility is whole seconds).
    const gaps = [flaky.hits[1]!.at - flaky.hits[0]!.at, flaky.hits[2]!.at - flaky.hits[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(900);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
    const failed = events.filter((e) => e.type === 'webhook_failed');
    expect(failed.map((e) => e.type === 'webhook_failed' && [e.status, e.attempt, e.retryInMs])).toEqual([[500, 1, 1_000], [503, 2, 2_000]]);
    const emails = events.filter((e) => e.type === 'email');
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ channel: 'mail', to: ['oncall@example.com'], subject: message.subject, text: message.text });
    expect(events.filter((e) => e.type === 'notification')).toHaveLength(1);
    // Deleted only after the last webhook succeeded: the queue is empty now.
    const left = await emu.sqs.send(new (await import('@aws-sdk/client-sqs')).ReceiveMessageCommand({ QueueUrl: emu.queueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    expect(left.Messages ?? []).toHaveLength(0);
  });

  it('keeps a message while its webhook is unreachable and delivers it once the webhook is back', async () => {
    // Prepare: a webhook that is not listening yet (its port is taken and released).
    const placeholder = await webhook([200]);
    const port = placeholder.port;
    await placeholder.close();
    const url = `http://127.0.0.1:${port}/in`;
    const config = loadConfigObject({
      defaults: { locations: ['a'], alerting: { channels: ['hooks'] } },
      channels: { hooks: { webhook: [url] } },
      checks: [{ id: 'api', http: { url: 'http://127.0.0.1:1/health' } }],
    });
    const events: DeliveryEvent[] = [];
    const stop = new AbortController();
    stops.push(stop);
    const running = createDeliverer({ sqs: emu.sqs, queueUrl: emu.queueUrl, channels: config.channels, onEvent: (e) => events.push(e), baseDelayMs: 1_000 }).run(stop.signal);

    // Act
    await snsPublisher(emu.sns, emu.topicArn).publish(buildAlertMessage(facts('RESOLVED'), config.checks[0] as Check, config.channels));
    await until(() => events.filter((e) => e.type === 'webhook_failed').length >= 2, 10_000);
    const hits: Hit[] = [];
    const { createServer } = await import('node:http');
    const back = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      req.on('end', () => { hits.push({ headers: req.headers, body, at: Date.now() }); res.writeHead(200).end(); });
    });
    await new Promise<void>((resolve) => back.listen(port, '127.0.0.1', resolve));
    try {
      await until(() => hits.length === 1, 15_000);
      stop.abort();
      await running;
    } finally {
      back.closeAllConnections();
      await new Promise((resolve) => back.close(resolve));
    }

    // Assess
    expect(JSON.parse(hits[0]!.body)).toMatchObject({ event: 'RESOLVED', checkId: 'api' });
    expect(events.find((e) => e.type === 'webhook_failed')).toMatchObject({ error: 'ECONNREFUSED' });
  });
});

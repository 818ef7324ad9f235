/**
 * The local deliverer against a real fauxqs topic: routing by the `channels` attribute, email channels
 * printed once, and webhooks left alone (the notifier delivers them from its own queue now).
 */
import type http from 'node:http';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildAlertMessage, type AlertFacts } from '../../shared/alert/message.ts';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { createDeliverer, type DeliveryEvent } from '../../dev/deliverer.ts';
import { startSnsEmulator, type SnsEmulator } from '../../dev/sns-emulator.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

interface Hit { headers: http.IncomingHttpHeaders; body: string }

/** A webhook that records every request. */
async function webhook(): Promise<Running & { hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = await startHttp((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => { hits.push({ headers: req.headers, body }); res.writeHead(200).end(); });
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
  it('prints each routed email channel once, posts to no webhook, and deletes the message', async () => {
    // Prepare
    const hook = await webhook();
    servers.push(hook);
    const config = loadConfigObject({
      defaults: { locations: ['a', 'b', 'c'], alerting: { channels: ['hooks', 'mail'] } },
      channels: {
        hooks: { webhook: [hook.url('/in')], email: ['team@example.com'] },
        mail: { email: ['oncall@example.com'] },
        other: { email: ['nobody@example.com'] },
      },
      checks: [{ id: 'api', http: { url: 'http://127.0.0.1:1/health' } }],
    });
    const message = buildAlertMessage(facts('DOWN'), config.checks[0] as Check, config.channels);
    const events: DeliveryEvent[] = [];
    const stop = new AbortController();
    stops.push(stop);
    const running = createDeliverer({ sqs: emu.sqs, queueUrl: emu.queueUrl, channels: config.channels, onEvent: (e) => events.push(e) }).run(stop.signal);

    // Act
    await snsPublisher(emu.sns, emu.topicArn).publish(message);
    await until(() => events.filter((e) => e.type === 'email').length === 2, 10_000);
    stop.abort();
    await running;

    // Assess
    expect(events.filter((e) => e.type === 'notification')).toEqual([expect.objectContaining({ event: 'DOWN', checkId: 'api', channels: ['hooks', 'mail'] })]);
    const emails = events.filter((e) => e.type === 'email');
    expect(emails.map((e) => e.type === 'email' && [e.channel, e.to])).toEqual([['hooks', ['team@example.com']], ['mail', ['oncall@example.com']]]);
    expect(emails[1]).toMatchObject({ subject: message.subject, text: message.text });
    expect(hook.hits).toEqual([]);
    const left = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl: emu.queueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    expect(left.Messages ?? []).toHaveLength(0);
  });

  it('reports a message it cannot read as undeliverable and drops it', async () => {
    const events: DeliveryEvent[] = [];
    const stop = new AbortController();
    stops.push(stop);
    const running = createDeliverer({ sqs: emu.sqs, queueUrl: emu.queueUrl, channels: {}, onEvent: (e) => events.push(e) }).run(stop.signal);

    await emu.sns.send(new (await import('@aws-sdk/client-sns')).PublishCommand({ TopicArn: emu.topicArn, Message: 'not json' }));
    await until(() => events.length > 0, 10_000);
    stop.abort();
    await running;

    expect(events).toEqual([expect.objectContaining({ type: 'undeliverable' })]);
    const left = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl: emu.queueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    expect(left.Messages ?? []).toHaveLength(0);
  });
});

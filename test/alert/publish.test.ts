/**
 * Publishing to a real SNS emulator (fauxqs on 127.0.0.1) and reading what a subscribed SQS queue
 * receives. The assertions pin down fauxqs's actual delivery format; see dev/sns-emulator.ts.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAlertMessage, type AlertFacts } from '../../shared/alert/message.ts';
import { PublishError, snsPublisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { localClientConfig } from '../../dev/sns-emulator.ts';
import { startTestSnsEmulator, type TestSnsEmulator } from '../support/sns-emulator.ts';

const config = loadConfigObject({
  defaults: { locations: ['eu-west-1', 'us-east-1'], alerting: { channels: ['oncall', 'chat'] } },
  channels: { oncall: { email: ['oncall@example.com'], events: ['DOWN', 'RESOLVED'] }, chat: { webhook: ['https://hooks.example.com/x'] } },
  checks: [{ id: 'api', http: { url: 'https://api.example.com/health', headers: { Authorization: 'Bearer nope' } } }],
});
const api = config.checks[0] as Check;
const T0 = Date.parse('2026-11-20T10:00:00.000Z');

function facts(event: AlertFacts['event']): AlertFacts {
  return {
    event, checkId: 'api', incidentId: 'api#1', dedupeKey: `api#1#${event}`, at: T0 + 120_000, since: T0, locationCount: 2,
    locations: [{ location: 'eu-west-1', reason: 'connect_refused', message: 'connect ECONNREFUSED', phases: { dns: 1, connect: 2, total: 3 } }],
    ...(event === 'RESOLVED' && { durationMs: 120_000 }),
  };
}

let emu: TestSnsEmulator;
let downOnlyQueue: string;
let rawQueue: string;
let channelFilteredQueue: string;

beforeAll(async () => {
  emu = await startTestSnsEmulator();
  downOnlyQueue = (await emu.subscribeQueue({ queueName: 'down-only', filterPolicy: { event: ['DOWN'] } })).queueUrl;
  rawQueue = (await emu.subscribeQueue({ queueName: 'raw', rawMessageDelivery: true })).queueUrl;
  channelFilteredQueue = (await emu.subscribeQueue({ queueName: 'oncall', filterPolicy: { channels: ['oncall'] } })).queueUrl;
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  // Each test reads only what it published.
  for (const queueUrl of [emu.queueUrl, downOnlyQueue, rawQueue, channelFilteredQueue]) await emu.receivedOn(queueUrl);
});

describe('snsPublisher against fauxqs', () => {
  it('delivers the SNS envelope with subject and attributes to a subscribed queue', async () => {
    const publisher = snsPublisher(emu.sns, emu.topicArn);
    const msg = buildAlertMessage(facts('DOWN'), api, config.channels);

    const messageId = await publisher.publish(msg);

    const [delivery, ...more] = await emu.received();
    expect(more).toHaveLength(0);
    expect(messageId).toMatch(/[0-9a-f-]{36}/);
    expect(delivery?.envelope).toMatchObject({ Type: 'Notification', MessageId: messageId, TopicArn: emu.topicArn, Subject: '[DOWN] api: 1/2 locations failing' });
    expect(delivery?.attributes).toEqual({ checkId: 'api', event: 'DOWN', severity: 'critical', channels: ['oncall', 'chat'] });
    // fauxqs passes MessageStructure=json through whole; AWS would put only the `sqs` value in Message.
    expect(delivery?.rawMessage).toBe(msg.message);
    expect(JSON.parse(delivery!.message)).toEqual(msg.payload);
    expect(JSON.parse(delivery!.message)).toMatchObject({ schemaVersion: 1, event: 'DOWN', checkId: 'api' });
    expect(delivery?.rawMessage).not.toContain('Bearer nope');
  });

  it('applies a filter policy on the event attribute', async () => {
    const publisher = snsPublisher(emu.sns, emu.topicArn);

    await publisher.publish(buildAlertMessage(facts('PARTIAL'), api, config.channels));
    await publisher.publish(buildAlertMessage(facts('DOWN'), api, config.channels));

    expect((await emu.receivedOn(downOnlyQueue)).map((d) => d.attributes.event)).toEqual(['DOWN']);
    expect((await emu.received()).map((d) => d.attributes.event)).toEqual(['PARTIAL', 'DOWN']);
  });

  it('with raw delivery, puts the attributes on the SQS message and the whole document in the body', async () => {
    const msg = buildAlertMessage(facts('RESOLVED'), api, config.channels);

    await snsPublisher(emu.sns, emu.topicArn).publish(msg);

    const [delivery] = await emu.receivedOn(rawQueue);
    expect(delivery?.envelope).toBeUndefined();
    expect(delivery?.rawMessage).toBe(msg.message);
    expect(delivery?.attributes).toEqual({ checkId: 'api', event: 'RESOLVED', severity: 'info', channels: ['oncall', 'chat'] });
  });

  it('(fauxqs gap) compares a String.Array attribute as its JSON text, so a channels filter does not match one element', async () => {
    await snsPublisher(emu.sns, emu.topicArn).publish(buildAlertMessage(facts('DOWN'), api, config.channels));

    // On AWS this queue would receive the DOWN: "oncall" is one of ["oncall","chat"].
    expect(await emu.receivedOn(channelFilteredQueue)).toHaveLength(0);
    expect(await emu.received()).toHaveLength(1);
  });
});

describe('publish failures', () => {
  it('turns an unknown topic (a real fauxqs NotFound) into PublishError', async () => {
    const missing = emu.topicArn.replace(/:[^:]+$/, ':no-such-topic');
    const err = await snsPublisher(emu.sns, missing).publish(buildAlertMessage(facts('DOWN'), api, config.channels)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect(err).toMatchObject({ code: 'ALERT_PUBLISH_FAILED', awsCode: 'NotFoundException' });
  });

  it('turns a throttle (injected: fauxqs never throttles) into PublishError with the cause kept', async () => {
    const client = new SNSClient(localClientConfig(emu.endpoint, emu.region));
    const mock = mockClient(client);
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
    mock.on(PublishCommand).rejects(throttle);

    const err = await snsPublisher(client, emu.topicArn).publish(buildAlertMessage(facts('DOWN'), api, config.channels)).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(PublishError);
    expect(err).toMatchObject({ code: 'ALERT_PUBLISH_FAILED', awsCode: 'ThrottledException', cause: throttle });
    expect(mock.commandCalls(PublishCommand)[0]?.args[0].input).toMatchObject({ TopicArn: emu.topicArn, MessageStructure: 'json' });
    mock.restore();
    client.destroy();
    expect(await emu.received()).toHaveLength(0);
  });
});

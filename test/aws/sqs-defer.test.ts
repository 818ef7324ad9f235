/**
 * The SQS continuation sender against fauxqs on loopback (the SNS emulator's SQS side): what it sends,
 * the delay it asks for, and how a failure is reported.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeferError, delaySeconds, MAX_DELAY_SECONDS, sqsDefer } from '../../shared/aws/sqs-defer.ts';
import { localClientConfig } from '../../dev/sns-emulator.ts';
import { startTestSnsEmulator, type TestSnsEmulator } from '../support/sns-emulator.ts';

let emu: TestSnsEmulator;
let queueUrl: string;

beforeAll(async () => {
  emu = await startTestSnsEmulator();
  ({ QueueUrl: queueUrl } = (await emu.sqs.send(new CreateQueueCommand({ QueueName: 'probe-rounds' }))) as { QueueUrl: string });
});

afterAll(async () => {
  await emu?.stop();
});

const request = { type: 'vantage.continue', scheduledAt: '2026-11-03T10:00:00.000Z', runs: [{ checkId: 'api', at: 1_793_700_040_000 }] };

describe('delaySeconds', () => {
  it('asks for one whole second early, never negative, never over SQS\'s 900 s', () => {
    expect([0, 999, 1_000, 1_999, 2_000, 38_400, 40_000, 39_999, 10_000].map(delaySeconds)).toEqual([0, 0, 0, 0, 1, 37, 39, 38, 9]);
    expect(delaySeconds(3_600_000)).toBe(MAX_DELAY_SECONDS);
    // Never after the moment asked for, and at most two seconds before it (under the cap).
    for (let ms = 2_000; ms < 901_000; ms += 137) {
      expect(ms - delaySeconds(ms) * 1000).toBeGreaterThanOrEqual(1_000);
      expect(ms - delaySeconds(ms) * 1000).toBeLessThan(2_000);
    }
  });
});

describe('sqsDefer', () => {
  it('sends the request as the body, visible at once when due within two seconds', async () => {
    await sqsDefer(emu.sqs, queueUrl)(request, 1_500);

    const got = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect(got.Messages?.map((m) => JSON.parse(m.Body!))).toEqual([request]);
  });

  it('holds a later one back (DelaySeconds)', async () => {
    await sqsDefer(emu.sqs, queueUrl)(request, 30_000);

    const got = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const attrs = await emu.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(got.Messages ?? []).toEqual([]);
    expect(attrs.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
  });

  it('fails with DEFER_FAILED, naming the AWS error and not the body, for a queue that does not exist', async () => {
    const missing = queueUrl.replace(/probe-rounds$/, 'no-such-queue');

    const err = await sqsDefer(emu.sqs, missing)(request, 30_000).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DeferError);
    expect(err).toMatchObject({ code: 'DEFER_FAILED' });
    expect((err as Error).message).toContain('no-such-queue');
    expect((err as Error).message).not.toContain('vantage.continue');
  });

  it('gives up after its timeout on a queue endpoint that never answers', async () => {
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new SQSClient({ ...localClientConfig(endpoint, 'us-east-1'), useQueueUrlAsEndpoint: false });
    try {
      const err = await sqsDefer(client, queueUrl, { timeoutMs: 50 })(request, 30_000).catch((e: unknown) => e);

      expect(err).toMatchObject({ code: 'DEFER_FAILED' });
    } finally {
      client.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});

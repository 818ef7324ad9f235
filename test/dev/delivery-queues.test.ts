/**
 * The FIFO behaviour the notifier relies on, against the real fauxqs queues `vantage dev` creates:
 * one message of a group in flight at a time (others go on), a repeated deduplication id dropped,
 * a retry's visibility holding its group, and the redrive policy moving a message that was received
 * too often to the FIFO dead-letter queue in its group.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterQueueName, deliveryQueueName } from '../../shared/alert/delivery.ts';
import { createDeliveryQueues, startSnsEmulator, type DeliveryQueues, type SnsEmulator } from '../../dev/sns-emulator.ts';

let emu: SnsEmulator;

beforeAll(async () => { emu = await startSnsEmulator({ queueName: 'delivery-queues-test' }); });
afterAll(async () => { await emu?.stop(); });

let n = 0;
const send = (q: DeliveryQueues, body: string, group: string, dedup = `d-${++n}`) =>
  emu.sqs.send(new SendMessageCommand({ QueueUrl: q.queueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup }));
const receive = async (url: string): Promise<Message | undefined> => (await emu.sqs.send(new ReceiveMessageCommand({
  QueueUrl: url, MaxNumberOfMessages: 1, WaitTimeSeconds: 0, VisibilityTimeout: 30,
  MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
}))).Messages?.[0];
const del = (url: string, m: Message) => emu.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
const release = (url: string, m: Message, seconds: number) => emu.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: seconds }));

describe('the delivery queues on fauxqs', () => {
  it('are FIFO, named as deployed, without content-based deduplication, redriving after maxAttempts + 2 receives', async () => {
    const q = await createDeliveryQueues(emu.sqs, { prefix: 'attrs', maxAttempts: 10 });

    const attrs = (await emu.sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.queueUrl, AttributeNames: ['All'] }))).Attributes!;

    expect(q.queueUrl).toContain(deliveryQueueName('attrs'));
    expect(q.deadLetterUrl).toContain(deadLetterQueueName('attrs'));
    expect(attrs).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'false' });
    expect(JSON.parse(attrs.RedrivePolicy!)).toEqual({ deadLetterTargetArn: q.deadLetterArn, maxReceiveCount: 12 });
  });

  it('holds a group while its head is in flight and lets other groups go on', async () => {
    const q = await createDeliveryQueues(emu.sqs, { prefix: 'groups', maxAttempts: 10 });
    await send(q, 'a1', 'A');
    await send(q, 'a2', 'A');
    await send(q, 'b1', 'B');

    const first = await receive(q.queueUrl);
    const second = await receive(q.queueUrl);
    const third = await receive(q.queueUrl);
    await del(q.queueUrl, first!);
    const fourth = await receive(q.queueUrl);

    expect([first?.Body, second?.Body, third]).toEqual(['a1', 'b1', undefined]);
    expect(fourth?.Body).toBe('a2');
  });

  it('drops a second message with the same deduplication id', async () => {
    const q = await createDeliveryQueues(emu.sqs, { prefix: 'dedup', maxAttempts: 10 });
    const one = await send(q, 'x', 'G', 'same');
    const two = await send(q, 'x again', 'G', 'same');

    const got = await receive(q.queueUrl);
    await del(q.queueUrl, got!);

    expect(two.MessageId).toBe(one.MessageId);
    expect(got?.Body).toBe('x');
    expect(await receive(q.queueUrl)).toBeUndefined();
  });

  it('keeps a group waiting for a retry delay set with ChangeMessageVisibility, then redelivers its head', async () => {
    const q = await createDeliveryQueues(emu.sqs, { prefix: 'retry', maxAttempts: 10 });
    await send(q, 'down', 'G');
    await send(q, 'resolved', 'G');
    const head = await receive(q.queueUrl);
    const t0 = Date.now();
    await release(q.queueUrl, head!, 1);

    const during = await receive(q.queueUrl);
    let again: Message | undefined;
    while (!again) {
      await new Promise((r) => setTimeout(r, 50));
      again = await receive(q.queueUrl);
    }

    expect(during).toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(again.Body).toBe('down');
    expect(again.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('moves a message received more than maxAttempts + 2 times to the dead-letter queue, in its group', async () => {
    const q = await createDeliveryQueues(emu.sqs, { prefix: 'redrive', maxAttempts: 1 });
    await send(q, 'stuck', 'G');
    const counts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await receive(q.queueUrl);
      counts.push(m?.Attributes?.ApproximateReceiveCount ?? 'none');
      await release(q.queueUrl, m!, 0);
    }

    const afterLimit = await receive(q.queueUrl);
    const dead = await receive(q.deadLetterUrl);

    expect(counts).toEqual(['1', '2', '3']);
    expect(afterLimit).toBeUndefined();
    expect(dead?.Body).toBe('stuck');
    expect(dead?.Attributes?.MessageGroupId).toBe('G');
  });
});

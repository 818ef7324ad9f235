/**
 * The local event source mapping against a real fauxqs FIFO queue: the Lambda-shaped record it hands
 * the handler, deletion unless the record is in batchItemFailures, a throwing handler's record shown
 * again, other groups going on while one is busy, and a stop that finishes the record in hand.
 */
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifierPoller, type NotifierPollerOptions } from '../../dev/notifier-poller.ts';
import { createDeliveryQueues, startSnsEmulator, type DeliveryQueues, type SnsEmulator } from '../../dev/sns-emulator.ts';

let emu: SnsEmulator;
beforeAll(async () => { emu = await startSnsEmulator({ queueName: 'notifier-poller-test' }); });
afterAll(async () => { await emu?.stop(); });

let n = 0;
async function queues(): Promise<DeliveryQueues> {
  return createDeliveryQueues(emu.sqs, { prefix: `poller-${++n}`, maxAttempts: 10 });
}
const send = (q: DeliveryQueues, body: string, group: string) => emu.sqs.send(new SendMessageCommand({
  QueueUrl: q.queueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: `${body}-${++n}`,
  MessageAttributes: { event: { DataType: 'String', StringValue: 'DOWN' } },
}));
const left = async (q: DeliveryQueues) => (await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl: q.queueUrl, WaitTimeSeconds: 0, MaxNumberOfMessages: 10 }))).Messages ?? [];

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function start(q: DeliveryQueues, handler: NotifierPollerOptions['handler'], more: Partial<NotifierPollerOptions> = {}) {
  const errors: unknown[] = [];
  const stop = new AbortController();
  const running = createNotifierPoller({ sqs: emu.sqs, queueUrl: q.queueUrl, queueArn: q.queueArn, region: 'us-east-1', handler, onError: (e) => errors.push(e), ...more }).run(stop.signal);
  return { errors, stop: async () => { stop.abort(); await running; }, abort: () => stop.abort(), running };
}

describe('notifier poller', () => {
  it('hands the handler one Lambda-shaped record per call and deletes it when handled', async () => {
    const q = await queues();
    const events: SQSEvent[] = [];
    const p = start(q, async (e) => { events.push(e); return { batchItemFailures: [] }; });

    await send(q, '{"hello":1}', 'G');
    await until(() => events.length === 1, 'the handler call');
    await p.stop();

    expect(events[0]!.Records).toHaveLength(1);
    const record = events[0]!.Records[0]!;
    expect(record).toMatchObject({
      body: '{"hello":1}', eventSource: 'aws:sqs', eventSourceARN: q.queueArn, awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'G' },
      messageAttributes: { event: { dataType: 'String', stringValue: 'DOWN' } },
    } satisfies Partial<Record<keyof SQSRecord, unknown>>);
    expect(record.messageId).toMatch(/\S/);
    expect(record.receiptHandle).toMatch(/\S/);
    expect(await left(q)).toEqual([]);
  });

  it('keeps a record reported in batchItemFailures and hands it over again with its receive count', async () => {
    const q = await queues();
    const counts: string[] = [];
    const p = start(q, async (e): Promise<SQSBatchResponse> => {
      const r = e.Records[0]!;
      counts.push(r.attributes.ApproximateReceiveCount);
      if (counts.length > 2) return { batchItemFailures: [] };
      // What the notifier does on a retryable failure: the delay is the visibility.
      await emu.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: q.queueUrl, ReceiptHandle: r.receiptHandle, VisibilityTimeout: 0 }));
      return { batchItemFailures: [{ itemIdentifier: r.messageId }] };
    });

    await send(q, 'retry me', 'G');
    await until(() => counts.length === 3, 'the third attempt');
    await p.stop();

    expect(counts).toEqual(['1', '2', '3']);
    expect(await left(q)).toEqual([]);
  });

  it('reports a handler that throws and leaves its record to show again after the visibility timeout', async () => {
    const q = await queues();
    let calls = 0;
    const p = start(q, async () => {
      calls++;
      if (calls === 1) throw new TypeError('boom');
      return { batchItemFailures: [] };
    }, { visibilityTimeoutSeconds: 1 });

    await send(q, 'crash once', 'G');
    await until(() => calls === 2, 'the second call');
    await p.stop();

    expect(p.errors).toEqual([new TypeError('boom')]);
    expect(await left(q)).toEqual([]);
  });

  it('goes on with other groups while one record is in the handler', async () => {
    const q = await queues();
    const seen: string[] = [];
    let releaseA!: () => void;
    const aHeld = new Promise<void>((r) => { releaseA = r; });
    const p = start(q, async (e) => {
      const body = e.Records[0]!.body;
      seen.push(body);
      if (body === 'a1') await aHeld;
      return { batchItemFailures: [] };
    }, { concurrency: 2 });

    await send(q, 'a1', 'A');
    await send(q, 'a2', 'A');
    await send(q, 'b1', 'B');
    await until(() => seen.includes('b1'), 'b1 while a1 is held');
    const whileHeld = [...seen];
    releaseA();
    await until(() => seen.includes('a2'), 'a2 after a1');
    await p.stop();

    expect(whileHeld.sort()).toEqual(['a1', 'b1']);
    expect(seen.indexOf('a2')).toBeGreaterThan(seen.indexOf('a1'));
  });

  it('on stop, finishes and deletes the record in hand, then resolves', async () => {
    const q = await queues();
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => { entered = r; });
    let finish!: () => void;
    const finished = new Promise<void>((r) => { finish = r; });
    let done = false;
    const p = start(q, async () => {
      entered();
      await finished;
      done = true;
      return { batchItemFailures: [] };
    });

    await send(q, 'in hand', 'G');
    await inHandler;
    p.abort();
    let resolved = false;
    void p.running.then(() => { resolved = true; });
    await new Promise((r) => setTimeout(r, 100));
    const resolvedBeforeFinish = resolved;
    finish();
    await p.running;

    expect(resolvedBeforeFinish).toBe(false);
    expect(done).toBe(true);
    expect(await left(q)).toEqual([]);
  });
});

/**
 * The stream poller against DynamoDB Local's real Streams API: Lambda's record shape, per-shard order,
 * and Lambda's partial batch response rules. Each test writes to its own table.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { CreateTableCommand, DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../shared/emulators/dynamodb-local.ts';
import { createStreamPoller, streamArnOf, type DiscardedBatch, type StreamPollerOptions } from '../../dev/stream-poller.ts';

let ddb: DynamoDbLocal;
let streams: DynamoDBStreamsClient;
let tables = 0;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  streams = new DynamoDBStreamsClient(ddb.clientConfig);
});
afterAll(async () => {
  streams?.destroy();
  await ddb?.stop();
});

async function newTable(): Promise<{ table: string; streamArn: string }> {
  const table = `poller-${++tables}`;
  await ddb.client.send(new CreateTableCommand({
    TableName: table,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  }));
  return { table, streamArn: await streamArnOf(ddb.client, table) };
}

async function putN(table: string, n: number, pk = 'p'): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await ddb.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: String(i).padStart(3, '0') }, n: { N: String(i) } } }));
  }
}

const nOf = (r: DynamoDBRecord) => Number(r.dynamodb?.NewImage?.n?.N);

/** A handler that records what it was given and answers from a script, one answer per invocation. */
function scripted(answers: Array<(event: DynamoDBStreamEvent) => DynamoDBBatchResponse | void>) {
  const seen: number[][] = [];
  const handler: StreamPollerOptions['handler'] = async (event) => {
    seen.push(event.Records.map(nOf));
    const answer = answers[seen.length - 1];
    return answer ? answer(event) : undefined;
  };
  return { seen, handler };
}

const failAt = (n: number) => (event: DynamoDBStreamEvent): DynamoDBBatchResponse => ({
  batchItemFailures: event.Records.filter((r) => nOf(r) === n).map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber! })),
});

describe('stream poller on DynamoDB Local', () => {
  it('delivers records in the Lambda event shape', async () => {
    const { table, streamArn } = await newTable();
    await ddb.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, sk: { S: '1' }, blob: { B: new Uint8Array([1, 2, 3]) }, tags: { M: { raw: { B: new Uint8Array([255]) } } } } }));
    await ddb.client.send(new UpdateItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { S: '1' } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '7' } } }));
    await ddb.client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { S: '1' } } }));
    const events: DynamoDBStreamEvent[] = [];

    const stats = await createStreamPoller({ streams, streamArn, awsRegion: 'eu-west-1', handler: async (e) => { events.push(e); } }).drain();

    expect(stats).toMatchObject({ invocations: 1, delivered: 3, discarded: 0 });
    const [insert, modify, remove] = events[0]!.Records;
    expect(insert).toEqual({
      eventID: expect.any(String),
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN: streamArn,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { pk: { S: 'a' }, sk: { S: '1' } },
        NewImage: { pk: { S: 'a' }, sk: { S: '1' }, blob: { B: 'AQID' }, tags: { M: { raw: { B: '/w==' } } } },
        SequenceNumber: expect.stringMatching(/^\d+$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_IMAGE',
      },
    });
    // Lambda gives seconds since the epoch, not a date string or milliseconds.
    expect(Math.abs(insert!.dynamodb!.ApproximateCreationDateTime! - Date.now() / 1000)).toBeLessThan(3600);
    expect(modify?.eventName).toBe('MODIFY');
    expect(modify?.dynamodb?.NewImage?.n).toEqual({ N: '7' });
    expect(remove?.eventName).toBe('REMOVE');
    expect(remove?.dynamodb?.NewImage).toBeUndefined();
    expect(BigInt(insert!.dynamodb!.SequenceNumber!) < BigInt(modify!.dynamodb!.SequenceNumber!)).toBe(true);
  });

  it('keeps stream order across batches and does not deliver a record twice', async () => {
    const { table, streamArn } = await newTable();
    await putN(table, 7);
    const { seen, handler } = scripted([]);
    const poller = createStreamPoller({ streams, streamArn, handler, batchSize: 3 });

    await poller.drain();
    await putN(table, 2, 'q');
    await poller.drain();

    expect(seen).toEqual([[1, 2, 3], [4, 5, 6], [7], [1, 2]]);
  });

  it('re-delivers from the lowest failed sequence number and checkpoints the records before it', async () => {
    const { table, streamArn } = await newTable();
    await putN(table, 5);
    const { seen, handler } = scripted([
      (e) => ({ batchItemFailures: [...failAt(4)(e).batchItemFailures, ...failAt(3)(e).batchItemFailures] }),
    ]);

    const stats = await createStreamPoller({ streams, streamArn, handler }).drain();

    expect(seen).toEqual([[1, 2, 3, 4, 5], [3, 4, 5]]);
    expect(stats).toMatchObject({ invocations: 2, delivered: 5, retries: 1, discarded: 0 });
  });

  it('retries a thrown batch whole, then discards it to onDiscard after maxRetries and goes on', async () => {
    const { table, streamArn } = await newTable();
    await putN(table, 4);
    const discarded: DiscardedBatch[] = [];
    const seen: number[][] = [];
    const handler: StreamPollerOptions['handler'] = async (event) => {
      seen.push(event.Records.map(nOf));
      if (event.Records.some((r) => nOf(r) === 1)) throw new Error('poison');
    };

    const stats = await createStreamPoller({ streams, streamArn, handler, batchSize: 2, maxRetries: 2, onDiscard: (b) => discarded.push(b) }).drain();

    expect(seen).toEqual([[1, 2], [1, 2], [1, 2], [3, 4]]);
    expect(discarded).toHaveLength(1);
    expect(discarded[0]).toMatchObject({ reason: 'function_error', error: new Error('poison') });
    expect(discarded[0]!.records.map(nOf)).toEqual([1, 2]);
    expect(stats).toMatchObject({ delivered: 2, discarded: 2, retries: 2 });
  });

  it('starts the retry count over when a partial failure moves the checkpoint', async () => {
    const { table, streamArn } = await newTable();
    await putN(table, 3);
    const discarded: DiscardedBatch[] = [];
    // Each attempt gets one record further, so the checkpoint keeps moving and nothing is discarded.
    const { seen, handler } = scripted([failAt(2), failAt(3)]);

    await createStreamPoller({ streams, streamArn, handler, maxRetries: 1, onDiscard: (b) => discarded.push(b) }).drain();

    expect(seen).toEqual([[1, 2, 3], [2, 3], [3]]);
    expect(discarded).toEqual([]);
  });

  it('discards only the failed remainder of a partially failing batch', async () => {
    const { table, streamArn } = await newTable();
    await putN(table, 3);
    const discarded: DiscardedBatch[] = [];
    const { seen, handler } = scripted([failAt(2), failAt(2)]);

    await createStreamPoller({ streams, streamArn, handler, maxRetries: 1, onDiscard: (b) => discarded.push(b) }).drain();

    expect(seen).toEqual([[1, 2, 3], [2, 3]]);
    expect(discarded.map((b) => [b.reason, b.records.map(nOf)])).toEqual([['batch_item_failures', [2, 3]]]);
  });

  it('treats a failure naming a record outside the batch as a whole-batch failure', async () => {
    const { table, streamArn } = await newTable();
    await putN(table, 2);
    const { seen, handler } = scripted([() => ({ batchItemFailures: [{ itemIdentifier: '' }] })]);

    await createStreamPoller({ streams, streamArn, handler }).drain();

    expect(seen).toEqual([[1, 2], [1, 2]]);
  });

  it('drops records the filter rejects before batching', async () => {
    const { table, streamArn } = await newTable();
    await putN(table, 2);
    await ddb.client.send(new UpdateItemCommand({ TableName: table, Key: { pk: { S: 'p' }, sk: { S: '001' } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '9' } } }));
    const names: string[] = [];

    await createStreamPoller({ streams, streamArn, filter: (r) => r.eventName === 'INSERT', handler: async (e) => { names.push(...e.Records.map((r) => r.eventName!)); } }).drain();

    expect(names).toEqual(['INSERT', 'INSERT']);
  });

  it('run() delivers new records as they arrive and stops on abort', async () => {
    const { table, streamArn } = await newTable();
    const controller = new AbortController();
    let arrived!: () => void;
    const got = new Promise<void>((resolve) => { arrived = resolve; });
    const seen: number[] = [];
    const poller = createStreamPoller({ streams, streamArn, idleMs: 20, handler: async (e) => {
      seen.push(...e.Records.map(nOf));
      if (seen.length >= 2) arrived();
    } });

    const running = poller.run(controller.signal);
    await putN(table, 2);
    await got;
    controller.abort();
    const stats = await running;

    expect(seen).toEqual([1, 2]);
    expect(stats.delivered).toBe(2);
  });
});

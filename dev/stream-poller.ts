/**
 * Reads a table's DynamoDB stream with the real Streams API (DescribeStream, GetShardIterator,
 * GetRecords) and hands batches to a Lambda-style handler, the way the DynamoDB event source mapping
 * does: per shard, in order, as `DynamoDBStreamEvent`s, honouring partial batch responses. Tests and
 * the local pipeline (`vantage dev`) use it in place of Lambda.
 *
 * Lambda behaviour reproduced (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html):
 * - The batch after a `batchItemFailures` response starts at the lowest failed sequence number; the
 *   records before it are checkpointed and never delivered again.
 * - A thrown error, or a failure naming a record that is not in the batch, fails the whole batch.
 * - `maxRetries` bounds the retries (MaximumRetryAttempts); the count starts over whenever the
 *   checkpoint moves. After the last retry the remaining records go to `onDiscard` (the on-failure
 *   destination) and the shard moves past them.
 * - A `filter` drops records before batching, like an event source filter; dropped records are
 *   checkpointed.
 * - A parent shard is finished before its children are read.
 *
 * Records read but not yet checkpointed are kept in memory and re-delivered from there, which is the
 * same as Lambda re-reading from its checkpoint. Shards are read one after another; Lambda reads them
 * in parallel, which changes nothing for a handler that only relies on per-shard order.
 */
import type { AttributeValue as LambdaAttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue,
  type DynamoDBStreamsClient,
  type _Record,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { VantageError } from '../shared/errors.ts';
import { abortableSleep } from '../shared/sleep.ts';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export interface DiscardedBatch {
  shardId: string;
  records: DynamoDBRecord[];
  /** What the last attempt ended with. */
  reason: 'function_error' | 'batch_item_failures';
  error?: unknown;
}

export interface StreamPollerOptions {
  streams: DynamoDBStreamsClient;
  streamArn: string;
  handler: StreamHandler;
  /** `awsRegion` on each record (DynamoDB Local reports `ddblocal`). @default the streams client's region */
  awsRegion?: string;
  /** Records per invocation at most. @default 100 (Lambda's default for DynamoDB streams) */
  batchSize?: number;
  /** Retries of a failing batch before it is discarded. @default 2 */
  maxRetries?: number;
  /** Where a new shard is first read from. @default 'TRIM_HORIZON' */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Pause between rounds that found nothing (run() only). @default 200 */
  idleMs?: number;
  /** Keeps only the records it returns true for, like an event source filter. @default keep all */
  filter?: (record: DynamoDBRecord) => boolean;
  /** The on-failure destination. @default drop silently */
  onDiscard?: (batch: DiscardedBatch) => void;
}

export interface PollStats {
  invocations: number;
  delivered: number;
  retries: number;
  discarded: number;
}

export interface StreamPoller {
  /** Delivers everything the stream holds now (retries included), then resolves. */
  drain(): Promise<PollStats>;
  /** Polls until the signal aborts; resolves once the current invocation has finished. */
  run(signal: AbortSignal): Promise<PollStats>;
}

export class StreamPollerError extends VantageError {}

interface ShardCursor {
  shardId: string;
  parentShardId?: string;
  iterator?: string;
  /** The newest sequence number read from the stream, to re-acquire an expired iterator after it. */
  lastRead?: string;
  /** Read, filtered in, not yet checkpointed. */
  pending: DynamoDBRecord[];
  /** Failed attempts since the checkpoint last moved. */
  attempts: number;
  /** The stream said the shard is closed and we read to its end. */
  exhausted: boolean;
}

/** The stream's ARN, from the table (the ARN changes each time a stream is re-enabled). */
export async function streamArnOf(client: DynamoDBClient, tableName: string): Promise<string> {
  const res = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const arn = res.Table?.LatestStreamArn;
  if (!arn) throw new StreamPollerError('STREAM_NOT_ENABLED', `table ${tableName} has no stream`);
  return arn;
}

/** Lambda sends binary values base64-encoded in the JSON event; the SDK hands us bytes. */
function toLambdaValue(value: AttributeValue): LambdaAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  return value as LambdaAttributeValue;
}

function toLambdaImage(image: Record<string, AttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toLambdaValue(v)]));
}

/** The record exactly as Lambda delivers it: https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-event */
export function toLambdaRecord(record: _Record, streamArn: string, awsRegion: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion,
    dynamodb: {
      ...(d.ApproximateCreationDateTime && { ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) }),
      ...(d.Keys && { Keys: toLambdaImage(d.Keys) }),
      ...(d.NewImage && { NewImage: toLambdaImage(d.NewImage) }),
      ...(d.OldImage && { OldImage: toLambdaImage(d.OldImage) }),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
    ...(record.userIdentity && { userIdentity: record.userIdentity }),
    eventSourceARN: streamArn,
  };
}

const seqOf = (r: DynamoDBRecord) => r.dynamodb?.SequenceNumber ?? '';
/** Sequence numbers are decimal strings of varying length; compare them as numbers. */
const seqLess = (a: string, b: string) => BigInt(a) < BigInt(b);


export function createStreamPoller(opts: StreamPollerOptions): StreamPoller {
  const batchSize = opts.batchSize ?? 100;
  const maxRetries = opts.maxRetries ?? 2;
  const cursors = new Map<string, ShardCursor>();
  const stats: PollStats = { invocations: 0, delivered: 0, retries: 0, discarded: 0 };
  let awsRegion = opts.awsRegion;

  async function refreshShards(): Promise<void> {
    let exclusiveStartShardId: string | undefined;
    do {
      const res = await opts.streams.send(new DescribeStreamCommand({ StreamArn: opts.streamArn, ExclusiveStartShardId: exclusiveStartShardId }));
      const desc = res.StreamDescription;
      for (const shard of desc?.Shards ?? []) addShard(shard);
      exclusiveStartShardId = desc?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
  }

  function addShard(shard: Shard): void {
    if (!shard.ShardId || cursors.has(shard.ShardId)) return;
    cursors.set(shard.ShardId, {
      shardId: shard.ShardId,
      ...(shard.ParentShardId && { parentShardId: shard.ParentShardId }),
      pending: [],
      attempts: 0,
      exhausted: false,
    });
  }

  /** A child waits until its parent is read to the end; a parent that aged out of the stream does not hold it. */
  function readable(c: ShardCursor): boolean {
    if (c.exhausted) return false;
    const parent = c.parentShardId ? cursors.get(c.parentShardId) : undefined;
    return parent === undefined || (parent.exhausted && parent.pending.length === 0);
  }

  async function iteratorFor(c: ShardCursor): Promise<string> {
    const position = c.lastRead
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, SequenceNumber: c.lastRead }
      : { ShardIteratorType: opts.startingPosition ?? 'TRIM_HORIZON' };
    const res = await opts.streams.send(new GetShardIteratorCommand({ StreamArn: opts.streamArn, ShardId: c.shardId, ...position }));
    if (!res.ShardIterator) throw new StreamPollerError('STREAM_NO_ITERATOR', `no iterator for shard ${c.shardId}`);
    return res.ShardIterator;
  }

  /** Tops up the shard's pending records to a batch; returns how many records the stream gave. */
  async function fill(c: ShardCursor): Promise<number> {
    if (c.exhausted || c.pending.length >= batchSize) return 0;
    c.iterator ??= await iteratorFor(c);
    let res;
    try {
      res = await opts.streams.send(new GetRecordsCommand({ ShardIterator: c.iterator, Limit: batchSize - c.pending.length }));
    } catch (err) {
      // Iterators expire after 15 minutes; a fresh one after the last record read loses nothing.
      if ((err as { name?: string }).name !== 'ExpiredIteratorException') throw err;
      c.iterator = await iteratorFor(c);
      res = await opts.streams.send(new GetRecordsCommand({ ShardIterator: c.iterator, Limit: batchSize - c.pending.length }));
    }
    awsRegion ??= await opts.streams.config.region();
    const records = res.Records ?? [];
    for (const r of records) {
      const record = toLambdaRecord(r, opts.streamArn, awsRegion);
      c.lastRead = seqOf(record);
      if (!opts.filter || opts.filter(record)) c.pending.push(record);
    }
    if (res.NextShardIterator) c.iterator = res.NextShardIterator;
    else {
      delete c.iterator;
      c.exhausted = true;
    }
    return records.length;
  }

  /** The index of the first record to deliver again, or undefined when the whole batch succeeded. */
  function retryFrom(batch: DynamoDBRecord[], response: DynamoDBBatchResponse | void): number | undefined {
    const failures = response?.batchItemFailures ?? [];
    if (failures.length === 0) return undefined;
    let lowest: number | undefined;
    for (const f of failures) {
      const i = batch.findIndex((r) => seqOf(r) === f.itemIdentifier);
      // Lambda fails the whole batch when an identifier is empty or not in it.
      if (i < 0) return 0;
      if (lowest === undefined || seqLess(seqOf(batch[i]!), seqOf(batch[lowest]!))) lowest = i;
    }
    return lowest;
  }

  /** One invocation with the shard's pending batch; returns true if anything was delivered. */
  async function deliver(c: ShardCursor): Promise<boolean> {
    const batch = c.pending.slice(0, batchSize);
    if (batch.length === 0) return false;
    stats.invocations++;
    if (c.attempts > 0) stats.retries++;
    let from: number | undefined;
    let error: unknown;
    try {
      from = retryFrom(batch, await opts.handler({ Records: batch }));
    } catch (err) {
      from = 0;
      error = err;
    }
    if (from === undefined) {
      c.pending.splice(0, batch.length);
      c.attempts = 0;
      stats.delivered += batch.length;
      return true;
    }
    if (from > 0) {
      c.pending.splice(0, from);
      stats.delivered += from;
      c.attempts = 1;
    } else {
      c.attempts++;
    }
    if (c.attempts > maxRetries) {
      const rest = c.pending.splice(0, batch.length - from);
      stats.discarded += rest.length;
      c.attempts = 0;
      opts.onDiscard?.({ shardId: c.shardId, records: rest, reason: error === undefined ? 'batch_item_failures' : 'function_error', ...(error !== undefined && { error }) });
    }
    return true;
  }

  /** One pass over the readable shards; true if the stream gave records or a batch was delivered. */
  async function round(): Promise<boolean> {
    if (cursors.size === 0 || [...cursors.values()].every((c) => c.exhausted && c.pending.length === 0)) await refreshShards();
    let busy = false;
    for (const c of cursors.values()) {
      if (!readable(c) && c.pending.length === 0) continue;
      const wasExhausted = c.exhausted;
      const read = await fill(c);
      const delivered = await deliver(c);
      // A shard that just closed may have children to read next.
      busy ||= read > 0 || delivered || c.exhausted !== wasExhausted;
    }
    return busy;
  }

  return {
    async drain() {
      await refreshShards();
      // An open shard answers an empty page when caught up; two in a row rule out a page boundary.
      let idle = 0;
      while (idle < 2) {
        const busy = await round();
        idle = busy ? 0 : idle + 1;
        if (!busy) await refreshShards();
      }
      return { ...stats };
    },
    async run(signal) {
      while (!signal.aborted) {
        const busy = await round();
        if (!busy) {
          await refreshShards();
          await abortableSleep(opts.idleMs ?? 200, signal);
        }
      }
      return { ...stats };
    },
  };
}

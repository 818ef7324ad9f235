/**
 * The Lambda event source mapping, on one machine: it reads the notifier's FIFO queue and calls the
 * notifier handler with the SQSEvent Lambda would build, one record per call (batch size 1), and
 * acknowledges as Lambda does with ReportBatchItemFailures
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting):
 * a record the handler returns in `batchItemFailures` stays in the queue (the handler has already set
 * its retry delay with ChangeMessageVisibility), every other record is deleted, and a handler that
 * throws leaves its record to show again after the visibility timeout.
 *
 * Several loops receive at once, as the mapping's pollers do, so one slow target never delays the
 * other FIFO groups; SQS itself hands out at most one message of a group at a time.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { abortableSleep } from '../shared/sleep.ts';

export interface NotifierPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** The queue's ARN, for each record's `eventSourceARN`. */
  queueArn: string;
  region: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** A receive, delete or handler failure; the record shows again after its visibility timeout. */
  onError: (err: unknown) => void;
  /** Concurrent receive loops. @default 4 */
  concurrency?: number;
  /**
   * How long a received record stays hidden while the handler works on it, in seconds. Lambda wants
   * the queue's visibility timeout to cover the function's timeout; here it must cover one attempt
   * (every request of a delivery timing out once). @default 30
   */
  visibilityTimeoutSeconds?: number;
  /** Long-poll wait; also how long run() may take to return after the signal. @default 1 */
  waitTimeSeconds?: number;
}

export interface NotifierPoller {
  /** Polls until the signal aborts; resolves once every loop has finished its current record. */
  run(signal: AbortSignal): Promise<void>;
}

function recordAttributes(m: Message): SQSRecordAttributes {
  const a = m.Attributes ?? {};
  return {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? '',
    SenderId: a.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '',
    ...(a.SequenceNumber !== undefined && { SequenceNumber: a.SequenceNumber }),
    ...(a.MessageGroupId !== undefined && { MessageGroupId: a.MessageGroupId }),
    ...(a.MessageDeduplicationId !== undefined && { MessageDeduplicationId: a.MessageDeduplicationId }),
  };
}

/** The SDK's `StringValue`/`DataType` become Lambda's `stringValue`/`dataType`. */
function recordMessageAttributes(m: Message): SQSMessageAttributes {
  return Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([name, v]) => [name, {
    dataType: v.DataType ?? 'String',
    ...(v.StringValue !== undefined && { stringValue: v.StringValue }),
    ...(v.BinaryValue !== undefined && { binaryValue: Buffer.from(v.BinaryValue).toString('base64') }),
  }]));
}

/** One received message as the record Lambda would hand the function. */
export function sqsRecordOf(m: Message, queueArn: string, region: string): SQSRecord {
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: recordAttributes(m),
    messageAttributes: recordMessageAttributes(m),
    md5OfBody: m.MD5OfBody ?? '',
    ...(m.MD5OfMessageAttributes !== undefined && { md5OfMessageAttributes: m.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function createNotifierPoller(opts: NotifierPollerOptions): NotifierPoller {
  const visibilityTimeout = opts.visibilityTimeoutSeconds ?? 30;
  const waitTimeSeconds = opts.waitTimeSeconds ?? 1;

  async function handle(m: Message): Promise<void> {
    const record = sqsRecordOf(m, opts.queueArn, opts.region);
    let response: SQSBatchResponse | void;
    try {
      response = await opts.handler({ Records: [record] });
    } catch (err) {
      opts.onError(err);
      return;
    }
    if (response?.batchItemFailures.some((f) => f.itemIdentifier === record.messageId)) return;
    await opts.sqs.send(new DeleteMessageCommand({ QueueUrl: opts.queueUrl, ReceiptHandle: record.receiptHandle }));
  }

  async function receive(): Promise<Message | undefined> {
    const res = await opts.sqs.send(new ReceiveMessageCommand({
      QueueUrl: opts.queueUrl,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: waitTimeSeconds,
      VisibilityTimeout: visibilityTimeout,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }));
    return res.Messages?.[0];
  }

  async function loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let m: Message | undefined;
      // Not cancelled on stop: an abandoned long poll would still take a message on the server side
      // and hide it for the visibility timeout. The poll ends within waitTimeSeconds anyway.
      try {
        m = await receive();
      } catch (err) {
        if (signal.aborted) break;
        opts.onError(err);
        await abortableSleep(1_000, signal);
        continue;
      }
      if (!m) continue;
      try {
        // Received while stopping: handed back at once rather than started.
        if (signal.aborted) await opts.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: opts.queueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
        else await handle(m);
      } catch (err) {
        if (!signal.aborted) opts.onError(err);
      }
    }
  }

  return {
    async run(signal) {
      await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, () => loop(signal)));
    },
  };
}

/**
 * Real parts for the notifier's tests: FIFO queues with a dead-letter queue on fauxqs, scripted HTTP
 * receivers on 127.0.0.1, and a driver that does what the Lambda event source mapping does with batch
 * size 1: receive one message, hand the handler a Lambda-shaped SQSEvent, delete the message unless the
 * handler reported it in batchItemFailures.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqsRecordOf } from '../../dev/notifier-poller.ts';
import { createDeliveryQueues } from '../../dev/sns-emulator.ts';
import { closeServer, listenLoopback } from '../support/http-servers.ts';

export interface FifoQueues {
  queueUrl: string;
  queueArn: string;
  deadLetterUrl: string;
}

/**
 * A FIFO delivery queue and its FIFO dead-letter queue, made the way `vantage dev` makes them
 * (dev/sns-emulator.ts), under a fresh prefix so tests sharing one emulator never share a queue.
 */
export async function createFifoQueues(sqs: SQSClient, maxReceiveCount: number): Promise<FifoQueues> {
  const q = await createDeliveryQueues(sqs, { prefix: `t${randomUUID().slice(0, 8)}`, maxAttempts: maxReceiveCount - 2 });
  return { queueUrl: q.queueUrl, queueArn: q.queueArn, deadLetterUrl: q.deadLetterUrl };
}

/** The record the event source mapping would hand the function: the one `vantage dev`'s poller builds. */
export function toRecord(m: Message, queueArn: string): SQSRecord {
  return sqsRecordOf(m, queueArn, 'us-east-1');
}

export type Handler = (event: SQSEvent) => Promise<SQSBatchResponse>;

async function isIdle(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }));
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0) === 0;
}

export interface DriveOptions {
  /** Stops as soon as this holds (checked after every record). @default never: run until the queue is empty */
  until?: () => boolean;
  /** A guard against a hang, not an assertion. @default 60_000 */
  guardMs?: number;
}

/** Receives and handles one message at a time until the queue is empty (nothing visible or in flight) or `until` holds. */
export async function drive(sqs: SQSClient, queues: FifoQueues, handler: Handler, opts: DriveOptions = {}): Promise<number> {
  const guard = Date.now() + (opts.guardMs ?? 60_000);
  let handled = 0;
  while (Date.now() < guard) {
    if (opts.until?.()) return handled;
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
    const m = res.Messages?.[0];
    if (m === undefined) {
      if (opts.until === undefined && (await isIdle(sqs, queues.queueUrl))) return handled;
      continue;
    }
    const response = await handler({ Records: [toRecord(m, queues.queueArn)] });
    handled++;
    if (!response.batchItemFailures.some((f) => f.itemIdentifier === m.MessageId)) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queues.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return handled;
}

/** Everything in the dead-letter queue now, with its message attributes. */
export async function drainDead(sqs: SQSClient, deadLetterUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
    const messages = res.Messages ?? [];
    if (messages.length === 0) return out;
    for (const m of messages) {
      out.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: deadLetterUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
}

export interface Hit {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface Receiver {
  hits: Hit[];
  url(path?: string): string;
  close(): Promise<void>;
}

/** An HTTP receiver on loopback that answers each request as `answer` says and records it. */
export async function scriptedReceiver(answer: (hit: Omit<Hit, 'status'>, index: number) => Answer = () => ({ status: 204 })): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      const seen = { at: Date.now(), path: req.url ?? '/', headers: req.headers, body };
      const a = answer(seen, hits.length);
      hits.push({ ...seen, status: a.status });
      res.writeHead(a.status, a.headers).end(a.body);
    });
  });
  const port = await listenLoopback(server);
  return { hits, url: (path = '/hook') => `http://127.0.0.1:${port}${path}`, close: () => closeServer(server) };
}

/** A logger that keeps every line it would have written. */
export function capturedLines(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}

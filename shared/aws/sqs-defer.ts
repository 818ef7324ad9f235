/**
 * A cycle's continuation through the probe function's own SQS delay queue: SendMessage with
 * DelaySeconds, and the queue's event source mapping invokes the function with it
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
 *
 * DelaySeconds counts whole seconds (0–900), and the mapping's long polling adds a little, so the
 * message is asked for one to two seconds before `delayMs`: it must never arrive after the round, and
 * the continuation sleeps the rest in-process. Assignable to `DeferSender` (../usecases/probe-requests.ts;
 * an adapter knows no use case, so the request is a plain object here).
 *
 * A failure is a DeferError (`DEFER_FAILED`) naming the AWS error, never the body; the cycle then waits
 * in-process. One attempt and a short timeout: the time spent here is the round's.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { VantageError } from '../errors.ts';
import { awsErrorName } from './aws-error.ts';

/** SendMessage's upper bound for DelaySeconds (15 minutes). */
export const MAX_DELAY_SECONDS = 900;
/** Bound on one SendMessage; a queue that has not answered by then costs the cycle its in-process wait. */
export const DEFER_SEND_TIMEOUT_MS = 2_000;

export class DeferError extends VantageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEFER_FAILED', message, options);
  }
}

/** Whole seconds to delay a message meant for `delayMs` from now: one second early, rounded down. */
export function delaySeconds(delayMs: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.floor(delayMs / 1000) - 1));
}

/** The DeferSender of the deployed probe function: `client` should be built with `maxAttempts: 1`. */
export function sqsDefer(client: SQSClient, queueUrl: string, opts: { timeoutMs?: number } = {}) {
  return async (request: object, delayMs: number): Promise<void> => {
    try {
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(request), DelaySeconds: delaySeconds(delayMs) }),
        { abortSignal: AbortSignal.timeout(opts.timeoutMs ?? DEFER_SEND_TIMEOUT_MS) },
      );
    } catch (err) {
      throw new DeferError(`queueing a continuation on ${queueUrl} failed: ${awsErrorName(err)}`, { cause: err });
    }
  };
}

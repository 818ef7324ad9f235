/**
 * Reaching other probe functions through Lambda Invoke
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
 * - a confirmation request goes to another location's probe function with `InvocationType: 'Event'`:
 *   Lambda queues it and answers 202 at once, so the asking location never waits for the other's run
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html);
 * - a retest goes to another instance of the same private location with `RequestResponse`, and the
 *   answer is that instance's ProbeResult, the handler's return value.
 *
 * Failures become `InvokeError`s with a code: `INVOKE_FAILED` when the call failed, `INVOKE_FUNCTION_ERROR`
 * when the function ran and threw (Lambda then answers 200 with `X-Amz-Function-Error` and the error
 * object as the payload, so a 200 alone is not a result), `INVOKE_RESPONSE_INVALID` when the payload is
 * not a probe result. Messages name the function and the AWS error name, never a payload.
 *
 * An adapter knows no use case (.dependency-cruiser.cjs), so the requests are plain JSON objects here;
 * the senders are assignable to `ConfirmSender` and `RetestSender` (../usecases/probe-requests.ts).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { VantageError, type ErrorCode } from '../errors.ts';
import type { ProbeResult } from '../probe/types.ts';
import { isProbeResult } from '../probe/result-shape.ts';
import { regionOfArn, type ClientFor } from './secrets.ts';
import { awsErrorName } from './aws-error.ts';

export class InvokeError extends VantageError {
  /** The function that was invoked (an ARN: configuration, not a secret). */
  readonly functionName: string;
  constructor(code: Extract<ErrorCode, `INVOKE_${string}` | 'CONFIRM_NO_FUNCTION'>, functionName: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.functionName = functionName;
  }
}

/**
 * Bounds for one confirmation Invoke. Lambda answers an Event invoke once the request is queued, so a
 * call that has not answered by then will not; the next function (another instance) is tried instead.
 */
export const CONFIRM_INVOKE_TIMEOUT_MS = 5_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function invoke(
  client: LambdaClient,
  functionName: string,
  invocationType: 'Event' | 'RequestResponse',
  payload: unknown,
  signal: AbortSignal,
) {
  try {
    return await client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: invocationType, Payload: encoder.encode(JSON.stringify(payload)) }),
      { abortSignal: signal },
    );
  } catch (err) {
    throw new InvokeError('INVOKE_FAILED', functionName, `invoking ${functionName} failed: ${awsErrorName(err)}`, { cause: err });
  }
}

/**
 * The ConfirmSender of the deployed probe function: the request goes to the first function listed
 * for the location, and to the next one when that invoke fails (a private location lists each of its
 * instances, so one whose Invoke fails does not lose the confirmation). Each function's client is the
 * one for the region in its ARN, since the other locations are mostly in other regions.
 */
export function lambdaConfirmSender(
  clientFor: ClientFor<LambdaClient>,
  functions: Readonly<Record<string, readonly string[]>>,
  opts: { timeoutMs?: number } = {},
): (location: string, request: object) => Promise<void> {
  const client = typeof clientFor === 'function' ? clientFor : () => clientFor;
  return async (location, request) => {
    const arns = Object.hasOwn(functions, location) ? functions[location]! : [];
    if (arns.length === 0) throw new InvokeError('CONFIRM_NO_FUNCTION', location, `no probe function is known for location ${location}`);
    let failure: unknown;
    for (const arn of arns) {
      try {
        await invoke(client(regionOfArn(arn)), arn, 'Event', request, AbortSignal.timeout(opts.timeoutMs ?? CONFIRM_INVOKE_TIMEOUT_MS));
        return;
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  };
}

/**
 * The RetestSender for one other instance: a synchronous invoke of its function, which runs one attempt
 * and returns the ProbeResult. `signal` bounds the wait (the caller gives the check's timeout plus a
 * margin); the client's own request timeout must be longer than any check's timeout.
 */
export function lambdaRetestSender(client: LambdaClient, functionArn: string) {
  return async (request: { checkId: string }, signal?: AbortSignal): Promise<ProbeResult> => {
    const out = await invoke(client, functionArn, 'RequestResponse', request, signal ?? new AbortController().signal);
    if (out.FunctionError !== undefined) {
      // The payload is `{errorType, errorMessage, trace}`; only the type is safe to repeat.
      const type = parseJson(out.Payload) as { errorType?: unknown } | undefined;
      const errorType = typeof type?.errorType === 'string' ? type.errorType : out.FunctionError;
      throw new InvokeError('INVOKE_FUNCTION_ERROR', functionArn, `${functionArn} failed the retest of ${request.checkId}: ${errorType}`);
    }
    const result = parseJson(out.Payload);
    if (!isProbeResult(result)) throw new InvokeError('INVOKE_RESPONSE_INVALID', functionArn, `${functionArn} answered the retest of ${request.checkId} with something that is not a probe result`);
    return result;
  };
}

function parseJson(payload: Uint8Array | undefined): unknown {
  try {
    return payload && payload.length > 0 ? JSON.parse(decoder.decode(payload)) : undefined;
  } catch {
    return undefined;
  }
}

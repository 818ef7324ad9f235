/**
 * The Lambda Invoke adapters against a local HTTP server posing as the Lambda endpoint (there is no
 * Lambda emulator here): the SDK builds the real request (path, invocation type header, JSON body)
 * and parses the server's real answers, including a function error.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lambdaConfirmSender, lambdaRetestSender } from '../../shared/aws/lambda-invoke.ts';

const EU = 'arn:aws:lambda:eu-west-1:123456789012:function:vantage-probe-office-1';
const AP = 'arn:aws:lambda:ap-southeast-1:123456789012:function:vantage-probe-office-2';

interface Seen { method: string; path: string; headers: IncomingHttpHeaders; body: unknown }
type Answer = (res: ServerResponse) => void;

let server: Server;
let endpoint: string;
const seen: Seen[] = [];
/** How the endpoint answers each function, by function name; unlisted ones hang. */
const answers = new Map<string, Answer>();

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (res) =>
  void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      seen.push({ method: req.method ?? '', path, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') });
      const fn = /^\/2015-03-31\/functions\/(.+)\/invocations$/.exec(path)?.[1] ?? '';
      answers.get(fn)?.(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  seen.length = 0;
  answers.clear();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(region: string) {
  return new LambdaClient({ region, endpoint, maxAttempts: 1, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

const confirm = { type: 'vantage.confirm', checkIds: ['api'], from: 'us-east-1', requestedAt: '2026-11-03T10:00:00.000Z' } as const;
const retest = { type: 'vantage.retest', checkId: 'api', from: '1', requestedAt: '2026-11-03T10:00:00.000Z' } as const;
const result = { checkId: 'api', kind: 'http', target: 'https://api.example.com/', location: 'office', startedAt: '2026-11-03T10:00:01.000Z', ok: true, status: 'up', phases: { total: 12 }, assertions: [] };

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; functionName?: string };
  }
  throw new Error('resolved');
}

describe('lambdaConfirmSender', () => {
  it('queues the request with an Event invoke on the location\'s first function, through that function\'s region', async () => {
    // Prepare
    answers.set(EU, (res) => void res.writeHead(202).end());
    const regions: Array<string | undefined> = [];
    const send = lambdaConfirmSender((region) => (regions.push(region), client(region!)), { office: [EU, AP] });

    // Act
    await send('office', confirm);

    // Assess
    expect(seen).toMatchObject([{ method: 'POST', path: `/2015-03-31/functions/${EU}/invocations`, body: confirm }]);
    expect(seen[0]!.headers['x-amz-invocation-type']).toBe('Event');
    expect(regions).toEqual(['eu-west-1']);
  });

  it('tries the next function when one fails, and fails with INVOKE_FAILED when all do', async () => {
    answers.set(EU, json(404, { Type: 'User', message: 'Function not found' }, { 'x-amzn-errortype': 'ResourceNotFoundException' }));
    answers.set(AP, (res) => void res.writeHead(202).end());
    const regions: Array<string | undefined> = [];
    const send = lambdaConfirmSender((region) => (regions.push(region), client(region!)), { office: [EU, AP] });

    await send('office', confirm);
    expect(seen.map((s) => s.path)).toEqual([EU, AP].map((arn) => `/2015-03-31/functions/${arn}/invocations`));
    expect(regions).toEqual(['eu-west-1', 'ap-southeast-1']);

    answers.set(AP, json(429, { message: 'Rate exceeded' }, { 'x-amzn-errortype': 'TooManyRequestsException' }));
    const err = await rejection(send('office', confirm));
    expect(err).toMatchObject({ code: 'INVOKE_FAILED', functionName: AP });
    expect(err.message).toContain('TooManyRequestsException');
  });

  it('gives up on a function that does not answer within its bound', async () => {
    // EU hangs; AP answers.
    answers.set(AP, (res) => void res.writeHead(202).end());
    const send = lambdaConfirmSender((region) => client(region!), { office: [EU, AP] }, { timeoutMs: 200 });
    await send('office', confirm);
    expect(seen.map((s) => s.path.split('/')[3])).toEqual([EU, AP]);
  });

  it('refuses a location it knows no function for, without invoking anything', async () => {
    const err = await rejection(lambdaConfirmSender(client('eu-west-1'), { office: [EU] })('us-west-2', confirm));
    expect(err.code).toBe('CONFIRM_NO_FUNCTION');
    expect(seen).toEqual([]);
  });
});

describe('lambdaRetestSender', () => {
  it('invokes RequestResponse and returns the probe result the function answered with', async () => {
    answers.set(EU, json(200, result));
    const got = await lambdaRetestSender(client('eu-west-1'), EU)(retest);
    expect(got).toEqual(result);
    expect(seen).toMatchObject([{ path: `/2015-03-31/functions/${EU}/invocations`, body: retest }]);
    expect(seen[0]!.headers['x-amz-invocation-type']).toBe('RequestResponse');
  });

  it('treats X-Amz-Function-Error as an error, naming the error type but never its message', async () => {
    answers.set(EU, json(200, { errorType: 'StoreError', errorMessage: 'Bearer tok-3f9a1c77', trace: [] }, { 'x-amz-function-error': 'Unhandled' }));
    const err = await rejection(lambdaRetestSender(client('eu-west-1'), EU)(retest));
    expect(err.code).toBe('INVOKE_FUNCTION_ERROR');
    expect(err.message).toContain('StoreError');
    expect(err.message).not.toContain('tok-3f9a1c77');
  });

  it('refuses an answer that is not a probe result', async () => {
    for (const body of [null, 'ok', { ...result, ok: 'yes' }, { ...result, status: 'fine' }, { ...result, phases: {} }, { ...result, failure: 'boom' }]) {
      answers.set(EU, json(200, body));
      expect((await rejection(lambdaRetestSender(client('eu-west-1'), EU)(retest))).code, JSON.stringify(body)).toBe('INVOKE_RESPONSE_INVALID');
    }
  });

  it('stops waiting when its signal fires', async () => {
    // EU hangs.
    const stop = new AbortController();
    const pending = rejection(lambdaRetestSender(client('eu-west-1'), EU)(retest, stop.signal));
    await expect.poll(() => seen.length).toBe(1);
    stop.abort();
    expect((await pending).code).toBe('INVOKE_FAILED');
  });
});

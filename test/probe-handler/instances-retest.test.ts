/**
 * A failure retested on the other instance, with two real probe handlers of one private location in
 * this process: instance 1's prober cannot reach the target (its registry sends to a closed port),
 * instance 2's can, and the retest request goes from 1 to 2 through an in-process RetestSender that
 * calls 2's handler with the RetestRequest event, as Lambda's RequestResponse Invoke would. Results go
 * to DynamoDB Local; the target is a real loopback server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaRetestSender } from '../../shared/aws/lambda-invoke.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { HttpCheck } from '../../shared/config/schema.ts';
import { PROBERS } from '../../shared/probe/index.ts';
import type { ProbeResult, ProberRegistry } from '../../shared/probe/types.ts';
import { createStore, type Store } from '../../shared/store/dynamo.ts';
import { routeRetests, type CancellableRetestSender } from '../../shared/usecases/instances.ts';
import { createProbeHandler } from '../../shared/usecases/probe-handler.ts';
import type { RetestRequest } from '../../shared/usecases/probe-requests.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const MINUTE = '2026-11-03T10:00:00Z';
const LOCATION = 'office';

let db: TestDynamoDb;
let server: Server;
let base: string;
let closedPort: number;
let hits = 0;

beforeAll(async () => {
  db = await startTestDynamoDb();
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free and is closed again: connecting to it is refused.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.stop();
});

function context(): Context {
  const deadline = Date.now() + 60_000;
  return { awsRequestId: 'req', getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;
}

/** Instance 1's view of the network: its HTTP probes go to the closed port. */
const unreachable: ProberRegistry = {
  ...PROBERS,
  http: (check: HttpCheck, ctx) => PROBERS.http({ ...check, http: { ...check.http, url: `http://127.0.0.1:${closedPort}/` } }, ctx),
};

async function setup() {
  const { tableName } = await db.newTable();
  const store = createStore({ client: db.client, tableName });
  // One failure decides the location's view, so no recheck follows within the minute: one run, one result.
  const { checks } = loadConfigObject({
    defaults: { locations: [LOCATION], timeout: '2s' },
    checks: [{ id: 'api', retries: 1, alerting: { failureThreshold: 1 }, http: { url: `${base}/ok` } }],
  });
  const instance2 = createProbeHandler({ checks, location: LOCATION, store, instance: { id: '2', peers: ['1'] }, write: () => {} });
  const instance1 = (retest: CancellableRetestSender) =>
    createProbeHandler({ checks, location: LOCATION, store, runner: { registry: unreachable }, instance: { id: '1', peers: ['2'], retest }, write: () => {} });
  return { store, instance1, instance2 };
}

async function results(store: Store) {
  return store.listResults('api', { to: new Date('2030-01-01T00:00:00Z') });
}

describe('retests on the other instance of a private location', () => {
  it('records instance 2\'s pass when instance 1 fails and 2 retests it', async () => {
    // Prepare
    const { store, instance1, instance2 } = await setup();
    const requests: RetestRequest[] = [];
    const toInstance2 = async (request: RetestRequest) => {
      requests.push(request);
      return (await instance2(request as never, context())) as unknown as ProbeResult;
    };
    const handler = instance1(routeRetests({ '2': toInstance2 }, () => ['2']));
    hits = 0;

    // Act
    await handler({ time: MINUTE }, context());

    // Assess: one attempt each, and the one recorded is 2's.
    expect(requests).toMatchObject([{ type: 'vantage.retest', checkId: 'api', from: '1' }]);
    expect(hits).toBe(1);
    expect(await results(store)).toMatchObject([{ ok: true, instance: '2', retries: 1, location: LOCATION }]);
    // The retest itself recorded nothing on instance 2's side.
    expect(await results(store)).toHaveLength(1);
  });

  it('retests on instance 1 itself when instance 2 cannot be reached, and records that', async () => {
    // Prepare: instance 2's function "is" a Lambda endpoint on the closed port.
    const { store, instance1 } = await setup();
    const lambda = new LambdaClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${closedPort}`, maxAttempts: 1, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const peer = lambdaRetestSender(lambda, 'arn:aws:lambda:us-east-1:123456789012:function:vantage-probe-office-2');
    const handler = instance1(routeRetests({ '2': peer }, () => ['2']));
    hits = 0;

    // Act
    await handler({ time: MINUTE }, context());

    // Assess
    expect(hits).toBe(0);
    expect(await results(store)).toMatchObject([{ ok: false, instance: '1', retries: 1, failure: { reason: 'connect_refused' } }]);
  });
});

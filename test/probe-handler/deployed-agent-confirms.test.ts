/**
 * The deployed probe function with an agent location among its checks' locations: a failure's
 * confirmation goes to the agent location as an inbox item in the home table (DynamoDB Local), which
 * its agents poll, and to the Lambda location as an async Invoke (a local server posing as the Lambda
 * endpoint, AWS_ENDPOINT_URL_LAMBDA). The function is built from its environment as in Lambda.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { createAgentStore } from '../../shared/store/agents.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const LOCATION = 'eu-west-1';
const AP = 'arn:aws:lambda:ap-southeast-1:123456789012:function:vantage-probe-ap-southeast-1';

let db: TestDynamoDb;
let target: Server;
let lambda: Server;
let dir: string | undefined;
const saved = { ...process.env };
const invokes: Array<{ fn: string; type: string | undefined; body: Record<string, unknown> }> = [];

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

function context(): Context {
  const deadline = Date.now() + 60_000;
  return { awsRequestId: 'req', getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;
}

beforeAll(async () => {
  db = await startTestDynamoDb();
  target = createServer((_req, res) => void res.writeHead(503).end('unavailable'));
  lambda = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fn = decodeURIComponent(/^\/2015-03-31\/functions\/(.+)\/invocations$/.exec(req.url ?? '')?.[1] ?? '');
      invokes.push({ fn, type: req.headers['x-amz-invocation-type'] as string | undefined, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> });
      res.writeHead(202).end();
    });
  });
  await listen(lambda);
});

afterAll(async () => {
  process.env = saved;
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const server of [target, lambda]) {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
  await db?.stop();
});

describe('the deployed probe function, with an agent location among its checks\' locations', () => {
  it('asks the agent location to confirm through its inbox, and the Lambda location through Invoke', async () => {
    // Prepare: one check failing here, also run by an agent location and another region.
    const base = await listen(target);
    const config = loadConfigObject({
      deployment: { homeRegion: LOCATION, locations: [LOCATION, 'ap-southeast-1'], agentLocations: [{ name: 'factory' }] },
      defaults: { locations: [LOCATION, 'factory', 'ap-southeast-1'], timeout: '2s', retries: 1, alerting: { failureThreshold: 1 } },
      checks: [{ id: 'down', http: { url: `${base}/down` } }],
    });
    const { tableName } = await db.newTable();
    dir = mkdtempSync(join(tmpdir(), 'vantage-agent-confirms-'));
    const definitionsPath = join(dir, 'definitions.json');
    writeFileSync(definitionsPath, JSON.stringify(toDefinitions(config, LOCATION)));
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      HOME_REGION: LOCATION,
      LOCATION,
      DEFINITIONS_PATH: definitionsPath,
      // As the CDK app writes it: Lambda locations only (cdk/probe-peers.ts confirmTargets).
      CONFIRM_FUNCTIONS: JSON.stringify({ 'ap-southeast-1': [AP] }),
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    vi.resetModules();
    const { handler } = await import('../../functions/probe/handler.ts');

    // Act: a minute whose rounds are all due already, so none waits.
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await handler({ time: new Date(Date.now() - 59_000).toISOString() }, context());
    } finally {
      stdout.mockRestore();
    }

    // Assess: the failure is recorded, and each other location was asked once, by its own channel.
    expect(await createStore({ client: db.client, tableName }).listResults('down', { to: new Date('2030-01-01T00:00:00Z') })).toMatchObject([{ ok: false, location: LOCATION }]);
    const inbox = await createAgentStore({ client: db.client, tableName }).readInbox('factory');
    expect(inbox).toMatchObject([{ to: '*', request: { type: 'vantage.confirm', checkIds: ['down'], from: LOCATION } }]);
    expect(Date.parse(inbox[0]!.deadlineAt)).toBeGreaterThan(Date.parse(inbox[0]!.sentAt));
    expect(invokes.map((i) => [i.fn, i.type, i.body.type, i.body.checkIds])).toEqual([[AP, 'Event', 'vantage.confirm', ['down']]]);
  }, 60_000);
});

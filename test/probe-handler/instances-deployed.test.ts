/**
 * The deployed probe function as instance 1 of a private location, built from its environment:
 * INSTANCE, INSTANCE_FUNCTIONS and CONFIRM_FUNCTIONS reach the Lambda SDK, pointed (AWS_ENDPOINT_URL_LAMBDA)
 * at a local server posing as the Lambda endpoint. That server answers instance 2's RequestResponse
 * retests by running instance 2's real handler in this process, and takes the Event invokes of
 * confirmation requests. Results go to DynamoDB Local; targets are a real loopback server.
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
import { createStore } from '../../shared/store/dynamo.ts';
import { ownerOf } from '../../shared/usecases/instances.ts';
import { createProbeHandler } from '../../shared/usecases/probe-handler.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

const LOCATION = 'office';
const INSTANCE_2 = 'arn:aws:lambda:us-east-1:123456789012:function:vantage-probe-office-2';
const EU = 'arn:aws:lambda:eu-west-1:123456789012:function:vantage-probe-eu-west-1';

let db: TestDynamoDb;
let target: Server;
let lambda: Server;
let dir: string | undefined;
const saved = { ...process.env };
const hits = new Map<string, number>();
const invokes: Array<{ fn: string; type: string | undefined; body: Record<string, unknown> }> = [];
/** Instance 2's handler, set once the checks are known. */
let instance2: ((event: never, context: Context) => Promise<unknown>) | undefined;

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
  target = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    // /flaky fails its first request and passes after: instance 1 sees the failure, instance 2 the pass.
    const ok = path === '/ok' || (path === '/flaky' && hits.get(path)! > 1);
    res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'unavailable');
  });
  lambda = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void (async () => {
      const fn = decodeURIComponent(/^\/2015-03-31\/functions\/(.+)\/invocations$/.exec(req.url ?? '')?.[1] ?? '');
      const type = req.headers['x-amz-invocation-type'] as string | undefined;
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      invokes.push({ fn, type, body });
      if (fn === INSTANCE_2 && type === 'RequestResponse' && instance2) {
        const result = await instance2(body as never, context());
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      } else if (type === 'Event') res.writeHead(202).end();
      else res.writeHead(404, { 'x-amzn-errortype': 'ResourceNotFoundException' }).end('{}');
    })());
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

/** The first id of the form `<stem>-<n>` whose owner among live instances 1 and 2 is `owner`. */
const idOwnedBy = (stem: string, owner: string) => Array.from({ length: 50 }, (_, n) => `${stem}-${n}`).find((id) => ownerOf(id, ['1', '2']) === owner)!;

describe('the deployed probe function as an instance of a private location', () => {
  it('runs its share, retests a failure on instance 2 over Invoke, and asks the other location to confirm', async () => {
    // Prepare: three checks, two of them instance 1's share; instance 2 live (a fresh heartbeat).
    const base = await listen(target);
    const [flaky, down, theirs] = [idOwnedBy('flaky', '1'), idOwnedBy('down', '1'), idOwnedBy('theirs', '2')];
    const config = loadConfigObject({
      defaults: { locations: [LOCATION, 'eu-west-1'], timeout: '2s', retries: 1, alerting: { failureThreshold: 1 } },
      checks: [{ id: flaky, http: { url: `${base}/flaky` } }, { id: down, http: { url: `${base}/down` } }, { id: theirs, http: { url: `${base}/ok` } }],
    });
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    await store.putHeartbeat(LOCATION, { lastSeen: new Date().toISOString(), checksRun: 1, instance: '2' });
    instance2 = createProbeHandler({ checks: config.checks, location: LOCATION, store, instance: { id: '2', peers: ['1'] }, write: () => {} }) as never;
    dir = mkdtempSync(join(tmpdir(), 'vantage-instance-'));
    const definitionsPath = join(dir, 'definitions.json');
    writeFileSync(definitionsPath, JSON.stringify(toDefinitions(config, LOCATION)));
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      HOME_REGION: 'us-east-1',
      LOCATION,
      DEFINITIONS_PATH: definitionsPath,
      INSTANCE: '1',
      INSTANCE_FUNCTIONS: JSON.stringify({ '2': INSTANCE_2 }),
      CONFIRM_FUNCTIONS: JSON.stringify({ 'eu-west-1': [EU] }),
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

    // Assess: 2 retested both failures and its answers were recorded; "theirs" was left to 2.
    const to = new Date('2030-01-01T00:00:00Z');
    expect(await store.listResults(flaky, { to })).toMatchObject([{ ok: true, instance: '2', retries: 1 }]);
    expect(await store.listResults(down, { to })).toMatchObject([{ ok: false, instance: '2', retries: 1 }]);
    expect(await store.listResults(theirs, { to })).toEqual([]);
    expect(hits.get('/ok')).toBeUndefined();
    const retests = invokes.filter((i) => i.type === 'RequestResponse');
    expect(retests.map((i) => [i.fn, i.body.type, i.body.checkId, i.body.from]).sort()).toEqual([[INSTANCE_2, 'vantage.retest', down, '1'], [INSTANCE_2, 'vantage.retest', flaky, '1']].sort());
    // The failure that stayed a failure is confirmed from the other location, asynchronously.
    expect(invokes.filter((i) => i.type === 'Event')).toMatchObject([{ fn: EU, body: { type: 'vantage.confirm', checkIds: [down], from: LOCATION } }]);
    // Its own heartbeat, for its peer's next share.
    expect((await store.getInstanceHeartbeats(LOCATION, ['1'])).map((h) => h.instance)).toEqual(['1']);
  });
});

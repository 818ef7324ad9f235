/**
 * The deployed evaluator's status page wiring (functions/evaluator/status-page.ts) end to end: the
 * state, rollups and incidents in DynamoDB Local, rendered and written to a loopback S3 stand-in, and
 * the environment that turns it on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvaluatorEnv } from '../../functions/evaluator/env.ts';
import { depsFromEnvironment } from '../../functions/evaluator/handler.ts';
import { statusPageDeps } from '../../functions/evaluator/status-page.ts';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { CheckState } from '../../shared/evaluate/index.ts';
import { MINUTE_MS, noSamples } from '../../shared/evaluate/slo/index.ts';
import { jsonLogger } from '../../shared/logging/logger.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { createRollupStore } from '../../shared/store/rollups.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { startS3StandIn, type S3StandIn } from '../support/s3-stand-in.ts';

const NOW = Date.parse('2026-12-01T22:30:10.000Z');
const MINUTE = Math.floor(NOW / MINUTE_MS) * MINUTE_MS - MINUTE_MS;

let db: TestDynamoDb;
let s3: S3StandIn;
const dir = mkdtempSync(join(tmpdir(), 'vantage-evaluator-status-'));

beforeAll(async () => {
  [db, s3] = await Promise.all([startTestDynamoDb(), startS3StandIn('us-east-1')]);
}, 60_000);

afterAll(async () => {
  await Promise.all([db?.stop(), s3?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const down: CheckState = {
  schemaVersion: 1, checkId: 'checkout', version: 0, since: NOW - 86_400_000, overall: 'DOWN',
  locations: {
    'us-east-1': { lastTs: NOW - 20_000, consecutiveFailures: 3, consecutiveSuccesses: 0, failing: true },
    'eu-west-1': { lastTs: NOW - 20_000, consecutiveFailures: 3, consecutiveSuccesses: 0, failing: true },
  },
  incident: { id: 'checkout:2026-12-01T22:20:00.000Z', startedAt: NOW - 600_000, overallSince: NOW - 600_000, locations: ['eu-west-1', 'us-east-1'], sent: {} },
  outbox: [],
} as CheckState;

describe('statusPageDeps', () => {
  it('renders the page from the table and PUTs it to the bucket, at most once per interval', async () => {
    const { tableName } = await db.newTable();
    const store = createStore({ client: db.client, tableName });
    const rollups = createRollupStore(db.client, tableName);
    await store.putState(down, 0);
    await rollups.addMinute('checkout', { start: MINUTE, class: 'down', failing: ['eu-west-1', 'us-east-1'], ...noSamples() });
    const logs: string[] = [];
    const { statusPage } = statusPageDeps(
      { STATUS_PAGE_BUCKET: 'vantage-status-page', STATUS_PAGE_TITLE: 'Acme status' },
      { store, rollups, checks: [{ id: 'checkout', name: 'Checkout' }], logger: jsonLogger((l) => logs.push(l)), s3: s3.client },
    );

    await statusPage!.refresh(NOW);

    expect(logs.map((l) => JSON.parse(l) as { message: string }).map((l) => l.message)).toEqual(['status page published']);
    expect(s3.seen.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual(['PUT /vantage-status-page/index.html']);
    const html = s3.seen[0]!.body;
    expect(html).toContain('<title>Acme status</title>');
    expect(html).toContain('Checkout');
    expect(html).toMatch(/Down/);

    // A minute on: within the interval, not even rendered.
    await statusPage!.refresh(NOW + MINUTE_MS);
    expect(s3.seen).toHaveLength(1);

    // Five minutes on: today's bar counts five more minutes without data, so the page changed.
    await statusPage!.refresh(NOW + 5 * MINUTE_MS);
    expect(s3.seen).toHaveLength(2);
    expect(s3.seen[0]!.body).toContain('22 h 29 min no data');
    expect(s3.seen[1]!.body).toContain('22 h 34 min no data');
  }, 30_000);

  it('is off without STATUS_PAGE_BUCKET', () => {
    expect(statusPageDeps({}, { store: {} as never, rollups: {} as never, checks: [], logger: jsonLogger(() => {}) })).toEqual({});
  });
});

describe('the evaluator environment', () => {
  const definitionsPath = join(dir, 'definitions.json');
  writeFileSync(definitionsPath, JSON.stringify(toDefinitions(loadConfigObject({ defaults: { locations: ['us-east-1'] }, checks: [{ id: 'api', http: { url: 'https://api.example.com/' } }] }))));
  const GOOD = { TABLE_NAME: 'vantage-results', TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:vantage-alerts', DEFINITIONS_PATH: definitionsPath };

  it('gives the sweep a status page only with STATUS_PAGE_BUCKET, and refuses a malformed bucket name', () => {
    expect(depsFromEnvironment(GOOD).statusPage).toBeUndefined();
    expect(depsFromEnvironment({ ...GOOD, STATUS_PAGE_BUCKET: 'vantage-home-statuspagebucket-1a2b3c4d5e6f' }).statusPage).toBeDefined();
    expect(() => parseEvaluatorEnv({ ...GOOD, STATUS_PAGE_BUCKET: 'Not_A_Bucket' })).toThrow(expect.objectContaining({
      issues: [{ path: 'STATUS_PAGE_BUCKET', message: 'expected an S3 bucket name' }],
    }));
  });
});

/**
 * DynamoDB Local for tests: start it once per test file (`beforeAll`), make a fresh table per test or
 * suite with `newTable()`, and `stop()` it in `afterAll`. Table names are unique, so tests in one file
 * never see each other's items.
 *
 *   let db: TestDynamoDb;
 *   beforeAll(async () => { db = await startTestDynamoDb(); });
 *   afterAll(() => db?.stop());
 */
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { startDynamoDbLocal, type DynamoDbLocal, type DynamoDbLocalOptions } from '../../shared/emulators/dynamodb-local.ts';
import { createTable, type CreatedTable } from '../../shared/store/table.ts';

export interface TestDynamoDb extends DynamoDbLocal {
  /** Creates a table shaped like the deployed one (stream NEW_IMAGE, TTL on `ttl`). */
  newTable(prefix?: string): Promise<CreatedTable>;
  /** A streams client on the same endpoint; destroyed by stop(). */
  streams: DynamoDBStreamsClient;
}

let counter = 0;

export async function startTestDynamoDb(opts: DynamoDbLocalOptions = {}): Promise<TestDynamoDb> {
  const db = await startDynamoDbLocal(opts);
  const streams = new DynamoDBStreamsClient(db.clientConfig);
  return {
    ...db,
    streams,
    newTable: (prefix = 'vantage-test') => createTable(db.client, `${prefix}-${process.pid}-${++counter}`),
    stop: async () => {
      streams.destroy();
      await db.stop();
    },
  };
}

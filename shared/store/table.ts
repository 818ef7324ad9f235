/**
 * The table's shape, for DynamoDB Local and tests. CDK creates the same table in AWS: string keys
 * `pk`/`sk`, on-demand billing, a NEW_IMAGE stream and TTL on `ttl`. Keep the two in step.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE } from './keys.ts';
import { StoreError, toStoreError } from './errors.ts';

export const TABLE_KEY_SCHEMA = { partitionKey: 'pk', sortKey: 'sk' } as const;
/** The evaluator needs the new result only; NEW_IMAGE halves stream record size compared with both images. */
export const TABLE_STREAM_VIEW = 'NEW_IMAGE' as const;

export interface CreatedTable {
  tableName: string;
  streamArn: string;
}

export async function createTable(client: DynamoDBClient, tableName: string): Promise<CreatedTable> {
  try {
    await client.send(new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: TABLE_KEY_SCHEMA.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEY_SCHEMA.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_KEY_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEY_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_STREAM_VIEW },
    }));
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
    await client.send(new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE },
    }));
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const streamArn = described.Table?.LatestStreamArn;
    if (!streamArn) throw new StoreError('STORE_NO_STREAM', `table ${tableName} was created without a stream`);
    return { tableName, streamArn };
  } catch (err) {
    throw toStoreError(`createTable ${tableName}`, err);
  }
}

/**
 * Where a running `vantage dev` keeps its notifier's queue, so `vantage channels test --endpoint` (which
 * knows only the DynamoDB endpoint `vantage dev` prints) can enqueue into the same queue. The pipeline
 * writes it into its own table once its queues exist: pk `LOCAL`, sk `NOTIFIER`. A deployed table never
 * holds this item; there the CLI asks SQS for the queue by name (GetQueueUrl).
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { toStoreError } from '../shared/store/errors.ts';

export const LOCAL_NOTIFIER_KEY = { pk: 'LOCAL', sk: 'NOTIFIER' } as const;

export interface LocalNotifier {
  /** The fauxqs endpoint, `http://127.0.0.1:<port>`. */
  sqsEndpoint: string;
  queueUrl: string;
  deadLetterUrl: string;
  region: string;
}

export async function writeLocalNotifier(client: DynamoDBClient, tableName: string, notifier: LocalNotifier): Promise<void> {
  await client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ ...LOCAL_NOTIFIER_KEY, type: 'LOCAL', ...notifier }) }));
}

/** The item, or undefined when the table has none (a deployed table, or a pipeline from before it); a failed read is a StoreError. */
export async function readLocalNotifier(client: DynamoDBClient, tableName: string): Promise<LocalNotifier | undefined> {
  let res;
  try {
    res = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall(LOCAL_NOTIFIER_KEY), ConsistentRead: true }));
  } catch (err) {
    throw toStoreError('GetItem LOCAL/NOTIFIER', err);
  }
  if (!res.Item) return undefined;
  const item = unmarshall(res.Item) as Record<string, unknown>;
  const text = (k: string) => (typeof item[k] === 'string' ? item[k] : undefined);
  const [sqsEndpoint, queueUrl, deadLetterUrl, region] = [text('sqsEndpoint'), text('queueUrl'), text('deadLetterUrl'), text('region')];
  if (!sqsEndpoint || !queueUrl || !deadLetterUrl || !region) return undefined;
  return { sqsEndpoint, queueUrl, deadLetterUrl, region };
}

/**
 * A client for that queue. fauxqs accepts any credentials (these keep the SDK from looking for real
 * ones), and its queue URLs name `sqs.<region>.localhost`, so requests go to the endpoint instead.
 */
export function localNotifierSqs(notifier: LocalNotifier): SQSClient {
  return new SQSClient({ endpoint: notifier.sqsEndpoint, region: notifier.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2, useQueueUrlAsEndpoint: false });
}

/**
 * A check's results read one Query page at a time (access pattern 9 in keys.ts), for readers that
 * must not hold a whole history in memory: `vantage export` writes each page out before it asks for
 * the next. A Query page is at most 1 MB of items, so memory stays bounded by a page per check.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
 */
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { latencyOf } from '../probe/latency.ts';
import { toStoreError } from './errors.ts';
import { fromResultItem, type StoredResult } from './items.ts';
import { resultQuery } from './keys.ts';

export interface ResultPagesOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Inclusive, epoch ms. */
  from: number;
  /** Inclusive, epoch ms. */
  to: number;
  /** Items per Query call. @default DynamoDB's own page (1 MB) */
  pageSize?: number;
}

/** Oldest first: the sort key orders one check's results by time (keys.ts). */
export async function* resultPages(checkId: string, opts: ResultPagesOptions): AsyncGenerator<StoredResult[]> {
  let start: Record<string, AttributeValue> | undefined;
  do {
    let out;
    try {
      out = await opts.client.send(new QueryCommand({
        TableName: opts.tableName,
        ...resultQuery(checkId, new Date(opts.from), new Date(opts.to)),
        ScanIndexForward: true,
        ...(opts.pageSize !== undefined && { Limit: opts.pageSize }),
        ...(start && { ExclusiveStartKey: start }),
      }));
    } catch (err) {
      throw toStoreError('Query results', err);
    }
    const page = (out.Items ?? []).map((item) => fromResultItem(unmarshall(item)));
    if (page.length > 0) yield page;
    start = out.LastEvaluatedKey;
  } while (start);
}

/**
 * A stored result as one line of an export: the fields `vantage replay --results` reads (checkId,
 * location, ts, ok, status, failure, latencyMs, phases, target, certExpiresAt, all as the evaluator
 * sees them through storedResultToRecord) and the rest of the item (instance, retries, trigger, HTTP
 * status), which replay ignores but a reader of the export wants. Times stay ISO 8601 with `Z`.
 */
export function exportedResult(r: StoredResult): Record<string, unknown> {
  const { checkId, location, ts, ok, status, failure, phases, ...rest } = r;
  return { checkId, location, ts, ok, status, ...(failure && { failure }), latencyMs: latencyOf(r), phases, ...rest };
}

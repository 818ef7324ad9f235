/**
 * The notifier's ledger: what happened to each delivery, and each target's health.
 *
 * | item     | pk                  | sk                                | notes                                  |
 * |----------|---------------------|-----------------------------------|----------------------------------------|
 * | DELIVERY | `CHANNEL#<channel>` | `DELIVERY#<target>#<dedupeKey>`   | status, attempts, last error; `ttl` 30 days |
 * | HEALTH   | `CHANNEL#<channel>` | `HEALTH#<target>`                 | consecutive failures, the spell's start |
 *
 * A delivery record is how a repeat is dropped after SQS's 5-minute deduplication window (the outbox
 * can resend later, after a crash) and what `vantage channels test` polls. Health is changed with
 * UpdateItem alone: `ADD failures :one` is atomic, so concurrent attempts on one target (one FIFO group
 * per check) count every failure once and exactly one of them sees the count reach `failingAfter`
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD).
 * The notifier's IAM is scoped to these items by `dynamodb:LeadingKeys` `CHANNEL#*`.
 * Not in the stream's way: the evaluator's event source filter admits result inserts only (keys.ts).
 */
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StoreError, toStoreError } from './errors.ts';
import { SCHEMA_VERSION, TTL_ATTRIBUTE, type Key } from './keys.ts';

export const CHANNEL_PREFIX = 'CHANNEL#';
export const DELIVERY_PREFIX = 'DELIVERY#';
export const HEALTH_PREFIX = 'HEALTH#';
/** Long enough for any repeat the outbox can make, short enough that the partition stays small. */
export const DELIVERY_TTL_DAYS = 30;

export const channelPk = (channel: string) => `${CHANNEL_PREFIX}${channel}`;
export const deliveryKey = (channel: string, target: string, dedupeKey: string): Key => ({ pk: channelPk(channel), sk: `${DELIVERY_PREFIX}${target}#${dedupeKey}` });
export const healthKey = (channel: string, target: string): Key => ({ pk: channelPk(channel), sk: `${HEALTH_PREFIX}${target}` });

export const DELIVERY_STATUSES = ['delivered', 'failed', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryRecord {
  channel: string;
  target: string;
  dedupeKey: string;
  /** `delivered` and `dead` are final for this receipt; `failed` is waiting for its next attempt. */
  status: DeliveryStatus;
  /** Attempts made so far (the queue's receive count). */
  attempts: number;
  event?: string;
  checkId?: string;
  /** The last HTTP status seen. */
  lastStatus?: number;
  /** An error code or `HTTP <status>`; never a URL or a secret. */
  lastError?: string;
  /** When this was recorded, ms. */
  at: number;
  /** How long the last attempt took, ms. */
  ms?: number;
}

export interface TargetHealth {
  channel: string;
  target: string;
  /** Failed attempts in a row; 0 after a success. */
  failures: number;
  /** The first failure of the current spell, ms; absent when healthy. */
  since?: number;
  lastError?: string;
  lastFailureAt?: number;
  /** The `since` of the spell CHANNEL_FAILING was sent for; equal to `since` once sent this spell. */
  notifiedSince?: number;
}

export interface DeliveryLedger {
  /** Strongly consistent: a repeat right after a delivery must see it. */
  get(channel: string, target: string, dedupeKey: string): Promise<DeliveryRecord | undefined>;
  record(r: DeliveryRecord): Promise<void>;
  /** A channel's delivery records, optionally only one notification's. */
  list(channel: string, dedupeKey?: string): Promise<DeliveryRecord[]>;
  /** Counts one failed attempt (atomically) and returns the health after it. */
  failed(channel: string, target: string, at: number, error: string): Promise<TargetHealth>;
  /** Ends a spell; returns the health before, or undefined when the target was healthy already. */
  succeeded(channel: string, target: string, at: number): Promise<TargetHealth | undefined>;
  /** Claims the CHANNEL_FAILING of the spell that began at `since`: true for exactly one caller per spell. */
  markFailingNotified(channel: string, target: string, since: number): Promise<boolean>;
  /** Gives a claim back after its notification could not be sent, so the next failure sends it. */
  releaseFailingNotified(channel: string, target: string, since: number): Promise<void>;
  getHealth(channel: string, target: string): Promise<TargetHealth | undefined>;
}

const toAttrs = (item: object) => marshall(item, { removeUndefinedValues: true });
const isConditionFailure = (err: unknown) => (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

function fromDeliveryItem(item: Record<string, unknown>): DeliveryRecord {
  if (typeof item.schemaVersion === 'number' && item.schemaVersion > SCHEMA_VERSION) {
    throw new StoreError('STORE_ITEM_INVALID', `delivery item ${String(item.sk)} has schema version ${item.schemaVersion}, newer than ${SCHEMA_VERSION}`);
  }
  const status = DELIVERY_STATUSES.includes(item.status as DeliveryStatus) ? (item.status as DeliveryStatus) : undefined;
  if (status === undefined) throw new StoreError('STORE_ITEM_INVALID', `delivery item ${String(item.sk)} has no valid status`);
  return {
    channel: String(item.channel),
    target: String(item.target),
    dedupeKey: String(item.dedupeKey),
    status,
    attempts: Number(item.attempts ?? 0),
    ...(typeof item.event === 'string' && { event: item.event }),
    ...(typeof item.checkId === 'string' && { checkId: item.checkId }),
    ...(typeof item.lastStatus === 'number' && { lastStatus: item.lastStatus }),
    ...(typeof item.lastError === 'string' && { lastError: item.lastError }),
    at: Number(item.at),
    ...(typeof item.ms === 'number' && { ms: item.ms }),
  };
}

function fromHealthItem(item: Record<string, unknown>): TargetHealth {
  return {
    channel: String(item.channel),
    target: String(item.target),
    failures: Number(item.failures ?? 0),
    ...(typeof item.since === 'number' && { since: item.since }),
    ...(typeof item.lastError === 'string' && { lastError: item.lastError }),
    ...(typeof item.lastFailureAt === 'number' && { lastFailureAt: item.lastFailureAt }),
    ...(typeof item.notifiedSince === 'number' && { notifiedSince: item.notifiedSince }),
  };
}

export interface DeliveryLedgerOptions {
  /** @default DELIVERY_TTL_DAYS */
  ttlDays?: number;
}

export function deliveryLedger(client: DynamoDBClient, tableName: string, opts: DeliveryLedgerOptions = {}): DeliveryLedger {
  const ttlDays = opts.ttlDays ?? DELIVERY_TTL_DAYS;
  const ttlOf = (at: number) => Math.floor(at / 1000) + ttlDays * 86_400;

  async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toStoreError(operation, err);
    }
  }

  async function update(operation: string, input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName'>): Promise<Record<string, AttributeValue> | undefined | 'condition'> {
    try {
      const out = await client.send(new UpdateItemCommand({ ...input, TableName: tableName }));
      return out.Attributes;
    } catch (err) {
      if (isConditionFailure(err)) return 'condition';
      throw toStoreError(operation, err);
    }
  }

  return {
    async get(channel, target, dedupeKey) {
      const out = await send('GetItem delivery', () => client.send(new GetItemCommand({ TableName: tableName, Key: toAttrs(deliveryKey(channel, target, dedupeKey)), ConsistentRead: true })));
      return out.Item ? fromDeliveryItem(unmarshall(out.Item)) : undefined;
    },

    async record(r) {
      const item = { ...deliveryKey(r.channel, r.target, r.dedupeKey), type: 'DELIVERY', schemaVersion: SCHEMA_VERSION, ...r, [TTL_ATTRIBUTE]: ttlOf(r.at) };
      await send('PutItem delivery', () => client.send(new PutItemCommand({ TableName: tableName, Item: toAttrs(item) })));
    },

    async list(channel, dedupeKey) {
      const items: DeliveryRecord[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await send('Query deliveries', () => client.send(new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          // The dedupe key follows the target in the sort key, so one notification's records are filtered, not ranged.
          ...(dedupeKey !== undefined && { FilterExpression: 'dedupeKey = :d' }),
          ExpressionAttributeValues: toAttrs({ ':pk': channelPk(channel), ':prefix': DELIVERY_PREFIX, ...(dedupeKey !== undefined && { ':d': dedupeKey }) }),
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
        })));
        for (const item of out.Items ?? []) items.push(fromDeliveryItem(unmarshall(item)));
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    },

    async failed(channel, target, at, error) {
      const out = await update('UpdateItem health failed', {
        Key: toAttrs(healthKey(channel, target)),
        UpdateExpression: 'ADD failures :one SET #type = :type, schemaVersion = :v, channel = :c, target = :t, since = if_not_exists(since, :at), lastError = :e, lastFailureAt = :at, #ttl = :ttl',
        ExpressionAttributeNames: { '#type': 'type', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: toAttrs({ ':one': 1, ':type': 'HEALTH', ':v': SCHEMA_VERSION, ':c': channel, ':t': target, ':at': at, ':e': error, ':ttl': ttlOf(at) }),
        ReturnValues: 'ALL_NEW',
      });
      if (out === 'condition' || out === undefined) throw new StoreError('STORE_UNAVAILABLE', 'UpdateItem health returned no attributes');
      return fromHealthItem(unmarshall(out));
    },

    async succeeded(channel, target, at) {
      // Conditional, so a healthy target's success changes nothing (the condition's failure is the cheap answer).
      const out = await update('UpdateItem health succeeded', {
        Key: toAttrs(healthKey(channel, target)),
        UpdateExpression: 'SET failures = :zero, lastSuccessAt = :at REMOVE since, notifiedSince',
        ConditionExpression: 'failures > :zero',
        ExpressionAttributeValues: toAttrs({ ':zero': 0, ':at': at }),
        ReturnValues: 'ALL_OLD',
      });
      return out === 'condition' || out === undefined ? undefined : fromHealthItem(unmarshall(out));
    },

    async markFailingNotified(channel, target, since) {
      const out = await update('UpdateItem health notified', {
        Key: toAttrs(healthKey(channel, target)),
        UpdateExpression: 'SET notifiedSince = :since',
        ConditionExpression: 'since = :since AND (attribute_not_exists(notifiedSince) OR notifiedSince <> :since)',
        ExpressionAttributeValues: toAttrs({ ':since': since }),
      });
      return out !== 'condition';
    },

    async releaseFailingNotified(channel, target, since) {
      await update('UpdateItem health release', {
        Key: toAttrs(healthKey(channel, target)),
        UpdateExpression: 'REMOVE notifiedSince',
        ConditionExpression: 'notifiedSince = :since',
        ExpressionAttributeValues: toAttrs({ ':since': since }),
      });
    },

    async getHealth(channel, target) {
      const out = await send('GetItem health', () => client.send(new GetItemCommand({ TableName: tableName, Key: toAttrs(healthKey(channel, target)), ConsistentRead: true })));
      return out.Item ? fromHealthItem(unmarshall(out.Item)) : undefined;
    },
  };
}

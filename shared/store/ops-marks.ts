/**
 * What the sweep remembers about silent instances of private locations, so INSTANCE_SILENT goes to
 * the ops topic once per silence and not once a minute.
 *
 * | item | pk                | sk    | notes                                                         |
 * |------|-------------------|-------|---------------------------------------------------------------|
 * | OPS  | `LOCATION#<name>` | `OPS` | one attribute `silent#<instance>` per instance away from rest |
 *
 * The item exists only while an instance of the location is silent or unheard of, so a healthy
 * deployment keeps none and the sweep writes nothing. Each instance is its own top-level attribute,
 * changed with UpdateItem (SET or REMOVE of that attribute alone), so two instances' marks never
 * overwrite each other and no read-modify-write race exists. Reads are one BatchGetItem per sweep,
 * eventually consistent: a mark read a moment stale can at worst repeat a warning with the same dedupe key.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
 *
 * Not in the stream's way: the evaluator's event source filter admits result inserts only (keys.ts).
 */
import { BatchGetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StoreError, toStoreError } from './errors.ts';
import { locationPk, SCHEMA_VERSION, type Key } from './keys.ts';

export const OPS_SK = 'OPS';
const MARK_PREFIX = 'silent#';

/** One instance away from rest. */
export interface InstanceMark {
  /** Epoch ms: the evidence the silence is measured from, its newest heartbeat or, when it never wrote one, when the sweep first noticed that. */
  since: number;
  /** True when `since` is when the sweep noticed no heartbeat at all, not a heartbeat. */
  neverSeen?: boolean;
  /** INSTANCE_SILENT was sent (or is being sent) for the silence measured from `since`. */
  warned: boolean;
}

export interface OpsMarks {
  /** Per location, per instance id; locations with no marks are absent. */
  get(locations: readonly string[]): Promise<Map<string, Record<string, InstanceMark>>>;
  /** Sets one instance's mark, or removes it with `undefined`. */
  set(location: string, instance: string, mark: InstanceMark | undefined): Promise<void>;
}

export const opsKey = (location: string): Key => ({ pk: locationPk(location), sk: OPS_SK });

/** BatchGetItem takes at most 100 keys; UnprocessedKeys are retried this many times. */
const BATCH_GET_MAX = 100;
const MAX_ATTEMPTS = 5;

function marksOf(item: Record<string, unknown>): Record<string, InstanceMark> {
  const marks: Record<string, InstanceMark> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(MARK_PREFIX) || typeof value !== 'object' || value === null) continue;
    const v = value as Partial<InstanceMark>;
    if (typeof v.since !== 'number') continue;
    marks[name.slice(MARK_PREFIX.length)] = { since: v.since, warned: v.warned === true, ...(v.neverSeen === true && { neverSeen: true }) };
  }
  return marks;
}

export function createOpsMarks(opts: { client: DynamoDBClient; tableName: string }): OpsMarks {
  const { client, tableName } = opts;
  async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toStoreError(operation, err);
    }
  }
  return {
    async get(locations) {
      const out = new Map<string, Record<string, InstanceMark>>();
      const keys = [...new Set(locations)].map((l) => marshall(opsKey(l)));
      for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
        let pending: Array<Record<string, AttributeValue>> = keys.slice(i, i + BATCH_GET_MAX);
        for (let attempt = 1; pending.length > 0; attempt++) {
          if (attempt > MAX_ATTEMPTS) throw new StoreError('STORE_UNPROCESSED_KEYS', `${pending.length} ops key(s) still unprocessed after ${MAX_ATTEMPTS} BatchGetItem attempts`);
          const res = await send('BatchGetItem ops', () => client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending } } })));
          for (const raw of res.Responses?.[tableName] ?? []) {
            const item = unmarshall(raw);
            const location = String(item.pk).slice(locationPk('').length);
            const marks = marksOf(item);
            if (Object.keys(marks).length > 0) out.set(location, marks);
          }
          pending = res.UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
      }
      return out;
    },

    async set(location, instance, mark) {
      const names = { '#m': `${MARK_PREFIX}${instance}` };
      const input = mark === undefined
        ? { UpdateExpression: 'REMOVE #m', ExpressionAttributeNames: names }
        : {
          UpdateExpression: 'SET #m = :m, #type = :type, #sv = :sv',
          ExpressionAttributeNames: { ...names, '#type': 'type', '#sv': 'schemaVersion' },
          ExpressionAttributeValues: marshall({ ':m': mark, ':type': 'OPS', ':sv': SCHEMA_VERSION }, { removeUndefinedValues: true }),
        };
      await send('UpdateItem ops', () => client.send(new UpdateItemCommand({ TableName: tableName, Key: marshall(opsKey(location)), ...input })));
    },
  };
}

/**
 * The SLO rollups: one ROLLUP item per check and hour (keys.ts, access patterns 21 and 22), so a
 * 30-day SLI is 720 small items read in one paginated Query, not a scan of a month of results.
 *
 * | attribute                                   | meaning                                                   |
 * |---------------------------------------------|-----------------------------------------------------------|
 * | `up down partial maintenance nodata`        | accounted seconds by minute class (numbers, ADDed)        |
 * | `samples ok fast latSum b0`..`b10`          | scheduled results, passing, fast; latency sum and buckets |
 * | `L#<location>`                              | seconds that location was failing outside maintenance     |
 * | `m00`..`m59`                                | the minute's code: `<class initial>:<samples>:<ok>:<fast>[:<failing locations, space-separated>]` |
 * | `checkId hour ttl`                          | hour in epoch ms; `ttl` epoch seconds, hour + ROLLUP_RETENTION_DAYS |
 *
 * A minute is written once: one UpdateItem ADDs its sums and SETs its code on the condition that
 * the code is not there yet, so a retried sweep, two sweeps at once, or a replayed event add nothing.
 * DynamoDB evaluates the condition and applies the update atomically on the one item.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD
 * What a minute adds to its hour is the core's definition (`addMinute` of shared/evaluate/slo), applied
 * here to an empty hour and sent as the delta, so the table and the in-memory RollupBook cannot differ.
 *
 * Attribute names go through ExpressionAttributeNames: location names hold `.` and `-`, which an
 * expression would read as a path or an operator, and `ttl` and `hour` are reserved words.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
 */
import { QueryCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ROLLUP_RETENTION_DAYS } from '../config/slo.ts';
import { addMinute as addToHour, emptyHour } from '../evaluate/slo/index.ts';
import { HOUR_MS, LATENCY_BUCKETS_MS, MINUTE_CLASSES, MINUTE_MS, type HourRollup, type MinuteClass, type MinuteCode, type MinuteRecord } from '../evaluate/slo/types.ts';
import { toStoreError } from './errors.ts';
import { ItemCodecError } from './items.ts';
import { rollupKey, rollupQuery, SCHEMA_VERSION, TTL_ATTRIBUTE } from './keys.ts';

export interface RollupStore {
  /** Accounts one minute of one check; false when that minute was already accounted (nothing changed). */
  addMinute(checkId: string, minute: MinuteRecord): Promise<boolean>;
  /** Every hour item overlapping [from, to) (epoch ms), oldest first. */
  hours(checkId: string, from: number, to: number): Promise<HourRollup[]>;
}

export interface RollupStoreOptions {
  /** Items per Query call. @default DynamoDB's own page (1 MB) */
  pageSize?: number;
}

const DAY_S = 86_400;
const LOCATION_PREFIX = 'L#';
const BUCKET_PREFIX = 'b';
const BUCKETS = LATENCY_BUCKETS_MS.length + 1;

/** The class's initial in a minute code; the classes' initials are distinct. */
const INITIAL: Record<MinuteClass, string> = { up: 'u', down: 'd', partial: 'p', maintenance: 'm', nodata: 'n' };
const CLASS_OF = new Map(MINUTE_CLASSES.map((c) => [INITIAL[c], c]));

/** `m00`..`m59`: the minute of the hour. */
export const minuteAttribute = (minuteOfHour: number): string => `m${String(minuteOfHour).padStart(2, '0')}`;

/** Location names follow the id rule (no `:` and no space), so both separate safely. */
export function encodeMinuteCode(code: MinuteCode): string {
  const head = `${INITIAL[code.class]}:${code.samples}:${code.ok}:${code.fast}`;
  return code.failing.length > 0 ? `${head}:${code.failing.join(' ')}` : head;
}

export function decodeMinuteCode(text: string): MinuteCode {
  const [initial, samples, ok, fast, failing, ...rest] = text.split(':');
  const cls = CLASS_OF.get(initial ?? '');
  const counts = [samples, ok, fast].map(Number);
  if (!cls || rest.length > 0 || counts.some((n) => !Number.isInteger(n) || n < 0)) throw new ItemCodecError(`not a minute code: ${JSON.stringify(text)}`);
  return { class: cls, samples: counts[0]!, ok: counts[1]!, fast: counts[2]!, failing: failing ? failing.split(' ') : [] };
}

interface Update {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
}

/** The UpdateItem parts that account `minute` into its hour: ADD of every nonzero sum, SET of its code, on the code's absence. */
export function minuteUpdate(checkId: string, minute: MinuteRecord): Update {
  const hour = Math.floor(minute.start / HOUR_MS) * HOUR_MS;
  const delta = addToHour(emptyHour(checkId, hour), minute);
  const mm = Math.floor((minute.start - hour) / MINUTE_MS);
  const code = delta.minutes[mm];
  if (!code) throw new ItemCodecError(`minute ${new Date(minute.start).toISOString()} did not land in its hour`);
  const names: Record<string, string> = { '#m': minuteAttribute(mm), '#type': 'type', '#sv': 'schemaVersion', '#checkId': 'checkId', '#hour': 'hour', '#ttl': TTL_ATTRIBUTE };
  const values: Record<string, unknown> = {
    ':m': encodeMinuteCode(code), ':type': 'ROLLUP', ':sv': SCHEMA_VERSION, ':checkId': checkId, ':hour': hour,
    ':ttl': Math.floor(hour / 1000) + ROLLUP_RETENTION_DAYS * DAY_S,
  };
  const adds: string[] = [];
  const add = (attribute: string, n: number) => {
    if (n === 0) return;
    const i = adds.length;
    names[`#a${i}`] = attribute;
    values[`:a${i}`] = n;
    adds.push(`#a${i} :a${i}`);
  };
  for (const c of MINUTE_CLASSES) add(c, delta.seconds[c]);
  add('samples', delta.samples);
  add('ok', delta.ok);
  add('fast', delta.fast);
  add('latSum', delta.latencySumMs);
  delta.buckets.forEach((n, i) => add(`${BUCKET_PREFIX}${i}`, n));
  for (const [location, seconds] of Object.entries(delta.locationDown)) add(`${LOCATION_PREFIX}${location}`, seconds);
  const set = 'SET #m = :m, #type = :type, #sv = :sv, #checkId = :checkId, #hour = :hour, #ttl = :ttl';
  return {
    UpdateExpression: adds.length > 0 ? `${set} ADD ${adds.join(', ')}` : set,
    ConditionExpression: 'attribute_not_exists(#m)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: marshall(values),
  };
}

/**
 * The item an hour's minutes leave in the table (what the UpdateItems of minuteUpdate add up to): for
 * sizing it (`vantage cost`) and for tests. Zero sums are absent, as they are never ADDed.
 */
export function rollupItemOf(hour: HourRollup): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...rollupKey(hour.checkId, hour.hour), type: 'ROLLUP', schemaVersion: SCHEMA_VERSION, checkId: hour.checkId, hour: hour.hour,
    [TTL_ATTRIBUTE]: Math.floor(hour.hour / 1000) + ROLLUP_RETENTION_DAYS * DAY_S,
  };
  const put = (name: string, n: number) => { if (n !== 0) item[name] = n; };
  for (const c of MINUTE_CLASSES) put(c, hour.seconds[c]);
  put('samples', hour.samples);
  put('ok', hour.ok);
  put('fast', hour.fast);
  put('latSum', hour.latencySumMs);
  hour.buckets.forEach((n, i) => put(`${BUCKET_PREFIX}${i}`, n));
  for (const [location, seconds] of Object.entries(hour.locationDown)) put(`${LOCATION_PREFIX}${location}`, seconds);
  for (const [mm, code] of Object.entries(hour.minutes)) item[minuteAttribute(Number(mm))] = encodeMinuteCode(code);
  return item;
}

/** An unmarshalled ROLLUP item as the core's HourRollup; absent sums are zero (only nonzero ones are ever ADDed). */
export function fromRollupItem(item: Record<string, unknown>): HourRollup {
  if (item.type !== 'ROLLUP') throw new ItemCodecError(`expected a ROLLUP item, got ${String(item.type)} (${String(item.pk)} ${String(item.sk)})`);
  const v = item.schemaVersion;
  if (typeof v !== 'number' || v > SCHEMA_VERSION) throw new ItemCodecError(`ROLLUP item ${String(item.pk)} ${String(item.sk)} has schemaVersion ${String(v)}; this build reads up to ${SCHEMA_VERSION}`);
  const num = (name: string): number => { const v = item[name]; return typeof v === 'number' ? v : 0; };
  const hour: HourRollup = {
    ...emptyHour(String(item.checkId), num('hour')),
    seconds: Object.fromEntries(MINUTE_CLASSES.map((c) => [c, num(c)])) as Record<MinuteClass, number>,
    samples: num('samples'), ok: num('ok'), fast: num('fast'), latencySumMs: num('latSum'),
    buckets: Array.from({ length: BUCKETS }, (_, i) => num(`${BUCKET_PREFIX}${i}`)),
    locationDown: {},
    minutes: {},
  };
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(LOCATION_PREFIX) && typeof value === 'number') hour.locationDown[name.slice(LOCATION_PREFIX.length)] = value;
    const mm = /^m(\d\d)$/.exec(name);
    if (mm && typeof value === 'string') hour.minutes[Number(mm[1])] = decodeMinuteCode(value);
  }
  return hour;
}

export function createRollupStore(client: DynamoDBClient, tableName: string, opts: RollupStoreOptions = {}): RollupStore {
  return {
    async addMinute(checkId, minute) {
      const hour = Math.floor(minute.start / HOUR_MS) * HOUR_MS;
      try {
        await client.send(new UpdateItemCommand({ TableName: tableName, Key: marshall(rollupKey(checkId, hour)), ...minuteUpdate(checkId, minute) }));
        return true;
      } catch (err) {
        if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
        throw toStoreError('UpdateItem rollup', err);
      }
    },

    async hours(checkId, from, to) {
      if (to <= from) return [];
      const out: HourRollup[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        let page;
        try {
          page = await client.send(new QueryCommand({
            TableName: tableName,
            ...rollupQuery(checkId, from, to),
            ...(opts.pageSize !== undefined && { Limit: opts.pageSize }),
            ...(start && { ExclusiveStartKey: start }),
          }));
        } catch (err) {
          throw toStoreError('Query rollups', err);
        }
        for (const item of page.Items ?? []) out.push(fromRollupItem(unmarshall(item)));
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
  };
}

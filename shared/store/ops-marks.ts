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
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
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

/** The marks an OPS item holds; anything malformed is left out. */
export function marksOf(item: Record<string, unknown>): Record<string, InstanceMark> {
  const marks: Record<string, InstanceMark> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(MARK_PREFIX) || typeof value !== 'object' || value === null) continue;
    const v = value as Partial<InstanceMark>;
    if (typeof v.since !== 'number') continue;
    marks[name.slice(MARK_PREFIX.length)] = { since: v.since, warned: v.warned === true, ...(v.neverSeen === true && { neverSeen: true }) };
  }
  return marks;
}

/** The location an OPS item belongs to. */
export const opsLocationOf = (item: Record<string, unknown>): string => String(item.pk).slice(locationPk('').length);

/** The UpdateItem parts that set one instance's mark, or remove it with `undefined`: that attribute alone. */
export function opsMarkUpdate(instance: string, mark: InstanceMark | undefined): { UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> } {
  const names = { '#m': `${MARK_PREFIX}${instance}` };
  if (mark === undefined) return { UpdateExpression: 'REMOVE #m', ExpressionAttributeNames: names };
  return {
    UpdateExpression: 'SET #m = :m, #type = :type, #sv = :sv',
    ExpressionAttributeNames: { ...names, '#type': 'type', '#sv': 'schemaVersion' },
    ExpressionAttributeValues: marshall({ ':m': mark, ':type': 'OPS', ':sv': SCHEMA_VERSION }, { removeUndefinedValues: true }),
  };
}

/**
 * The size DynamoDB bills for an item, from its plain (unmarshalled) form, following
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html :
 * attribute names and string values count their UTF-8 bytes; a number about one byte per two
 * significant digits plus one; booleans and nulls one byte; a list or map 3 bytes plus one byte per
 * element plus its contents. Write units are charged per started 1 KB of this size.
 */
import { VantageError } from '../../errors.ts';

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function numberBytes(n: number): number {
  if (!Number.isFinite(n)) throw new VantageError('COST_INPUT_INVALID', `DynamoDB cannot store ${n}`);
  // Significant digits only: leading and trailing zeros are not stored.
  const digits = Math.abs(n).toExponential().split('e')[0]!.replace('.', '').replace(/0+$/, '') || '0';
  return Math.ceil(digits.length / 2) + 1;
}

export function attributeValueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return numberBytes(value);
  if (typeof value === 'bigint') return numberBytes(Number(value));
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, v) => sum + 1 + attributeValueBytes(v), 0);
  if (value instanceof Set) return [...value].reduce<number>((sum, v) => sum + attributeValueBytes(v), 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .reduce((sum, [k, v]) => sum + 1 + utf8(k) + attributeValueBytes(v), 0);
  }
  throw new VantageError('COST_INPUT_INVALID', `not a DynamoDB value: ${typeof value}`);
}

/** Billed size of a whole item: every top-level attribute's name and value (undefined ones are not written). */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += utf8(name) + attributeValueBytes(value);
  }
  return bytes;
}

/** Write request units for one standard (non-transactional) write of an item this size. */
export function writeUnits(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / 1024));
}

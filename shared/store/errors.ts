/**
 * Store failures as domain errors with stable codes. DynamoDB's exceptions are turned into these at
 * the store boundary, so callers never branch on AWS SDK error names.
 */
import { VantageError } from '../errors.ts';

export class StoreError extends VantageError {}

/** Another writer changed the state since it was read. Re-read, re-apply, write again. */
export class VersionConflictError extends StoreError {
  readonly checkId: string;
  /** 0: the writer expected no state. */
  readonly expectedVersion: number;
  /** The version now stored (0: no state). */
  readonly actualVersion: number;
  constructor(checkId: string, expectedVersion: number, actualVersion: number, options?: { cause?: unknown }) {
    const describe = (v: number) => (v === 0 ? 'no state' : `version ${v}`);
    super('STATE_VERSION_CONFLICT', `state of ${checkId} changed concurrently: expected ${describe(expectedVersion)}, found ${describe(actualVersion)}`, options);
    this.checkId = checkId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** BatchWriteItem kept returning UnprocessedItems past the retry bound. Nothing is dropped silently. */
export class UnprocessedItemsError extends StoreError {
  readonly written: number;
  /** Keys (never values) of the items that were not written. */
  readonly unwritten: Array<{ pk: string; sk: string }>;
  constructor(written: number, unwritten: Array<{ pk: string; sk: string }>, attempts: number) {
    super('STORE_UNPROCESSED_ITEMS', `${unwritten.length} item(s) still unprocessed after ${attempts} attempts (${written} written)`);
    this.written = written;
    this.unwritten = unwritten;
  }
}

/** A silence with this id is already stored; ids are random, so the writer picks another. */
export class SilenceExistsError extends StoreError {
  readonly id: string;
  constructor(id: string, options?: { cause?: unknown }) {
    super('SILENCE_EXISTS', `a silence with id ${id} already exists`, options);
    this.id = id;
  }
}

const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/** Turns an AWS SDK failure into a StoreError; domain errors pass through unchanged. */
export function toStoreError(operation: string, err: unknown): VantageError {
  if (err instanceof VantageError) return err;
  const name = (err as { name?: string } | null)?.name ?? 'Error';
  if (name === 'ResourceNotFoundException') return new StoreError('STORE_TABLE_NOT_FOUND', `${operation}: table not found`, { cause: err });
  // Malformed request or an item over 400 KB: retrying cannot help, so it gets its own code.
  if (name === 'ValidationException') return new StoreError('STORE_REQUEST_INVALID', `${operation}: rejected by DynamoDB as invalid`, { cause: err });
  if (THROTTLED.has(name)) return new StoreError('STORE_THROTTLED', `${operation}: throttled after the SDK's retries (${name})`, { cause: err });
  return new StoreError('STORE_UNAVAILABLE', `${operation} failed: ${name}`, { cause: err });
}

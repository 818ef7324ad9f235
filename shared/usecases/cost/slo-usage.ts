/**
 * What the SLO accounting costs a month (shared/usecases/slo/, shared/store/keys.ts patterns 21 and
 * 22), per check, before prices. Every enabled check is accounted (reports and the status page read
 * every check's hours); burn rates are read only for checks with an `slo`.
 *
 * With M = 43,800 minutes a month (AWS's 730-hour month × 60), per check:
 * - rollup write:  M × writeUnits(full hour item) WRU. One UpdateItem per check-minute; DynamoDB bills
 *   an update by the larger of the item before and after, so the full hour (60 minute codes) sizes it:
 *   about 730 B for a 1-minute check in 3 locations, 1 WRU.
 * - sample Query:  M × 0.5 × ceil(minute's result bytes / 4 KB) RRU. One eventually consistent Query
 *   of the minute's results (every location's runs in that minute); 0.5 RRU until they pass 4 KB.
 * - burn reads:    M / 5 × 0.5 × ceil(hours × hour item bytes / 4 KB) RRU, checks with an `slo`. Every
 *   BURN_EVERY_MS, one Query of the longest rule's long window plus an hour (3 d + 1 h: 73 items, 7 RRU). A
 *   Query is billed on the total size it read, rounded up to 4 KB once, not per item. The whole SLO
 *   window is read only while a rule fires (outages): not in these lines.
 * - storage:       ROLLUP_RETENTION_DAYS × 24 items × (hour item bytes + 100 B overhead), GB-month, at
 *   the storage and the point-in-time recovery prices (the table has PITR on), once the 400 days are full.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 */
import { ROLLUP_RETENTION_DAYS } from '../../config/slo.ts';
import type { Check } from '../../config/schema.ts';
import { addMinute, emptyHour, bucketOf } from '../../evaluate/slo/index.ts';
import { BURN_EVERY_MS, burnLookbackMs } from '../../evaluate/slo/burn.ts';
import { HOUR_MS, LATENCY_BUCKETS_MS, MINUTE_MS, type HourRollup } from '../../evaluate/slo/types.ts';
import { rollupItemOf } from '../../store/rollups.ts';
import { dynamoItemBytes, writeUnits } from './item-size.ts';
import * as P from './prices.ts';

/** Minutes in AWS's 730-hour month: the sweep accounts each once. */
export const MINUTES_PER_MONTH = P.SECONDS_PER_MONTH / 60;
const QUERY_UNIT_BYTES = 4096;
const EVENTUAL_RRU = 0.5;
/** A representative passing latency for sizing the item: one histogram bucket written. */
const SIZING_LATENCY_MS = 125;
/** The hour sized: a real one, so `hour` and `ttl` have the digits they will have. */
const SIZING_HOUR = Date.parse('2026-11-03T10:00:00.000Z');

export interface SloCheckUsage {
  checkId: string;
  /** Billed size of the check's full hour item (60 passing minutes). */
  rollupItemBytes: number;
  rollupWru: number;
  sampleRru: number;
  /** 0 without an `slo`. */
  burnRru: number;
  /** Hour items kept (ROLLUP_RETENTION_DAYS), in bytes as billed. */
  storedBytes: number;
}

/** A check's hour at its busiest passing: every minute with every location's runs, all fast. */
export function representativeHour(check: Check): HourRollup {
  const perMinute = check.locations.length * Math.max(1, Math.round(MINUTE_MS / check.interval));
  const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  buckets[bucketOf(SIZING_LATENCY_MS)] = perMinute;
  let hour = emptyHour(check.id, SIZING_HOUR);
  for (let m = 0; m < HOUR_MS / MINUTE_MS; m++) {
    hour = addMinute(hour, { start: SIZING_HOUR + m * MINUTE_MS, class: 'up', failing: [], samples: perMinute, ok: perMinute, fast: perMinute, buckets, latencySumMs: perMinute * SIZING_LATENCY_MS });
  }
  return hour;
}

const queryRru = (bytes: number) => EVENTUAL_RRU * Math.max(1, Math.ceil(bytes / QUERY_UNIT_BYTES));

/** `resultBytes(check, location)`: the billed size of one of the check's result items there. */
export function sloUsage(check: Check, resultBytes: (check: Check, location: string) => number): SloCheckUsage {
  const rollupItemBytes = dynamoItemBytes(rollupItemOf(representativeHour(check)));
  const runsPerMinute = MINUTE_MS / check.interval;
  const minuteBytes = check.locations.reduce((sum, l) => sum + Math.ceil(runsPerMinute) * resultBytes(check, l), 0);
  const burnHours = check.slo ? Math.ceil(burnLookbackMs(check.slo) / HOUR_MS) : 0;
  return {
    checkId: check.id,
    rollupItemBytes,
    rollupWru: MINUTES_PER_MONTH * writeUnits(rollupItemBytes),
    sampleRru: MINUTES_PER_MONTH * queryRru(minuteBytes),
    burnRru: check.slo ? (MINUTES_PER_MONTH / (BURN_EVERY_MS / MINUTE_MS)) * queryRru(burnHours * rollupItemBytes) : 0,
    storedBytes: ROLLUP_RETENTION_DAYS * 24 * (rollupItemBytes + P.DDB_STORAGE_OVERHEAD_BYTES),
  };
}

/** One check's SLO accounting a month in dollars, by line. */
export function sloUsd(u: SloCheckUsage): { rollupWrite: number; sampleQuery: number; burnReads: number; storage: number; total: number } {
  const rollupWrite = u.rollupWru * P.DDB_PER_WRU;
  const sampleQuery = u.sampleRru * P.DDB_PER_RRU;
  const burnReads = u.burnRru * P.DDB_PER_RRU;
  const storage = (u.storedBytes / 1024 ** 3) * (P.DDB_STORAGE_PER_GB_MONTH + P.DDB_PITR_PER_GB_MONTH);
  return { rollupWrite, sampleQuery, burnReads, storage, total: rollupWrite + sampleQuery + burnReads + storage };
}

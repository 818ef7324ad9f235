/**
 * What the deployed status page (`deployment.statusPage`) costs a month, as one line for `vantage
 * cost`. Upper bounds: the refresher (../status-page/publish.ts) renders at most once per
 * STATUS_PAGE_MIN_INTERVAL_MS and writes at most once per render, and in steady state every render is
 * written (today's bar counts the minutes of the day, so the page changes every render).
 *
 * - S3 PUTs: renders a month × $0.005 per 1,000 (S3 Standard, us-east-1). Storage (one page, and the
 *   access logs kept 90 days) is cents and left out.
 * - Render reads (DynamoDB): per check, one eventually consistent Query of its hour items, billed on
 *   the total size read in 4 KB units, plus the incidents Query and the state's BatchGetItem, 0.5 RRU
 *   each. The evaluator keeps settled hours between renders (../status-page/hour-cache.ts), so a
 *   render reads the last RECENT_HOURS hours, and the page's whole 90 days (STATUS_DAYS × 24 items,
 *   each sized as the SLO lines size it, ./slo-usage.ts) only in a new execution environment. Lambda
 *   does not say how long one lives; once an hour is assumed, which a function invoked every minute
 *   should rarely exceed.
 * - CloudFront: viewer requests and bytes depend on readers, not on Vantage. CloudFront's free tier
 *   is for every account and does not expire: 1 TB out and 10 million HTTP(S) requests a month; past
 *   it, $0.085 per GB (North America and Europe, price class 100) and $0.0100 per 10,000 HTTPS requests.
 *   Origin fetches are at most one per edge location a minute (Cache-Control: max-age=60), $0.0004 per 1,000 GETs.
 * Sources (list prices, not re-checked online from here): https://aws.amazon.com/s3/pricing/,
 * https://aws.amazon.com/cloudfront/pricing/ (the always-free tier since 2021-12).
 */
import type { Check } from '../../config/schema.ts';
import { STATUS_DAYS } from '../status-page/model.ts';
import { STATUS_PAGE_MIN_INTERVAL_MS } from '../status-page/publish.ts';
import { rollupItemOf } from '../../store/rollups.ts';
import { dynamoItemBytes } from './item-size.ts';
import * as P from './prices.ts';
import { representativeHour } from './slo-usage.ts';

/** S3 Standard PUT, COPY, POST, LIST requests, us-east-1: $0.005 per 1,000. */
export const S3_PER_PUT = 0.005 / 1000;
/** CloudFront's always-free monthly allowance. */
export const CLOUDFRONT_FREE = { bytesOut: 1024 ** 4, requests: 10_000_000 } as const;
const QUERY_UNIT_BYTES = 4096;
const EVENTUAL_RRU = 0.5;
/** Hours a cached render reads: the hour in progress, the one before, and the settling margin's. */
const RECENT_HOURS = 3;
/** Full 90-day reads a month: one per new execution environment, assumed hourly. */
const FULL_READS_PER_MONTH = P.HOURS_PER_MONTH;

export interface StatusPageUsage {
  /** Renders, and S3 PUTs, a month at most. */
  renders: number;
  putUsd: number;
  /** DynamoDB read request units of the renders, every enabled check. */
  readRru: number;
  readUsd: number;
  /** Both, CloudFront not included (see `line`). */
  usd: number;
  /** The line `vantage cost` prints. */
  line: string;
}

/** Renders a month: at most one per interval. */
export const statusPageRenders = (minIntervalMs = STATUS_PAGE_MIN_INTERVAL_MS): number => Math.floor((P.HOURS_PER_MONTH * 3_600_000) / minIntervalMs);

const queryRru = (bytes: number) => EVENTUAL_RRU * Math.max(1, Math.ceil(bytes / QUERY_UNIT_BYTES));

/** The RRU one render reads for one check: all 90 days (a new execution environment), or the recent hours. */
export function statusPageReadRru(check: Check, read: 'full' | 'recent' = 'full'): number {
  const itemBytes = dynamoItemBytes(rollupItemOf(representativeHour(check)));
  return queryRru((read === 'full' ? STATUS_DAYS * 24 : RECENT_HOURS) * itemBytes) + 2 * EVENTUAL_RRU;
}

/** The status page's month for the enabled checks it shows. */
export function statusPageCost(checks: readonly Check[], minIntervalMs = STATUS_PAGE_MIN_INTERVAL_MS): StatusPageUsage {
  const renders = statusPageRenders(minIntervalMs);
  const shown = checks.filter((c) => c.enabled);
  const full = Math.min(renders, FULL_READS_PER_MONTH);
  const readRru = shown.reduce((sum, c) => sum + full * statusPageReadRru(c, 'full') + (renders - full) * statusPageReadRru(c, 'recent'), 0);
  const putUsd = renders * S3_PER_PUT;
  const readUsd = readRru * P.DDB_PER_RRU;
  const usd = putUsd + readUsd;
  const line = `status page: at most ${renders.toLocaleString('en-US')} renders and S3 PUTs a month ($${putUsd.toFixed(2)}), `
    + `render reads ${Math.round(readRru).toLocaleString('en-US')} RRU for ${shown.length} check(s) ($${readUsd.toFixed(2)}); `
    + 'CloudFront free up to 1 TB and 10M requests a month (always-free tier), then $0.085/GB and $0.01 per 10,000 HTTPS requests';
  return { renders, putUsd, readRru, readUsd, usd, line };
}

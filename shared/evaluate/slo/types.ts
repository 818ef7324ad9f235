/**
 * The SLO accounting's shapes. The rules they carry are in ./README or README "SLOs": the sweep
 * classifies each check's minutes from its evaluated state, and counts its scheduled results as samples.
 */
export const MINUTE_CLASSES = ['up', 'down', 'partial', 'maintenance', 'nodata'] as const;
export type MinuteClass = (typeof MINUTE_CLASSES)[number];

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** Upper bounds (ms) of the latency histogram; counts have one more slot, for above the last. */
export const LATENCY_BUCKETS_MS = [50, 100, 200, 300, 500, 750, 1000, 2000, 5000, 10000] as const;

/** One accounted minute of one check. */
export interface MinuteRecord {
  /** Epoch ms, a multiple of MINUTE_MS. */
  start: number;
  class: MinuteClass;
  /** Locations failing in the evaluated state, sorted; [] when maintenance or nodata (no evidence says a location was down). */
  failing: string[];
  /** Scheduled results (no trigger) with ts in the minute. */
  samples: number;
  /** Of them, passing (degraded included). */
  ok: number;
  /** Of them, passing at or under the SLO's latency threshold (= ok without one). */
  fast: number;
  /** Samples with latencyMs by LATENCY_BUCKETS_MS bucket (length + 1). */
  buckets: number[];
  latencySumMs: number;
}

/** What is kept of one minute inside its hour. */
export interface MinuteCode {
  class: MinuteClass;
  samples: number;
  ok: number;
  fast: number;
  failing: string[];
}

/** One check's hour: sums of its accounted minutes, and each minute's code. */
export interface HourRollup {
  checkId: string;
  /** Epoch ms, a multiple of HOUR_MS. */
  hour: number;
  /** Accounted seconds by class (nodata: explicitly classified only). */
  seconds: Record<MinuteClass, number>;
  samples: number;
  ok: number;
  fast: number;
  buckets: number[];
  latencySumMs: number;
  /** Seconds per location failing in down or partial minutes. */
  locationDown: Record<string, number>;
  /** Minute of the hour (0..59) → what it was. */
  minutes: Record<number, MinuteCode>;
}

/** Sums over a range. */
export interface Totals {
  from: number;
  to: number;
  /** nodata = range − accounted + explicit nodata. */
  seconds: Record<MinuteClass, number>;
  samples: number;
  ok: number;
  fast: number;
  /** From whole hours only. */
  buckets: number[];
  locationDown: Record<string, number>;
}

export interface SliFigures {
  /** Fraction 0..1; absent without eligible data. */
  sli?: number;
  good: number;
  bad: number;
  /** Seconds (availability) or samples (latency). */
  eligible: number;
  /** Fractions; absent without eligible data. */
  budgetUsed?: number;
  budgetRemaining?: number;
}

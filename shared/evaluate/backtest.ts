/**
 * Backtesting: recorded results fed through the same policy the evaluator runs, with the same
 * once-a-minute sweep, to answer "what would this policy have paged on last week?". Used by
 * `vantage replay`.
 */
import { z } from 'zod';
import { DEFAULT_LOCATIONS } from '../config/defaults.ts';
import { evaluate } from './evaluate.ts';
import { accountMinute, RollupBook } from './slo/index.ts';
import { budgetRemainingOver, burnLookbackMs, burnReadings, isBurnReadingDue, mayAlert, type BurnObservation } from './slo/burn.ts';
import { HOUR_MS, MINUTE_MS } from './slo/types.ts';
import type { CheckState, Evaluation, Notification, Observations, PolicyInput, ResultRecord } from './types.ts';

/** An ISO 8601 time with an explicit zone, or epoch ms: a zone-less time would be read in the machine's zone. */
const Timestamp = z.union([
  z.number().int().positive(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
], { error: 'expected an ISO 8601 time with a zone (…Z or …+01:00) or epoch milliseconds' });

/**
 * One recorded result. Unknown keys are dropped rather than rejected: exports of the results table
 * and `vantage run --json` lines carry more than the policy reads. `startedAt` (a probe result's
 * name for the time) is accepted when `ts` is absent.
 */
const RecordedResult = z.object({
  checkId: z.string().min(1),
  /** `vantage run --json` without --location prints none: it probed as the config's default location. */
  location: z.string().min(1).default(DEFAULT_LOCATIONS[0]!),
  ts: Timestamp.optional(),
  startedAt: Timestamp.optional(),
  ok: z.boolean(),
  status: z.enum(['up', 'degraded', 'down']),
  failure: z.object({ reason: z.string(), message: z.string() }).optional(),
  latencyMs: z.number().nonnegative().optional(),
  phases: z.record(z.string(), z.number()).optional(),
  target: z.string().optional(),
  /** As the results table stores it. */
  certExpiresAt: Timestamp.optional(),
  /** As `vantage run --json` prints a probe result. */
  tls: z.object({ certExpiresAt: Timestamp.optional() }).optional(),
  /** A recheck or confirmation: evidence for the policy, not an SLO sample. */
  trigger: z.enum(['recheck', 'confirm']).optional(),
}).superRefine((r, ctx) => {
  if (r.ts === undefined && r.startedAt === undefined) ctx.addIssue({ code: 'custom', path: ['ts'], message: 'required' });
  if (r.ok === (r.status === 'down')) ctx.addIssue({ code: 'custom', path: ['status'], message: `status "${r.status}" contradicts ok: ${r.ok}` });
});

export interface LineIssue {
  /** 1-based. */
  line: number;
  message: string;
}

export interface ParsedResults {
  /** In file order, each with its line number. */
  results: Array<{ line: number; record: ResultRecord }>;
  issues: LineIssue[];
}

/** Parses JSON Lines; blank lines are skipped, and every bad line is reported, not just the first. */
export function parseResultLines(text: string): ParsedResults {
  const out: ParsedResults = { results: [], issues: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      out.issues.push({ line, message: `not JSON: ${(err as Error).message}` });
      return;
    }
    const parsed = RecordedResult.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
        out.issues.push({ line, message: `${where}${issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message}` });
      }
      return;
    }
    const { ts, startedAt, ...r } = parsed.data;
    const record: ResultRecord = { checkId: r.checkId, location: r.location, ts: (ts ?? startedAt)!, ok: r.ok, status: r.status };
    if (r.failure) record.failure = r.failure;
    if (r.latencyMs !== undefined) record.latencyMs = r.latencyMs;
    if (r.phases) record.phases = r.phases;
    if (r.target !== undefined) record.target = r.target;
    const certExpiresAt = r.certExpiresAt ?? r.tls?.certExpiresAt;
    if (certExpiresAt !== undefined) record.certExpiresAt = certExpiresAt;
    if (r.trigger !== undefined) record.trigger = r.trigger;
    out.results.push({ line, record });
  });
  return out;
}

/** The deployed sweep's period: EventBridge `rate(1 minute)` (shared/usecases/evaluate-batch/sweep.ts). */
export const SWEEP_PERIOD_MS = 60_000;

export interface BacktestOptions {
  /** Epoch ms: the sweep keeps running every minute up to this instant. @default the newest result's ts */
  until?: number;
}

export type Suppressed = Evaluation['suppressed'][number];

export interface BacktestOutcome {
  /** What would have been sent. */
  notifications: Notification[];
  /**
   * What was decided but not sent, with why; `vantage replay --explain` prints them. Each once, when
   * first decided: a held DOWN is decided again at every evaluation until it can go out, and the
   * repeats (same dedupe key, same reason) say nothing new.
   */
  suppressed: Suppressed[];
  states: Map<string, CheckState>;
  /** Every check's minutes as the sweep steps accounted them (shared/evaluate/slo): what `vantage report --results` reads. */
  rollups: RollupBook;
}

/**
 * The burn readings the sweep would take at `now` for a check with an `slo` (every BURN_EVERY_MS),
 * from the minutes accounted so far. The whole SLO window is read for the budget left only when it
 * can be said (mayAlert).
 */
function burnAt(book: RollupBook, policy: PolicyInput, state: CheckState | undefined, now: number): BurnObservation | undefined {
  const slo = policy.slo;
  if (!slo || !isBurnReadingDue(now)) return undefined;
  const readings = burnReadings(book.hours(policy.checkId, now - burnLookbackMs(slo), now), now, slo);
  if (!mayAlert(readings, state?.budget)) return { at: now, readings };
  const budgetRemaining = budgetRemainingOver(book.hours(policy.checkId, now - slo.windowMs - HOUR_MS, now), now, slo);
  return { at: now, readings, ...(budgetRemaining !== undefined && { budgetRemaining }) };
}

/** Time order, then the policies' order: a stable sort keeps a check's own decisions in the order made. */
function byTime<T>(entries: Array<{ item: T; at: number; rank: number }>): T[] {
  return entries.sort((a, b) => a.at - b.at || a.rank - b.rank).map(({ item }) => item);
}

/**
 * Feeds each check's results in ts order, one at a time with `now` at the result's ts, as if the
 * evaluator had seen them live, and between them runs the sweep's step (evaluate with no results) at
 * every minute boundary, as the deployed sweep does. So LOCATION_SILENT and REMINDER appear when the
 * deployment would send them, not only when the next result happens to arrive. A sweep at the same
 * millisecond as a result runs first: a result is recorded after its run started.
 *
 * A check's sweeps start after its first result (before it there is no state, and the sweep writes
 * nothing for a check without one) and go on to `until`, past the check's own last result.
 *
 * Maintenance windows come with each policy (`policyFor(check, config.maintenance)`); silences live
 * in the table, not in the results, so a backtest knows none.
 *
 * Each sweep step also accounts the minute that just ended (./slo/account.ts) from the state it
 * evaluated, as the deployed sweep does, into `rollups`; and for a check with an `slo`, every
 * BURN_EVERY_MS it passes the burn readings over those minutes, so BUDGET_BURN appears too.
 *
 * Returns every notification that would have been sent and every one decided but held back (a
 * window, flapping), each list ordered by time (checks in the order of `policies` on ties), each
 * check's final state, and the rollups.
 */
export function backtest(
  policies: ReadonlyMap<string, PolicyInput>,
  results: readonly ResultRecord[],
  options: BacktestOptions = {},
): BacktestOutcome {
  const byCheck = new Map<string, ResultRecord[]>();
  for (const r of results) {
    const list = byCheck.get(r.checkId);
    if (list) list.push(r);
    else byCheck.set(r.checkId, [r]);
  }
  const end = options.until ?? results.reduce((max, r) => Math.max(max, r.ts), -Infinity);
  const notifications: Array<{ item: Notification; at: number; rank: number }> = [];
  const suppressed: Array<{ item: Suppressed; at: number; rank: number }> = [];
  const heldOnce = new Set<string>();
  const states = new Map<string, CheckState>();
  const rollups = new RollupBook();
  [...policies.entries()].forEach(([checkId, policy], rank) => {
    const mine = (byCheck.get(checkId) ?? []).sort((a, b) => a.ts - b.ts);
    let state: CheckState | undefined;
    /** The next sweep instant not yet run. */
    let nextSweep = Infinity;
    /** The first of `mine` not before the minute the next sweep accounts (sweeps only move forward). */
    let firstOfMinute = 0;
    const minuteResults = (now: number): ResultRecord[] => {
      const start = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
      while (firstOfMinute < mine.length && mine[firstOfMinute]!.ts < start) firstOfMinute += 1;
      let end = firstOfMinute;
      while (end < mine.length && mine[end]!.ts < start + MINUTE_MS) end += 1;
      return mine.slice(firstOfMinute, end);
    };
    const step = (batch: ResultRecord[], now: number, sweep = false) => {
      const burn = sweep ? burnAt(rollups, policy, state, now) : undefined;
      const observations: Observations = burn ? { burn } : {};
      const ev = evaluate(state, batch, policy, now, observations);
      if (sweep) rollups.add(checkId, accountMinute(ev.state, policy, now, minuteResults(now)));
      // The outbox is the handler's to drain; a backtest "publishes" everything at once.
      state = { ...ev.state, outbox: [] };
      for (const n of ev.notifications) notifications.push({ item: n, at: n.at, rank });
      for (const s of ev.suppressed) {
        const key = `${s.notification.dedupeKey}\n${s.by.kind}\n${s.by.name}`;
        if (heldOnce.has(key)) continue;
        heldOnce.add(key);
        suppressed.push({ item: s, at: s.notification.at, rank });
      }
    };
    /** Sweeps at every boundary before `limit` (or up to and including it, with `inclusive`). */
    const sweepTo = (limit: number, inclusive: boolean) => {
      for (; inclusive ? nextSweep <= limit : nextSweep < limit; nextSweep += SWEEP_PERIOD_MS) step([], nextSweep, true);
    };
    for (const r of mine) {
      if (state) sweepTo(r.ts, true);
      step([r], r.ts);
      if (nextSweep === Infinity) nextSweep = (Math.floor(r.ts / SWEEP_PERIOD_MS) + 1) * SWEEP_PERIOD_MS;
    }
    if (state) sweepTo(end, true);
    if (state) states.set(checkId, state);
  });
  return { notifications: byTime(notifications), suppressed: byTime(suppressed), states, rollups };
}

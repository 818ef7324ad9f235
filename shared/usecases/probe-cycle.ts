/**
 * One location's minute of probing, as a timeline. The rounds of the minute (../schedule.ts, with this
 * location's stagger) happen at wall-clock `minuteStart + offset`, where minuteStart comes from the
 * scheduled time: an invocation that starts a few seconds late keeps the stagger, and a round whose
 * time has passed runs at once. Each round runs its checks with an immediate retest of each failure
 * (./retest.ts), writes its results at once (BatchWriteItem) and then updates the location's view of
 * each check (./recheck.ts): an undecided check is probed again `recheckInterval` after its run, and a
 * check that starts failing or recovering asks the other locations to confirm (./confirm.ts). The
 * heartbeat is written after every round that recorded something, and once more at the end. The Lambda probe handler runs one cycle per invocation.
 *
 * A recheck starts only inside the invocation's minute (before minuteStart + 60 s; the function's
 * timeout leaves room for one attempt after). One due later stays in the location's memory item, and
 * the next invocation runs it when due, even in a minute where the check is not scheduled. (If that
 * invocation never comes, the recheck is lost and the next scheduled run counts instead.)
 *
 * The memory item is read at the start of each round, concurrently with the round's probes, and
 * written only when an entry changes: steady state costs one eventually consistent GetItem per round
 * and no writes. (The first read is at the invocation's start, before planning, since it brings the
 * rechecks left for this minute; it serves a round due then, so a location whose only round is at
 * :00 reads once a minute and one whose round is at :40 twice.) Two invocations of one location can overlap (at a minute boundary, or a confirmation
 * beside a scheduled minute: Lambda runs them in separate containers), and neither sees the other's
 * writes at once. That can cost a skipped recheck (one overwrites the other's entry with an older
 * view) or an extra one (both run the same due recheck). Neither pages falsely: the memory only
 * decides *when* to probe, every run is an ordinary recorded result, and the evaluator counts the
 * results themselves (dropping duplicates by timestamp), so a wrong view can only delay or hasten
 * counting, never invent a failure.
 *
 * Waiting is billed (Lambda charges the invocation's whole duration), so a cycle whose next run is
 * more than DEFER_AFTER_MS away hands every pending run to `defer` and ends; the continuation (a
 * ContinueRequest, ./probe-requests.ts) arrives a second or two before the first of them, sleeps the
 * rest and goes on exactly as this invocation would have: same runs at the same times, same minute
 * (so the same rechecks), and for a confirmation still no confirmations. Its view of each check is
 * the memory item, written before the hand-over. A continuation more than STALE_AFTER_MS late drops
 * its runs (a round that late is worth nothing, and the next minute's invocation covers the check).
 *
 * Everything stops when `signal` fires (the Lambda deadline): no new round or retest starts, running
 * probes are cancelled, and what was measured is still written. A probe cut short by the signal is
 * not a measurement of the target, so it is counted as `aborted` and not recorded: recording it as a
 * failure would let our own deadline page someone.
 */
import type { Check } from '../config/schema.ts';
import { toResultRecord } from '../evaluate/index.ts';
import type { ProbeResult } from '../probe/types.ts';
import { MINUTE_MS, nextScheduledAt, planMinute } from '../schedule.ts';
import type { MemoryEntries, Store } from '../store/dynamo.ts';
import { confirmRequests, sendConfirmations, settleWithin } from './confirm.ts';
import type { ConfirmSender, ContinueRequest, ContinueRun, DeferSender } from './probe-requests.ts';
import { advance, parseEntry, type MemoryEntry } from './recheck.ts';
import { isAborted, probeAllWithRetests, type ProbeAttempt } from './retest.ts';

/** The memory methods are optional: without them views live only within one invocation (`vantage run`, older fakes). */
export type CycleStore = Pick<Store, 'putResults' | 'putHeartbeat'> & Partial<Pick<Store, 'getMemory' | 'updateMemory'>>;

export interface ProbeCycleOptions {
  checks: readonly Check[];
  location: string;
  /** When the invocation was scheduled; chooses the minute (and so which checks are due and when). */
  scheduledAt: Date;
  /** One attempt at one check. It must honour the signal. Failures are retested (./retest.ts). */
  probe: ProbeAttempt;
  /** Runs the immediate retests instead of `probe` (another instance of a private location). @default probe */
  retest?: ProbeAttempt;
  /** The private-location instance running this cycle: stamped on results that carry none and on the heartbeat. */
  instance?: string;
  /**
   * A confirmation request: run these checks at once (results `trigger: 'confirm'`) instead of the
   * scheduled plan, then recheck them as usual; such a cycle never asks for confirmation itself, and
   * skips a check this location probed within its recheckInterval (per memory or `lastRunAt`).
   */
  confirmChecks?: readonly Check[];
  /** Epoch ms of this container's newest run per check; updated by the cycle. */
  lastRunAt?: Map<string, number>;
  /** How to ask the other locations to confirm. Absent: no confirmations. */
  confirm?: ConfirmSender;
  /** Hands the pending runs to a later invocation instead of waiting over DEFER_AFTER_MS for them. Absent: always wait here. */
  defer?: DeferSender;
  /** A continuation (ContinueRequest): these runs instead of the plan; `confirm` when the deferring cycle was a confirmation. */
  resume?: { runs: readonly ContinueRun[]; confirm: boolean };
  /** A confirmation that could not be sent, a memory read or write that failed, or a continuation not queued; the cycle goes on. */
  onSideError?: (what: 'confirm' | 'memory' | 'defer', err: unknown, location?: string) => void;
  /** Waits `ms`, returning early (not throwing) when the signal fires. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  store: CycleStore;
  signal: AbortSignal;
  /** Wall clock: when rounds and rechecks are due, and the heartbeat. @default () => new Date() */
  now?: () => Date;
  /** Monotonic milliseconds, for the duration. @default performance.now */
  elapsed?: () => number;
  /** Probes in flight at once within a round. @default DEFAULT_CONCURRENCY */
  concurrency?: number;
  /**
   * Whether this instance owns the check at `at`: an agent instance's share, decided per round
   * (./agent/membership.ts), so a dead or leaving instance's checks move to another instance at the
   * next round rather than the next minute. Scheduled runs and rechecks not owned when their round
   * takes them are left to the owner: not run, not counted as skipped (`others`). `at` is the run's
   * due time (epoch ms), not the moment the round woke: a scheduled run is due at the same instant on
   * every instance, so two instances deciding one round agree even when one of them takes it late.
   * Confirmation runs are never filtered: the inbox claim already gave the request to one instance.
   * It may answer later (a promise): an agent re-reads its peers' beats first when its view is older
   * than the agreement needs (./agent/membership.ts).
   * @default every run is this instance's
   */
  owns?: (checkId: string, at: number) => boolean | Promise<boolean>;
}

export interface ProbeCycleSummary {
  location: string;
  scheduledAt: string;
  /** `confirm` for a cycle that answered a confirmation request. */
  trigger: 'scheduled' | 'confirm';
  rounds: number;
  /** Check runs planned (a 15 s check counts four times a minute); for a confirmation, the checks to confirm; 0 for a continuation (its runs were counted where planned). */
  due: number;
  /** Results written. */
  recorded: number;
  /** Recorded results that were rechecks. */
  rechecks: number;
  /** Recorded results that were failures after their retests. */
  failed: number;
  /** Recorded results that needed a retest (passed or not). */
  retested: number;
  /** Runs cut short by the signal and not recorded. */
  aborted: number;
  /** Planned runs that never started because the signal had fired. */
  skipped: number;
  /** Confirmation requests accepted by the sender. */
  confirmsSent: number;
  /** Runs handed to a continuation (`defer`), not run here. */
  deferred: number;
  /** Runs of a continuation dropped because it arrived more than STALE_AFTER_MS after they were due. */
  stale: number;
  /** Scheduled runs and rechecks left to another instance that owned the check at their round (`owns`). */
  others: number;
  stoppedEarly: boolean;
  durationMs: number;
  /** Ids of the checks that failed, for the log line; ids are config, never secrets. */
  failedChecks: string[];
}

export interface ProbeCycleOutcome {
  summary: ProbeCycleSummary;
  results: ProbeResult[];
}

/** Probes in flight at once; shared/usecases/cost/sizing.ts sizes the function's memory and timeout for 64. */
export const DEFAULT_CONCURRENCY = 64;

/**
 * Wait in-process for anything sooner; hand on anything later. A continuation arrives 1–2 s early
 * (SQS DelaySeconds counts whole seconds, and ../aws/sqs-defer.ts asks for one second early to absorb
 * the event source mapping's polling) and waits that in-process, so a gap over 5 s saves at least 3 s
 * of billed duration, about $2 × 10⁻⁵ at 512 MB, against about $1.4 × 10⁻⁶ for the continuation (an
 * invocation, its overhead, a SendMessage and a DeleteMessage; shared/usecases/cost). Below that the
 * saving shrinks toward nothing while each hand-over still risks a late delivery.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */
export const DEFER_AFTER_MS = 5_000;

/** A continuation this late after its runs were due drops them: the next minute's round is as near. */
export const STALE_AFTER_MS = MINUTE_MS;

/** A memory read this recent serves the next round too (rounds a few ms apart are one moment). */
const MEMORY_FRESH_MS = 1_000;

interface Run {
  at: number;
  check: Check;
  /** Absent for a scheduled run. */
  trigger?: 'recheck' | 'confirm';
}

/** Runs by time; one per check at a time, a scheduled run winning over a recheck due with it. */
function takeDue(pending: Run[], t: number): Run[] {
  const due = new Map<string, Run>();
  for (const run of pending.filter((r) => r.at <= t).sort((a, b) => a.at - b.at)) {
    const seen = due.get(run.check.id);
    if (!seen || (seen.trigger === 'recheck' && run.trigger !== 'recheck')) due.set(run.check.id, run);
  }
  // A check running now drops its later recheck: this run decides the next one.
  const keep = pending.filter((r) => r.at > t && !(r.trigger === 'recheck' && due.has(r.check.id)));
  pending.splice(0, pending.length, ...keep);
  return [...due.values()];
}

/** The views this invocation knows: the newest of what it read and what it wrote, per check. */
class Views {
  private readonly own = new Map<string, MemoryEntry | undefined>();
  private read: MemoryEntries = {};
  readAt = Number.NEGATIVE_INFINITY;
  private readonly opts: ProbeCycleOptions;

  constructor(opts: ProbeCycleOptions) {
    this.opts = opts;
  }

  async refresh(t: number): Promise<void> {
    if (!this.opts.store.getMemory || t - this.readAt < MEMORY_FRESH_MS) return;
    try {
      this.read = await this.opts.store.getMemory(this.opts.location);
      this.readAt = t;
    } catch (err) {
      // Without the memory a round still probes and records; only its view may be older.
      this.opts.onSideError?.('memory', err);
    }
  }

  get(checkId: string): MemoryEntry | undefined {
    const stored = Object.hasOwn(this.read, checkId) ? parseEntry(this.read[checkId]) : undefined;
    if (!this.own.has(checkId)) return stored;
    const mine = this.own.get(checkId);
    return stored && (!mine || stored.view.lastTs > mine.view.lastTs) ? stored : mine;
  }

  set(checkId: string, entry: MemoryEntry | undefined): void {
    this.own.set(checkId, entry);
  }

  /** Entries in the stored memory whose recheck is due in [from, until). */
  rechecksBetween(from: number, until: number): Array<{ checkId: string; at: number }> {
    return Object.keys(this.read).flatMap((checkId) => {
      const at = parseEntry(this.read[checkId])?.recheckAt;
      return at !== undefined && at >= from && at < until ? [{ checkId, at }] : [];
    });
  }
}

/**
 * A confirmation runs at once, or recheckInterval after this location's newest run of the check if
 * that was more recent: every run of a location stays that far from the one before, which is what
 * keeps a blip shorter than recheckInterval from counting twice at one location. A scheduled run of
 * this location due before recheckInterval after that time is the confirmation already; so is one
 * that would fall past this minute (the next invocation's scheduled or recheck run comes first).
 */
function confirmRuns(opts: ProbeCycleOptions, checks: readonly Check[], views: Views, t: number, minuteEnd: number): Run[] {
  return checks.flatMap((check) => {
    const gap = check.alerting.recheckIntervalMs;
    const last = Math.max(views.get(check.id)?.view.lastTs ?? 0, opts.lastRunAt?.get(check.id) ?? 0);
    const at = Math.max(t, last + gap);
    if (at >= minuteEnd || nextScheduledAt(check, opts.location, t) < at + gap) return [];
    return [{ at, check, trigger: 'confirm' as const }];
  });
}

/** A continuation's runs, minus checks this location does not run and runs gone stale. */
function resumedRuns(opts: ProbeCycleOptions, resume: NonNullable<ProbeCycleOptions['resume']>, t: number): { runs: Run[]; stale: number } {
  const byId = new Map(opts.checks.filter((c) => c.enabled !== false && c.locations.includes(opts.location)).map((c) => [c.id, c]));
  const known = resume.runs.flatMap((r) => {
    const check = byId.get(r.checkId);
    return check ? [{ at: r.at, check, ...(r.trigger && { trigger: r.trigger }) }] : [];
  });
  const runs = known.filter((r) => t - r.at <= STALE_AFTER_MS);
  return { runs, stale: known.length - runs.length };
}

/** The runs of the minute before any round: the plan (or the confirmation), plus rechecks left in memory. */
function initialRuns(opts: ProbeCycleOptions, views: Views, minuteStart: number, t: number): Run[] {
  if (opts.confirmChecks) return confirmRuns(opts, opts.confirmChecks, views, t, minuteStart + MINUTE_MS);
  const runs: Run[] = planMinute(opts.checks, opts.location, minuteStart).flatMap((round) => round.checks.map((check) => ({ at: minuteStart + round.offsetMs, check })));
  const byId = new Map(opts.checks.filter((c) => c.enabled !== false && c.locations.includes(opts.location)).map((c) => [c.id, c]));
  // Only rechecks due in this minute or later: one due earlier fell in an earlier invocation's minute,
  // which started it (and may still be running it); running it again would count one moment twice.
  for (const { checkId, at } of views.rechecksBetween(minuteStart, minuteStart + MINUTE_MS)) {
    const check = byId.get(checkId);
    // A scheduled run due before the recheck replaces it.
    if (check && !runs.some((r) => r.check.id === checkId && r.at <= at)) runs.push({ at, check, trigger: 'recheck' });
  }
  return runs;
}

function stamp(r: ProbeResult, run: Run, location: string, instance: string | undefined): ProbeResult {
  return {
    ...r,
    location: r.location ?? location,
    ...(run.trigger && { trigger: run.trigger }),
    ...(instance !== undefined && r.instance === undefined && { instance }),
  };
}

/** When the recorded attempt ended: its start plus its duration, kept within the round (the probe's clock may not be the cycle's). */
function endOf(r: ProbeResult, roundStart: number, roundEnd: number): number {
  const end = Date.parse(r.startedAt) + r.phases.total;
  return Number.isFinite(end) ? Math.max(roundStart, Math.min(end, roundEnd)) : roundEnd;
}

interface RoundOutcome {
  recorded: ProbeResult[];
  aborted: number;
  /** Rechecks decided in this round. */
  next: Run[];
  /** Checks whose view asks for confirmation. */
  toConfirm: Check[];
}

async function runRound(opts: ProbeCycleOptions, views: Views, runs: Run[], t: number, minuteEnd: number): Promise<RoundOutcome> {
  const now = opts.now ?? (() => new Date());
  const checks = runs.map((r) => r.check);
  const [results] = await Promise.all([
    probeAllWithRetests(checks, opts.probe, { signal: opts.signal, concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY, ...(opts.retest && { retest: opts.retest }) }),
    views.refresh(t),
  ]);
  const roundEnd = now().getTime();
  const recorded: ProbeResult[] = [];
  let aborted = 0;
  results.forEach((r, i) => {
    if (isAborted(r)) aborted++;
    else recorded.push(stamp(r, runs[i]!, opts.location, opts.instance));
  });
  if (recorded.length > 0) {
    await opts.store.putResults(recorded);
    // A heartbeat after every round, not only at the end: an invocation lives up to a minute, and
    // silence is 3 × interval, so a location probing every 15 s would look silent to the sweep
    // (which reads heartbeats, the stored lastTs of a resting location being volatile) before its
    // invocation ended. One PutItem per round; the results just written are the evidence it reports.
    await opts.store.putHeartbeat(opts.location, {
      lastSeen: now().toISOString(), checksRun: recorded.length, failures: recorded.filter((r) => !r.ok).length, durationMs: Math.round(roundEnd - t),
      ...(opts.instance !== undefined && { instance: opts.instance }),
    });
  }

  const set: MemoryEntries = {};
  const remove: string[] = [];
  const next: Run[] = [];
  const toConfirm: Check[] = [];
  const mayConfirm = !opts.confirmChecks && !opts.resume?.confirm && opts.confirm !== undefined;
  for (const r of recorded) {
    const run = runs.find((x) => x.check.id === r.checkId)!;
    const endedAt = endOf(r, t, roundEnd);
    opts.lastRunAt?.set(run.check.id, Date.parse(r.startedAt));
    const step = advance(views.get(run.check.id), toResultRecord(r), { check: run.check, location: opts.location, endedAt, mayConfirm });
    views.set(run.check.id, step.entry);
    if (step.changed) {
      if (step.entry) set[run.check.id] = step.entry;
      else remove.push(run.check.id);
    }
    if (step.confirm) toConfirm.push(run.check);
    const at = step.entry?.recheckAt;
    if (at !== undefined && at < minuteEnd) next.push({ at, check: run.check, trigger: 'recheck' });
  }
  if (opts.store.updateMemory && (remove.length > 0 || Object.keys(set).length > 0)) {
    // A lost write costs at most a recheck (see above); the results are already recorded.
    await opts.store.updateMemory(opts.location, { set, remove }).catch((err: unknown) => opts.onSideError?.('memory', err));
  }
  return { recorded, aborted, next, toConfirm };
}

/** What the rounds of one cycle add up to. */
interface Tally {
  recorded: ProbeResult[];
  sends: Array<Promise<void>>;
  confirmsSent: number;
  aborted: number;
  skipped: number;
  /** Runs left to their owner (`owns`). */
  others: number;
  rounds: number;
  deferred: number;
  /** Set once `defer` has failed: the rest of this invocation waits in-process. */
  deferFailed: boolean;
}

function continueRequest(opts: ProbeCycleOptions, pending: readonly Run[], minuteStart: number): ContinueRequest {
  return {
    type: 'vantage.continue',
    scheduledAt: new Date(minuteStart).toISOString(),
    runs: pending.map((r) => ({ checkId: r.check.id, at: r.at, ...(r.trigger && { trigger: r.trigger }) })),
    ...((opts.confirmChecks || opts.resume?.confirm) && { confirm: true }),
  };
}

/**
 * Until the next pending run: hands every pending run on when it is more than DEFER_AFTER_MS away
 * (true: this cycle is done), else sleeps. A continuation that could not be queued is reported and
 * this invocation waits instead, as it did before continuations existed: the runs are only billed, not lost.
 */
async function awaitNext(opts: ProbeCycleOptions, pending: Run[], minuteStart: number, tally: Tally): Promise<boolean> {
  const now = opts.now ?? (() => new Date());
  const next = Math.min(...pending.map((r) => r.at));
  const wait = next - now().getTime();
  if (wait > DEFER_AFTER_MS && opts.defer && !tally.deferFailed) {
    try {
      await opts.defer(continueRequest(opts, pending, minuteStart), wait);
      tally.deferred += pending.length;
      pending.length = 0;
      return true;
    } catch (err) {
      tally.deferFailed = true;
      opts.onSideError?.('defer', err);
    }
  }
  const rest = next - now().getTime();
  if (rest > 0) await opts.sleep(rest, opts.signal);
  return false;
}

/**
 * The due runs this instance owns, each judged at its due time. A run left here also drops this
 * cycle's later recheck of the check (takeDue already did): the owner's run decides the next one, as
 * a run here would have.
 */
async function owned(opts: ProbeCycleOptions, runs: Run[], tally: Tally): Promise<Run[]> {
  const { owns } = opts;
  if (!owns) return runs;
  const mine = await Promise.all(runs.map(async (r) => r.trigger === 'confirm' || owns(r.check.id, r.at)));
  const kept = runs.filter((_, i) => mine[i]);
  tally.others += runs.length - kept.length;
  return kept;
}

/** The rounds, in time order, until nothing is pending, the runs are handed on, or the signal fires. */
async function runRounds(opts: ProbeCycleOptions, views: Views, pending: Run[], minuteStart: number): Promise<Tally> {
  const now = opts.now ?? (() => new Date());
  const { signal } = opts;
  const minuteEnd = minuteStart + MINUTE_MS;
  const tally: Tally = { recorded: [], sends: [], confirmsSent: 0, aborted: 0, skipped: 0, others: 0, rounds: 0, deferred: 0, deferFailed: false };
  while (pending.length > 0) {
    if (signal.aborted) {
      tally.skipped += pending.filter((r) => r.trigger !== 'recheck').length;
      break;
    }
    if (await awaitNext(opts, pending, minuteStart, tally)) break;
    if (signal.aborted) continue;
    const t = now().getTime();
    const runs = await owned(opts, takeDue(pending, t), tally);
    if (runs.length === 0) continue;
    tally.rounds++;
    const round = await runRound(opts, views, runs, t, minuteEnd);
    tally.recorded.push(...round.recorded);
    tally.aborted += round.aborted;
    pending.push(...round.next);
    if (round.toConfirm.length > 0 && opts.confirm) {
      const onError = (location: string, err: unknown) => opts.onSideError?.('confirm', err, location);
      tally.sends.push(sendConfirmations(opts.confirm, confirmRequests(round.toConfirm, opts.location, new Date(t)), onError).then((n) => { tally.confirmsSent += n; }));
    }
  }
  return tally;
}

/**
 * Runs the cycle. Throws only when the results cannot be written (a StoreError); the heartbeat is then
 * not written either, because a location whose results do not arrive should look silent.
 */
export async function runProbeCycle(opts: ProbeCycleOptions): Promise<ProbeCycleOutcome> {
  const now = opts.now ?? (() => new Date());
  const elapsed = opts.elapsed ?? (() => performance.now());
  const { signal } = opts;
  const start = elapsed();
  const minuteStart = Math.floor(opts.scheduledAt.getTime() / MINUTE_MS) * MINUTE_MS;

  const views = new Views(opts);
  let pending: Run[];
  let stale = 0;
  if (opts.resume) {
    // The runs are given; the first round reads the memory, as it would have in the deferring invocation.
    ({ runs: pending, stale } = resumedRuns(opts, opts.resume, now().getTime()));
  } else {
    await views.refresh(now().getTime());
    pending = initialRuns(opts, views, minuteStart, now().getTime());
  }
  const due = opts.resume ? 0 : pending.filter((r) => r.trigger !== 'recheck').length;

  const tally = await runRounds(opts, views, pending, minuteStart);
  const { recorded } = tally;

  // Confirmations count as their sends settle, so the tally is read after this.
  await settleWithin(tally.sends);
  const failed = recorded.filter((r) => !r.ok);
  const durationMs = Math.round(elapsed() - start);
  await opts.store.putHeartbeat(opts.location, {
    lastSeen: now().toISOString(), checksRun: recorded.length, failures: failed.length, durationMs, ...(opts.instance !== undefined && { instance: opts.instance }),
  });

  return {
    results: recorded,
    summary: {
      location: opts.location,
      scheduledAt: opts.scheduledAt.toISOString(),
      trigger: opts.confirmChecks || opts.resume?.confirm ? 'confirm' : 'scheduled',
      rounds: tally.rounds,
      due,
      recorded: recorded.length,
      rechecks: recorded.filter((r) => r.trigger === 'recheck').length,
      failed: failed.length,
      retested: recorded.filter((r) => (r.retries ?? 0) > 0).length,
      aborted: tally.aborted,
      skipped: tally.skipped,
      confirmsSent: tally.confirmsSent,
      deferred: tally.deferred,
      stale,
      others: tally.others,
      stoppedEarly: signal.aborted,
      durationMs,
      failedChecks: [...new Set(failed.map((r) => r.checkId ?? '?'))],
    },
  };
}

/** Re-exported for the handler and the local ticker, which wait between rounds with it. */
export { abortableSleep } from '../sleep.ts';

/**
 * Rechecks and the confirmation bookkeeping: what one location remembers about each check between
 * runs, and what it decides after each recorded run.
 *
 * The location keeps its own view of the check, counted with the evaluator's pure `applyResult`
 * (shared/evaluate/location.ts) and the check's `alerting` thresholds, so "failing" here and in the
 * evaluator are one definition. While that view is *undecided* (a failure run short of the threshold
 * and not failing yet, or a recovery run short of recoveryThreshold while failing) the location probes
 * the check again `recheckInterval` after the run ended, unless a scheduled run comes first. The
 * evaluator's rules do not change: rechecks are ordinary recorded runs that only make this location's
 * counters current sooner, so the quorum still decides and one location alone never pages DOWN.
 *
 * When the view moves from rest to its first failure, or from failing to its first success, the other
 * locations are asked to probe now (./confirm.ts), at most once per direction per interval; the time
 * of the last request per direction is kept in the entry for that interval.
 *
 * The entries live in the location's memory item (shared/store: `LOCATION#<name>`, `MEMORY`), one
 * attribute per check, present only away from rest, so steady state stores nothing.
 */
import type { Check } from '../config/schema.ts';
import { isAtRest, type LocationState, type ResultRecord } from '../evaluate/index.ts';
import { applyResult, freshLocation } from '../evaluate/location.ts';
import { nextScheduledAt } from '../schedule.ts';

/** The counters of the evaluator's LocationState a location needs to decide rechecks (no latency, phases or failure text). */
export type View = Pick<LocationState, 'lastTs' | 'consecutiveFailures' | 'consecutiveSuccesses' | 'failing' | 'failingSince' | 'firstFailureTs' | 'recent'>;

export type Direction = 'down' | 'up';

/** One check's entry in a location's probe memory. */
export interface MemoryEntry {
  view: View;
  /** Epoch ms: when this location rechecks. Present iff the view is undecided and no scheduled run of this location comes first. */
  recheckAt?: number;
  /** Epoch ms of the newest confirmation request per direction; kept until an interval has passed, which is the bound. */
  confirmedAt?: Partial<Record<Direction, number>>;
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isTime = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An entry as read from the store; anything malformed (another version, a hand edit) reads as rest. */
export function parseEntry(raw: unknown): MemoryEntry | undefined {
  if (!isRecord(raw) || !isRecord(raw.view)) return undefined;
  const v = raw.view;
  if (!isTime(v.lastTs) || !isCount(v.consecutiveFailures) || !isCount(v.consecutiveSuccesses) || typeof v.failing !== 'boolean') return undefined;
  const view: View = { lastTs: v.lastTs as number, consecutiveFailures: v.consecutiveFailures as number, consecutiveSuccesses: v.consecutiveSuccesses as number, failing: v.failing };
  if (isTime(v.failingSince)) view.failingSince = v.failingSince as number;
  if (isTime(v.firstFailureTs)) view.firstFailureTs = v.firstFailureTs as number;
  if (isCount(v.recent) && (v.recent as number) > 0) view.recent = v.recent as number;
  const entry: MemoryEntry = { view };
  if (isTime(raw.recheckAt)) entry.recheckAt = raw.recheckAt as number;
  if (isRecord(raw.confirmedAt)) {
    const c: Partial<Record<Direction, number>> = {};
    if (isTime(raw.confirmedAt.down)) c.down = raw.confirmedAt.down as number;
    if (isTime(raw.confirmedAt.up)) c.up = raw.confirmedAt.up as number;
    if (c.down !== undefined || c.up !== undefined) entry.confirmedAt = c;
  }
  return entry;
}

function viewOf(state: LocationState): View {
  const view: View = { lastTs: state.lastTs, consecutiveFailures: state.consecutiveFailures, consecutiveSuccesses: state.consecutiveSuccesses, failing: state.failing };
  if (state.failingSince !== undefined) view.failingSince = state.failingSince;
  if (state.firstFailureTs !== undefined) view.firstFailureTs = state.firstFailureTs;
  // alerting.window counts failures among the last runs, so the probe's view needs them too.
  if (state.recent !== undefined) view.recent = state.recent;
  return view;
}

/** Short of a decision: failures below the threshold and not failing yet, or successes below recoveryThreshold while failing. */
export function isUndecided(view: View): boolean {
  return view.failing ? view.consecutiveSuccesses > 0 : view.consecutiveFailures > 0;
}

export interface Advanced {
  /** The entry to store; undefined: remove it (the view is at rest and no confirmation bound is running). */
  entry: MemoryEntry | undefined;
  /** The view moved so that the other locations should be asked to confirm (already bounded). */
  confirm?: Direction;
  /** Whether anything stored changed. */
  changed: boolean;
}

export interface AdvanceContext {
  check: Check;
  location: string;
  /** Epoch ms the run ended; the recheck is due recheckInterval after it. */
  endedAt: number;
  /** Whether this run may ask for confirmation (never for a run that a confirmation caused). */
  mayConfirm: boolean;
}

const sameEntry = (a: MemoryEntry | undefined, b: MemoryEntry | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** The direction the run moved the view in, if it is one that asks for confirmation. */
function movement(before: LocationState, record: ResultRecord): Direction | undefined {
  if (!record.ok && isAtRest(before)) return 'down';
  if (record.ok && before.failing && before.consecutiveSuccesses === 0) return 'up';
  return undefined;
}

/**
 * Applies one recorded run to the location's entry for its check. A run not newer than the view's
 * newest is a replay (or an overlapping invocation's) and changes nothing.
 */
export function advance(prev: MemoryEntry | undefined, record: ResultRecord, ctx: AdvanceContext): Advanced {
  const { check } = ctx;
  const before: LocationState = prev ? { ...freshLocation(), ...prev.view } : freshLocation();
  if (record.ts <= before.lastTs) return { entry: prev, changed: false };
  const after = applyResult(before, record, check.alerting);
  // Slowness is the evaluator's concern: it does not make a view undecided, so it is not kept here.
  const view = viewOf(after);
  const { intervalMs } = check.alerting;

  const confirmedAt: Partial<Record<Direction, number>> = {};
  for (const dir of ['down', 'up'] as const) {
    const at = prev?.confirmedAt?.[dir];
    if (at !== undefined && ctx.endedAt - at < intervalMs) confirmedAt[dir] = at;
  }
  let confirm: Direction | undefined;
  const moved = movement(before, record);
  if (moved && ctx.mayConfirm && check.alerting.confirm && confirmedAt[moved] === undefined) {
    confirm = moved;
    confirmedAt[moved] = ctx.endedAt;
  }

  let recheckAt: number | undefined;
  if (isUndecided(view)) {
    const due = ctx.endedAt + check.alerting.recheckIntervalMs;
    // A scheduled run due before the recheck would be replaces it.
    if (nextScheduledAt(check, ctx.location, ctx.endedAt) > due) recheckAt = due;
  }

  const atRest = isAtRest({ ...freshLocation(), ...view });
  const bounded = Object.keys(confirmedAt).length > 0;
  // At rest the view's lastTs is volatile, as in the evaluator's state: a success on a resting view
  // stores nothing, whether or not a confirmation bound keeps the entry.
  const keptView = atRest && prev && isAtRest({ ...freshLocation(), ...prev.view }) ? prev.view : view;
  const entry: MemoryEntry | undefined = atRest && !bounded ? undefined : {
    view: keptView,
    ...(recheckAt !== undefined && { recheckAt }),
    ...(bounded && { confirmedAt }),
  };
  return { entry, ...(confirm && { confirm }), changed: !sameEntry(prev, entry) };
}

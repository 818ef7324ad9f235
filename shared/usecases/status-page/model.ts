/**
 * What the status page shows, computed from the rollups, the states and the incidents: pure, the
 * clock is passed in. The figures follow the SLO accounting (shared/evaluate/slo/, README "SLOs"):
 * a day's uptime is the availability SLI over that UTC day, so maintenance and minutes nobody
 * accounted are in neither its numerator nor its denominator, and a day without eligible time has
 * no uptime ("no data"), never 100%.
 */
import type { Slo } from '../../config/slo.ts';
import type { CheckState } from '../../evaluate/index.ts';
import { HOUR_MS, MINUTE_MS, latencyQuantile, sliOf, totalsOver, type HourRollup, type Totals } from '../../evaluate/slo/index.ts';
import type { StoredIncident } from '../../store/items.ts';

export const DAY_MS = 86_400_000;
/** Days on the uptime bar, today (UTC) last. */
export const STATUS_DAYS = 90;
/** Incidents listed per check, newest first. */
export const STATUS_INCIDENTS = 5;
/** The latency figures cover the current hour and the 23 before it. */
export const LATENCY_HOURS = 24;

export type StatusState = 'UP' | 'DOWN' | 'PARTIAL' | 'DEGRADED' | 'MAINTENANCE' | 'NO DATA';

export interface StatusDay {
  /** Epoch ms, UTC midnight. */
  day: number;
  /** Fraction 0..1: the availability SLI of the day (the check's countPartial, default false); absent without eligible time. */
  uptime?: number;
  downSeconds: number;
  partialSeconds: number;
  maintenanceSeconds: number;
  /** Explicitly no data, plus the minutes of the day (up to now) nobody accounted. */
  noDataSeconds: number;
}

export interface StatusCheck {
  checkId: string;
  name?: string;
  /** The check's first tag's value; absent for a check without tags. */
  group?: string;
  state: StatusState;
  /** Present iff state is MAINTENANCE: epoch ms, when the window or silence covering it ends. */
  maintenanceUntil?: number;
  /** STATUS_DAYS entries, oldest first. */
  days: StatusDay[];
  /** Fraction over the STATUS_DAYS days; absent without eligible time. */
  uptime90?: number;
  /** Over the last LATENCY_HOURS hours; absent without latency samples. */
  latencyP50Ms?: number;
  latencyP95Ms?: number;
  /** Overlapping the STATUS_DAYS days, newest first, at most STATUS_INCIDENTS. */
  incidents: Array<{ start: number; end?: number; firstReason?: string }>;
}

export interface StatusPageModel {
  title: string;
  /** Epoch ms. */
  generatedAt: number;
  checks: StatusCheck[];
}

/** What the page needs of a check (a config `Check` is one). */
export interface StatusPageCheck {
  id: string;
  name?: string;
  tags?: Record<string, string>;
  /** false: left off the page. @default true */
  enabled?: boolean;
  slo?: Pick<Slo, 'countPartial'>;
}

export interface StatusModelInput {
  now: number;
  /** @default "Service status" */
  title?: string;
  checks: readonly StatusPageCheck[];
  states: ReadonlyMap<string, CheckState>;
  /** The check's hour rollups overlapping the last STATUS_DAYS days (more are ignored). */
  hours: (checkId: string) => HourRollup[];
  /** The check's incidents (at least the STATUS_INCIDENTS newest); the ones outside the days are dropped. */
  incidents: (checkId: string) => StoredIncident[];
}

export const DEFAULT_TITLE = 'Service status';

/** The first day on the bar, UTC midnight. */
export const firstDay = (now: number): number => Math.floor(now / DAY_MS) * DAY_MS - (STATUS_DAYS - 1) * DAY_MS;

/**
 * The state shown now. A mute wins (nothing is sent meanwhile, and the minutes count as maintenance);
 * no state, or every location silent (the evaluator marks a silent location once it sent
 * LOCATION_SILENT), is no data, as the accounting calls such minutes.
 */
export function currentState(state: CheckState | undefined, now: number): StatusState {
  if (state?.mute && state.mute.start <= now && now < state.mute.end) return 'MAINTENANCE';
  const locations = Object.values(state?.locations ?? {});
  if (!state || (locations.length > 0 && locations.every((l) => l.silentAfter !== undefined))) return 'NO DATA';
  return state.overall;
}

/** Only `countPartial` matters to an availability SLI; the objective only sizes a budget nobody reads here. */
const availability = (check: StatusPageCheck): Slo => ({
  objective: 99.9,
  windowMs: STATUS_DAYS * DAY_MS,
  sli: 'availability',
  countPartial: check.slo?.countPartial ?? false,
  burnRates: [],
});

function dayOf(totals: Totals, day: number, slo: Slo): StatusDay {
  const { sli } = sliOf(totals, slo);
  const s = totals.seconds;
  return {
    day,
    ...(sli !== undefined && { uptime: sli }),
    downSeconds: s.down,
    partialSeconds: s.partial,
    maintenanceSeconds: s.maintenance,
    noDataSeconds: s.nodata,
  };
}

/** Sums the histograms of the hours that start in the last LATENCY_HOURS hours. */
function latencyOf(hours: readonly HourRollup[], now: number): Pick<StatusCheck, 'latencyP50Ms' | 'latencyP95Ms'> {
  const since = Math.floor(now / HOUR_MS) * HOUR_MS - (LATENCY_HOURS - 1) * HOUR_MS;
  const recent = hours.filter((h) => h.hour >= since && h.hour <= now);
  if (recent.length === 0) return {};
  const buckets = recent[0]!.buckets.map((_, i) => recent.reduce((sum, h) => sum + (h.buckets[i] ?? 0), 0));
  const p50 = latencyQuantile(buckets, 0.5);
  const p95 = latencyQuantile(buckets, 0.95);
  return { ...(p50 !== undefined && { latencyP50Ms: p50 }), ...(p95 !== undefined && { latencyP95Ms: p95 }) };
}

function incidentsOf(incidents: readonly StoredIncident[], from: number): StatusCheck['incidents'] {
  return incidents
    .map((i) => ({ start: Date.parse(i.startedAt), ...(i.endedAt !== undefined && { end: Date.parse(i.endedAt) }), ...(i.firstReason !== undefined && { firstReason: i.firstReason }) }))
    .filter((i) => (i.end ?? Infinity) > from)
    .sort((a, b) => b.start - a.start)
    .slice(0, STATUS_INCIDENTS);
}

function checkModel(check: StatusPageCheck, input: StatusModelInput): StatusCheck {
  const { now } = input;
  // The minute in progress is nobody's yet: counting it as no data would dent every day's figure.
  const until = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const from = firstDay(now);
  const slo = availability(check);
  const hours = input.hours(check.id).filter((h) => h.hour + HOUR_MS > from && h.hour < until);
  const byDay = new Map<number, HourRollup[]>();
  for (const h of hours) {
    const day = Math.floor(h.hour / DAY_MS) * DAY_MS;
    const list = byDay.get(day);
    if (list) list.push(h);
    else byDay.set(day, [h]);
  }
  const days = Array.from({ length: STATUS_DAYS }, (_, i) => {
    const day = from + i * DAY_MS;
    return dayOf(totalsOver(byDay.get(day) ?? [], day, Math.max(day, Math.min(day + DAY_MS, until))), day, slo);
  });
  const { sli: uptime90 } = sliOf(totalsOver(hours, from, until), slo);
  const tag = Object.values(check.tags ?? {})[0];
  const stored = input.states.get(check.id);
  const state = currentState(stored, now);
  return {
    checkId: check.id,
    ...(check.name !== undefined && { name: check.name }),
    ...(tag !== undefined && { group: tag }),
    state,
    // Only the end: a window's or a silence's name is for the team, not for the page's readers.
    ...(state === 'MAINTENANCE' && stored?.mute && { maintenanceUntil: stored.mute.end }),
    days,
    ...(uptime90 !== undefined && { uptime90 }),
    ...latencyOf(hours, now),
    incidents: incidentsOf(input.incidents(check.id), from),
  };
}

/**
 * The page's model: the enabled checks in config order, grouped (stably) by their first tag when any
 * check has tags; checks without tags come after the groups.
 */
export function buildStatusModel(input: StatusModelInput): StatusPageModel {
  const checks = input.checks.filter((c) => c.enabled !== false).map((c) => checkModel(c, input));
  const groups = [...new Set(checks.map((c) => c.group).filter((g) => g !== undefined))];
  const rank = (c: StatusCheck) => (c.group === undefined ? groups.length : groups.indexOf(c.group));
  return {
    title: input.title ?? DEFAULT_TITLE,
    generatedAt: input.now,
    checks: checks.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c),
  };
}

/**
 * Five-field cron (`minute hour day-of-month month day-of-week`) and its start times in an IANA time
 * zone, for recurring maintenance windows. Pure, and zod-free: the evaluator bundles it, so it uses
 * only Intl for zone rules.
 *
 * The dialect is Vixie cron's (crontab(5), https://man7.org/linux/man-pages/man5/crontab.5.html):
 * numbers, `*`, lists, ranges, steps (`*` + `/n` and `a-b/n`), month names JAN-DEC and weekday
 * names SUN-SAT in any case, weekday 0 and 7 both Sunday. Day-of-month and day-of-week: when both
 * are restricted (neither field starts with `*`), a day matching either is enough; otherwise both
 * must match. As in Vixie's own code, a field such as `*` + `/2` counts as unrestricted for this
 * rule.
 *
 * Daylight saving time. Each local start time maps to exactly one instant:
 * - a local time that does not exist (the clock springs forward over it) is shifted forward by the
 *   length of the gap: 02:30 in a skipped 02:00-03:00 hour runs at 03:30 local. This is Temporal's
 *   `disambiguation: 'compatible'` (https://tc39.es/proposal-temporal/docs/timezone.html);
 * - a local time that exists twice (the clock falls back over it) runs once, at the earlier instant.
 * So an hourly `0 * * * *` runs once, not twice, in a repeated hour, and two start times that shift
 * onto the same instant run once.
 */
import { VantageError } from '../errors.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Names for the values from `min` on (month: JAN is 1; weekday: SUN is 0). */
  names?: readonly string[];
  namesHint?: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

export const CRON_FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesHint: 'JAN-DEC' },
  // 7 is Sunday as well as 0.
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAYS, namesHint: 'SUN-SAT' },
];

/** A parsed expression: each field as the sorted values it allows. */
export interface Cron {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  /** Days of the month allowed, by index 1..31. */
  readonly days: readonly boolean[];
  /** Months allowed, by index 1..12. */
  readonly months: readonly boolean[];
  /** Weekdays allowed, by index 0 (Sunday)..6. */
  readonly weekdays: readonly boolean[];
  /** 'or' when both day fields are restricted (Vixie): a day matching either runs. */
  readonly dayRule: 'and' | 'or';
}

export type CronParse = { ok: true; cron: Cron } | { ok: false; message: string };

/** Long input is clipped in messages. */
const quoted = (text: string) => JSON.stringify(text.length > 24 ? `${text.slice(0, 24)}…` : text);

/** Thrown inside the parser only; parseCron turns it into its result. */
class FieldError extends VantageError {
  constructor(message: string) {
    super('CRON_INVALID', message);
  }
}

function valueOf(token: string, f: FieldSpec, label: string): number {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (n < f.min || n > f.max) throw new FieldError(`${label} ${quoted(token)} is out of range ${f.min}-${f.max}`);
    return n;
  }
  const named = f.names?.indexOf(token.toUpperCase() as never) ?? -1;
  if (named >= 0) return named + (f.name === 'month' ? 1 : 0);
  if (/[LW#?]/i.test(token)) throw new FieldError(`${label} ${quoted(token)}: L, W, # and ? are not supported; use numbers${f.names ? ', names' : ''}, *, lists, ranges and steps`);
  throw new FieldError(`${label} ${quoted(token)} is not a number${f.names ? ` or a ${f.name === 'month' ? 'month' : 'weekday'} name (${f.namesHint})` : ''}`);
}

/** One comma-separated item: `*`, `n`, `a-b`, each but `n` optionally with `/step`. */
function itemValues(item: string, f: FieldSpec, label: string): number[] {
  if (item === '') throw new FieldError(`${label} has an empty list item`);
  const [range = '', step, extra] = item.split('/');
  if (extra !== undefined) throw new FieldError(`${label} ${quoted(item)} has more than one /`);
  let lo: number;
  let hi: number;
  if (range === '*') [lo, hi] = [f.min, f.max];
  else if (range.includes('-')) {
    const [a = '', b = '', more] = range.split('-');
    if (more !== undefined || a === '' || b === '') throw new FieldError(`${label} ${quoted(item)} is not a range like 1-5`);
    [lo, hi] = [valueOf(a, f, label), valueOf(b, f, label)];
    if (lo > hi) throw new FieldError(`${label} range ${quoted(range)} runs backwards; write the smaller value first, or two ranges as a list`);
  } else {
    const n = valueOf(range, f, label);
    if (step !== undefined) throw new FieldError(`${label} ${quoted(item)}: a step needs a range or *, e.g. ${range}-${f.max}/${step}`);
    return [n];
  }
  let by = 1;
  if (step !== undefined) {
    if (!/^\d+$/.test(step) || Number(step) < 1) throw new FieldError(`${label} step ${quoted(`/${step}`)} must be a whole number of 1 or more`);
    by = Number(step);
  }
  const out: number[] = [];
  for (let v = lo; v <= hi; v += by) out.push(v);
  return out;
}

function fieldValues(text: string, f: FieldSpec, index: number): number[] {
  const label = `field ${index + 1} (${f.name})`;
  const set = new Set(text.split(',').flatMap((item) => itemValues(item, f, label)));
  if (f.name === 'day-of-week' && set.delete(7)) set.add(0);
  return [...set].sort((a, b) => a - b);
}

const flags = (values: readonly number[], size: number) => {
  const out = new Array<boolean>(size).fill(false);
  for (const v of values) out[v] = true;
  return out;
};

/** Days in each month of a leap year: the most a month can have. */
const MAX_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses an expression; the message of a bad one names the field and what is wrong with it, e.g.
 * `field 2 (hour) "25" is out of range 0-23`.
 */
export function parseCron(text: string): CronParse {
  const parts = text.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    return { ok: false, message: `expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length} in ${quoted(text)}` };
  }
  const [minute = '', hour = '', dom = '', month = '', dow = ''] = parts;
  let minutes: number[], hours: number[], days: number[], months: number[], weekdays: number[];
  try {
    [minutes, hours, days, months, weekdays] = [minute, hour, dom, month, dow].map((text, i) => fieldValues(text, CRON_FIELDS[i] as FieldSpec, i)) as [number[], number[], number[], number[], number[]];
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, message: err.message };
    throw err;
  }
  const dayRule = dom.startsWith('*') || dow.startsWith('*') ? 'and' : 'or';
  if (dayRule === 'and' && !months.some((m) => days.some((d) => d <= (MAX_DAYS[m] ?? 0)))) {
    return { ok: false, message: `field 3 (day-of-month) ${quoted(dom)} never falls in month(s) ${quoted(month)}, so the expression never matches` };
  }
  return { ok: true, cron: { minutes, hours, days: flags(days, 32), months: flags(months, 13), weekdays: flags(weekdays, 7), dayRule } };
}

/** Whether Intl knows the zone (`RangeError` otherwise, https://tc39.es/ecma402/#sec-createdatetimeformat). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch (err) {
    if (err instanceof RangeError) return false;
    throw err;
  }
}

// ---- zone offsets, from Intl only -------------------------------------------------------------------

type OffsetFn = (t: number) => number;

const offsetFns = new Map<string, OffsetFn>();

/** The zone's offset from UTC at instant `t`, in ms (local wall time = t + offset). */
function offsetFn(timeZone: string): OffsetFn {
  const known = offsetFns.get(timeZone);
  if (known) return known;
  let fn: OffsetFn;
  if (timeZone.toUpperCase() === 'UTC') fn = () => 0;
  else {
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch (err) {
      if (err instanceof RangeError) throw new VantageError('CRON_INVALID', `unknown IANA time zone ${quoted(timeZone)}`, { cause: err });
      throw err;
    }
    fn = (t) => {
      const at = Math.floor(t / 1000) * 1000;
      const p = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
      for (const part of format.formatToParts(at)) if (Object.hasOwn(p, part.type)) p[part.type as keyof typeof p] = Number(part.value);
      return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - at;
    };
  }
  offsetFns.set(timeZone, fn);
  return fn;
}

/**
 * Local wall time (as ms of a UTC-labelled clock) → instant, for the wall times of one local day.
 * Assumes at most one offset change within the 50 hours around the day, which holds for every zone
 * in the IANA database since the 1990s.
 */
type Resolve = (wall: number) => number;

/** Local day → Resolve; bounded, since a long-running evaluator meets a new day every day. */
const resolvers = new Map<string, Resolve>();
const MAX_RESOLVERS = 4096;

function dayResolver(timeZone: string, day: number): Resolve {
  const key = `${timeZone}\0${day}`;
  const known = resolvers.get(key);
  if (known) return known;
  const offset = offsetFn(timeZone);
  // Offsets run from -12h to +14h, so the day's wall times are instants in [lo, hi].
  let lo = day * DAY - 14 * HOUR;
  let hi = (day + 1) * DAY + 12 * HOUR;
  const before = offset(lo);
  const after = offset(hi);
  let resolve: Resolve;
  if (before === after) resolve = (wall) => wall - before;
  else {
    // The first second with the new offset; zone changes fall on whole seconds.
    while (hi - lo > 1000) {
      const mid = Math.floor((lo + hi) / 2000) * 1000;
      if (mid <= lo) break;
      if (offset(mid) === before) lo = mid;
      else hi = mid;
    }
    const change = hi;
    resolve = (wall) => {
      const early = wall - before;
      const late = wall - after;
      const earlyOk = early < change;
      const lateOk = late >= change;
      if (earlyOk && lateOk) return Math.min(early, late); // repeated: the earlier instant
      if (earlyOk) return early;
      if (lateOk) return late;
      // Skipped: read with the offset from before the gap, i.e. moved forward by the gap's length.
      return early;
    };
  }
  if (resolvers.size >= MAX_RESOLVERS) resolvers.clear();
  resolvers.set(key, resolve);
  return resolve;
}

function dayMatches(cron: Cron, day: number): boolean {
  const date = new Date(day * DAY);
  if (!cron.months[date.getUTCMonth() + 1]) return false;
  const dom = cron.days[date.getUTCDate()] === true;
  const dow = cron.weekdays[date.getUTCDay()] === true;
  return cron.dayRule === 'or' ? dom || dow : dom && dow;
}

/**
 * Every instant in [from, to) at which `cron` fires in `timeZone`, ascending, at most `limit`. Visits
 * each local day of the span once and only its matching hours and minutes, with two offset look-ups
 * per day, so a span of days costs the same whatever the expression.
 */
export function cronStarts(cron: Cron, timeZone: string, from: number, to: number, limit = Number.POSITIVE_INFINITY): number[] {
  if (!(to > from) || limit <= 0) return [];
  const offset = offsetFn(timeZone);
  // One local day either side: a shifted start can move across midnight.
  const first = Math.floor((from + offset(from)) / DAY) - 1;
  const last = Math.floor((to + offset(to)) / DAY) + 1;
  const found: number[] = [];
  let fullSince: number | undefined;
  for (let day = first; day <= last; day++) {
    if (fullSince !== undefined && day > fullSince + 1) break;
    if (!dayMatches(cron, day)) continue;
    const resolve = dayResolver(timeZone, day);
    for (const h of cron.hours) {
      for (const m of cron.minutes) {
        const t = resolve(day * DAY + h * HOUR + m * MINUTE);
        if (t >= from && t < to) found.push(t);
      }
    }
    if (fullSince === undefined && found.length >= limit) fullSince = day;
  }
  found.sort((a, b) => a - b);
  const unique = found.filter((t, i) => i === 0 || t !== found[i - 1]);
  return unique.length > limit ? unique.slice(0, limit) : unique;
}

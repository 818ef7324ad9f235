/**
 * The cron dialect (./shared/config/cron.ts): every field's errors, Vixie's semantics, and start
 * times in IANA zones checked against an independent implementation (croner, a devDependency only)
 * over a year, except around DST changes, where croner's rule for wildcard jobs differs from ours
 * and the documented rule is asserted with hand-computed instants instead.
 */
import { Cron as Croner } from 'croner';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cronStarts, isTimeZone, parseCron, type Cron } from '../../shared/config/cron.ts';

const cron = (text: string): Cron => {
  const parsed = parseCron(text);
  if (!parsed.ok) throw new Error(`test expression ${text}: ${parsed.message}`);
  return parsed.cron;
};
const errorOf = (text: string) => {
  const parsed = parseCron(text);
  return parsed.ok ? undefined : parsed.message;
};
const iso = (t: number) => new Date(t).toISOString();
const DAY = 86_400_000;

describe('parseCron errors name the field and what is wrong', () => {
  it.each([
    ['0 2 * *', 'expected 5 fields (minute hour day-of-month month day-of-week), found 4 in "0 2 * *"'],
    ['0 0 2 * * 0', 'expected 5 fields (minute hour day-of-month month day-of-week), found 6 in "0 0 2 * * 0"'],
    ['', 'expected 5 fields (minute hour day-of-month month day-of-week), found 0 in ""'],
    ['60 * * * *', 'field 1 (minute) "60" is out of range 0-59'],
    ['x * * * *', 'field 1 (minute) "x" is not a number'],
    ['5/10 * * * *', 'field 1 (minute) "5/10": a step needs a range or *, e.g. 5-59/10'],
    ['*/0 * * * *', 'field 1 (minute) step "/0" must be a whole number of 1 or more'],
    ['*/x * * * *', 'field 1 (minute) step "/x" must be a whole number of 1 or more'],
    ['1/2/3 * * * *', 'field 1 (minute) "1/2/3" has more than one /'],
    ['1,,2 * * * *', 'field 1 (minute) has an empty list item'],
    ['30-10 * * * *', 'field 1 (minute) range "30-10" runs backwards; write the smaller value first, or two ranges as a list'],
    ['-5 * * * *', 'field 1 (minute) "-5" is not a range like 1-5'],
    ['1-2-3 * * * *', 'field 1 (minute) "1-2-3" is not a range like 1-5'],
    ['0 25 * * *', 'field 2 (hour) "25" is out of range 0-23'],
    ['0 MON * * *', 'field 2 (hour) "MON" is not a number'],
    ['0 0 0 * *', 'field 3 (day-of-month) "0" is out of range 1-31'],
    ['0 0 32 * *', 'field 3 (day-of-month) "32" is out of range 1-31'],
    ['0 0 L * *', 'field 3 (day-of-month) "L": L, W, # and ? are not supported; use numbers, *, lists, ranges and steps'],
    ['0 0 15W * *', 'field 3 (day-of-month) "15W": L, W, # and ? are not supported; use numbers, *, lists, ranges and steps'],
    ['0 0 30 FEB *', 'field 3 (day-of-month) "30" never falls in month(s) "FEB", so the expression never matches'],
    ['0 0 31 4,6,9,11 *', 'field 3 (day-of-month) "31" never falls in month(s) "4,6,9,11", so the expression never matches'],
    ['0 0 * 13 *', 'field 4 (month) "13" is out of range 1-12'],
    ['0 0 * 0 *', 'field 4 (month) "0" is out of range 1-12'],
    ['0 0 * FOO *', 'field 4 (month) "FOO" is not a number or a month name (JAN-DEC)'],
    ['0 0 * JAN-FOO *', 'field 4 (month) "FOO" is not a number or a month name (JAN-DEC)'],
    ['0 0 * DEC-JAN *', 'field 4 (month) range "DEC-JAN" runs backwards; write the smaller value first, or two ranges as a list'],
    ['0 0 * * 8', 'field 5 (day-of-week) "8" is out of range 0-7'],
    ['0 0 * * SUNDAY', 'field 5 (day-of-week) "SUNDAY" is not a number or a weekday name (SUN-SAT)'],
    ['0 0 * * 5#2', 'field 5 (day-of-week) "5#2": L, W, # and ? are not supported; use numbers, names, *, lists, ranges and steps'],
    ['0 0 * * ?', 'field 5 (day-of-week) "?": L, W, # and ? are not supported; use numbers, names, *, lists, ranges and steps'],
    ['0 0 * * FRI-MON', 'field 5 (day-of-week) range "FRI-MON" runs backwards; write the smaller value first, or two ranges as a list'],
  ])('%j: %s', (text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it('clips long input in messages', () => {
    expect(errorOf(`${'1'.repeat(400)} * * * *`)).toBe(`field 1 (minute) "${'1'.repeat(24)}…" is out of range 0-59`);
  });
});

describe('parseCron semantics', () => {
  it('reads names in any case, in ranges and lists', () => {
    const c = cron('0 0 * jan,Mar-may mon-Wed,sat');
    expect([...c.months.entries()].filter(([, on]) => on).map(([m]) => m)).toEqual([1, 3, 4, 5]);
    expect([...c.weekdays.entries()].filter(([, on]) => on).map(([d]) => d)).toEqual([1, 2, 3, 6]);
  });

  it('takes 7 as Sunday, alone and at the end of a range', () => {
    expect(cron('0 0 * * 7').weekdays).toEqual(cron('0 0 * * 0').weekdays);
    expect([...cron('0 0 * * 5-7').weekdays.entries()].filter(([, on]) => on).map(([d]) => d)).toEqual([0, 5, 6]);
  });

  it('steps over * and over ranges, and lists merge without duplicates', () => {
    expect(cron('*/20 * * * *').minutes).toEqual([0, 20, 40]);
    expect(cron('10-30/10,20,59 * * * *').minutes).toEqual([10, 20, 30, 59]);
    expect(cron('0 */7 * * *').hours).toEqual([0, 7, 14, 21]);
  });

  it('uses the Vixie day rule: OR when both day fields are restricted, AND when either starts with *', () => {
    expect(cron('0 0 1 * MON').dayRule).toBe('or');
    expect(cron('0 0 * * MON').dayRule).toBe('and');
    // Vixie sets DOM_STAR for any field starting with "*", so a stepped * still means AND.
    expect(cron('0 0 */2 * MON').dayRule).toBe('and');
  });

  it('runs a stepped * day-of-month with a weekday on days matching both (Vixie), not either', () => {
    // January 2027: Mondays are 4, 11, 18, 25; odd days are */2 from 1. Both: 11 and 25.
    const starts = cronStarts(cron('0 0 */2 * MON'), 'UTC', Date.UTC(2027, 0, 1), Date.UTC(2027, 1, 1));
    expect(starts.map(iso)).toEqual(['2027-01-11T00:00:00.000Z', '2027-01-25T00:00:00.000Z']);
  });

  it('accepts extra whitespace and tabs between fields', () => {
    expect(errorOf('  0\t2  * * 0 ')).toBeUndefined();
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and refuses misspellings', () => {
    expect(isTimeZone('Europe/Amsterdam')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Amsterdan')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

// ---- against croner ------------------------------------------------------------------------------------

/** Every expression here means the same in croner (no stepped-* day-of-month with a weekday, no step past its range). */
const EXPRESSIONS: Array<[expr: string, days: number]> = [
  ['0 2 * * 0', 366], ['30 2 * * *', 366], ['0 0 * * *', 366], ['59 23 * * *', 366], ['0 12 1 * *', 366],
  ['0 0 1 1 *', 366], ['15 3 29 2 *', 366 * 4], ['0 0 31 * *', 366], ['0 9 * * MON-FRI', 366], ['0 9-17 * * 1-5', 366],
  ['*/15 9-17 * * 1-5', 120], ['0 */2 * * *', 366], ['0 9-17/2 * * *', 366], ['5,35 8,20 * * *', 366],
  ['0 0 1,15 * *', 366], ['0 0 1 * MON', 366], ['0 0 13 * FRI', 366], ['0 6 * JAN,JUL *', 366],
  ['0 6 * jun-aug sat,sun', 366], ['30 1 * * 7', 366], ['0 4 * * 5-7', 366], ['0 0 */2 * *', 366],
  ['0 0 1-7 * *', 366], ['45 */6 1-10/3 * *', 366], ['0 3 * 3,10 0', 366], ['*/5 * * * *', 45],
  ['* 10 * * *', 60], ['0 22 28-31 * *', 366], ['0 1 * 11 *', 366], ['20 4 10 */2 *', 366],
  ['0 0 * * */2', 366], ['0 8 1-3 * 1', 366],
];
const ZONES = ['UTC', 'Europe/Amsterdam', 'America/New_York'] as const;

/** The changes of offset in the compared year, computed by hand from the EU and US rules. */
const DST_CHANGES: Record<(typeof ZONES)[number], number[]> = {
  UTC: [],
  // Last Sunday of October and of March, 01:00 UTC.
  'Europe/Amsterdam': [Date.UTC(2026, 9, 25, 1), Date.UTC(2027, 2, 28, 1), Date.UTC(2027, 9, 31, 1), Date.UTC(2028, 2, 26, 1), Date.UTC(2028, 9, 29, 1), Date.UTC(2029, 2, 25, 1), Date.UTC(2029, 9, 28, 1), Date.UTC(2030, 2, 31, 1)],
  // First Sunday of November at 06:00 UTC (02:00 EDT), second Sunday of March at 07:00 UTC (02:00 EST).
  'America/New_York': [Date.UTC(2026, 10, 1, 6), Date.UTC(2027, 2, 14, 7), Date.UTC(2027, 10, 7, 6), Date.UTC(2028, 2, 12, 7), Date.UTC(2028, 10, 5, 6), Date.UTC(2029, 2, 11, 7), Date.UTC(2029, 10, 4, 6), Date.UTC(2030, 2, 10, 7)],
};

function cronerStarts(expr: string, timezone: string, from: number, to: number): number[] {
  const job = new Croner(expr, { timezone, mode: '5-part' });
  const out: number[] = [];
  let at = new Date(from - 1);
  for (;;) {
    const next = job.nextRun(at);
    if (next === null || next.getTime() >= to) return out;
    out.push(next.getTime());
    at = next;
  }
}

describe('cronStarts agrees with croner outside DST changes', () => {
  const FROM = Date.UTC(2026, 5, 1, 0, 7);
  const cases = ZONES.flatMap((zone) => EXPRESSIONS.map(([expr, days]) => [zone, expr, days] as const));

  it.each(cases)('%s %j', (zone, expr, days) => {
    const to = FROM + days * DAY;
    const nearChange = (t: number) => DST_CHANGES[zone].some((c) => Math.abs(t - c) <= DAY);
    const ours = cronStarts(cron(expr), zone, FROM, to);
    const theirs = cronerStarts(expr, zone, FROM, to);

    expect(ours.length, 'something to compare').toBeGreaterThan(0);
    expect(ours.filter((t) => !nearChange(t)).map(iso)).toEqual(theirs.filter((t) => !nearChange(t)).map(iso));
  });

  it('covers a few dozen expressions in each zone', () => {
    expect(cases.length).toBeGreaterThanOrEqual(90);
  });
});

// ---- DST, by hand ---------------------------------------------------------------------------------------

describe('cronStarts across DST changes (the documented rule)', () => {
  it('Europe/Amsterdam, Sundays 02:30: the skipped 02:30 of 2027-03-28 runs at 03:30 CEST', () => {
    const starts = cronStarts(cron('30 2 * * 0'), 'Europe/Amsterdam', Date.UTC(2027, 2, 20), Date.UTC(2027, 3, 5));
    expect(starts.map(iso)).toEqual([
      '2027-03-21T01:30:00.000Z', // 02:30 CET (+1)
      '2027-03-28T01:30:00.000Z', // 02:30 does not exist: 03:30 CEST (+2)
      '2027-04-04T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('Europe/Amsterdam, Sundays 02:30: the repeated 02:30 of 2026-10-25 runs once, at the first (CEST) one', () => {
    const starts = cronStarts(cron('30 2 * * 0'), 'Europe/Amsterdam', Date.UTC(2026, 9, 18), Date.UTC(2026, 10, 2));
    expect(starts.map(iso)).toEqual([
      '2026-10-18T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // 02:30 CEST, not also 02:30 CET (01:30Z)
      '2026-11-01T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('America/New_York, daily 01:30 across 2027-03-14 (01:30 exists: the gap is 02:00-03:00)', () => {
    const starts = cronStarts(cron('30 1 * * *'), 'America/New_York', Date.UTC(2027, 2, 13), Date.UTC(2027, 2, 16));
    expect(starts.map(iso)).toEqual(['2027-03-13T06:30:00.000Z', '2027-03-14T06:30:00.000Z', '2027-03-15T05:30:00.000Z']);
  });

  it('America/New_York, daily 01:30 across 2026-11-01: the repeated 01:30 runs once, at 01:30 EDT', () => {
    const starts = cronStarts(cron('30 1 * * *'), 'America/New_York', Date.UTC(2026, 9, 31), Date.UTC(2026, 10, 3));
    expect(starts.map(iso)).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('America/New_York, daily 02:30: the skipped 02:30 of 2027-03-14 runs at 03:30 EDT', () => {
    const starts = cronStarts(cron('30 2 * * *'), 'America/New_York', Date.UTC(2027, 2, 13), Date.UTC(2027, 2, 16));
    expect(starts.map(iso)).toEqual(['2027-03-13T07:30:00.000Z', '2027-03-14T07:30:00.000Z', '2027-03-15T06:30:00.000Z']);
  });

  it('two start times that shift onto one instant run once', () => {
    // 02:30 is skipped and becomes 03:30 CEST, which 03:30 itself also names.
    const starts = cronStarts(cron('30 2,3 * * *'), 'Europe/Amsterdam', Date.UTC(2027, 2, 27, 23), Date.UTC(2027, 2, 28, 12));
    expect(starts.map(iso)).toEqual(['2027-03-28T01:30:00.000Z']);
  });

  it('an hourly job runs once in a repeated hour (each local time is one instant)', () => {
    const starts = cronStarts(cron('0 * * * *'), 'Europe/Amsterdam', Date.UTC(2026, 9, 24, 23), Date.UTC(2026, 9, 25, 3));
    // 01:00 CEST, 02:00 CEST, then 03:00 CET: the second 02:00 (01:00Z) does not run.
    expect(starts.map(iso)).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-25T00:00:00.000Z', '2026-10-25T02:00:00.000Z']);
  });
});

describe('cronStarts bounds and cost', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('includes from, excludes to, and stops at the limit', () => {
    const c = cron('0 * * * *');
    const from = Date.UTC(2027, 0, 1, 5);
    expect(cronStarts(c, 'UTC', from, from + 3 * 3_600_000).map(iso)).toEqual(['2027-01-01T05:00:00.000Z', '2027-01-01T06:00:00.000Z', '2027-01-01T07:00:00.000Z']);
    expect(cronStarts(c, 'UTC', from, from + 10 * DAY, 5)).toHaveLength(5);
    expect(cronStarts(c, 'UTC', from, from)).toEqual([]);
    expect(cronStarts(c, 'UTC', from, from - 1)).toEqual([]);
  });

  it('looks up zone offsets a few times per local day, not per minute', () => {
    // A zone no other test here uses, so no day of it is cached yet.
    const lookups = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    const from = Date.UTC(2027, 5, 1);
    const starts = cronStarts(cron('* * * * *'), 'Australia/Sydney', from, from + 3 * DAY);

    expect(starts).toHaveLength(3 * 1440);
    // Two for the span's ends, two per local day visited (3 days and one either side, plus the partial one).
    expect(lookups.mock.calls.length).toBeLessThanOrEqual(2 + 2 * 6);
  });

  it('finds a day with an offset change in a few dozen look-ups', () => {
    const lookups = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    // Sydney leaves daylight time on 2027-04-04 at 03:00 AEDT.
    const from = Date.UTC(2027, 3, 3, 12);
    const starts = cronStarts(cron('30 2 * * *'), 'Australia/Sydney', from, from + DAY);
    expect(starts.map(iso)).toEqual(['2027-04-03T15:30:00.000Z']); // 02:30 AEDT (+11), the first of the two
    // Each local day whose 50 hours hold the change (two of them) finds it to the second: 18 halvings of 50 h.
    expect(lookups.mock.calls.length).toBeLessThanOrEqual(2 + 2 * 4 + 2 * 18);
  });
});

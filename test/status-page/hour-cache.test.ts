/**
 * The settled-hour cache of the deployed status page (shared/usecases/status-page/hour-cache.ts): a
 * page rendered through it equals the page rendered from a full read at every refresh of a sweep-like
 * history, and after the first render it reads only the hours that may still change.
 */
import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS, noSamples, RollupBook, type MinuteClass } from '../../shared/evaluate/slo/index.ts';
import type { RollupStore } from '../../shared/store/rollups.ts';
import { cacheSettledHours, SETTLED_AFTER_MS } from '../../shared/usecases/status-page/hour-cache.ts';
import { buildStatusModel, DAY_MS, firstDay } from '../../shared/usecases/status-page/model.ts';
import { renderStatusPage } from '../../shared/usecases/status-page/render.ts';

const START = Date.parse('2026-11-28T20:00:00.000Z');
const CHECKS = [{ id: 'api', name: 'API' }, { id: 'web', name: 'Web', tags: { service: 'Website' } }];

/** Down 10:00-10:20 every day for api, partial on the odd hours' first 5 minutes for web, else up. */
function classOf(checkId: string, minute: number): MinuteClass {
  const d = new Date(minute);
  if (checkId === 'api') return d.getUTCHours() === 10 && d.getUTCMinutes() < 20 ? 'down' : 'up';
  return d.getUTCHours() % 2 === 1 && d.getUTCMinutes() < 5 ? 'partial' : 'up';
}

/** The book as the table: the sweep at `now` has accounted every minute that ended a minute before. */
function account(book: RollupBook, through: number, since: number): void {
  for (let m = Math.floor(since / MINUTE_MS) * MINUTE_MS; m + 2 * MINUTE_MS <= through; m += MINUTE_MS) {
    for (const c of CHECKS) book.add(c.id, { start: m, class: classOf(c.id, m), failing: [], ...noSamples() });
  }
}

function page(now: number, hours: (id: string) => Promise<ReturnType<RollupBook['hours']>>) {
  return Promise.all(CHECKS.map(async (c) => [c.id, await hours(c.id)] as const)).then((read) => {
    const byCheck = new Map(read);
    return renderStatusPage(buildStatusModel({ now, checks: CHECKS, states: new Map(), hours: (id) => byCheck.get(id) ?? [], incidents: () => [] }));
  });
}

describe('cacheSettledHours', () => {
  it('renders the same page as a full read at every 5-minute refresh over two days, reading only recent hours after the first', async () => {
    const book = new RollupBook();
    const reads: Array<{ from: number; to: number }> = [];
    const table: Pick<RollupStore, 'hours'> = {
      hours: async (id, from, to) => {
        reads.push({ from, to });
        return book.hours(id, from, to);
      },
    };
    const cached = cacheSettledHours(table);
    account(book, START, START - 3 * DAY_MS);

    let accountedTo = START;
    let renders = 0;
    for (let now = START; now < START + 2 * DAY_MS; now += 5 * MINUTE_MS + 7_000) {
      account(book, now, accountedTo - 2 * MINUTE_MS);
      accountedTo = now;
      reads.length = 0;
      const viaCache = await page(now, (id) => cached.hours(id, firstDay(now), now));
      const cachedReads = [...reads];
      const direct = await page(now, async (id) => book.hours(id, firstDay(now), now));
      expect(viaCache, new Date(now).toISOString()).toBe(direct);
      if (renders > 0) for (const r of cachedReads) expect(r.to - r.from, new Date(now).toISOString()).toBeLessThanOrEqual(2 * HOUR_MS + SETTLED_AFTER_MS);
      renders++;
    }
    expect(renders).toBeGreaterThan(500);
  });

  it('reads everything again when asked for an earlier start than it holds', async () => {
    const book = new RollupBook();
    account(book, START, START - 2 * DAY_MS);
    const reads: number[] = [];
    const cached = cacheSettledHours({ hours: async (id, from, to) => (reads.push(from), book.hours(id, from, to)) });

    await cached.hours('api', START - DAY_MS, START);
    const earlier = await cached.hours('api', START - 2 * DAY_MS, START);

    expect(reads).toEqual([START - DAY_MS, START - 2 * DAY_MS]);
    expect(earlier.map((h) => h.hour)).toEqual(book.hours('api', START - 2 * DAY_MS, START).map((h) => h.hour));
  });
});

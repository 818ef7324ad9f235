/**
 * The status page in headless Chromium (Debian's `chromium`), driven by playwright-core, served by
 * the real dev server on loopback: a screenshot, every check with its state, the bars against the
 * rollups they were drawn from, axe-core with no serious or critical violation in either colour
 * scheme, no horizontal scrolling on a phone, and nothing the deployed CSP would block.
 *
 * `UPDATE_SCREENSHOT=1 npx vitest run test/status-page/chromium.test.ts` rewrites docs/status-page.png.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatusPageServer, type StatusPageServer } from '../../dev/status-page-server.ts';
import { MINUTE_MS, sliOf, totalsOver } from '../../shared/evaluate/slo/index.ts';
import { buildStatusModel, DAY_MS, firstDay, STATUS_DAYS, type StatusDay, type StatusPageModel } from '../../shared/usecases/status-page/model.ts';
import { dayTitle, renderStatusPage, STATE_LABELS } from '../../shared/usecases/status-page/render.ts';
import { DEMO_CHECKS, DEMO_NOW, demoBook, demoInputs } from './demo.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const REPO = join(import.meta.dirname, '..', '..');
const AXE = join(REPO, 'node_modules', 'axe-core', 'axe.min.js');
const SCREENSHOT = join(REPO, 'docs', 'status-page.png');
/** Every browser step is bounded by this; the test fails instead of hanging. */
const STEP_MS = 20_000;
/**
 * Without the background-networking flags Chromium tries Google's hosts at start, which this
 * closed network refuses (/work/.library/env/machines/node.md). Playwright gives every launch a new
 * empty profile (user data dir) of its own and removes it on close.
 */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What the page functions below use of the browser's globals (the project compiles without the DOM lib). */
interface PageGlobals {
  document: { documentElement: { scrollWidth: number; clientWidth: number } };
  getComputedStyle(element: unknown): { backgroundColor: string };
  axe: { run(context: unknown): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: unknown[] }> }> };
}

if (!HAVE_CHROMIUM && !process.env.CI) console.warn(`test/status-page/chromium.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium); under CI it fails instead`);

describe.runIf(!HAVE_CHROMIUM && process.env.CI)('the status page in Chromium, under CI', () => {
  it('needs Debian\'s chromium, which .ci/run installs', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing`).toBe(true);
  });
});

describe.runIf(HAVE_CHROMIUM)('the status page in Chromium', () => {
  const book = demoBook();
  const model: StatusPageModel = buildStatusModel(demoInputs(book));
  const html = renderStatusPage(model);
  let server: StatusPageServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let dir: string;

  async function open(opts: { width: number; colorScheme?: 'light' | 'dark'; bypassCSP?: boolean; console?: string[] }): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: opts.width, height: 900 }, colorScheme: opts.colorScheme ?? 'light', bypassCSP: opts.bypassCSP ?? false });
    contexts.push(context);
    context.setDefaultTimeout(STEP_MS);
    const page = await context.newPage();
    if (opts.console) page.on('console', (m) => opts.console!.push(`${m.type()}: ${m.text()}`));
    const res = await page.goto(server.url, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    return page;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vantage-status-page-'));
    server = await createStatusPageServer(async () => html);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: STEP_MS });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes a screenshot: a non-empty PNG (and docs/status-page.png with UPDATE_SCREENSHOT=1)', async () => {
    const page = await open({ width: 960 });
    const path = join(dir, 'status-page.png');
    await page.screenshot({ path, fullPage: true });
    const png = readFileSync(path);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.length).toBeGreaterThan(10_000);
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      writeFileSync(SCREENSHOT, png);
    }
  });

  it('shows every check with its name and its current state as text', async () => {
    const page = await open({ width: 960 });
    const shown = await page.$$eval('section.check', (sections) => sections.map((s) => [s.querySelector('h3')?.textContent, s.querySelector('.badge')?.textContent?.trim()]));
    expect(shown).toEqual(model.checks.map((c) => [c.name, expect.stringContaining(STATE_LABELS[c.state])]));
    expect(shown.map(([name]) => name)).toEqual(['Marketing site', 'Checkout', 'Public API', 'Auth service', 'Primary database', 'DNS (example.com)']);
    expect(model.checks.map((c) => c.state)).toEqual(['UP', 'PARTIAL', 'DOWN', 'DEGRADED', 'MAINTENANCE', 'UP']);
    expect(await page.locator('.banner .headline').textContent()).toBe('1 of 6 checks down');
  });

  it('draws 90 bars per check whose titles and hidden text are the rollups\' figures for each UTC day', async () => {
    const page = await open({ width: 960 });
    const bars = await page.$$eval('section.check ol.bars', (lists) => lists.map((ol) => [...ol.querySelectorAll('li')].map((li) => [li.getAttribute('title'), li.textContent])));
    const until = Math.floor(DEMO_NOW / MINUTE_MS) * MINUTE_MS;
    // Straight from the book, day by day, without the model's grouping of hours.
    const fromBook = (checkId: string, countPartial: boolean): StatusDay[] => Array.from({ length: STATUS_DAYS }, (_, i) => {
      const day = firstDay(DEMO_NOW) + i * DAY_MS;
      const t = totalsOver(book.hours(checkId, day, day + DAY_MS), day, Math.min(day + DAY_MS, until));
      const { sli } = sliOf(t, { objective: 99.9, windowMs: DAY_MS, sli: 'availability', countPartial, burnRates: [] });
      return { day, ...(sli !== undefined && { uptime: sli }), downSeconds: t.seconds.down, partialSeconds: t.seconds.partial, maintenanceSeconds: t.seconds.maintenance, noDataSeconds: t.seconds.nodata };
    });
    expect(bars).toHaveLength(DEMO_CHECKS.length);
    model.checks.forEach((c, i) => {
      const expected = fromBook(c.checkId, false).map(dayTitle);
      expect(bars[i]!.map(([title]) => title)).toEqual(expected);
      expect(bars[i]!.map(([, text]) => text)).toEqual(expected);
    });
    // A few worked by hand: 3 of 1,440 minutes down is 99.79%; 22 down is 98.47%; partial is up by default.
    const titles = Object.fromEntries(model.checks.map((c, i) => [c.checkId, bars[i]!.map(([t]) => t)]));
    expect(titles['public-api']).toContain('2026-11-29: 99.79% up, 3 min down');
    expect(titles['checkout']).toContain('2026-11-01: 98.47% up, 22 min down');
    expect(titles['marketing']).toContain('2026-11-19: 100% up, 45 min partial outage');
    expect(titles['db']).toContain('2026-09-22: 24 h maintenance');
    expect(titles['dns']![0]).toBe('2026-09-03: no data');
    expect(titles['dns']).toContain('2026-11-11: 100% up, 3 h no data');
  });

  it.each(['light', 'dark'] as const)('passes axe-core with no serious or critical violation (%s scheme)', async (colorScheme) => {
    // The page's own CSP forbids scripts, axe included; the CSP itself is checked below.
    const page = await open({ width: 960, colorScheme, bypassCSP: true });
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const { axe, document } = globalThis as unknown as PageGlobals;
      return (await axe.run(document)).violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  });

  it.each([375, 320])('fits a %i px wide viewport without horizontal scrolling', async (width) => {
    const page = await open({ width });
    const [scrollWidth, clientWidth] = await page.evaluate(() => {
      const { documentElement } = (globalThis as unknown as PageGlobals).document;
      return [documentElement.scrollWidth, documentElement.clientWidth];
    });
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    const widest = await page.$$eval('ol.bars', (lists) => Math.max(...lists.map((l) => l.getBoundingClientRect().right)));
    expect(widest).toBeLessThanOrEqual(width);
  });

  it('needs nothing the deployed CSP blocks (the dev server sends it): no console errors', async () => {
    const messages: string[] = [];
    const page = await open({ width: 960, console: messages });
    await page.waitForLoadState('load');
    expect(messages.filter((m) => m.startsWith('error'))).toEqual([]);
    const bg = await page.$eval('li.d-up', (li) => (globalThis as unknown as PageGlobals).getComputedStyle(li).backgroundColor);
    expect(bg).toBe('rgb(46, 157, 91)');
  });
});

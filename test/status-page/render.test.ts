/** The renderer on its own: escaping, self-containment, structure, the bar's text, and what changes between renders. */
import { describe, expect, it } from 'vitest';
import { DAY_MS, type StatusCheck, type StatusPageModel } from '../../shared/usecases/status-page/model.ts';
import { dayKind, dayTitle, duration, percent, renderStatusPage, STATE_LABELS, stripGeneratedAt } from '../../shared/usecases/status-page/render.ts';

const NOW = Date.parse('2026-12-01T12:30:20.000Z');
const FIRST = Date.parse('2026-09-03T00:00:00.000Z');
const upDay = (i: number) => ({ day: FIRST + i * DAY_MS, uptime: 1, downSeconds: 0, partialSeconds: 0, maintenanceSeconds: 0, noDataSeconds: 0 });

function check(overrides: Partial<StatusCheck> = {}): StatusCheck {
  return { checkId: 'api', state: 'UP', days: Array.from({ length: 90 }, (_, i) => upDay(i)), incidents: [], ...overrides };
}

const model = (checks: StatusCheck[], title = 'Status'): StatusPageModel => ({ title, generatedAt: NOW, checks });

describe('renderStatusPage', () => {
  it('escapes every string from config and state: names, groups, reasons, the title', () => {
    const html = renderStatusPage(model([
      check({ name: '<script>alert(1)</script>', group: '<b>team</b>', incidents: [{ start: NOW - 60_000, firstReason: '<img src=x onerror=alert(2)>' }] }),
    ], 'Ops "&" <status>'));
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>team</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('<title>Ops &quot;&amp;&quot; &lt;status&gt;</title>');
    expect(html).toContain('&lt;b&gt;team&lt;/b&gt;');
  });

  it('is one document with nothing loaded from anywhere: no scripts, links, sources or CSS urls', () => {
    const html = renderStatusPage(model([check({ name: 'API' })]));
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    for (const banned of [/<script/i, /<link/i, /\ssrc=/i, /\shref=/i, /url\(/i, /@import/i, /@font-face/i, /\son[a-z]+=/i]) expect(html).not.toMatch(banned);
    for (const landmark of ['header', 'main', 'footer']) expect(html.match(new RegExp(`<${landmark}>`, 'g'))).toHaveLength(1);
    expect(html.match(/<h1>/g)).toHaveLength(1);
  });

  it('shows each check with its state as text and a 90-item list whose items carry the day\'s text twice (title, hidden text)', () => {
    const days = check().days.map((d, i) => (i === 40 ? { ...d, uptime: 1438 / 1440, downSeconds: 120 } : d));
    const html = renderStatusPage(model([check({ name: 'API', state: 'DOWN', days }), check({ checkId: 'db', state: 'MAINTENANCE', maintenanceUntil: Date.parse('2026-12-01T14:00:00Z') })]));
    expect(html).toContain('<h3 id="c0">API</h3>');
    expect(html).toContain(`${STATE_LABELS.DOWN}</p>`);
    expect(html).toContain('<h3 id="c1">db</h3>');
    expect(html).toContain(`${STATE_LABELS.MAINTENANCE}</p>`);
    expect(html).toContain('Maintenance until <time datetime="2026-12-01T14:00:00.000Z">2026-12-01 14:00 UTC</time>');
    expect(html.match(/Maintenance until/g)).toHaveLength(1);
    const lists = [...html.matchAll(/<ol class="bars"[^>]*>(.*?)<\/ol>/g)].map((m) => [...m[1]!.matchAll(/<li class="d d-(\w+)" title="([^"]*)"><span class="vh">([^<]*)<\/span><\/li>/g)]);
    expect(lists.map((l) => l.length)).toEqual([90, 90]);
    expect(lists[0]![40]!.slice(1)).toEqual(['down', '2026-10-13: 99.86% up, 2 min down', '2026-10-13: 99.86% up, 2 min down']);
    expect(lists[0]![0]!.slice(1)).toEqual(['up', '2026-09-03: 100% up', '2026-09-03: 100% up']);
  });

  it('renders group headings only when checks have groups, untagged checks under "Other checks"', () => {
    expect(renderStatusPage(model([check()]))).toContain('<h2 id="g0" class="vh">Checks</h2>');
    const grouped = renderStatusPage(model([check({ group: 'web' }), check({ checkId: 'x' })]));
    expect(grouped).toContain('<h2 id="g0">web</h2>');
    expect(grouped).toContain('<h2 id="g1">Other checks</h2>');
  });

  it('lists incidents with start, duration and first reason; an open one as ongoing', () => {
    const html = renderStatusPage(model([check({ incidents: [
      { start: Date.parse('2026-12-01T12:00:00Z'), firstReason: 'timeout' },
      { start: Date.parse('2026-11-02T08:15:00Z'), end: Date.parse('2026-11-02T09:20:00Z'), firstReason: 'status_code' },
    ] })]));
    expect(html).toContain('<time datetime="2026-12-01T12:00:00.000Z">2026-12-01 12:00 UTC</time> · <b>ongoing</b> · <span class="reason">timeout</span>');
    expect(html).toContain('2026-11-02 08:15 UTC</time> · 1 h 5 min · <span class="reason">status_code</span>');
    expect(renderStatusPage(model([check()]))).toContain('None in the last 90 days.');
  });

  it('differs between two renders only in the generated-at line', () => {
    const a = renderStatusPage(model([check()]));
    const b = renderStatusPage({ ...model([check()]), generatedAt: NOW + 60_000 });
    expect(a).not.toBe(b);
    expect(stripGeneratedAt(a)).toBe(stripGeneratedAt(b));
    expect(stripGeneratedAt(a)).not.toContain('12:30 UTC');
  });
});

describe('the bar\'s words', () => {
  it('floors percentages, so a day with downtime never reads 100%', () => {
    expect([percent(1), percent(0.99999), percent(0.998611), percent(0)]).toEqual(['100%', '99.99%', '99.86%', '0.00%']);
  });

  it('says durations in minutes, hours to 48 h, then days', () => {
    expect([duration(30), duration(120), duration(3600), duration(3900), duration(86_400), duration(49 * 3600)]).toEqual(['<1 min', '2 min', '1 h', '1 h 5 min', '24 h', '2 d 1 h']);
  });

  it('draws a day by the worst that happened in it', () => {
    const base = upDay(0);
    expect(dayKind(base)).toBe('up');
    expect(dayKind({ ...base, partialSeconds: 60, downSeconds: 60 })).toBe('down');
    expect(dayKind({ ...base, partialSeconds: 60 })).toBe('partial');
    const { uptime: _, ...none } = base;
    expect(dayKind({ ...none, maintenanceSeconds: 60 })).toBe('maint');
    expect(dayKind(none)).toBe('none');
    expect(dayTitle({ ...none, noDataSeconds: 86_400 })).toBe('2026-09-03: no data');
  });
});

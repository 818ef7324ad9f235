/**
 * The status page as one self-contained HTML document: inline CSS, no scripts, no fonts or images
 * from anywhere, so it works from a file, from S3 under the CSP `default-src 'none'; style-src
 * 'unsafe-inline'; img-src data:`, and with JavaScript off. Pure.
 *
 * Accessibility (WCAG 2.2 AA, https://www.w3.org/TR/WCAG22/): landmarks and a heading outline; every
 * colour comes with text (the state badge's word, a title and visually hidden text on every day of
 * the bar) and with a shape (1.4.1 Use of Color: a down day is cut into rungs, a partial day is half
 * filled, a maintenance day is capped, a day without data is a stub); text contrast ≥ 4.5:1 and bar
 * contrast ≥ 3:1 against the card (1.4.3, 1.4.11) in both colour schemes; the bar shrinks to fit 320 px
 * without horizontal scrolling (1.4.10 Reflow).
 */

/**
 * The policy the page is served under, by CloudFront (cdk/constructs/status-page.ts) and by `vantage
 * dev` alike, so a page that needs anything beyond inline CSS and data: images breaks locally first.
 * It is never framed, a form target or a base for relative URLs.
 */
export const STATUS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
import type { StatusCheck, StatusDay, StatusPageModel, StatusState } from './model.ts';
import { STATUS_DAYS } from './model.ts';

/** The words shown for each state. */
export const STATE_LABELS: Record<StatusState, string> = {
  UP: 'Up',
  DOWN: 'Down',
  PARTIAL: 'Partial outage',
  DEGRADED: 'Degraded',
  MAINTENANCE: 'Maintenance',
  'NO DATA': 'No data',
};

const STATE_CLASS: Record<StatusState, string> = { UP: 'up', DOWN: 'down', PARTIAL: 'partial', DEGRADED: 'degraded', MAINTENANCE: 'maint', 'NO DATA': 'none' };
const STATE_SYMBOL: Record<StatusState, string> = { UP: '✓', DOWN: '✕', PARTIAL: '◐', DEGRADED: '◔', MAINTENANCE: '∥', 'NO DATA': '–' };

export type DayKind = 'up' | 'down' | 'partial' | 'maint' | 'none';
const DAY_LABELS: Record<DayKind, string> = { up: 'Up', down: 'Downtime', partial: 'Partial outage', maint: 'Maintenance', none: 'No data' };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** For text and attribute values alike. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** A day's look: the worst thing that happened in it; maintenance or no data only when nothing was eligible. */
export function dayKind(day: StatusDay): DayKind {
  if (day.downSeconds > 0) return 'down';
  if (day.partialSeconds > 0) return 'partial';
  if (day.uptime !== undefined) return 'up';
  return day.maintenanceSeconds > 0 ? 'maint' : 'none';
}

/** Floored, so a day with any downtime never reads 100%. */
export function percent(fraction: number): string {
  if (fraction >= 1) return '100%';
  return `${(Math.floor(fraction * 10_000) / 100).toFixed(2)}%`;
}

/** Whole minutes (the accounting's unit), then hours, then days from 48 h. */
export function duration(seconds: number): string {
  if (seconds > 0 && seconds < 60) return '<1 min';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return hours % 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${Math.floor(hours / 24)} d`;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isoMinute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A day's text alternative, e.g. `2026-11-03: 99.86% up, 2 min down`. */
export function dayTitle(day: StatusDay): string {
  const parts = [
    day.uptime !== undefined ? `${percent(day.uptime)} up` : day.maintenanceSeconds === 0 && 'no data',
    day.downSeconds > 0 && `${duration(day.downSeconds)} down`,
    day.partialSeconds > 0 && `${duration(day.partialSeconds)} partial outage`,
    day.maintenanceSeconds > 0 && `${duration(day.maintenanceSeconds)} maintenance`,
    (day.uptime !== undefined || day.maintenanceSeconds > 0) && day.noDataSeconds > 0 && `${duration(day.noDataSeconds)} no data`,
  ].filter((p) => typeof p === 'string');
  return `${isoDay(day.day)}: ${parts.join(', ')}`;
}

const latencyText = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`);

function badge(state: StatusState): string {
  return `<p class="badge s-${STATE_CLASS[state]}"><span aria-hidden="true">${STATE_SYMBOL[state]}</span> ${STATE_LABELS[state]}</p>`;
}

function bars(check: StatusCheck): string {
  const items = check.days.map((d) => {
    const title = escapeHtml(dayTitle(d));
    return `<li class="d d-${dayKind(d)}" title="${title}"><span class="vh">${title}</span></li>`;
  });
  return `<ol class="bars" aria-label="Daily uptime, the last ${STATUS_DAYS} days, oldest first">${items.join('')}</ol>
<div class="axis" aria-hidden="true"><span>${STATUS_DAYS} days ago</span><span>Today</span></div>`;
}

const days = (n: number) => `${n} ${n === 1 ? 'day' : 'days'}`;

function facts(check: StatusCheck): string {
  const bad = (kind: DayKind) => check.days.filter((d) => dayKind(d) === kind).length;
  const items = [
    check.maintenanceUntil !== undefined && `<span>Maintenance until <time datetime="${new Date(check.maintenanceUntil).toISOString()}">${isoMinute(check.maintenanceUntil)}</time></span>`,
    `<span><b>${check.uptime90 === undefined ? 'No data' : percent(check.uptime90)}</b> uptime, ${STATUS_DAYS} days</span>`,
    bad('down') > 0 && `<span>${days(bad('down'))} with downtime</span>`,
    bad('partial') > 0 && `<span>${days(bad('partial'))} with a partial outage</span>`,
    check.latencyP50Ms !== undefined && check.latencyP95Ms !== undefined
      && `<span>p50 <b>${latencyText(check.latencyP50Ms)}</b> · p95 <b>${latencyText(check.latencyP95Ms)}</b> (24 h)</span>`,
  ].filter((p) => typeof p === 'string');
  return `<p class="facts">${items.join('')}</p>`;
}

function incidents(check: StatusCheck, level: number): string {
  const heading = `<h${level} class="small">Recent incidents</h${level}>`;
  if (check.incidents.length === 0) return `${heading}<p class="muted">None in the last ${STATUS_DAYS} days.</p>`;
  const rows = check.incidents.map((i) => {
    const length = i.end === undefined ? '<b>ongoing</b>' : escapeHtml(duration((i.end - i.start) / 1000));
    const reason = i.firstReason === undefined ? '' : ` · <span class="reason">${escapeHtml(i.firstReason)}</span>`;
    return `<li><time datetime="${new Date(i.start).toISOString()}">${isoMinute(i.start)}</time> · ${length}${reason}</li>`;
  });
  return `${heading}<ul class="incidents">${rows.join('')}</ul>`;
}

function checkSection(check: StatusCheck, id: string): string {
  const name = escapeHtml(check.name ?? check.checkId);
  return `<section class="check" aria-labelledby="${id}">
<div class="head"><h3 id="${id}">${name}</h3>${badge(check.state)}</div>
${facts(check)}
${bars(check)}
${incidents(check, 4)}
</section>`;
}

/** Headline by the worst current state; maintenance and no data do not make a page red. */
function summary(model: StatusPageModel): string {
  const count = (s: StatusState) => model.checks.filter((c) => c.state === s).length;
  const [kind, text] = count('DOWN') > 0 ? ['down', `${count('DOWN')} of ${model.checks.length} checks down`]
    : count('PARTIAL') > 0 ? ['partial', 'Partial outage']
    : count('DEGRADED') > 0 ? ['degraded', 'Degraded performance']
    : count('UP') > 0 ? ['up', 'All checks are up'] : ['none', 'No data yet'];
  const tally = (Object.keys(STATE_LABELS) as StatusState[]).filter((s) => count(s) > 0).map((s) => `${count(s)} ${STATE_LABELS[s].toLowerCase()}`);
  return `<div class="banner s-${kind}"><p class="headline">${text}</p><p class="tally">${tally.join(' · ')}</p></div>`;
}

function legend(): string {
  const kinds: DayKind[] = ['up', 'partial', 'down', 'maint', 'none'];
  return `<ul class="legend" aria-label="Bar legend">${kinds.map((k) => `<li><span class="swatch d-${k}" aria-hidden="true"></span>${DAY_LABELS[k]}</li>`).join('')}</ul>`;
}

function groups(model: StatusPageModel): string {
  const named = [...new Set(model.checks.map((c) => c.group).filter((g) => g !== undefined))];
  const sets = named.length === 0
    ? [{ title: 'Checks', hidden: true, checks: model.checks }]
    : [...named.map((g) => ({ title: g, hidden: false, checks: model.checks.filter((c) => c.group === g) })),
      { title: 'Other checks', hidden: false, checks: model.checks.filter((c) => c.group === undefined) }].filter((s) => s.checks.length > 0);
  let n = 0;
  return sets.map((s, gi) => `<section class="group" aria-labelledby="g${gi}">
<h2 id="g${gi}"${s.hidden ? ' class="vh"' : ''}>${escapeHtml(s.title)}</h2>
${s.checks.map((c) => checkSection(c, `c${n++}`)).join('\n')}
</section>`).join('\n');
}

const GENERATED_MARK = 'data-generated';

/** The HTML without its generated-at line: equal for two renders that differ only in when they ran. */
export const stripGeneratedAt = (html: string): string => html.split('\n').filter((l) => !l.includes(GENERATED_MARK)).join('\n');

export function renderStatusPage(model: StatusPageModel): string {
  const title = escapeHtml(model.title);
  const generated = new Date(model.generatedAt).toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p class="muted updated" ${GENERATED_MARK}>Updated <time datetime="${generated}">${isoMinute(model.generatedAt)}</time></p>
${summary(model)}
${legend()}
</header>
<main>
${model.checks.length === 0 ? '<p>No checks to show.</p>' : groups(model)}
</main>
<footer>
<p>Uptime is the share of each UTC day a check was up, as its overall state (the quorum of its locations) counts it. Maintenance windows, silences and minutes without data count neither way. Latency percentiles cover the last 24 hours.</p>
<p>Generated by Vantage, synthetic monitoring.</p>
</footer>
</body>
</html>
`;
}

/** Light first; dark by prefers-color-scheme. Contrast of each pair is in the module comment. */
const CSS = `
:root{--bg:#f4f5f7;--card:#fff;--text:#16191d;--muted:#555d68;--line:#dde1e6;
--up:#2e9d5b;--down:#c8252c;--partial:#b86400;--partial-soft:#f5d9a8;--maint:#3b72d9;--maint-soft:#c9d8f5;--none:#8d949e;
--up-t:#11673a;--up-b:#e3f4ea;--down-t:#a3191e;--down-b:#fde7e8;--partial-t:#8a4b00;--partial-b:#fff1d6;--maint-t:#1d4fa8;--maint-b:#e5eefc;--none-t:#4a5059;--none-b:#eceef1}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--card:#171b21;--text:#e8ebef;--muted:#a7afba;--line:#2a3038;
--up:#36b56a;--down:#f0575c;--partial:#e69a2e;--partial-soft:#5c4320;--maint:#5b8ff0;--maint-soft:#24395f;--none:#6b737e;
--up-t:#6fdc9a;--up-b:#11301f;--down-t:#ff8d8f;--down-b:#3a1417;--partial-t:#ffbf5e;--partial-b:#3a2708;--maint-t:#8fb6ff;--maint-b:#142544;--none-t:#b8bec7;--none-b:#262b32}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","DejaVu Sans",sans-serif}
header,main,footer{max-width:56rem;margin:0 auto;padding:0 1rem}
header{padding-top:2rem}
h1{font-size:1.75rem;line-height:1.2;margin:0 0 .25rem}
h2{font-size:1.125rem;margin:2rem 0 .75rem}
h3{font-size:1.0625rem;margin:0;overflow-wrap:anywhere}
.small{font-size:.875rem;margin:1rem 0 .25rem}
.muted{color:var(--muted);margin:0}
.updated{font-size:.875rem}
.banner{margin:1.25rem 0 1rem;padding:1rem 1.25rem;border-radius:.5rem;border-left:.375rem solid}
.banner p{margin:0}.headline{font-weight:700;font-size:1.125rem}.tally{font-size:.9375rem}
.s-up{color:var(--up-t);background:var(--up-b);border-color:var(--up)}
.s-down{color:var(--down-t);background:var(--down-b);border-color:var(--down)}
.s-partial,.s-degraded{color:var(--partial-t);background:var(--partial-b);border-color:var(--partial)}
.s-maint{color:var(--maint-t);background:var(--maint-b);border-color:var(--maint)}
.s-none{color:var(--none-t);background:var(--none-b);border-color:var(--none)}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0;font-size:.875rem;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:.375rem}
.swatch{display:inline-block;width:.625rem;height:1.25rem;border-radius:2px}
.swatch.d-none{height:.375rem;align-self:flex-end;margin-bottom:.25rem}
.check{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.25rem;margin:0 0 .75rem}
.head{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem}
.badge{margin:0;padding:.125rem .625rem;border-radius:999px;font-size:.875rem;font-weight:600;border:1px solid;white-space:nowrap}
.facts{display:flex;flex-wrap:wrap;gap:.125rem 1.25rem;margin:.375rem 0 .75rem;font-size:.875rem;color:var(--muted)}
.facts b{color:var(--text)}
.bars{display:flex;align-items:flex-end;gap:2px;height:2.25rem;list-style:none;margin:0;padding:0}
.d{position:relative;flex:1 1 0;min-width:0;height:100%;border-radius:1px}
.d-up{background:var(--up)}
.d-down{background:repeating-linear-gradient(to bottom,var(--down) 0 4px,var(--card) 4px 6px)}
.d-partial{background:linear-gradient(to top,var(--partial) 0 55%,var(--partial-soft) 55% 100%)}
.d-maint{background:var(--maint-soft);border-top:5px solid var(--maint)}
.d-none{background:var(--none);height:25%}
.legend .d-down{background:repeating-linear-gradient(to bottom,var(--down) 0 4px,var(--bg) 4px 6px)}
.axis{display:flex;justify-content:space-between;font-size:.75rem;color:var(--muted);margin-top:.25rem}
.incidents{margin:0;padding-left:1.25rem;font-size:.875rem}
.incidents time{font-variant-numeric:tabular-nums}
.reason{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.8125rem;overflow-wrap:anywhere}
.check .muted{font-size:.875rem}
footer{padding-top:1rem;padding-bottom:2rem;font-size:.8125rem;color:var(--muted)}
footer p{margin:.5rem 0}
.vh{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}
@media (max-width:30rem){.bars{gap:1px}.check{padding:.875rem}header,main,footer{padding:0 .75rem}header{padding-top:1.25rem}footer{padding-bottom:1.5rem}}
`;

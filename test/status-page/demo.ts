/**
 * A realistic 90-day history for six checks, accounted minute by minute through the core's RollupBook
 * (the same addMinute the table uses): the status page test renders it, and `UPDATE_SCREENSHOT=1`
 * turns it into docs/status-page.png. Deterministic: a fixed clock and a seeded generator.
 */
import type { CheckState, LocationState } from '../../shared/evaluate/index.ts';
import { bucketOf, HOUR_MS, MINUTE_MS, noSamples, RollupBook, type MinuteClass, type MinuteRecord } from '../../shared/evaluate/slo/index.ts';
import type { StoredIncident } from '../../shared/store/items.ts';
import { DAY_MS, firstDay, type StatusModelInput, type StatusPageCheck } from '../../shared/usecases/status-page/model.ts';

export const DEMO_NOW = Date.parse('2026-12-01T14:32:10.000Z');
const LOCATIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
const TODAY = Math.floor(DEMO_NOW / DAY_MS) * DAY_MS;
const NOW_MINUTE = Math.floor(DEMO_NOW / MINUTE_MS) * MINUTE_MS;

/** A span of one class; `daysAgo` from today's midnight (UTC), `at` in hours into that day. */
interface Episode { daysAgo: number; at: number; minutes: number; class: MinuteClass; failing?: string[]; reason?: StoredIncident['firstReason'] }

interface DemoCheck extends StatusPageCheck {
  latencyMs: number;
  episodes: Episode[];
  /** Days since it was added (no data before). @default the whole 90 */
  ageDays?: number;
  state: Pick<CheckState, 'overall' | 'mute'> & { failing?: string[]; degraded?: boolean };
}

const startOf = (e: Episode) => TODAY - e.daysAgo * DAY_MS + e.at * HOUR_MS;
/** An episode that runs into the present ends now. */
const endOf = (e: Episode) => Math.min(startOf(e) + e.minutes * MINUTE_MS, NOW_MINUTE);
const nowAt = (minutesAgo: number) => (NOW_MINUTE - minutesAgo * MINUTE_MS - TODAY) / HOUR_MS;

export const DEMO_CHECKS: DemoCheck[] = [
  {
    id: 'marketing', name: 'Marketing site', tags: { service: 'Website' }, latencyMs: 180,
    episodes: [{ daysAgo: 12, at: 3.2, minutes: 45, class: 'partial', failing: ['ap-southeast-1'], reason: 'connect_timeout' }],
    state: { overall: 'UP' },
  },
  {
    id: 'checkout', name: 'Checkout', tags: { service: 'Website' }, latencyMs: 320,
    episodes: [
      { daysAgo: 30, at: 9.5, minutes: 22, class: 'down', failing: LOCATIONS, reason: 'status_code' },
      { daysAgo: 5, at: 18, minutes: 125, class: 'partial', failing: ['eu-west-1'], reason: 'tls_handshake' },
      { daysAgo: 0, at: nowAt(25), minutes: 25, class: 'partial', failing: ['eu-west-1'], reason: 'status_code' },
    ],
    state: { overall: 'PARTIAL', failing: ['eu-west-1'] },
  },
  {
    id: 'public-api', name: 'Public API', tags: { service: 'API' }, latencyMs: 140,
    episodes: [
      { daysAgo: 61, at: 22.25, minutes: 70, class: 'down', failing: LOCATIONS, reason: 'connect_refused' },
      { daysAgo: 2, at: 7.1, minutes: 3, class: 'down', failing: ['us-east-1', 'eu-west-1'], reason: 'timeout' },
      { daysAgo: 0, at: nowAt(14), minutes: 14, class: 'down', failing: LOCATIONS, reason: 'timeout' },
    ],
    state: { overall: 'DOWN', failing: LOCATIONS },
  },
  {
    id: 'auth', name: 'Auth service', tags: { service: 'API' }, latencyMs: 610,
    episodes: [{ daysAgo: 44, at: 13.4, minutes: 6, class: 'down', failing: LOCATIONS, reason: 'status_code' }],
    state: { overall: 'DEGRADED', degraded: true },
  },
  {
    id: 'db', name: 'Primary database', tags: { service: 'Infrastructure' }, latencyMs: 12,
    episodes: [
      { daysAgo: 70, at: 0, minutes: 24 * 60, class: 'maintenance' },
      { daysAgo: 42, at: 2, minutes: 90, class: 'maintenance' },
      { daysAgo: 14, at: 2, minutes: 90, class: 'maintenance' },
      { daysAgo: 0, at: nowAt(17), minutes: 60, class: 'maintenance' },
    ],
    state: { overall: 'UP', mute: { kind: 'maintenance', name: 'pg-upgrade', start: NOW_MINUTE - 17 * MINUTE_MS, end: NOW_MINUTE + 43 * MINUTE_MS } },
  },
  {
    id: 'dns', name: 'DNS (example.com)', tags: { service: 'Infrastructure' }, latencyMs: 24, ageDays: 40,
    episodes: [{ daysAgo: 20, at: 4, minutes: 180, class: 'nodata' }],
    state: { overall: 'UP' },
  },
];

/** mulberry32: small, seeded, good enough for latencies. */
function generator(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function minuteOf(check: DemoCheck, start: number, random: () => number): MinuteRecord {
  const e = check.episodes.find((x) => start >= startOf(x) && start < endOf(x));
  const cls = e?.class ?? 'up';
  const failing = cls === 'down' || cls === 'partial' ? [...(e?.failing ?? [])].sort() : [];
  const s = noSamples();
  if (cls !== 'nodata') {
    for (const location of LOCATIONS) {
      const ok = !failing.includes(location);
      const latency = check.latencyMs * (0.7 + random() * 0.6) * (random() < 0.03 ? 3 : 1);
      s.samples += 1;
      if (ok) {
        s.ok += 1;
        s.fast += 1;
      }
      s.buckets[bucketOf(latency)]! += 1;
      s.latencySumMs += latency;
    }
  }
  return { start, class: cls, failing, ...s };
}

export function demoBook(): RollupBook {
  const book = new RollupBook();
  const random = generator(16);
  for (const check of DEMO_CHECKS) {
    const from = check.ageDays === undefined ? firstDay(DEMO_NOW) : TODAY - check.ageDays * DAY_MS;
    for (let t = from; t < NOW_MINUTE; t += MINUTE_MS) book.add(check.id, minuteOf(check, t, random));
  }
  return book;
}

function location(failing: boolean, degraded: boolean): LocationState {
  return { lastTs: NOW_MINUTE, consecutiveFailures: failing ? 3 : 0, consecutiveSuccesses: 0, failing, ...(degraded && { degraded: true }) };
}

function stateOf(check: DemoCheck): CheckState {
  const { overall, mute, failing = [], degraded = false } = check.state;
  const open = check.episodes.find((e) => endOf(e) === NOW_MINUTE && e.reason !== undefined);
  return {
    schemaVersion: 1, checkId: check.id, version: 7, since: firstDay(DEMO_NOW), overall,
    locations: Object.fromEntries(LOCATIONS.map((l) => [l, location(failing.includes(l), degraded)])),
    ...(mute && { mute }),
    ...(open && { incident: { id: `${check.id}:${new Date(startOf(open)).toISOString()}`, startedAt: startOf(open), overallSince: startOf(open), locations: open.failing ?? [], sent: {} } }),
    outbox: [],
  };
}

function incidentsOf(check: DemoCheck): StoredIncident[] {
  return check.episodes.filter((e) => e.reason !== undefined).map((e) => ({
    checkId: check.id,
    incidentId: `${check.id}:${new Date(startOf(e)).toISOString()}`,
    startedAt: new Date(startOf(e)).toISOString(),
    ...(endOf(e) < NOW_MINUTE && { endedAt: new Date(endOf(e)).toISOString() }),
    locations: e.failing ?? [],
    ...(e.reason !== undefined && { firstReason: e.reason }),
  })).reverse();
}

export function demoInputs(book = demoBook()): StatusModelInput {
  return {
    now: DEMO_NOW,
    title: 'Example Corp status',
    checks: DEMO_CHECKS,
    states: new Map(DEMO_CHECKS.map((c) => [c.id, stateOf(c)])),
    hours: (id) => book.hours(id, firstDay(DEMO_NOW), DEMO_NOW),
    incidents: (id) => incidentsOf(DEMO_CHECKS.find((c) => c.id === id)!),
  };
}

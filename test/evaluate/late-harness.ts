/**
 * The late-results harness (see ./late-results.test.ts): a probe-cycle history evaluated in ts order
 * and with its lagged delivery by an eager and a lazy store, with the write tally. The evaluator is a
 * parameter so ./measure-writes.ts can run the same histories through another copy of it.
 */
import { clearPublished, evaluate as current, isAtRest, type CheckState, type Evaluate, type Evaluation, type Notification, type ResultRecord } from '../../shared/evaluate/index.ts';
import { sameSignificantState } from '../../shared/evaluate/persistence.ts';
import { buildCycleHistory, cycleDeliveries, type CycleHistory, type CycleScenario } from './cycle-histories.ts';
import { prng } from './histories.ts';

export class PropertyFailure extends Error {}
function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new PropertyFailure(message);
}

export interface WriteTally {
  /**
   * Results delivered (with duplicates) and state writes, split into steady state (no incident,
   * every location at rest before and after the call, and only passing results in it), incidents
   * (one open before or after the call) and the rest (failures short of the threshold). The first
   * result of each location is not counted: it creates its entry.
   */
  steadyResults: number;
  steadyWrites: number;
  incidentResults: number;
  incidentWrites: number;
  otherResults: number;
  otherWrites: number;
  /** Writes that cleared the outbox after publishing. */
  clearWrites: number;
}

export const emptyTally = (): WriteTally => ({ steadyResults: 0, steadyWrites: 0, incidentResults: 0, incidentWrites: 0, otherResults: 0, otherWrites: 0, clearWrites: 0 });

type Kind = 'steady' | 'incident' | 'other';
const atRest = (s: CheckState) => s.incident === undefined && Object.values(s.locations).every(isAtRest);

function kindOf(before: CheckState, after: CheckState, results: readonly ResultRecord[]): Kind {
  if (before.incident || after.incident) return 'incident';
  return atRest(before) && atRest(after) && results.every((r) => r.ok) ? 'steady' : 'other';
}

export function count(tally: WriteTally, before: CheckState | undefined, after: CheckState, results: readonly ResultRecord[], written: boolean): void {
  if (!before || results.some((r) => !Object.hasOwn(before.locations, r.location))) return;
  const kind = kindOf(before, after, results);
  tally[`${kind}Results`] += results.length;
  if (written) tally[`${kind}Writes`] += 1;
}

/** The reference: every result in ts order, one at a time, at its own ts. */
function inOrder(h: CycleHistory, evaluate: Evaluate): Notification[] {
  let state: CheckState | undefined;
  const out: Notification[] = [];
  for (const r of h.results) {
    const ev = evaluate(state, [r], h.policy, r.ts);
    state = ev.state;
    out.push(...ev.notifications);
  }
  return out;
}

export interface Lagged {
  eager: Notification[];
  lazy: Notification[];
  published: string[];
}

/** Heartbeats are written as the probe runs, so they run ahead of a lagging location's results. `now` only grows. */
function heartbeats(h: CycleHistory): (now: number) => Record<string, number> {
  const seen: Record<string, number> = {};
  let next = 0;
  return (now) => {
    for (; next < h.results.length && h.results[next]!.ts <= now; next++) seen[h.results[next]!.location] = h.results[next]!.ts;
    return { ...seen };
  };
}

export function lagged(h: CycleHistory, seed: number, tally: WriteTally, evaluate: Evaluate = current): Lagged {
  const faults = prng(seed ^ 0x2545f491);
  let eagerState: CheckState | undefined;
  let stored: CheckState | undefined;
  const out: Lagged = { eager: [], lazy: [], published: [] };
  const heartbeatsAt = heartbeats(h);
  for (const call of cycleDeliveries(h, seed)) {
    const observations = { lastSeen: heartbeatsAt(call.now) };
    const e = evaluate(eagerState, call.results, h.policy, call.now, observations);
    if (call.replay && eagerState) {
      // a replay decides nothing that the sweep at the same moment would not
      const sweep = evaluate(eagerState, [], h.policy, call.now, observations);
      check(JSON.stringify(e.notifications) === JSON.stringify(sweep.notifications), 'a replay decided something a sweep would not');
      check(sameSignificantState(e.state, sweep.state), 'a replay changed the state beyond what a sweep would');
    }
    out.eager.push(...e.notifications);
    eagerState = clearPublished(e.state, e.state.outbox.map((n) => n.dedupeKey));

    const before = stored;
    const l: Evaluation = evaluate(stored, call.results, h.policy, call.now, observations);
    out.lazy.push(...l.notifications);
    count(tally, before, l.state, call.results, l.changed);
    if (l.changed) stored = l.state;
    if (stored && stored.outbox.length > 0) {
      if (faults() < 0.2) continue; // SNS failed: the outbox stays for the next invocation
      const keys = stored.outbox.map((n) => n.dedupeKey);
      out.published.push(...keys);
      if (faults() < 0.1) continue; // crashed after publishing, before clearing: they go out again
      stored = clearPublished(stored, keys);
      tally.clearWrites += 1;
    }
  }
  if (stored) out.published.push(...stored.outbox.map((n) => n.dedupeKey));
  return out;
}

export function describeTally(t: WriteTally): string {
  const per = (w: number, r: number) => `${(w / Math.max(r, 1)).toFixed(3)} (${w} writes / ${r} results)`;
  return `state writes per result: steady state ${per(t.steadyWrites, t.steadyResults)}; during incidents ${per(t.incidentWrites, t.incidentResults)}; other (pending runs) ${per(t.otherWrites, t.otherResults)}; outbox clears ${t.clearWrites}`;
}

export function pagedIncidents(notes: Notification[]): string[] {
  return [...new Set(notes.filter((n) => n.event === 'DOWN').map((n) => n.incidentId))];
}

/** Exactly one DOWN and one RESOLVED per outage, in order, inside its window; no DOWN anywhere else. */
function assertPagesPerOutage(h: CycleHistory, notes: Notification[], label: string): void {
  const incidents = notes.filter((n) => n.event !== 'LOCATION_SILENT' && n.event !== 'CERT_EXPIRING');
  check(notes.every((n) => n.event !== 'LOCATION_SILENT'), `${label}: a location looked silent though every location reported`);
  for (const [i, o] of h.outages.entries()) {
    const inside = incidents.filter((n) => n.at >= o.start && n.at < o.until);
    const downs = inside.filter((n) => n.event === 'DOWN');
    check(downs.length === 1, `${label}: outage ${i} (${o.affected.join(',')}) paged ${downs.length} DOWNs`);
    const down = downs[0]!;
    const resolved = inside.filter((n) => n.event === 'RESOLVED' && n.incidentId === down.incidentId);
    check(resolved.length === 1, `${label}: outage ${i} sent ${resolved.length} RESOLVEDs`);
    const r = resolved[0]!;
    check(inside.indexOf(r) > inside.indexOf(down) && r.at >= down.at, `${label}: outage ${i} RESOLVED before its DOWN`);
    check(r.at >= o.end && r.since! >= o.start && r.since! + r.durationMs! >= o.end, `${label}: outage ${i} RESOLVED before the target recovered`);
  }
  check(pagedIncidents(notes).length === h.outages.length, `${label}: ${pagedIncidents(notes).length} paging incidents for ${h.outages.length} outages`);
  // every incident that sent anything is closed by exactly one RESOLVED, sent last
  const byIncident = new Map<string, string[]>();
  for (const n of incidents) byIncident.set(n.incidentId, [...(byIncident.get(n.incidentId) ?? []), n.event]);
  for (const [id, events] of byIncident) {
    check(events.filter((e) => e === 'RESOLVED').length === 1 && events.at(-1) === 'RESOLVED', `${label}: ${id} not closed by one RESOLVED: ${events.join(',')}`);
    for (const e of ['DEGRADED', 'PARTIAL', 'DOWN'] as const) check(events.filter((x) => x === e).length <= 1, `${label}: ${id}: ${e} twice`);
  }
}

export function runHistory(s: CycleScenario, tally: WriteTally, evaluate: Evaluate = current): void {
  const h = buildCycleHistory(s);
  const reference = inOrder(h, evaluate);
  assertPagesPerOutage(h, reference, 'in order');
  const run = lagged(h, s.seed, tally, evaluate);
  check(JSON.stringify(run.lazy) === JSON.stringify(run.eager), 'skipping steady-state writes changed a decision');
  assertPagesPerOutage(h, run.lazy, 'lagged');
  check(pagedIncidents(run.lazy).length === pagedIncidents(reference).length, 'a different number of paging incidents than in ts order');
  const keys = run.lazy.map((n) => n.dedupeKey);
  check(new Set(keys).size === keys.length, `a decision was repeated: ${keys.join(' ')}`);
  const published = new Set(run.published);
  check(keys.every((k) => published.has(k)), 'a notification was lost');
}


/**
 * The scheduled sweep: EventBridge `rate(1 minute)` runs the evaluator with no records, and every
 * check is evaluated at `now` exactly as if results had arrived, so what depends on time passing
 * (LOCATION_SILENT, REMINDER) is decided while no results arrive. design.md, "Evaluation semantics".
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 *
 * Cheap first, exact second: one eventually consistent BatchGetItem of every state and one of every
 * location's heartbeat, one Query of the silences, then the pure `evaluate` on each to see whether
 * anything would change (a silence or maintenance window ending is such a change). Only
 * those checks go through `processCheck`, the stream's own path (strongly consistent re-read,
 * version-conditioned write, outbox, publish, clear), so the sweep and the stream cannot decide
 * differently. Steady state reads two batches and one Query (and one Query of each agent location's
 * beats, ./instance-silence.ts), and writes no STATE item.
 *
 * With `rollups`, the sweep also accounts the minute that just ended for every check with a state
 * (../slo/account.ts: a Query of the minute's results and one conditional UpdateItem of its hour's
 * ROLLUP item). That is the sweep's one write per check and minute, in steady state too: the SLO
 * rollups are the record that time passed. Every BURN_EVERY_MS it then reads the burn rates of the
 * checks with an `slo` (../slo/burn.ts), before the candidates are chosen, so a burn reading reaches
 * the policy through the same `observe(check)` as the silences. Accounting comes first and uses the
 * cheap pass's own evaluated state, so a minute is classified by the same decision the sweep acts on.
 *
 * A check with no state has never had a result. The sweep writes nothing for it: silence is measured
 * from a location's newest evidence (result, heartbeat) or the state's creation, and a check that
 * never reported has none of these, so the pure policy decides nothing (`changed` false, no outbox)
 * and creating a state just to start a clock would be a write per check that no result asked for.
 * Its locations are still watched through every other check that runs there, and through their heartbeats.
 *
 * Disabled checks are skipped: no result is coming, and a check switched off while DOWN would
 * otherwise send REMINDERs for ever.
 */
import type { ScheduledEvent } from 'aws-lambda';
import type { Publisher } from '../../alert/publish.ts';
import type { Check, MaintenanceWindow } from '../../config/schema.ts';
import { evaluate, policyFor, type CheckState, type Evaluation, type Notification, type Observations } from '../../evaluate/index.ts';
import type { BurnObservation } from '../../evaluate/slo/burn.ts';
import { errorFields } from '../../logging/logger.ts';
import { maintenanceEmfLine, sweepEmfLine } from '../../metrics/emf.ts';
import type { Store } from '../../store/dynamo.ts';
import type { StoredSilence } from '../../store/items.ts';
import type { OpsMarks } from '../../store/ops-marks.ts';
import type { RollupStore } from '../../store/rollups.ts';
import { mutesFor } from '../silences.ts';
import { accountSweep, burnObservations } from '../slo/index.ts';
import { sweepInstances, type AgentBeatReader, type InstanceHeartbeatReader } from './instance-silence.ts';
import type { BatchDeps } from './process-batch.ts';
import { processCheck, type EvaluatorStore } from './process-check.ts';

/** The store as the sweep uses it: the stream's parts plus the cheap batch read of states, and (from PROBE) the instance heartbeats. */
export type SweepStore = EvaluatorStore & Pick<Store, 'getStates' | 'listResults'> & Partial<InstanceHeartbeatReader>;

export interface SweepDeps extends BatchDeps {
  store: SweepStore;
  /** The ops topic (env OPS_TOPIC_ARN): INSTANCE_SILENT goes here. Without it (or without `opsMarks`) instances are not watched. */
  opsPublisher?: Publisher;
  /** Where INSTANCE_SILENT remembers it has warned (../../store/ops-marks.ts). */
  opsMarks?: OpsMarks;
  /** Private location → instances (definitions.instances). */
  instances?: Readonly<Record<string, number>>;
  /** Agent location → instances expected (definitions.agents); watched with `agentBeats`. */
  agents?: Readonly<Record<string, number>>;
  /** Where agent instances' beats are read (the agent store, ../../store/agents.ts). */
  agentBeats?: AgentBeatReader;
  /** Where the sweep's EMF line goes. @default stdout, which CloudWatch Logs reads EMF from */
  writeMetric?: (line: string) => void;
  /** The SLO rollups (../../store/rollups.ts): every minute is accounted into them, and burn rates read from them. Without it, neither. */
  rollups?: RollupStore;
  /** The status page, refreshed last in every sweep (it decides itself whether to publish); its failure is logged. */
  statusPage?: { refresh(now: number): Promise<void> };
}

export interface SweepSummary {
  /** Checks looked at (enabled ones). */
  checks: number;
  /** Checks the cheap pass found something to do for (a change, or an outbox to send). */
  candidates: number;
  /** Checks whose state was written or which published. */
  changed: number;
  /** Notifications published, INSTANCE_SILENT included. */
  published: number;
  /** Candidates that failed (logged); the next sweep tries again. */
  failed: number;
  /** Candidates not started because the deadline came; the next sweep takes them. */
  leftOver: number;
  /** With rollups: minutes this sweep accounted (a retried sweep accounts none), and checks whose minute failed (logged). */
  accounted?: number;
  accountFailed?: number;
}

/**
 * A leftover outbox entry younger than this may belong to a stream invocation that has written it
 * and is publishing it right now; the sweep leaves it to that invocation. An older one is stuck (a
 * failed publish, a crash) and the sweep sends it. One sweep period: the sweep's own failed publish
 * is retried by the next sweep.
 */
export const SWEEP_LEFTOVER_AGE_MS = 60_000;

/** An EventBridge scheduled event, which is what runs the sweep; anything else is not. */
export function isSweepEvent(event: unknown): event is ScheduledEvent {
  const e = event as Partial<ScheduledEvent> | null;
  return typeof e === 'object' && e !== null && e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event';
}

async function lastSeenOf(checks: readonly Check[], store: SweepStore): Promise<Record<string, number>> {
  const locations = [...new Set(checks.flatMap((c) => c.locations))];
  if (locations.length === 0) return {};
  const heartbeats = await store.getHeartbeats(locations);
  return Object.fromEntries(heartbeats.map((h) => [h.location, Date.parse(h.lastSeen)]));
}

/** The cheap pass: the pure policy on every check with a state, at `now`, with what processCheck would see. */
function evaluateAll(checks: readonly Check[], states: ReadonlyMap<string, CheckState>, observe: (check: Check) => Observations, maintenance: readonly MaintenanceWindow[], now: number): Map<string, Evaluation> {
  const out = new Map<string, Evaluation>();
  for (const check of checks) {
    const state = states.get(check.id);
    if (state) out.set(check.id, evaluate(state, [], policyFor(check, maintenance), now, observe(check)));
  }
  return out;
}

/**
 * The checks the cheap read says need the exact path: the pure policy would change them, or a stuck
 * outbox is waiting. The same policy (maintenance windows included) and observations (silences and
 * burn readings included) as processCheck gets, so the cheap pass never misses what the exact one would decide.
 */
function candidatesOf(checks: readonly Check[], states: ReadonlyMap<string, CheckState>, evaluations: ReadonlyMap<string, Evaluation>, stuck: (n: Notification) => boolean): { candidates: Check[]; muted: string[] } {
  const muted: string[] = [];
  const candidates = checks.filter((check) => {
    const state = states.get(check.id);
    const ev = evaluations.get(check.id);
    if (!state || !ev) return false;
    if (ev.state.mute) muted.push(check.id);
    return ev.changed || ev.notifications.length > 0 || state.outbox.some(stuck);
  });
  return { candidates, muted };
}

/**
 * Every silence, or a throw: deciding without them would page for a silenced outage (and end the
 * MAINTENANCE shown for a silenced check). Nothing is lost by skipping a sweep: its decisions depend
 * only on time and stored state, so the next sweep a minute later makes them.
 */
async function silencesOf(store: SweepStore, logger: SweepDeps['logger']): Promise<StoredSilence[]> {
  try {
    return await store.listSilences();
  } catch (err) {
    logger.error('silences unavailable; this sweep decides nothing, the next one tries again', errorFields(err));
    throw err;
  }
}

/**
 * One sweep at `now` (epoch ms). `signal` is the invocation's deadline: checks not started by then
 * are left for the next sweep a minute later. Never throws for one check's failure; a failure to read
 * the states, heartbeats or silences throws, since deciding without them would page falsely (a resting
 * location looks silent without its heartbeat, a silenced check loud without its silence).
 */
export async function runSweep(deps: SweepDeps, now: number, signal?: AbortSignal): Promise<SweepSummary> {
  const { logger, store } = deps;
  const checks = [...deps.checks.values()].filter((c) => c.enabled !== false);
  const summary: SweepSummary = { checks: checks.length, candidates: 0, changed: 0, published: 0, failed: 0, leftOver: 0 };
  const stuck = (n: Notification) => now - n.at >= SWEEP_LEFTOVER_AGE_MS;
  // A sweep decides at its own instant, whatever the clock says by the time a check's turn comes.
  const atNow = { ...deps, clock: () => now };

  const [states, lastSeen, silences] = await Promise.all([
    checks.length > 0 ? store.getStates<CheckState>(checks.map((c) => c.id)) : Promise.resolve([]),
    lastSeenOf(checks, store),
    checks.length > 0 ? silencesOf(store, logger) : Promise.resolve([]),
  ]);
  const byId = new Map(states.map((s) => [s.checkId, s]));
  const base = (check: Check): Observations => ({ lastSeen, mutes: mutesFor(silences, check, now) });
  let evaluations = evaluateAll(checks, byId, base, deps.maintenance, now);
  const burn = await accountAndBurn(deps, checks, evaluations, base, now, summary, signal);
  const observe = (check: Check): Observations => ({ ...base(check), ...(burn.has(check.id) && { burn: burn.get(check.id) }) });
  // Only a burn reading changes what the policy sees; the other checks keep the evaluation already made.
  if (burn.size > 0) evaluations = new Map([...evaluations, ...evaluateAll(checks.filter((c) => burn.has(c.id)), byId, observe, deps.maintenance, now)]);
  const { candidates, muted } = candidatesOf(checks, byId, evaluations, stuck);
  summary.candidates = candidates.length;

  for (const check of candidates) {
    if (signal?.aborted) {
      summary.leftOver++;
      continue;
    }
    try {
      const outcome = await processCheck(check, [], observe(check), atNow, { deliverLeftover: stuck });
      if (outcome.writes > 0 || outcome.published.length > 0) summary.changed++;
      summary.published += outcome.published.length;
      if (outcome.writes > 0 || outcome.published.length > 0) {
        logger.info('check swept', { checkId: check.id, writes: outcome.writes, published: outcome.published.length, conflicts: outcome.conflicts });
      }
    } catch (err) {
      summary.failed++;
      logger.error('sweep of a check failed; the next sweep tries again', { checkId: check.id, ...errorFields(err) });
    }
  }
  if (summary.leftOver > 0) logger.warn('out of time; checks left for the next sweep', { leftOver: summary.leftOver });

  summary.published += await sweepInstancesSafely(deps, now, signal);
  const write = deps.writeMetric ?? ((line: string) => void process.stdout.write(`${line}\n`));
  write(sweepEmfLine(now, { checks: summary.checks, changed: summary.changed, published: summary.published }));
  // The dashboard's maintenance line: a point per minute only for checks in a window or silence,
  // so the metric costs nothing outside them.
  // One document per check (a document holds one CheckId), each written as its own line.
  if (muted.length > 0) for (const line of maintenanceEmfLine(now, muted).split('\n')) write(line);
  await refreshStatusPageSafely(deps, now, signal);
  return summary;
}

/**
 * Accounts the minute that just ended (from the cheap pass's evaluated states) and, when due, reads
 * the burn rates; the burn observations by check id. Without rollups: nothing, and no burn.
 */
async function accountAndBurn(deps: SweepDeps, checks: readonly Check[], evaluations: ReadonlyMap<string, Evaluation>, observe: (check: Check) => Observations, now: number, summary: SweepSummary, signal?: AbortSignal): Promise<Map<string, BurnObservation>> {
  const { rollups, logger } = deps;
  if (!rollups) return new Map();
  const evaluated = checks.flatMap((check) => {
    const ev = evaluations.get(check.id);
    return ev ? [{ check, state: ev.state, policy: policyFor(check, deps.maintenance), observations: observe(check) }] : [];
  });
  const accounted = await accountSweep({ rollups, results: deps.store, logger }, evaluated, now, signal);
  summary.accounted = accounted.added;
  summary.accountFailed = accounted.failed;
  return burnObservations({ rollups, logger }, evaluated, now, accounted.minutes, signal);
}

/**
 * The status page is for people looking, not for paging: its failure is logged and the next sweep
 * tries again, and a sweep out of time leaves it to the next one.
 */
async function refreshStatusPageSafely(deps: SweepDeps, now: number, signal?: AbortSignal): Promise<void> {
  if (!deps.statusPage || signal?.aborted) return;
  try {
    await deps.statusPage.refresh(now);
  } catch (err) {
    deps.logger.error('status page not refreshed; the next sweep tries again', errorFields(err));
  }
}

/** Instance silence is the ops channel's business: its failure is logged and never stops the checks' sweep. */
async function sweepInstancesSafely(deps: SweepDeps, now: number, signal?: AbortSignal): Promise<number> {
  const { opsPublisher, opsMarks, store, agents, agentBeats } = deps;
  const heartbeats = store.getInstanceHeartbeats ? store as InstanceHeartbeatReader : undefined;
  const watched = (heartbeats && deps.instances) || (agentBeats && agents);
  if (!opsPublisher || !opsMarks || !watched || signal?.aborted) return 0;
  try {
    return await sweepInstances({
      publisher: opsPublisher, marks: opsMarks, instances: heartbeats ? deps.instances ?? {} : {}, logger: deps.logger,
      ...(heartbeats && { heartbeats }), ...(agents && agentBeats && { agents, beats: agentBeats }),
    }, now);
  } catch (err) {
    deps.logger.error('instance silence not decided; the next sweep tries again', errorFields(err));
    return 0;
  }
}

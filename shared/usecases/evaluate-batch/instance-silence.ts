/**
 * INSTANCE_SILENT: one instance of a private location stopped writing its heartbeat. A warning to the
 * ops topic, once per silence; the location itself is silent (LOCATION_SILENT through the checks'
 * channels) only when every instance is, because every instance writes the location's heartbeat too.
 *
 * Memory is an OPS item per location (../../store/ops-marks.ts) holding a mark per instance away from
 * rest. A mark is written when a silence is warned about, or when the sweep first finds no heartbeat
 * of an instance at all (a new instance that never started has nothing else to measure from), and
 * removed when the instance is heard from again. A healthy deployment has no marks and writes nothing.
 *
 * Publish, then remember: a crash between the two repeats the warning with the same dedupe key; the
 * other order could lose it.
 *
 * Agent locations (`vantage agent`) have no fixed instance ids: an instance is whatever beat items
 * (`HEARTBEAT#<instance>`, ../../store/agents.ts) the location holds, so the sweep decides the beats
 * it finds, by the same rule. Two differences follow from that. An instance that left cleanly
 * (`leavingAt` passed: SIGTERM, a rolling update) is not silent, it is gone: no warning, and its mark
 * goes. And "never seen" cannot be told from "never meant to exist", so an agent location is never
 * warned about an instance it has no beat of, and the mark of an instance whose beat item is gone
 * (its TTL, or the location's beats removed) is dropped.
 */
import { buildInstanceSilentMessage, type InstanceSilentFacts } from '../../alert/message.ts';
import type { Publisher } from '../../alert/publish.ts';
import { errorFields, type Logger } from '../../logging/logger.ts';
import type { AgentBeat, AgentStore } from '../../store/agents.ts';
import type { Heartbeat } from '../../store/items.ts';
import type { InstanceMark, OpsMarks } from '../../store/ops-marks.ts';

/** Issue 11: an instance is silent after 3 minutes without a heartbeat (three of its once-a-minute invocations missed). */
export const INSTANCE_SILENT_AFTER_MS = 3 * 60_000;

/** One instance's heartbeat (`pk LOCATION#<name>`, `sk HEARTBEAT#<instance>`), as the store returns it. */
export type InstanceHeartbeat = Heartbeat & { instance?: string };

/** Store.getInstanceHeartbeats (contracts: PROBE adds it to shared/store/dynamo.ts). */
export interface InstanceHeartbeatReader {
  getInstanceHeartbeats(location: string, instances: string[]): Promise<InstanceHeartbeat[]>;
}

/** The agent store's reader of one location's beats (AgentStore.listBeats: a consistent Query of `HEARTBEAT#…`). */
export type AgentBeatReader = Pick<AgentStore, 'listBeats'>;

export interface InstanceSweepDeps {
  publisher: Publisher;
  marks: OpsMarks;
  /** Needed when `instances` names a location. */
  heartbeats?: InstanceHeartbeatReader;
  /** Private location → instance count. */
  instances: Readonly<Record<string, number>>;
  /** Agent location → instances expected (definitions.agents). Watched only with `beats`. @default none */
  agents?: Readonly<Record<string, number>>;
  beats?: AgentBeatReader;
  logger: Logger;
}

/** Instance ids as the probe functions carry them (env INSTANCE): "1" … "n". */
export const instanceIds = (count: number): string[] => Array.from({ length: count }, (_, i) => String(i + 1));

type Step = { mark?: InstanceMark | 'remove'; warn?: InstanceSilentFacts };

/**
 * What to do about one instance, given its newest heartbeat (undefined: none stored) and its mark.
 * Pure. A silence is known by the evidence it is measured from, so the dedupe key and the "already
 * warned" test both come from `since`.
 */
export function decideInstance(location: string, instance: string, count: number, lastSeen: number | undefined, mark: InstanceMark | undefined, now: number): Step {
  const facts = (since: number, neverSeen: boolean): InstanceSilentFacts => ({
    event: 'INSTANCE_SILENT', location, instance, instanceCount: count, at: now,
    ...(neverSeen ? { noticedAt: since } : { lastSeen: since }),
    dedupeKey: `${location}:${instance}:silent:${new Date(since).toISOString()}:INSTANCE_SILENT:1`,
  });
  if (lastSeen === undefined) {
    // No heartbeat item: never started, or gone for longer than the heartbeat's TTL (already warned then).
    if (!mark) return { mark: { since: now, neverSeen: true, warned: false } };
    if (mark.neverSeen && !mark.warned && now - mark.since > INSTANCE_SILENT_AFTER_MS) return { mark: { ...mark, warned: true }, warn: facts(mark.since, true) };
    return {};
  }
  if (now - lastSeen <= INSTANCE_SILENT_AFTER_MS) return mark ? { mark: 'remove' } : {};
  if (mark && !mark.neverSeen && mark.since === lastSeen && mark.warned) return {};
  return { mark: { since: lastSeen, warned: true }, warn: facts(lastSeen, false) };
}

/** One location's instances; returns how many INSTANCE_SILENT were published. */
async function sweepLocation(deps: InstanceSweepDeps, location: string, mine: Readonly<Record<string, InstanceMark>>, now: number): Promise<number> {
  const count = deps.instances[location]!;
  const ids = instanceIds(count);
  const beats = await deps.heartbeats!.getInstanceHeartbeats(location, ids);
  const seen = new Map(beats.filter((b) => b.instance !== undefined).map((b) => [b.instance!, Date.parse(b.lastSeen)]));
  let published = 0;
  for (const id of ids) {
    const step = decideInstance(location, id, count, seen.get(id), mine[id], now);
    if (step.warn) {
      await deps.publisher.publish(buildInstanceSilentMessage(step.warn));
      published++;
      deps.logger.warn('instance silent', { location, instance: id, dedupeKey: step.warn.dedupeKey });
    }
    if (step.mark) await deps.marks.set(location, id, step.mark === 'remove' ? undefined : step.mark);
  }
  // Instances removed from the config (a lower count) are forgotten.
  for (const id of Object.keys(mine)) if (!ids.includes(id)) await deps.marks.set(location, id, undefined);
  return published;
}

/** A beat whose `leavingAt` has passed: the instance said goodbye and its share has moved (membership.ts). */
export const hasLeft = (beat: Pick<AgentBeat, 'leavingAt'>, now: number): boolean => beat.leavingAt !== undefined && Date.parse(beat.leavingAt) <= now;

/** Instances of an agent location that count as live for the sweep: heard from within INSTANCE_SILENT_AFTER_MS and not gone. */
export function liveAgentInstances(beats: readonly AgentBeat[], now: number): AgentBeat[] {
  return beats.filter((b) => !hasLeft(b, now) && now - Date.parse(b.lastSeen) <= INSTANCE_SILENT_AFTER_MS);
}

/** One agent location: each beat it holds decided by decideInstance, a clean leave excepted; marks without a beat dropped. */
async function sweepAgentLocation(deps: InstanceSweepDeps, location: string, mine: Readonly<Record<string, InstanceMark>>, now: number): Promise<number> {
  const expected = deps.agents![location]!;
  const beats = (await deps.beats!.listBeats(location)).filter((b) => Number.isFinite(Date.parse(b.lastSeen)));
  const live = liveAgentInstances(beats, now).length;
  let published = 0;
  for (const beat of beats) {
    const mark = mine[beat.instance];
    if (hasLeft(beat, now)) {
      if (mark) await deps.marks.set(location, beat.instance, undefined);
      continue;
    }
    const step = decideInstance(location, beat.instance, expected, Date.parse(beat.lastSeen), mark, now);
    if (step.warn) {
      await deps.publisher.publish(buildInstanceSilentMessage({ ...step.warn, agent: { live } }));
      published++;
      deps.logger.warn('agent instance silent', { location, instance: beat.instance, live, expected, dedupeKey: step.warn.dedupeKey });
    }
    if (step.mark) await deps.marks.set(location, beat.instance, step.mark === 'remove' ? undefined : step.mark);
  }
  const present = new Set(beats.map((b) => b.instance));
  for (const id of Object.keys(mine)) if (!present.has(id)) await deps.marks.set(location, id, undefined);
  return published;
}

/**
 * Decides every instance of every private and agent location; returns how many INSTANCE_SILENT were
 * published. A location that fails (its publish, its reads) is logged and left for the next sweep; the others go on.
 */
export async function sweepInstances(deps: InstanceSweepDeps, now: number): Promise<number> {
  const agentLocations = deps.beats ? Object.keys(deps.agents ?? {}) : [];
  const privateLocations = deps.heartbeats ? Object.keys(deps.instances) : [];
  const locations = [...new Set([...privateLocations, ...agentLocations])];
  if (locations.length === 0) return 0;
  const marks = await deps.marks.get(locations);
  let published = 0;
  for (const location of locations) {
    try {
      const sweep = agentLocations.includes(location) ? sweepAgentLocation : sweepLocation;
      published += await sweep(deps, location, marks.get(location) ?? {}, now);
    } catch (err) {
      deps.logger.error('instance silence not decided; the next sweep tries again', { location, ...errorFields(err) });
    }
  }
  return published;
}

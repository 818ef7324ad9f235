/**
 * The probe cycle's test harness: a scripted prober, a recording store (its memory an in-memory map)
 * and a virtual clock (injected `now` and `sleep`: no real waiting). Used by ./cycle.test.ts and
 * ./defer.test.ts.
 */
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import type { ProbeCycleOptions } from '../../shared/usecases/probe-cycle.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import type { MemoryEntries } from '../../shared/store/dynamo.ts';

export const MINUTE = Date.parse('2026-11-03T10:00:00.000Z');
export const LOCATION = 'eu-west-1';

export function checks(list: Array<Record<string, unknown>>, defaults: Record<string, unknown> = {}): Check[] {
  return loadConfigObject({ defaults: { locations: [LOCATION], ...defaults }, checks: list }).checks;
}

export type Outcome = 'up' | 'down' | 'aborted';

/** Outcomes per check id, consumed in order; the last one repeats. Each attempt takes 100 virtual ms. */
export function scriptedProbe(script: Record<string, Outcome[]>, clock: { t: number }) {
  const calls: Array<{ id: string; at: number }> = [];
  const probe = async (check: Check, signal: AbortSignal): Promise<ProbeResult> => {
    const at = clock.t;
    calls.push({ id: check.id, at });
    const steps = script[check.id] ?? ['up'];
    const n = calls.filter((c) => c.id === check.id).length - 1;
    let outcome = steps[Math.min(n, steps.length - 1)]!;
    if (signal.aborted) outcome = 'aborted';
    clock.t += 100;
    return {
      checkId: check.id, kind: check.kind, target: 't', location: LOCATION, startedAt: new Date(at).toISOString(),
      ok: outcome === 'up', status: outcome === 'up' ? 'up' : 'down', phases: { total: 100 }, assertions: [],
      ...(outcome !== 'up' && { failure: { reason: outcome === 'aborted' ? 'aborted' as const : 'connect_refused' as const, message: outcome } }),
    };
  };
  return { probe, calls };
}

export function recordingStore(fail?: Error) {
  const written: ProbeResult[][] = [];
  const heartbeats: Array<{ location: string; checksRun: number; failures?: number; instance?: string }> = [];
  const memory: Record<string, MemoryEntries> = {};
  const memoryWrites: Array<{ set: string[]; remove: string[] }> = [];
  let memoryReads = 0;
  return {
    written,
    heartbeats,
    memory,
    memoryWrites,
    get memoryReads() { return memoryReads; },
    store: {
      putResults: async (results: readonly ProbeResult[]) => {
        if (fail) throw fail;
        written.push([...results]);
        return { written: results.length, calls: 1 };
      },
      putHeartbeat: async (location: string, info: { checksRun: number; failures?: number; instance?: string }) => {
        heartbeats.push({ location, checksRun: info.checksRun, failures: info.failures, ...(info.instance && { instance: info.instance }) });
      },
      getMemory: async (location: string) => {
        memoryReads++;
        return structuredClone(memory[location] ?? {});
      },
      updateMemory: async (location: string, { set = {}, remove = [] }: { set?: Readonly<MemoryEntries>; remove?: readonly string[] }) => {
        const m = (memory[location] ??= {});
        Object.assign(m, structuredClone(set));
        for (const id of remove) delete m[id];
        memoryWrites.push({ set: Object.keys(set), remove: [...remove] });
      },
    },
  };
}

export function setup(list: Array<Record<string, unknown>>, script: Record<string, Outcome[]> = {}, over: Partial<ProbeCycleOptions> = {}, startAt = 0) {
  const clock = { t: MINUTE + startAt };
  const { probe, calls } = scriptedProbe(script, clock);
  const rec = recordingStore();
  const sleeps: number[] = [];
  const controller = new AbortController();
  const opts: ProbeCycleOptions = {
    checks: checks(list),
    location: LOCATION,
    scheduledAt: new Date(MINUTE),
    probe,
    store: rec.store,
    signal: controller.signal,
    now: () => new Date(clock.t),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    ...over,
  };
  const at = (ms: number) => ms - MINUTE;
  return { opts, calls, sleeps, controller, clock, at, ...rec };
}

export const URL = { http: { url: 'http://127.0.0.1:1/' } };

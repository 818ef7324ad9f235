/** Builders and a feeder for the evaluator tests: results one at a time, state carried between calls. */
import { expect } from 'vitest';
import { evaluate, type CheckState, type Evaluation, type Notification, type Observations, type Overall, type PolicyInput, type ResultRecord } from '../../shared/evaluate/index.ts';

export const MIN = 60_000;
/** 2026-11-03T12:00:00Z: a round minute, so ids in failures read easily. */
export const T0 = Date.UTC(2026, 10, 3, 12, 0, 0);
export const LOCATIONS = ['eu', 'us', 'ap'] as const;
export type Loc = (typeof LOCATIONS)[number];
/** Each location runs a few seconds after the previous one, so a round's results have distinct ts. */
const OFFSET: Record<string, number> = { eu: 0, us: 1_000, ap: 2_000 };

export function policy(over: Partial<PolicyInput> = {}): PolicyInput {
  return { checkId: 'api', locations: [...LOCATIONS], failureThreshold: 2, recoveryThreshold: 2, quorum: 2, intervalMs: MIN, channels: ['ops'], certExpiringDays: 21, recheckIntervalMs: 10_000, confirm: true, ...over };
}

export type Outcome = 'ok' | 'fail' | 'slow';

export function tsOf(location: string, minute: number): number {
  return T0 + minute * MIN + (OFFSET[location] ?? 0);
}

export function result(location: string, minute: number, outcome: Outcome): ResultRecord {
  const r: ResultRecord = {
    checkId: 'api', location, ts: tsOf(location, minute), ok: outcome !== 'fail',
    status: outcome === 'ok' ? 'up' : outcome === 'slow' ? 'degraded' : 'down',
    latencyMs: outcome === 'slow' ? 2_500 : 120, phases: { connect: 10, total: outcome === 'slow' ? 2_500 : 120 },
  };
  if (outcome === 'fail') r.failure = { reason: 'connect_timeout', message: `no answer from ${location}` };
  return r;
}

/** Feeds an evaluator the way the stream handler does: state in, state out, notifications collected. */
export class Feed {
  readonly policy: PolicyInput;
  state: CheckState | undefined;
  readonly sent: Notification[] = [];
  last: Evaluation | undefined;

  constructor(p: PolicyInput, state?: CheckState) {
    this.policy = p;
    this.state = state;
  }

  /** Evaluates at `now` (default: the newest ts given, as `vantage replay` does). */
  send(results: ResultRecord | ResultRecord[], now?: number, observations?: Observations): Evaluation {
    const list = Array.isArray(results) ? results : [results];
    const at = now ?? Math.max(...list.map((r) => r.ts));
    this.last = evaluate(this.state, list, this.policy, at, observations);
    this.state = this.last.state;
    this.sent.push(...this.last.notifications);
    return this.last;
  }

  /** A whole round: every listed location at `minute`, one result per call. */
  round(minute: number, outcomes: Partial<Record<string, Outcome>>): Notification[] {
    const out: Notification[] = [];
    for (const [loc, o] of Object.entries(outcomes)) if (o) out.push(...this.send(result(loc, minute, o)).notifications);
    return out;
  }

  loc(name: string) {
    return this.state?.locations[name];
  }

  events(): string[] {
    return this.sent.map((n) => n.event);
  }
}

/** One step of a trajectory: a result, then what must hold right after it. */
export interface Step {
  loc: string;
  min: number;
  o: Outcome;
  overall: Overall;
  /** Events decided by this step, in order. */
  events?: string[];
  /** The stepped location's [consecutiveFailures, consecutiveSuccesses, failing]. */
  counters?: [number, number, boolean];
}

/** Plays steps one at a time and checks counters, overall and events after each, as gatus's alerting_test does. */
export function play(feed: Feed, steps: Step[]): void {
  steps.forEach((s, i) => {
    const { notifications } = feed.send(result(s.loc, s.min, s.o));
    const where = `step ${i} (${s.loc} minute ${s.min} ${s.o})`;
    expect(feed.state?.overall, where).toBe(s.overall);
    expect(notifications.map((n) => n.event), where).toEqual(s.events ?? []);
    if (s.counters) {
      const loc = feed.loc(s.loc);
      expect([loc?.consecutiveFailures, loc?.consecutiveSuccesses, loc?.failing], where).toEqual(s.counters);
    }
  });
}

/** Steps for a round where every location has the same outcome and nothing is expected to happen. */
export function quietRound(min: number, o: Outcome, overall: Overall = 'UP'): Step[] {
  return LOCATIONS.map((loc) => ({ loc, min, o, overall }));
}

/** Passing results for the other locations in a round, so they stay live; they must decide nothing. */
export function okSteps(min: number, overall: Overall, ...locs: string[]): Step[] {
  return locs.map((loc) => ({ loc, min, o: 'ok' as const, overall }));
}

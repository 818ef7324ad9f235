/**
 * A burn-rate trajectory: minutes are accounted one at a time into a RollupBook, as the sweep does,
 * and at every BURN_EVERY_MS boundary the policy is evaluated with the readings over the book, as
 * the sweep passes them. State is carried between readings; what was sent and held back is kept.
 */
import type { BurnRule, Slo } from '../../shared/config/slo.ts';
import { evaluate, type CheckState, type Mute, type Notification, type PolicyInput } from '../../shared/evaluate/index.ts';
import { burnReadings, isBurnReadingDue, RollupBook, type BurnRuleReading, type MinuteClass, type MinuteRecord } from '../../shared/evaluate/slo/index.ts';
import { LOCATIONS, MIN, policy } from './support.ts';

/** 2026-11-03T00:00:00Z: on an hour, so 5-minute readings and hours line up as in the sweep. */
export const B0 = Date.UTC(2026, 10, 3, 0, 0, 0);
const DAY = 86_400_000;

export function sloWith(rules: readonly BurnRule[], objective: number): Slo {
  return { objective, windowMs: 30 * DAY, sli: 'availability', countPartial: false, burnRates: [...rules] };
}

/** A minute as the sweep would account it: one sample per location, failing everywhere when down. */
export function minute(start: number, cls: MinuteClass): MinuteRecord {
  const n = cls === 'maintenance' ? 0 : LOCATIONS.length;
  const ok = cls === 'up' ? n : 0;
  return {
    start, class: cls, failing: cls === 'down' ? [...LOCATIONS] : [], samples: n, ok, fast: ok,
    buckets: [n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], latencySumMs: 40 * n,
  };
}

export interface Reading {
  at: number;
  readings: BurnRuleReading[];
  sent: Notification[];
}

export class BurnTrajectory {
  readonly book = new RollupBook();
  readonly policy: PolicyInput;
  state: CheckState | undefined;
  /** Epoch ms: the start of the next minute to account. */
  clock = B0;
  readonly sent: Notification[] = [];
  readonly suppressed: Notification[] = [];
  readonly readings: Reading[] = [];
  mutes: Mute[] = [];

  constructor(slo: Slo, over: Partial<PolicyInput> = {}) {
    this.policy = policy({ slo, ...over });
  }

  /** Minutes since B0. */
  get minutes(): number {
    return (this.clock - B0) / MIN;
  }

  /** Accounts `count` minutes of `cls` (or of what `cls` says for each minute since B0), reading the rules on every boundary. */
  run(count: number, cls: MinuteClass | ((minutesSinceB0: number) => MinuteClass)): Notification[] {
    const before = this.sent.length;
    for (let i = 0; i < count; i++) {
      const c = typeof cls === 'function' ? cls(this.minutes) : cls;
      this.book.add(this.policy.checkId, minute(this.clock, c));
      this.clock += MIN;
      if (isBurnReadingDue(this.clock)) this.read(this.clock);
    }
    return this.sent.slice(before);
  }

  read(now: number): Reading {
    const slo = this.policy.slo!;
    const readings = burnReadings(this.book.hours(this.policy.checkId, now - 8 * DAY, now), now, slo);
    // Heartbeats from every location: the check's own staleness is not what these tests are about.
    const lastSeen = Object.fromEntries(LOCATIONS.map((l) => [l, now]));
    const ev = evaluate(this.state, [], this.policy, now, { lastSeen, mutes: this.mutes, burn: { at: now, readings } });
    this.state = ev.state;
    const sent = ev.notifications.filter((n) => n.event === 'BUDGET_BURN');
    this.sent.push(...sent);
    this.suppressed.push(...ev.suppressed.map((s) => s.notification).filter((n) => n.event === 'BUDGET_BURN'));
    const reading = { at: now, readings, sent };
    this.readings.push(reading);
    return reading;
  }
}

/**
 * The alert policy's contract: what the evaluator reads (results, the previous state, the policy) and
 * what it decides (the next state and notifications). Semantics: ../shared/design.md "Evaluation
 * semantics"; the decisions this module adds are listed in shared/evaluate/README.md.
 *
 * The implementation is `evaluate` in ./evaluate.ts; import everything from ./index.ts.
 */
import type { AlertPolicy, MaintenanceWindow } from '../config/schema.ts';
import type { Slo } from '../config/slo.ts';
import type { NotificationEvent, Severity } from '../events.ts';
import type { BurnObservation } from './slo/burn.ts';

export type ResultStatus = 'up' | 'degraded' | 'down';

/** One probe result, as the evaluator sees it. */
export interface ResultRecord {
  checkId: string;
  location: string;
  /** Epoch ms: the probe's startedAt. Per location, results are applied only in increasing ts. */
  ts: number;
  ok: boolean;
  /** `degraded` with `ok` means passing but slow (the probe applied `degradedAfter`). */
  status: ResultStatus;
  failure?: { reason: string; message: string };
  /** phases.total */
  latencyMs?: number;
  phases?: Record<string, number>;
  /** What was probed, for people (URL or host:port, never with credentials). */
  target?: string;
  /** Epoch ms: the earliest notAfter among the certificates the server presented (ProbeResult `tls.certExpiresAt`); absent without TLS. */
  certExpiresAt?: number;
  /** Present on a recheck or confirmation (ProbeResult `trigger`): evidence for the policy, not an SLO sample. Absent on a scheduled run. */
  trigger?: 'recheck' | 'confirm';
}

/**
 * What the evaluator remembers about one location of one check.
 *
 * A location is *at rest* when it is up and every counter is zero: `!failing`, `consecutiveFailures`
 * 0, `consecutiveSuccesses` 0, `!degraded`, `degradedStreak` 0, no `silentAfter`. At rest, `lastTs`,
 * `lastLatencyMs` and `lastPhases` are *volatile*: a success on a resting location advances them in
 * memory but does not make the state `changed`, so steady state writes nothing and the stored values
 * may lag behind the newest result. That is safe because every result that moves a location away
 * from rest is persisted (so its ts is remembered and a replay of it is dropped), and a replayed
 * success on a resting location changes nothing anyway. While an incident is open, a lastTs newer
 * than its `knownAt` is written, since a held resolution is released on it. It is also why staleness needs
 * `Observations.lastSeen` from the heartbeats when the state comes from the store.
 */
export interface LocationState {
  /** The newest applied result's ts (0: none yet). A result with ts <= lastTs is a duplicate or out of order and is dropped. Volatile at rest. */
  lastTs: number;
  /** Failed results in a row ending at lastTs; 0 after any success. */
  consecutiveFailures: number;
  /** Recovery progress: successes in a row ending at lastTs while `failing`; always 0 when not failing, and < recoveryThreshold. */
  consecutiveSuccesses: number;
  /** Present iff consecutiveSuccesses > 0: ts of the first success of the recovery run. A resolution is held until every live location has reported at or after the latest such point (see Incident.ended). */
  recoveringSince?: number;
  /** Crossed failureThreshold (or `for`) and has not since had recoveryThreshold successes in a row. */
  failing: boolean;
  /** Present iff failing: ts of the result that crossed the threshold. */
  failingSince?: number;
  /** Present iff failing or consecutiveFailures > 0: ts of the first failed result of the current run (a run while failing spans successes short of recovery). */
  firstFailureTs?: number;
  /** Present iff firstFailureTs is: the newest failure's reason and message. */
  lastFailure?: { reason: string; message: string };
  /** The newest result's total latency. Volatile at rest. */
  lastLatencyMs?: number;
  /** The newest result's phases. Volatile at rest. */
  lastPhases?: Record<string, number>;
  /**
   * Present iff `alerting.window` is set and a failure is among the last `window` runs: a bit per run,
   * the newest in bit 0, 1 for a failed run. Cleared when the location recovers. With it, the failure
   * run (firstFailureTs, lastFailure) lasts until no failure is left in the window, so firstFailureTs
   * is the first failure since the window was last clean.
   */
  recent?: number;
  /** Passing but slow: set after failureThreshold slow passing runs in a row, cleared after recoveryThreshold fast ones. Absent means false. */
  degraded?: boolean;
  /** Results in a row that disagree with `degraded` (slow ones while not degraded, fast ones while degraded); a failure resets it. Absent means 0; always below the threshold that would flip `degraded`. */
  degradedStreak?: number;
  /**
   * Present iff LOCATION_SILENT was sent for the current silence: the newest evidence of life (result,
   * heartbeat or state creation) at that time. Cleared by newer evidence. A stale location still
   * counts as it last reported (failing stays failing, slow stays slow; only a result changes that),
   * and it is not waited for when a resolution is held.
   */
  silentAfter?: number;
  /** Present iff the LOCATION_SILENT of the current silence was decided while the check was muted (maintenance, silence); it is sent once the mute ends, if the location is still silent. */
  silentUnsent?: true;
}

export type Overall = 'UP' | 'DOWN' | 'PARTIAL' | 'DEGRADED';

export type { NotificationEvent } from '../events.ts';

/**
 * An episode in which the check is not UP. It opens when the check leaves UP (to PARTIAL, DEGRADED or
 * DOWN) and closes when it is UP again and the resolution is no longer held (see `ended`), with one
 * RESOLVED if it notified anyone.
 */
export interface Incident {
  /** `${checkId}:${ISO startedAt}`: derived from the results and their delivery, so a replay of the same deliveries gives the same id. */
  id: string;
  /** Epoch ms: the earliest first-failure ts of the failing locations when it opened (the opening time for a slow-only incident); always after the previous incident's end. */
  startedAt: number;
  /** Epoch ms: when the check entered its current overall state (PARTIAL is notified once it has held for an interval). */
  overallSince: number;
  /** Every location that has been failing during the incident, in the order they joined. */
  locations: string[];
  /** The failure reason of the location that failed first. */
  firstReason?: string;
  /** How many of each event this incident has sent; DEGRADED, PARTIAL, DOWN and RESOLVED at most once (and the first three only escalating), REMINDER any number. The count numbers the dedupe keys. */
  sent: Partial<Record<NotificationEvent, number>>;
  /**
   * Epoch ms: when it opened, the newest of the opening tick, every location's lastTs and every
   * heartbeat (Observations.lastSeen), so no earlier than any result applied before it. A resting
   * location's `lastTs` up to it may lag in the stored state and is never used to release a held
   * resolution; beyond it, lastTs is written (see persistence.ts). Absent in incidents stored before
   * it existed: no horizon.
   */
  knownAt?: number;
  /**
   * Per location, epoch ms: when the incident opened, that location's newest lastTs or heartbeat. The
   * horizon of each location on its own, which replaces `knownAt` where present: a horizon taken from
   * the fastest location would make a lagging one wait for a result past the others' clock, and hold a
   * resolution into the next outage. Absent in incidents stored before it existed.
   */
  knownAtBy?: Record<string, number>;
  /**
   * Per location, its latest failing spell that ended during this incident, in event time (result
   * ts): failing from `since` (the crossing result) until `until` (the result that completed
   * recovery), recovering from `recoveringFrom`. Absent or without a location when none ended. It lets
   * a spell that arrives late count toward the quorum at the event time it overlapped, and it sets
   * the hold point: while the check is UP by what is known, the incident stays open (overall keeps
   * its last non-UP value) until every live location has reported at or after the latest
   * `recoveringFrom`, so a lagging location's failure cannot arrive after the RESOLVED.
   */
  ended?: Record<string, FailingSpell>;
  /** Epoch ms: when its DOWN was sent; `alerting.escalate` delays count from it. */
  downAt?: number;
  /** Set when a mute (maintenance window, silence) covered the check after the DOWN: no further ESCALATION for this incident. */
  escalationStopped?: true;
  /** Set once its first notification counted as a change for flap detection (sent, or held back by flapping). */
  flapCounted?: true;
}

/** One location's failing spell in event time; see Incident.ended. */
export interface FailingSpell {
  since: number;
  recoveringFrom: number;
  until: number;
}

export interface NotificationLocation {
  location: string;
  failing: boolean;
  /** Why it failed most recently (present while failing or with a failure run pending). */
  reason?: string;
  message?: string;
  /** Epoch ms: first failure of the current run. */
  since?: number;
  /** Present only for locations away from rest (failing, pending, slow), where it is never stale. */
  latencyMs?: number;
  phases?: Record<string, number>;
  /** Passing but slow. */
  degraded?: boolean;
  /** Stale: no evidence for 3 × interval; still counted as it last reported. */
  silent?: boolean;
}

export interface Notification {
  event: NotificationEvent;
  checkId: string;
  /** Epoch ms: the evaluation clock when it was decided (the result's ts that caused it, or `now`). */
  at: number;
  /** The check's incident; for LOCATION_SILENT `${checkId}:${location}:silent:${ISO lastSeen}`; for CERT_EXPIRING `${checkId}:cert:${ISO certExpiresAt}`; for BUDGET_BURN `${checkId}:burn:${rule}:${ISO episode start}`. */
  incidentId: string;
  /** `${incidentId}:${event}:${n}`: identical for a repeat of the same decision, so downstreams can drop repeats. */
  dedupeKey: string;
  severity: Severity;
  /** Every location of the check with what is known about it; for LOCATION_SILENT only the silent one, for CERT_EXPIRING only the one whose result presented the certificate. */
  locations: NotificationLocation[];
  /** The incident's startedAt (absent for LOCATION_SILENT and CERT_EXPIRING). */
  since?: number;
  /** RESOLVED: the outage length in event time, from the first failed run to the run that confirmed the last location's recovery (however late either arrived). */
  durationMs?: number;
  /** CERT_EXPIRING: epoch ms, the earliest notAfter of the chain the server presented. */
  certExpiresAt?: number;
  /** CERT_EXPIRING: whole days from `at` to certExpiresAt (negative once expired), as the probe counts them. */
  certDaysLeft?: number;
  /** ESCALATION: the level sent, 1 for the first entry of `alerting.escalate`. `channels` are that level's. */
  level?: number;
  /** BUDGET_BURN (and only it): the rule that fired and the readings that made it fire; see BurnFacts. */
  burn?: BurnFacts;
  overall: Overall;
  previous: Overall;
  channels: string[];
}

/** What a BUDGET_BURN says: its rule, both windows' burn rates when it fired, and the budget left. */
export interface BurnFacts {
  /** The rule's name (`page-1h`); it names the episode's incident id. */
  rule: string;
  severity: 'page' | 'ticket';
  factor: number;
  longWindowMs: number;
  shortWindowMs: number;
  /** Burn rates (multiples of the rate that spends exactly the budget over the SLO window), both ≥ factor. */
  longRate: number;
  shortRate: number;
  /** The SLO's objective, percent. */
  objective: number;
  /** Fraction of the SLO window's error budget left (negative once overspent); absent when the caller did not read the whole window. */
  budgetRemaining?: number;
}

/** The burn-rate rules' episodes (shared/evaluate/budget.ts). */
export interface BudgetState {
  /** Rule name → epoch ms when its current episode began (the reading that first said firing). Only rules whose latest reading fired. */
  firing: Record<string, number>;
  /** Present iff non-empty: rules of `firing` whose BUDGET_BURN was decided while muted and is not yet sent; sent, with the episode's own key, by the first reading after the mute that still fires. */
  unsent?: string[];
}

export interface CheckState {
  schemaVersion: 1;
  checkId: string;
  /**
   * The conditional-write guard, owned by the store: `evaluate` never changes it. The store writes
   * with the condition "version = the version it read" (attribute_not_exists when 0) and stores
   * version + 1. 0 means never written.
   */
  version: number;
  /** Epoch ms of the first result ever applied; silence of a location that never reported is measured from here. Never changes. */
  since: number;
  /** The check's state at the end of the last evaluation; while a resolution is held (see Incident.ended), the last state before UP. UP iff `incident` is absent. */
  overall: Overall;
  locations: Record<string, LocationState>;
  /** Present iff overall is not UP. */
  incident?: Incident;
  /** Present iff the open incident has sent DOWN: when DOWN or the newest REMINDER was sent. */
  lastReminderAt?: number;
  /** Epoch ms: the end of the newest resolved incident (its last recovery result's ts, or the `at` of its RESOLVED if nothing failed); a new incident starts after it. */
  lastResolvedAt?: number;
  /**
   * Present iff a CERT_EXPIRING was ever sent: the latest certificate expiry (epoch ms) warned about.
   * Only grows; a certificate warns only when its expiry is later, so none warns twice.
   */
  certWarnedExpiry?: number;
  /**
   * Present iff a maintenance window or a silence covered the last evaluation: the check shows
   * MAINTENANCE (status, live view, dashboard) and nothing is sent for it. When several cover it, the
   * one that ends last.
   */
  mute?: Mute;
  /** Present iff `alerting.flapping` is set and the check has changed state within its span; see FlapState. */
  flap?: FlapState;
  /** Present iff some burn-rate rule is firing (its latest reading burned in both windows); see BudgetState. */
  budget?: BudgetState;
  /** Decided but not yet published; cleared (clearPublished) only after publishing succeeds. Publish it whenever it is non-empty, even when `changed` is false. */
  outbox: Notification[];
}

/** Flap detection (alerting.flapping): the recent changes of `overall`, and the FLAPPING episode if one is on. */
export interface FlapState {
  /** Epoch ms of the check's latest changes of overall state, oldest first, none older than `within` before the newest (at most `changes` kept). */
  changes: number[];
  /** Present iff the check is FLAPPING: when it started (the FLAPPING notification's `at`). The episode's incident id is `${checkId}:flapping:${ISO since}`. */
  since?: number;
}

/** The alert policy of one check, with every default applied. */
export interface PolicyInput extends AlertPolicy {
  locations: string[];
  checkId: string;
  /** The config's maintenance windows that apply to this check (policyFor scopes them). @default none */
  maintenance?: readonly MaintenanceWindow[];
  /** The check's SLO (its own or defaults.slo): what its minutes are measured against (./slo/). @default none */
  slo?: Slo;
}

/**
 * A span in which nothing is sent for a check: one occurrence of a maintenance window, or a silence.
 * Results are still recorded and counted. `end` is exclusive; a silence expired early ends when it
 * was expired.
 */
export interface Mute {
  kind: 'maintenance' | 'silence';
  /** The window's name, or the silence's id. */
  name: string;
  /** Epoch ms. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
}

/** Why a decided notification was not sent. */
export interface Suppression {
  kind: Mute['kind'] | 'flapping';
  /** The window's name, the silence's id, or the FLAPPING episode's incident id. */
  name: string;
  /** Epoch ms: when the mute ends, as known at the decision (flapping: unknown, absent). */
  until?: number;
}

/** Evidence from outside the results. */
export interface Observations {
  /**
   * Per location, the newest heartbeat (epoch ms). The stream handler must pass these: the stored
   * lastTs of a resting location lags (see LocationState), so without heartbeats a healthy location
   * would look silent. Callers that keep the state in memory (replay, local pipeline) may omit it.
   */
  lastSeen?: Readonly<Record<string, number>>;
  /**
   * The silences that apply to this check (shared/usecases/silences.ts matches them), as mutes. Only
   * the ones that may matter need passing: those not ended before the state's last evaluation. Maintenance
   * windows come with the policy instead.
   */
  mutes?: readonly Mute[];
  /**
   * The check's burn-rate readings (shared/evaluate/slo/burn.ts), taken every BURN_EVERY_MS by the
   * sweep (and replay) for a check with an `slo`. Absent: nothing is decided about burn rates (a rule
   * that was firing is not taken to have stopped).
   */
  burn?: BurnObservation;
}

export interface Evaluation {
  state: CheckState;
  /** Decided in this call; also appended to state.outbox. */
  notifications: Notification[];
  /** False when nothing needs writing (steady state, duplicates, replays). */
  changed: boolean;
  /** Decided in this call but not sent, with why (a maintenance window, a silence, flapping); `vantage replay --explain` prints them. Not stored. */
  suppressed: Array<{ notification: Notification; by: Suppression }>;
}

/**
 * `evaluate(state, results, policy, now, observations?)`: pure. Results may come in any order and
 * with duplicates; they are applied in ts order. Call it with no results on a schedule to notice
 * silence and due reminders when nothing arrives.
 */
export type Evaluate = (
  state: CheckState | undefined,
  results: readonly ResultRecord[],
  policy: PolicyInput,
  now: number,
  observations?: Observations,
) => Evaluation;

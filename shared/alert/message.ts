/**
 * Builds the SNS message for one notification: a subject, readable text for `default` and `email`,
 * and a versioned JSON payload for `https`, `sqs` and `lambda`, sent with `MessageStructure: 'json'`
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-send-custom-platform-specific-payloads-mobile-devices.html).
 * Pure: the same notification and check always give the same message.
 *
 * Only the check's id, name, kind and a cleaned target are read from the check. Request headers,
 * bodies and TLS keys never reach a message.
 */
import type { ChannelConfig, Check } from '../config/schema.ts';
import type { BurnFacts, Overall } from '../evaluate/index.ts';
import { SEVERITY, type AlertEvent, type NotificationEvent, type Severity } from '../events.ts';
import type { FailureReason, Phases } from '../probe/types.ts';
import { clip, describeTarget, fitSubject, formatDuration, formatPercent, formatRate } from './text.ts';

export type { AlertEvent, Severity };

export const PAYLOAD_SCHEMA_VERSION = 1;

/** One location named in an alert: why it is failing (or slow, or silent) and what its last run saw. */
export interface AlertLocation {
  location: string;
  reason?: FailureReason | string;
  message?: string;
  phases?: Phases;
  /** When this location started failing, ms since the epoch. */
  since?: number;
  /** Its newest result, ms since the epoch. */
  lastResultAt?: number;
}

/** What the evaluator decided, in the terms an alert needs. */
export interface AlertFacts {
  event: NotificationEvent;
  checkId: string;
  incidentId: string;
  dedupeKey: string;
  /** When the evaluator decided, ms since the epoch. */
  at: number;
  /** When the condition began (the outage start for DOWN, REMINDER and RESOLVED), ms. */
  since?: number;
  /** RESOLVED: how long the outage lasted. */
  durationMs?: number;
  /** The locations the event is about: failing for DOWN/PARTIAL/REMINDER, slow, silent, … */
  locations: AlertLocation[];
  /** How many locations the check runs from. */
  locationCount: number;
  /** CERT_EXPIRING: days left on the earliest certificate. */
  certDaysLeft?: number;
  /** CERT_EXPIRING: the earliest notAfter among the presented certificates, ms. */
  certExpiresAt?: number;
  /** As the evaluator decided it. @default by event, see SEVERITY */
  severity?: Severity;
  /** ESCALATION: the level sent, 1 for the first entry of `alerting.escalate`. */
  level?: number;
  /**
   * ESCALATION: that level's channels, as the evaluator decided them. An escalation goes to these
   * (each still filtered by its `events`) and never to the check's own, which already had the DOWN.
   */
  channels?: string[];
  /** FLAPPING: the rule that tripped (`alerting.flapping`), when the check still has it. */
  flapping?: { changes: number; withinMs: number };
  /** FLAPPING: the check's state when flapping was decided. */
  overall?: Overall;
  /** BUDGET_BURN: the rule that fired, both rates, the objective and the budget left. */
  burn?: BurnFacts;
}

export { SEVERITY };

/** The JSON subscribers (webhooks, queues, functions) parse. Fields are only ever added within a schemaVersion. */
export interface AlertPayload {
  schemaVersion: typeof PAYLOAD_SCHEMA_VERSION;
  event: NotificationEvent;
  severity: Severity;
  checkId: string;
  checkName: string;
  kind: Check['kind'];
  target: string;
  incidentId: string;
  dedupeKey: string;
  at: string;
  since?: string;
  durationMs?: number;
  locations: Array<{ location: string; reason?: string; message?: string; phases?: Phases; since?: string; lastResultAt?: string }>;
  locationCount: number;
  certDaysLeft?: number;
  certExpiresAt?: string;
  channels: string[];
  /** ESCALATION: the level sent, 1-based. Added within schemaVersion 1. */
  level?: number;
  /** FLAPPING: `changes` state changes within `withinMs` tripped it. Added within schemaVersion 1. */
  flapping?: { changes: number; withinMs: number };
  /** FLAPPING: the check's state when flapping was decided. Added within schemaVersion 1. */
  overall?: Overall;
  /**
   * BUDGET_BURN: the rule (`page-1h`), its severity and factor, its windows (ms), both windows' burn
   * rates, the objective (percent) and the budget left (fraction of the SLO window's, when known).
   * Added within schemaVersion 1.
   */
  burn?: BurnFacts;
}

export interface SnsMessageAttribute {
  DataType: 'String' | 'String.Array';
  StringValue: string;
}

/** Everything PublishCommand needs apart from the topic: what a Publisher sends, to the alert topic or the ops topic. */
export interface SnsAlert {
  subject: string;
  /** The MessageStructure=json document: `{default, email, https, sqs, lambda}`, each a string. */
  message: string;
  messageAttributes: { event: SnsMessageAttribute; severity: SnsMessageAttribute } & Record<string, SnsMessageAttribute>;
  text: string;
}

/** A check's alert, for the alert topic. */
export interface AlertMessage extends SnsAlert {
  messageAttributes: {
    checkId: SnsMessageAttribute;
    event: SnsMessageAttribute;
    severity: SnsMessageAttribute;
    channels: SnsMessageAttribute;
  };
  payload: AlertPayload;
}

const severityOf = (facts: AlertFacts) => facts.severity ?? SEVERITY[facts.event];

const iso = (ms: number) => new Date(ms).toISOString();

function nameOf(check: Check): string {
  return check.name?.trim() || check.id;
}

function failingCount(facts: AlertFacts): string {
  return `${facts.locations.length}/${facts.locationCount} location${facts.locationCount === 1 ? '' : 's'}`;
}

/** Whole days as the probe counts them: 0 is under a day left, negative is past expiry (seen with verification off). */
function certWhen(days: number): string {
  if (days < 0) return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
  if (days === 0) return 'expires within a day';
  return `expires in ${days} day${days === 1 ? '' : 's'}`;
}

function levelWords(facts: AlertFacts): string {
  return facts.level !== undefined ? `level ${facts.level}` : 'escalated';
}

function downFor(facts: AlertFacts): string {
  return facts.since !== undefined ? `DOWN for ${formatDuration(facts.at - facts.since)}` : 'still DOWN';
}

/** `burning 16.0× over 1h and 48.0× over 5m`. */
export function burnWords(b: BurnFacts, ascii = false): string {
  return `burning ${formatRate(b.longRate, ascii)} over ${formatDuration(b.longWindowMs)} and ${formatRate(b.shortRate, ascii)} over ${formatDuration(b.shortWindowMs)}`;
}

/** `62.5% of the error budget left`, or that it is spent. */
export function budgetWords(b: BurnFacts): string | undefined {
  if (b.budgetRemaining === undefined) return undefined;
  return b.budgetRemaining > 0 ? `${formatPercent(b.budgetRemaining)} of the error budget left` : `error budget spent (${formatPercent(b.budgetRemaining)} left)`;
}

/** `page-1h: page at 14.4× over both 1h and 5m`. */
export function ruleWords(b: BurnFacts): string {
  return `${b.rule}: ${b.severity} at ${formatRate(b.factor)} over both ${formatDuration(b.longWindowMs)} and ${formatDuration(b.shortWindowMs)}`;
}

function flapWords(f: { changes: number; withinMs: number }): string {
  return `${f.changes} state changes within ${formatDuration(f.withinMs)}`;
}

export function buildSubject(facts: AlertFacts, check: Check): string {
  const prefix = `[${facts.event}] `;
  const name = nameOf(check);
  switch (facts.event) {
    case 'DOWN':
    case 'PARTIAL':
      return fitSubject(prefix, name, `: ${failingCount(facts)} failing`);
    case 'REMINDER':
      return fitSubject(prefix, name, `: still down${facts.since !== undefined ? ` after ${formatDuration(facts.at - facts.since)}` : ''}`);
    case 'RESOLVED':
      return fitSubject(prefix, name, facts.durationMs !== undefined ? `: up again after ${formatDuration(facts.durationMs)}` : ': up again');
    case 'DEGRADED':
      return fitSubject(prefix, name, `: slow from ${failingCount(facts)}`);
    case 'CERT_EXPIRING':
      return fitSubject(prefix, name, facts.certDaysLeft !== undefined ? `: certificate ${certWhen(facts.certDaysLeft)}` : ': certificate expiring');
    case 'LOCATION_SILENT':
      return fitSubject(prefix, name, `: ${failingCount(facts)} silent`);
    case 'ESCALATION':
      return fitSubject(prefix, name, `: ${levelWords(facts)}, ${downFor(facts)}`);
    case 'FLAPPING':
      return fitSubject(prefix, name, facts.flapping ? `: ${flapWords(facts.flapping)}` : ': changing state too often');
    case 'BUDGET_BURN':
      return fitSubject(prefix, name, facts.burn ? `: ${burnWords(facts.burn, true)}` : ': error budget burning');
  }
}

const STATE_LINE: Record<NotificationEvent, (f: AlertFacts) => string> = {
  DOWN: (f) => `DOWN, ${f.locations.length} of ${f.locationCount} locations failing`,
  REMINDER: (f) => `still DOWN, ${f.locations.length} of ${f.locationCount} locations failing`,
  PARTIAL: (f) => `PARTIAL, ${f.locations.length} of ${f.locationCount} locations failing (below the quorum for DOWN)`,
  DEGRADED: (f) => `DEGRADED, slow but passing from ${f.locations.length} of ${f.locationCount} locations`,
  RESOLVED: () => 'UP',
  CERT_EXPIRING: (f) => (f.certDaysLeft !== undefined ? `certificate ${certWhen(f.certDaysLeft)}` : 'certificate expiring'),
  LOCATION_SILENT: (f) => `${f.locations.length} of ${f.locationCount} locations sent no results`,
  ESCALATION: (f) => `still DOWN, ${f.locations.length} of ${f.locationCount} locations failing`,
  FLAPPING: (f) => `FLAPPING${f.overall ? ` (now ${f.overall})` : ''}, ${f.locations.length} of ${f.locationCount} locations failing`,
  BUDGET_BURN: (f) => `error budget ${f.burn ? burnWords(f.burn) : 'burning'}`,
};

export function phasesLine(p: Phases): string {
  const order = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;
  return order.filter((k) => p[k] !== undefined).map((k) => `${k} ${Math.round(p[k]!)}ms`).join(', ');
}

export const LOCATIONS_HEADING: Record<NotificationEvent, string> = {
  DOWN: 'Failing locations',
  REMINDER: 'Failing locations',
  PARTIAL: 'Failing locations',
  DEGRADED: 'Slow locations',
  RESOLVED: 'Locations that were failing',
  CERT_EXPIRING: 'Seen from',
  LOCATION_SILENT: 'Silent locations',
  ESCALATION: 'Failing locations',
  FLAPPING: 'Failing locations now',
  BUDGET_BURN: 'Failing locations now',
};

/** What an event's extra lines say beyond the state: who else an ESCALATION reaches, what FLAPPING means and what it holds back. */
function eventLines(facts: AlertFacts, check: Check): string[] {
  if (facts.event === 'ESCALATION') {
    const levels = check.alerting.escalate;
    const step = facts.level !== undefined ? levels?.[facts.level - 1] : undefined;
    // A level the config no longer has (an outbox written before a change) is named without the rest.
    const of = step && levels ? ` of ${levels.length}` : '';
    const after = step ? `, ${formatDuration(step.afterMs)} after the DOWN and still unresolved` : '';
    return [`Escalated: ${levelWords(facts)}${of}, to ${facts.channels?.join(', ') || '(no channel)'}${after}`];
  }
  if (facts.event === 'FLAPPING') {
    const rule = facts.flapping ? flapWords(facts.flapping) : 'too many state changes';
    const within = facts.flapping ? formatDuration(facts.flapping.withinMs) : 'the flapping span';
    return [
      `Flapping: its overall state (UP, DEGRADED, PARTIAL, DOWN) changed back and forth, ${rule}, so each change says little.`,
      `Notifications for this check are held until it is stable for ${within}; then one notification says its real state.`,
    ];
  }
  if (facts.event === 'BUDGET_BURN' && facts.burn) return burnLines(facts.burn, check);
  return [];
}

/**
 * What a burn rate means for this check: the rule, the budget left, and how long the whole budget
 * lasts at the long window's rate (the SRE workbook's reading of a burn rate: 14.4× spends a 30-day
 * budget in about 2 days).
 */
function burnLines(b: BurnFacts, check: Check): string[] {
  const windowMs = check.slo?.windowMs;
  const budget = budgetWords(b);
  const lines = [`Rule:    ${ruleWords(b)}`, `Budget:  ${budget ? `${budget}, ` : ''}objective ${b.objective}%`];
  if (windowMs !== undefined && b.longRate > 0) {
    const window = formatDuration(windowMs);
    lines.push(`At ${formatRate(b.longRate)} the ${window} error budget lasts ${formatDuration(windowMs / b.longRate)}; the last ${formatDuration(b.longWindowMs)} spent ${formatPercent((b.longRate * b.longWindowMs) / windowMs)} of it.`);
  }
  return lines;
}

function titleOf(facts: AlertFacts, check: Check): string {
  const name = `${nameOf(check)}${check.name && check.name !== check.id ? ` (${check.id})` : ''}`;
  return facts.event === 'ESCALATION' ? `ESCALATION ${levelWords(facts)}: ${name} is ${downFor(facts)}` : `${facts.event}: ${name}`;
}

export function buildText(facts: AlertFacts, check: Check): string {
  const lines = [
    titleOf(facts, check),
    '',
    `Check:   ${check.id} (${check.kind})`,
    `Target:  ${describeTarget(check)}`,
    `State:   ${STATE_LINE[facts.event](facts)}`,
    ...eventLines(facts, check),
  ];
  if (facts.event === 'RESOLVED') {
    if (facts.since !== undefined) lines.push(`Outage:  ${iso(facts.since)} to ${iso(facts.at)}`);
    if (facts.durationMs !== undefined) lines.push(`Lasted:  ${formatDuration(facts.durationMs)}`);
  } else if (facts.since !== undefined) {
    lines.push(`Since:   ${iso(facts.since)} (for ${formatDuration(facts.at - facts.since)})`);
  }
  if (facts.certExpiresAt !== undefined) lines.push(`Expires: ${iso(facts.certExpiresAt)}`);
  lines.push(`At:      ${iso(facts.at)}`);
  if (facts.locations.length > 0) {
    lines.push('', `${LOCATIONS_HEADING[facts.event]}:`);
    for (const loc of facts.locations) {
      const why = [loc.reason, loc.message && clip(loc.message)].filter(Boolean).join(': ');
      const since = loc.since !== undefined ? ` (since ${iso(loc.since)})` : '';
      lines.push(`  - ${loc.location}${why ? `: ${why}` : ''}${since}`);
      if (loc.phases) lines.push(`      phases: ${phasesLine(loc.phases)}`);
    }
  }
  lines.push('', `Incident: ${facts.incidentId}`);
  return lines.join('\n');
}

/** A channel hears an event unless it lists `events` without it. Unknown names are left out. */
export function channelsFor(event: NotificationEvent, names: readonly string[], channels: Readonly<Record<string, ChannelConfig>>): string[] {
  return names.filter((name) => {
    const channel = Object.hasOwn(channels, name) ? channels[name] : undefined;
    return channel !== undefined && (channel.events === undefined || channel.events.includes(event));
  });
}

export function buildPayload(facts: AlertFacts, check: Check, channels: string[]): AlertPayload {
  return {
    schemaVersion: PAYLOAD_SCHEMA_VERSION,
    event: facts.event,
    severity: severityOf(facts),
    checkId: check.id,
    checkName: nameOf(check),
    kind: check.kind,
    target: describeTarget(check),
    incidentId: facts.incidentId,
    dedupeKey: facts.dedupeKey,
    at: iso(facts.at),
    ...(facts.since !== undefined && { since: iso(facts.since) }),
    ...(facts.durationMs !== undefined && { durationMs: facts.durationMs }),
    locations: facts.locations.map((l) => ({
      location: l.location,
      ...(l.reason !== undefined && { reason: l.reason }),
      ...(l.message !== undefined && { message: clip(l.message) }),
      ...(l.phases !== undefined && { phases: l.phases }),
      ...(l.since !== undefined && { since: iso(l.since) }),
      ...(l.lastResultAt !== undefined && { lastResultAt: iso(l.lastResultAt) }),
    })),
    locationCount: facts.locationCount,
    ...(facts.certDaysLeft !== undefined && { certDaysLeft: facts.certDaysLeft }),
    ...(facts.certExpiresAt !== undefined && { certExpiresAt: iso(facts.certExpiresAt) }),
    channels,
    ...(facts.level !== undefined && { level: facts.level }),
    ...(facts.flapping !== undefined && { flapping: { ...facts.flapping } }),
    ...(facts.overall !== undefined && { overall: facts.overall }),
    ...(facts.burn !== undefined && { burn: { ...facts.burn } }),
  };
}

/**
 * The channel names an alert is for, before each channel's `events` filter: an ESCALATION's are its
 * level's (on the facts), every other event's the check's own.
 */
export function routedNames(facts: AlertFacts, check: Check): readonly string[] {
  return facts.event === 'ESCALATION' ? facts.channels ?? [] : check.alerting.channels;
}

export function buildAlertMessage(facts: AlertFacts, check: Check, channels: Readonly<Record<string, ChannelConfig>>): AlertMessage {
  const routed = channelsFor(facts.event, routedNames(facts, check), channels);
  const text = buildText(facts, check);
  const payload = buildPayload(facts, check, routed);
  const json = JSON.stringify(payload);
  return {
    subject: buildSubject(facts, check),
    message: JSON.stringify({ default: text, email: text, https: json, sqs: json, lambda: json }),
    messageAttributes: {
      checkId: { DataType: 'String', StringValue: check.id },
      event: { DataType: 'String', StringValue: facts.event },
      severity: { DataType: 'String', StringValue: severityOf(facts) },
      // Subscriptions filter on this: {"channels": ["oncall"]} matches when any element does.
      channels: { DataType: 'String.Array', StringValue: JSON.stringify(routed) },
    },
    payload,
    text,
  };
}

// ---- ops alerts: about Vantage itself, for the ops topic -----------------------------------------

/** One instance of a private location stopped writing its heartbeat (the other instances may still probe). */
export interface InstanceSilentFacts {
  event: 'INSTANCE_SILENT';
  location: string;
  instance: string;
  /** How many instances the location runs. */
  instanceCount: number;
  /** The instance's newest heartbeat, ms; absent when it never wrote one (silence is then measured from `noticedAt`). */
  lastSeen?: number;
  /** When the sweep first found no heartbeat of it at all, ms; present iff `lastSeen` is absent. */
  noticedAt?: number;
  /** When the sweep decided, ms. */
  at: number;
  /** `<location>:<instance>:silent:<ISO lastSeen or noticedAt>:INSTANCE_SILENT:1`: the same for every repeat of one silence. */
  dedupeKey: string;
  /** Present iff the location is an agent location: its instances come and go (`host-123`), so the count of `instanceCount` expected still live says more than the id. */
  agent?: { live: number };
}

export interface InstanceSilentPayload {
  schemaVersion: typeof PAYLOAD_SCHEMA_VERSION;
  event: 'INSTANCE_SILENT';
  severity: Severity;
  location: string;
  instance: string;
  instanceCount: number;
  lastSeen?: string;
  noticedAt?: string;
  at: string;
  dedupeKey: string;
  agent?: { live: number };
}

export interface OpsAlertMessage extends SnsAlert {
  messageAttributes: { event: SnsMessageAttribute; severity: SnsMessageAttribute; location: SnsMessageAttribute };
  payload: InstanceSilentPayload;
}

function instanceSilentText(f: InstanceSilentFacts): string {
  const since = f.lastSeen ?? f.noticedAt ?? f.at;
  return [
    `INSTANCE_SILENT: ${f.location} ${f.agent ? 'agent ' : ''}instance ${f.instance}`,
    '',
    f.agent
      ? `Location: ${f.location} (agent location: ${f.agent.live} of ${f.instanceCount} expected instance${f.instanceCount === 1 ? '' : 's'} live)`
      : `Location: ${f.location} (${f.instanceCount} instance${f.instanceCount === 1 ? '' : 's'})`,
    `Instance: ${f.instance}`,
    f.lastSeen !== undefined ? `Last seen: ${iso(f.lastSeen)} (silent for ${formatDuration(f.at - since)})` : `Never seen: no heartbeat since ${iso(since)} (${formatDuration(f.at - since)})`,
    `At:      ${iso(f.at)}`,
    '',
    // Why it is a warning and not a page: the location's checks still run on the other instances.
    'The other instances keep probing; the location is reported silent (LOCATION_SILENT, through the checks\' channels) only when every instance is.',
    '',
    `Dedupe key: ${f.dedupeKey}`,
  ].join('\n');
}

/** The ops topic's message for INSTANCE_SILENT: same MessageStructure=json layout as a check's alert, with a `location` attribute instead of checkId and channels. */
export function buildInstanceSilentMessage(f: InstanceSilentFacts): OpsAlertMessage {
  const severity = SEVERITY.INSTANCE_SILENT;
  const text = instanceSilentText(f);
  const payload: InstanceSilentPayload = {
    schemaVersion: PAYLOAD_SCHEMA_VERSION, event: f.event, severity, location: f.location, instance: f.instance, instanceCount: f.instanceCount,
    ...(f.lastSeen !== undefined && { lastSeen: iso(f.lastSeen) }),
    ...(f.noticedAt !== undefined && { noticedAt: iso(f.noticedAt) }),
    at: iso(f.at), dedupeKey: f.dedupeKey,
    ...(f.agent && { agent: { live: f.agent.live } }),
  };
  const json = JSON.stringify(payload);
  const silentFor = formatDuration(f.at - (f.lastSeen ?? f.noticedAt ?? f.at));
  return {
    subject: fitSubject(`[${f.event}] `, f.location, f.agent
      ? ` agent instance ${f.instance} silent for ${silentFor}, ${f.agent.live} of ${f.instanceCount} live`
      : ` instance ${f.instance} of ${f.instanceCount} silent for ${silentFor}`),
    message: JSON.stringify({ default: text, email: text, https: json, sqs: json, lambda: json }),
    messageAttributes: {
      event: { DataType: 'String', StringValue: f.event },
      severity: { DataType: 'String', StringValue: severity },
      location: { DataType: 'String', StringValue: f.location },
    },
    payload,
    text,
  };
}

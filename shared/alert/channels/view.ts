/**
 * What a chat message (Slack, Teams) says about one delivery, before any chat syntax: a title, facts
 * as label/value pairs, the locations with their reasons, and links. Values are raw text here; each
 * renderer escapes them for its own markup, because each markup has its own control characters.
 */
import type { Severity } from '../../events.ts';
import type { ChannelFailingPayload, DeliveryEventName, DeliveryMessage, DeliveryPayload, TestPayload } from '../delivery.ts';
import { budgetWords, LOCATIONS_HEADING, phasesLine, ruleWords, type AlertPayload } from '../message.ts';
import { formatDuration } from '../text.ts';

export interface Links {
  /** The dashboard people open from an alert; links are left out when it is unknown. */
  dashboard?: string;
}

export interface Fact {
  label: string;
  value: string;
}

export interface LocationLine {
  location: string;
  /** `reason: message`, as the email puts it. */
  why?: string;
  since?: string;
  phases?: string;
}

export interface ChatView {
  event: DeliveryEventName;
  severity: Severity;
  /** `DOWN: Public API`: the event first, because that is what a glance at a channel needs. */
  title: string;
  /** One plain sentence when the facts alone would mislead (a test, a failing channel). */
  lead?: string;
  facts: Fact[];
  locationsHeading?: string;
  locations: LocationLine[];
  incidentId: string;
  dashboard?: string;
}

export const isTest = (p: DeliveryPayload): p is TestPayload => p.event === 'TEST';
export const isChannelFailing = (p: DeliveryPayload): p is ChannelFailingPayload => p.event === 'CHANNEL_FAILING';

/** How long from one ISO instant to another, for "since … (for 4m 12s)". */
function spanOf(fromIso: string, toIso: string): string {
  return formatDuration(Date.parse(toIso) - Date.parse(fromIso));
}

/** A `Label:   value` line of the email's text: the state is worded once, in buildText, and read back here. */
function textLine(text: string, label: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${label}:`));
  return line?.slice(label.length + 1).trim() || undefined;
}

function checkName(p: AlertPayload): string {
  return p.checkName && p.checkName !== p.checkId ? `${p.checkName} (${p.checkId})` : p.checkId;
}

function timeFacts(p: AlertPayload): Fact[] {
  if (p.event === 'RESOLVED') {
    return [
      ...(p.since !== undefined ? [{ label: 'Outage', value: `${p.since} to ${p.at}` }] : []),
      ...(p.durationMs !== undefined ? [{ label: 'Lasted', value: formatDuration(p.durationMs) }] : []),
    ];
  }
  return p.since !== undefined ? [{ label: 'Since', value: `${p.since} (for ${spanOf(p.since, p.at)})` }] : [];
}

function eventFacts(p: AlertPayload): Fact[] {
  const out: Fact[] = [];
  if (p.event === 'ESCALATION') out.push({ label: 'Escalated', value: `${p.level !== undefined ? `level ${p.level}` : 'escalated'}, to ${p.channels.join(', ') || '(no channel)'}` });
  if (p.flapping) out.push({ label: 'Flapping', value: `${p.flapping.changes} state changes within ${formatDuration(p.flapping.withinMs)}; notifications held until stable` });
  if (p.burn) {
    out.push({ label: 'Rule', value: ruleWords(p.burn) });
    out.push({ label: 'Budget', value: `${budgetWords(p.burn) ?? 'budget left unknown'}, objective ${p.burn.objective}%` });
  }
  if (p.certExpiresAt !== undefined) out.push({ label: 'Expires', value: `${p.certExpiresAt}${p.certDaysLeft !== undefined ? ` (${p.certDaysLeft} days left)` : ''}` });
  return out;
}

export function locationLines(p: AlertPayload): LocationLine[] {
  return p.locations.map((l) => {
    // A silent location has no failure to give; when it last reported is the fact that matters.
    const why = [l.reason, l.message].filter(Boolean).join(': ') || (l.lastResultAt !== undefined ? `last result ${l.lastResultAt}` : '');
    return {
      location: l.location,
      ...(why && { why }),
      ...(l.since !== undefined && { since: l.since }),
      ...(l.phases !== undefined && { phases: phasesLine(l.phases) }),
    };
  });
}

function alertView(m: DeliveryMessage, p: AlertPayload): ChatView {
  const title = p.event === 'ESCALATION' && p.level !== undefined ? `ESCALATION level ${p.level}: ${p.checkName}` : `${p.event}: ${p.checkName}`;
  return {
    event: p.event,
    severity: p.severity,
    title,
    facts: [
      { label: 'Check', value: `${checkName(p)}, ${p.kind}` },
      { label: 'Target', value: p.target },
      { label: 'State', value: textLine(m.text, 'State') ?? p.event },
      ...eventFacts(p),
      ...timeFacts(p),
      { label: 'At', value: p.at },
    ],
    ...(p.locations.length > 0 && { locationsHeading: LOCATIONS_HEADING[p.event] }),
    locations: locationLines(p),
    incidentId: p.incidentId,
  };
}

/** `slack`, or `webhook[1]`: the target key names its kind, so the kind is never said twice. */
export function targetWords(p: Pick<ChannelFailingPayload, 'target' | 'kind'>): string {
  return p.target.startsWith(p.kind) ? p.target : `${p.target}, ${p.kind}`;
}

function channelFailingView(p: ChannelFailingPayload): ChatView {
  return {
    event: p.event,
    severity: p.severity,
    title: `CHANNEL_FAILING: ${p.channel} ${p.target}`,
    lead: `Notifications to channel ${p.channel} (${targetWords(p)}) are failing: ${p.failures} attempts in a row. They are retried with backoff and end in the dead-letter queue if it stays down, so the people on that channel may be missing alerts.`,
    facts: [
      { label: 'Channel', value: `${p.channel} (${targetWords(p)})` },
      { label: 'Failures', value: `${p.failures} in a row` },
      { label: 'Last error', value: p.lastError },
      { label: 'Since', value: `${p.since} (for ${spanOf(p.since, p.at)})` },
      { label: 'At', value: p.at },
    ],
    locations: [],
    incidentId: p.incidentId,
  };
}

function testView(p: TestPayload): ChatView {
  return {
    event: p.event,
    severity: p.severity,
    title: `TEST: ${p.channel} ${p.target}`,
    // The CLI words the message (who sent it, that nothing is failing); the origin is a fact either way.
    lead: p.message || `This is a test notification from \`vantage channels test ${p.channel}\`. Nothing is failing.`,
    facts: [
      { label: 'Sent by', value: `vantage channels test ${p.channel}` },
      { label: 'Channel', value: `${p.channel} ${p.target}` },
      { label: 'At', value: p.at },
    ],
    locations: [],
    incidentId: p.incidentId,
  };
}

export function chatView(message: DeliveryMessage, links: Links): ChatView {
  const p = message.payload;
  const view = isTest(p) ? testView(p) : isChannelFailing(p) ? channelFailingView(p) : alertView(message, p);
  return links.dashboard !== undefined ? { ...view, dashboard: links.dashboard } : view;
}

/** Cuts `text` to `max` characters, marking the cut, for fields with a hard length limit. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  // Never split a surrogate pair: half an emoji is an invalid string to some JSON parsers.
  if (end > 0 && /[\ud800-\udbff]/.test(text[end - 1]!)) end -= 1;
  return `${text.slice(0, end)}…`;
}

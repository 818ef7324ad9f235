/**
 * PagerDuty Events API v2 alert events
 * (https://github.com/PagerDuty/developer-docs/blob/main/docs/events-API-v2/02-Trigger-Events.md, the
 * page behind https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): `routing_key` and
 * `event_action` are required; `dedup_key` is at most 255 characters; a trigger's `payload` needs
 * `summary` (at most 1024 characters), `source` and `severity` (`critical`, `error`, `warning` or
 * `info`); `timestamp` is ISO 8601.
 *
 * `dedup_key` is the incident id for every event of one incident: PagerDuty applies a later trigger to
 * the open alert with that key (a REMINDER or ESCALATION updates it instead of opening another) and a
 * resolve closes it. The FIFO queue keeps one check's events in order per target, so the resolve
 * never reaches PagerDuty before its trigger.
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../../events.ts';
import type { ChannelFailingPayload, DeliveryMessage, TestPayload } from '../delivery.ts';
import type { AlertPayload } from '../message.ts';
import { formatDuration } from '../text.ts';
import { clipText, isChannelFailing, isTest, targetWords, type Links } from './view.ts';

export const PAGERDUTY_LIMITS = { summary: 1024, dedupKey: 255 } as const;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** Ours are a subset of PagerDuty's; `error` has no event of ours that needs it. */
const SEVERITY: Record<Severity, PagerDutySeverity> = { critical: 'critical', warning: 'warning', info: 'info' };

export interface PagerDutyTrigger {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component?: string;
    group?: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  client: 'Vantage';
  client_url?: string;
  links?: Array<{ href: string; text: string }>;
}

/** A resolve needs only the key: PagerDuty's own resolve example carries nothing else. */
export interface PagerDutyResolve {
  routing_key: string;
  event_action: 'resolve';
  dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTrigger | PagerDutyResolve;

/** A key longer than PagerDuty allows is hashed, the same way for every event of the incident. */
export function dedupKeyOf(incidentId: string): string {
  return incidentId.length <= PAGERDUTY_LIMITS.dedupKey ? incidentId : `vantage:${createHash('sha256').update(incidentId).digest('hex')}`;
}

function reasons(p: AlertPayload): string {
  return p.locations.map((l) => `${l.location}${l.reason ? ` ${l.reason}` : ''}`).join('; ');
}

function alertDetails(p: AlertPayload): Record<string, unknown> {
  return {
    check: p.checkId,
    name: p.checkName,
    kind: p.kind,
    target: p.target,
    event: p.event,
    incidentId: p.incidentId,
    dedupeKey: p.dedupeKey,
    at: p.at,
    ...(p.since !== undefined && { since: p.since }),
    ...(p.since !== undefined && p.event !== 'RESOLVED' && { for: formatDuration(Date.parse(p.at) - Date.parse(p.since)) }),
    ...(p.durationMs !== undefined && { duration: formatDuration(p.durationMs) }),
    locationCount: p.locationCount,
    locations: p.locations,
    ...(p.certDaysLeft !== undefined && { certDaysLeft: p.certDaysLeft }),
    ...(p.certExpiresAt !== undefined && { certExpiresAt: p.certExpiresAt }),
    ...(p.level !== undefined && { level: p.level }),
    ...(p.flapping !== undefined && { flapping: p.flapping }),
    ...(p.burn !== undefined && { burn: p.burn }),
    channels: p.channels,
  };
}

interface TriggerFacts {
  summary: string;
  source: string;
  component: string;
  group?: string;
  details: Record<string, unknown>;
}

function alertFacts(m: DeliveryMessage, p: AlertPayload): TriggerFacts {
  const why = reasons(p);
  return {
    summary: `${m.subject}${why ? ` (${why})` : ''}`,
    // Required and non-empty: a check whose target reads empty still has an id.
    source: p.target || p.checkId,
    component: p.checkId,
    group: p.kind,
    details: alertDetails(p),
  };
}

function channelFailingFacts(p: ChannelFailingPayload): TriggerFacts {
  return {
    summary: `[CHANNEL_FAILING] Vantage cannot deliver to channel ${p.channel} (${targetWords(p)}): ${p.failures} failures in a row, last ${p.lastError}`,
    source: `vantage channel ${p.channel} ${p.target}`,
    component: p.channel,
    group: 'vantage-channels',
    details: { channel: p.channel, target: p.target, kind: p.kind, failures: p.failures, since: p.since, lastError: p.lastError, incidentId: p.incidentId, dedupeKey: p.dedupeKey, at: p.at },
  };
}

function testFacts(p: TestPayload): TriggerFacts {
  return {
    summary: `[TEST] A test notification from vantage channels test ${p.channel}; nothing is failing and it resolves at once`,
    source: `vantage channel ${p.channel} ${p.target}`,
    component: p.channel,
    details: { test: true, message: p.message, channel: p.channel, target: p.target, incidentId: p.incidentId, dedupeKey: p.dedupeKey, at: p.at },
  };
}

function trigger(m: DeliveryMessage, routingKey: string, links: Links): PagerDutyTrigger {
  const p = m.payload;
  const f = isTest(p) ? testFacts(p) : isChannelFailing(p) ? channelFailingFacts(p) : alertFacts(m, p);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKeyOf(m.incidentId),
    payload: {
      summary: clipText(f.summary, PAGERDUTY_LIMITS.summary),
      source: f.source,
      severity: SEVERITY[p.severity],
      timestamp: p.at,
      component: f.component,
      ...(f.group !== undefined && { group: f.group }),
      class: p.event,
      custom_details: f.details,
    },
    client: 'Vantage',
    ...(links.dashboard !== undefined && { client_url: links.dashboard, links: [{ href: links.dashboard, text: 'Vantage dashboard' }] }),
  };
}

/** The events to send, in order: RESOLVED resolves, a TEST triggers and resolves its own key, everything else triggers. */
export function renderPagerDuty(m: DeliveryMessage, routingKey: string, links: Links): PagerDutyEvent[] {
  const resolve: PagerDutyResolve = { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKeyOf(m.incidentId) };
  if (m.payload.event === 'RESOLVED') return [resolve];
  if (m.payload.event === 'TEST') return [trigger(m, routingKey, links), resolve];
  return [trigger(m, routingKey, links)];
}

/**
 * Delivery messages as the evaluator makes them: alerts come from the real buildAlertMessage, so the
 * renderers are tested on the payloads and texts they will receive.
 */
import { buildAlertMessage, type AlertFacts, type AlertMessage } from '../../../shared/alert/message.ts';
import type { ChannelFailingPayload, DeliveryMessage, TargetKind, TestPayload } from '../../../shared/alert/delivery.ts';
import { loadConfigObject } from '../../../shared/config/load.ts';
import type { Check } from '../../../shared/config/schema.ts';

export const T0 = Date.parse('2026-11-20T10:00:00.000Z');
export const HOSTILE = '<!channel> & <https://evil.example|click>';
/** The check's own credentials: they must never reach a chat message. */
export const CHECK_SECRET = 'Bearer s3cr3t-token-value';

export const config = loadConfigObject({
  defaults: { locations: ['eu-west-1', 'us-east-1', 'ap-southeast-2'], alerting: { channels: ['oncall'] } },
  channels: { oncall: { email: ['oncall@example.com'] }, manager: { email: ['boss@example.com'] } },
  checks: [
    { id: 'api', name: 'Public API', http: { url: 'https://user:pw@api.example.com/health?token=abc123&x=1', headers: { Authorization: CHECK_SECRET } } },
  ],
});
export const api = config.checks[0] as Check;

export function facts(overrides: Partial<AlertFacts> = {}): AlertFacts {
  return {
    event: 'DOWN',
    checkId: 'api',
    incidentId: 'api#1763632800000',
    dedupeKey: 'api#1763632800000:DOWN:1',
    at: T0 + 4 * 60_000 + 12_000,
    since: T0,
    locationCount: 3,
    locations: [
      { location: 'eu-west-1', reason: 'connect_timeout', message: 'connect ETIMEDOUT after 5000ms', phases: { dns: 3, connect: 5000, total: 5003 }, since: T0 },
      { location: 'us-east-1', reason: 'status_code', message: 'status 503 not in [2xx]', phases: { dns: 2, connect: 10, tls: 20, ttfb: 40, transfer: 1, total: 73 }, since: T0 + 60_000 },
    ],
    ...overrides,
  };
}

export function toDelivery(alert: AlertMessage, kind: TargetKind = 'slack', target: string = kind): DeliveryMessage {
  return {
    v: 1,
    channel: 'oncall',
    target,
    kind,
    event: alert.payload.event,
    dedupeKey: alert.payload.dedupeKey,
    incidentId: alert.payload.incidentId,
    checkId: alert.payload.checkId,
    subject: alert.subject,
    text: alert.text,
    payload: alert.payload,
    enqueuedAt: alert.payload.at,
  };
}

export function alertDelivery(overrides: Partial<AlertFacts> = {}, kind: TargetKind = 'slack', check: Check = api): DeliveryMessage {
  return toDelivery(buildAlertMessage(facts(overrides), check, config.channels), kind);
}

export const down = (kind: TargetKind = 'slack') => alertDelivery({}, kind);
export const resolved = (kind: TargetKind = 'slack') =>
  alertDelivery({ event: 'RESOLVED', dedupeKey: 'api#1763632800000:RESOLVED:1', at: T0 + 9 * 60_000, durationMs: 9 * 60_000, locations: facts().locations.map(({ phases: _p, ...l }) => l) }, kind);
export const reminder = (kind: TargetKind = 'slack') => alertDelivery({ event: 'REMINDER', dedupeKey: 'api#1763632800000:REMINDER:1', at: T0 + 60 * 60_000 }, kind);
export const escalation = (kind: TargetKind = 'slack') =>
  alertDelivery({ event: 'ESCALATION', dedupeKey: 'api#1763632800000:ESCALATION:1', level: 1, channels: ['manager'], at: T0 + 15 * 60_000 }, kind);
export const partial = (kind: TargetKind = 'slack') =>
  alertDelivery({ event: 'PARTIAL', dedupeKey: 'api#1763632800000:PARTIAL:1', locations: facts().locations.slice(0, 1) }, kind);
export const hostile = (kind: TargetKind = 'slack') =>
  alertDelivery({ locations: [{ location: 'eu-west-1', reason: 'body_mismatch', message: `body did not match: ${HOSTILE}`, since: T0 }] }, kind);

/** Every check event, for properties that must hold whatever the event. */
export function everyAlert(kind: TargetKind = 'slack'): DeliveryMessage[] {
  const id = (e: string) => `api#1763632800000:${e}:1`;
  return [
    down(kind), resolved(kind), reminder(kind), escalation(kind), partial(kind), hostile(kind),
    alertDelivery({ event: 'DEGRADED', dedupeKey: id('DEGRADED') }, kind),
    alertDelivery({ event: 'FLAPPING', dedupeKey: id('FLAPPING'), flapping: { changes: 6, withinMs: 600_000 }, overall: 'DOWN' }, kind),
    alertDelivery({ event: 'CERT_EXPIRING', incidentId: 'api:cert:2026-12-01T00:00:00.000Z', dedupeKey: 'api:cert:2026-12-01T00:00:00.000Z:CERT_EXPIRING:1', since: undefined, certDaysLeft: 10, certExpiresAt: T0 + 10 * 86_400_000, locations: [] }, kind),
    alertDelivery({ event: 'LOCATION_SILENT', incidentId: 'api:eu-west-1:silent:x', dedupeKey: 'api:eu-west-1:silent:x:LOCATION_SILENT:1', locations: [{ location: 'eu-west-1', lastResultAt: T0 }] }, kind),
    burning(kind),
  ];
}

/** The page-1h rule fired: 16× over the hour and 48× over the last 5 minutes, 62.5 % of the budget left. */
export const BURN = {
  rule: 'page-1h', severity: 'page', factor: 14.4, longWindowMs: 3_600_000, shortWindowMs: 300_000,
  longRate: 16, shortRate: 48, objective: 99.9, budgetRemaining: 0.625,
} as const;
export const BURN_INCIDENT = 'api:burn:page-1h:2026-11-20T10:04:12.000Z';

export const burning = (kind: TargetKind = 'slack', over: Partial<AlertFacts> = {}) => alertDelivery({
  event: 'BUDGET_BURN', incidentId: BURN_INCIDENT, dedupeKey: `${BURN_INCIDENT}:BUDGET_BURN:1`, since: undefined, severity: 'critical', burn: { ...BURN }, ...over,
}, kind);

export function channelFailing(kind: TargetKind = 'slack'): DeliveryMessage {
  const since = '2026-11-20T10:00:00.000Z';
  const payload: ChannelFailingPayload = {
    schemaVersion: 1, event: 'CHANNEL_FAILING', severity: 'warning', channel: 'chat', target: 'slack', kind: 'slack',
    failures: 3, since, lastError: 'HTTP 503', at: '2026-11-20T10:02:30.000Z',
    dedupeKey: `channel:chat:slack:failing:${since}`, incidentId: `channel:chat:slack:failing:${since}`, channels: ['oncall'],
  };
  return {
    v: 1, channel: 'oncall', target: kind, kind, event: 'CHANNEL_FAILING', dedupeKey: payload.dedupeKey, incidentId: payload.incidentId,
    subject: '[CHANNEL_FAILING] chat slack: 3 failed deliveries', text: 'CHANNEL_FAILING: chat slack\n\nFailures: 3 in a row\nLast error: HTTP 503',
    payload, enqueuedAt: payload.at,
  };
}

/** As `vantage channels test` words it (shared/alert/test-delivery.ts). */
export const TEST_WORDS = 'This is a test notification from `vantage channels test oncall`, sent by me@dev-1 at 2026-11-20T10:00:00.000Z. Nothing is failing; no action is needed.';

export function testMessage(kind: TargetKind = 'slack'): DeliveryMessage {
  const payload: TestPayload = {
    schemaVersion: 1, event: 'TEST', severity: 'info', channel: 'oncall', target: kind, at: '2026-11-20T10:00:00.000Z',
    dedupeKey: 'test:oncall:slack:2026-11-20T10:00:00.000Z', incidentId: 'test:oncall:slack:2026-11-20T10:00:00.000Z',
    message: TEST_WORDS,
  };
  return {
    v: 1, channel: 'oncall', target: kind, kind, event: 'TEST', dedupeKey: payload.dedupeKey, incidentId: payload.incidentId,
    subject: '[Vantage] TEST notification for channel oncall', text: TEST_WORDS, payload, enqueuedAt: payload.at,
  };
}

/** Every string inside a JSON value, with its path: for "no secret anywhere" and "every mrkdwn string" checks. */
export function stringsIn(value: unknown, path = '$'): Array<{ path: string; text: string }> {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringsIn(v, `${path}.${k}`));
  return [];
}

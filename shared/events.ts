/**
 * The notification vocabulary, defined once: what the evaluator can decide, what a channel can
 * subscribe to (`channels.<name>.events`), what an alert says and how grave each is. The config,
 * the policy and the alert layer all import these; none defines its own.
 */

/** Check events: decided by the policy for one check and sent through that check's channels; what `channels.<name>.events` may list. */
export const EVENTS = ['DOWN', 'RESOLVED', 'PARTIAL', 'DEGRADED', 'REMINDER', 'ESCALATION', 'FLAPPING', 'CERT_EXPIRING', 'LOCATION_SILENT', 'BUDGET_BURN'] as const;
export type NotificationEvent = (typeof EVENTS)[number];

/**
 * Ops events: about Vantage itself rather than a check, sent only to the ops topic (the evaluator's
 * `opsPublisher`), never through a check's channels. So `channels.<name>.events` deliberately cannot
 * list them: a channel that did would never hear one.
 */
export const OPS_EVENTS = ['INSTANCE_SILENT'] as const;
export type OpsEvent = (typeof OPS_EVENTS)[number];

/**
 * Channel events: about a notification channel itself, decided by the notifier (not the policy) and
 * sent through the other channels and the ops topic. A channel may list them in its `events`.
 */
export const CHANNEL_EVENTS = ['CHANNEL_FAILING'] as const;
export type ChannelEvent = (typeof CHANNEL_EVENTS)[number];

/** What `channels.<name>.events` may list: every check event and every channel event. */
export const LISTENABLE_EVENTS = [...EVENTS, ...CHANNEL_EVENTS] as const;
export type ListenableEvent = NotificationEvent | ChannelEvent;

/** Everything an alert can be about. */
export type AlertEvent = NotificationEvent | OpsEvent | ChannelEvent;

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * How grave each event is by default (an alert's `severity`, the SNS message attribute that channel
 * filter policies match). Pages are critical; what needs a look but not a wake-up is a warning. One
 * silent instance of a private location is a warning: the others still probe, and the location is
 * silent (LOCATION_SILENT) only when all are. An ESCALATION is the DOWN sent again to more people, so
 * it pages; FLAPPING says the check's state cannot be trusted either way, which needs a look. A
 * BUDGET_BURN is as grave as its rule says (see BURN_SEVERITY); the entry here is its default.
 */
export const SEVERITY: Readonly<Record<AlertEvent, Severity>> = {
  DOWN: 'critical',
  REMINDER: 'critical',
  ESCALATION: 'critical',
  FLAPPING: 'warning',
  PARTIAL: 'warning',
  DEGRADED: 'warning',
  LOCATION_SILENT: 'warning',
  CERT_EXPIRING: 'warning',
  INSTANCE_SILENT: 'warning',
  // The channel's own people may be blind to pages; the others need to look, not to be woken.
  CHANNEL_FAILING: 'warning',
  RESOLVED: 'info',
  // The default only: the notification carries its rule's (BURN_SEVERITY).
  BUDGET_BURN: 'critical',
};

/**
 * A BUDGET_BURN's severity by its rule's (the `slo.burnRates[].severity` of the config): the SRE
 * workbook's "page" wakes someone, its "ticket" is for working hours.
 */
export const BURN_SEVERITY: Readonly<Record<'page' | 'ticket', Severity>> = { page: 'critical', ticket: 'warning' };

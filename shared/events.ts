/**
 * The notification vocabulary, defined once: what the evaluator can decide, what a channel can
 * subscribe to (`channels.<name>.events`), what an alert says and how grave each is. The config,
 * the policy and the alert layer all import these; none defines its own.
 */
export const EVENTS = ['DOWN', 'RESOLVED', 'PARTIAL', 'DEGRADED', 'REMINDER', 'CERT_EXPIRING', 'LOCATION_SILENT'] as const;
export type NotificationEvent = (typeof EVENTS)[number];

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * How grave each event is by default (an alert's `severity`, the SNS message attribute that channel
 * filter policies match). Pages are critical; what needs a look but not a wake-up is a warning.
 */
export const SEVERITY: Readonly<Record<NotificationEvent, Severity>> = {
  DOWN: 'critical',
  REMINDER: 'critical',
  PARTIAL: 'warning',
  DEGRADED: 'warning',
  LOCATION_SILENT: 'warning',
  CERT_EXPIRING: 'warning',
  RESOLVED: 'info',
};

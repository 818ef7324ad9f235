/**
 * What the notifier reports about each delivery, for the live view (`vantage dev`), tests and logs.
 * Names targets by key (`webhook[0]`, `slack`), never by URL: a webhook URL may carry a token.
 * `error` is an error code or `HTTP <status>`, never a URL, a secret or a response body.
 */
import type { DeliveryEventName, TargetKind } from '../../alert/delivery.ts';

interface Delivery {
  channel: string;
  target: string;
  kind: TargetKind;
  event: DeliveryEventName;
  dedupeKey: string;
  checkId?: string;
}

export type NotifyEvent =
  | ({ type: 'delivered'; status: number; attempt: number; ms: number } & Delivery)
  | ({ type: 'delivery_failed'; attempt: number; status?: number; error: string; retryInMs: number } & Delivery)
  | ({ type: 'dead_lettered'; attempt: number; status?: number; error: string; permanent: boolean } & Delivery)
  | { type: 'duplicate_skipped'; channel: string; target: string; dedupeKey: string }
  | { type: 'channel_failing'; channel: string; target: string; failures: number; notified: string[] }
  | { type: 'channel_recovered'; channel: string; target: string };

export type NotifyEventType = NotifyEvent['type'];

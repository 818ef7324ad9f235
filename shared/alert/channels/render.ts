/**
 * One delivery to one target, as the HTTP requests to make: pure (the clock comes in `ctx`), so the
 * notifier, `vantage channels test` and the tests render alike. Secrets arrive resolved in the target
 * and go only where the receiver reads them: the URL (Slack, Teams, webhooks), the signature header,
 * PagerDuty's `routing_key` field.
 */
import type { DeliveryMessage } from '../delivery.ts';
import { renderPagerDuty } from './pagerduty.ts';
import { renderSlack } from './slack.ts';
import { renderTeams } from './teams.ts';
import type { Links } from './view.ts';
import { jsonHeaders, renderWebhook } from './webhook.ts';

export type { Links } from './view.ts';

export type ResolvedTarget =
  | { kind: 'webhook'; url: string; secret?: string }
  | { kind: 'slack'; url: string }
  | { kind: 'teams'; url: string }
  | { kind: 'pagerduty'; url: string; routingKey: string };

export interface RenderedRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface RenderContext {
  /** ms since the epoch: the signature's `t`. */
  now: number;
  links: Links;
  /** 1 for the first attempt: the record's ApproximateReceiveCount. */
  attempt: number;
}

const json = (url: string, value: unknown): RenderedRequest => ({ url, body: JSON.stringify(value), headers: jsonHeaders() });

/** In order; every request must answer 2xx for the delivery to count. Pure (now injected). */
export function renderDelivery(message: DeliveryMessage, target: ResolvedTarget, ctx: RenderContext): RenderedRequest[] {
  switch (target.kind) {
    case 'webhook': return [renderWebhook(message, target, ctx)];
    case 'slack': return [json(target.url, renderSlack(message, ctx.links))];
    case 'teams': return [json(target.url, renderTeams(message, ctx.links))];
    case 'pagerduty': return renderPagerDuty(message, target.routingKey, ctx.links).map((event) => json(target.url, event));
  }
}

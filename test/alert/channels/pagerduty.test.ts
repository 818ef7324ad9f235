import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderDelivery, type RenderedRequest } from '../../../shared/alert/channels/render.ts';
import type { DeliveryMessage } from '../../../shared/alert/delivery.ts';
import { alertDelivery, channelFailing, down, escalation, everyAlert, hostile, partial, reminder, resolved, stringsIn, testMessage } from './fixtures.ts';

/**
 * PagerDuty's rules, written out from its documentation, not from the renderer:
 * https://github.com/PagerDuty/developer-docs/blob/main/docs/events-API-v2/02-Trigger-Events.md (the
 * parameter table: routing_key and event_action required; event_action trigger|acknowledge|resolve;
 * dedup_key at most 255 characters; payload.summary required, at most 1024; payload.source required;
 * payload.severity required, critical|error|warning|info; links[].href required) and the OpenAPI
 * document https://github.com/PagerDuty/api-schema/blob/main/reference/events-v2/openapiv3.json
 * (payload.timestamp is a date-time, custom_details an object, client and client_url strings).
 * The 512 KB cap is from the Events API v2 overview's "Size Limits".
 */
const EVENT_SCHEMA = {
  type: 'object',
  required: ['routing_key', 'event_action'],
  properties: {
    routing_key: { type: 'string', minLength: 1 },
    event_action: { enum: ['trigger', 'acknowledge', 'resolve'] },
    dedup_key: { type: 'string', maxLength: 255 },
    client: { type: 'string' },
    client_url: { type: 'string', pattern: '^https?://' },
    links: { type: 'array', items: { type: 'object', required: ['href'], properties: { href: { type: 'string' }, text: { type: 'string' } } } },
    images: { type: 'array', items: { type: 'object', required: ['src'] } },
    payload: {
      type: 'object',
      required: ['summary', 'source', 'severity'],
      properties: {
        summary: { type: 'string', minLength: 1, maxLength: 1024 },
        source: { type: 'string', minLength: 1 },
        severity: { enum: ['critical', 'error', 'warning', 'info'] },
        timestamp: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:?\\d{2})$' },
        component: { type: 'string' },
        group: { type: 'string' },
        class: { type: 'string' },
        custom_details: { type: 'object' },
      },
    },
  },
  // A trigger must say what happened; a resolve or acknowledge names the alert by its key.
  if: { properties: { event_action: { const: 'trigger' } } },
  then: { required: ['payload'] },
  else: { required: ['dedup_key'] },
} as const;
const validate = new Ajv({ allErrors: true, strict: false }).compile(EVENT_SCHEMA);
const MAX_BYTES = 512 * 1024;

const URL_PD = 'https://events.pagerduty.com/v2/enqueue';
const ROUTING_KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY00';
const DASHBOARD = 'https://dashboard.example.com/vantage';

function render(m: DeliveryMessage, links: { dashboard?: string } = { dashboard: DASHBOARD }): RenderedRequest[] {
  return renderDelivery(m, { kind: 'pagerduty', url: URL_PD, routingKey: ROUTING_KEY }, { now: Date.parse('2026-11-20T10:05:00Z'), links, attempt: 1 });
}
const events = (m: DeliveryMessage, links?: { dashboard?: string }) => render(m, links).map((r) => JSON.parse(r.body) as Record<string, any>);

function expectValid(body: unknown) {
  const ok = validate(body);
  expect(validate.errors ?? [], JSON.stringify(body)).toEqual([]);
  expect(ok).toBe(true);
}

describe('PagerDuty Events API v2 events', () => {
  it('every event of every kind meets the documented rules and goes to the configured URL as JSON', () => {
    for (const m of [...everyAlert('pagerduty'), channelFailing('pagerduty'), testMessage('pagerduty')]) {
      for (const req of render(m)) {
        expect(req.url).toBe(URL_PD);
        expect(req.headers['content-type']).toMatch(/^application\/json/);
        expect(Buffer.byteLength(req.body)).toBeLessThan(MAX_BYTES);
        expectValid(JSON.parse(req.body));
      }
    }
  });

  it('the schema above is no rubber stamp: it refuses what PagerDuty refuses', () => {
    const [good] = events(down('pagerduty'));
    const broken = [
      { ...good, routing_key: undefined },
      { ...good, event_action: 'open' },
      { ...good, dedup_key: 'k'.repeat(256) },
      { ...good, payload: { ...good!.payload, severity: 'high' } },
      { ...good, payload: { ...good!.payload, summary: 's'.repeat(1025) } },
      { ...good, payload: { ...good!.payload, source: undefined } },
      { routing_key: ROUTING_KEY, event_action: 'trigger' },
      { routing_key: ROUTING_KEY, event_action: 'resolve' },
    ];
    for (const b of broken) expect(validate(JSON.parse(JSON.stringify(b))), JSON.stringify(b).slice(0, 120)).toBe(false);
  });

  it('one incident is one dedup_key: DOWN, REMINDER and ESCALATION trigger, RESOLVED resolves, the same key throughout', () => {
    const sequence = [down, reminder, escalation, partial, resolved].map((f) => events(f('pagerduty')));
    expect(sequence.map((evs) => evs.map((e) => e.event_action))).toEqual([['trigger'], ['trigger'], ['trigger'], ['trigger'], ['resolve']]);
    expect(new Set(sequence.flat().map((e) => e.dedup_key))).toEqual(new Set(['api#1763632800000']));
    const [resolve] = sequence[4]!;
    // A resolve names the alert and nothing else, as PagerDuty's own resolve example does.
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'api#1763632800000' });
  });

  it('a TEST triggers and then resolves one test key, so no incident stays open', () => {
    const evs = events(testMessage('pagerduty'));
    expect(evs.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(evs[0]!.dedup_key).toBe(evs[1]!.dedup_key);
    expect(evs[0]!.dedup_key).toMatch(/^test:/);
    expect(evs[0]!.payload.summary).toMatch(/^\[TEST\] .*vantage channels test oncall/);
    expect(evs[0]!.payload.severity).toBe('info');
  });

  it('maps severity critical/warning/info and fills source, component, class and timestamp', () => {
    const [d] = events(down('pagerduty'));
    expect(d!.payload).toMatchObject({
      severity: 'critical', source: 'https://api.example.com/health?token=***&x=***', component: 'api', class: 'DOWN', timestamp: '2026-11-20T10:04:12.000Z',
    });
    expect(events(partial('pagerduty'))[0]!.payload.severity).toBe('warning');
    const [cf] = events(channelFailing('pagerduty'));
    expect(cf!.payload).toMatchObject({ severity: 'warning', class: 'CHANNEL_FAILING', component: 'chat' });
    expect(cf!.payload.source).toBe('vantage channel chat slack');
    expect(cf!.payload.summary).toContain('HTTP 503');
  });

  it('custom_details carry the locations with reasons and phases, the incident, the dedupe key, since and for how long', () => {
    const [d] = events(down('pagerduty'));
    const details = d!.payload.custom_details;
    expect(details).toMatchObject({ incidentId: 'api#1763632800000', dedupeKey: 'api#1763632800000:DOWN:1', since: '2026-11-20T10:00:00.000Z', for: '4m 12s', locationCount: 3 });
    expect(details.locations[0]).toMatchObject({ location: 'eu-west-1', reason: 'connect_timeout', phases: { dns: 3, connect: 5000, total: 5003 } });
    expect(d!.payload.summary).toBe('[DOWN] Public API: 2/3 locations failing (eu-west-1 connect_timeout; us-east-1 status_code)');
  });

  it('links to the dashboard only when it is known', () => {
    const [withLinks] = events(down('pagerduty'));
    expect(withLinks).toMatchObject({ client: 'Vantage', client_url: DASHBOARD, links: [{ href: DASHBOARD }] });
    const [without] = events(down('pagerduty'), {});
    expect(without!.client).toBe('Vantage');
    expect(without).not.toHaveProperty('client_url');
    expect(without).not.toHaveProperty('links');
  });

  it('keeps summary and dedup_key within limits for a huge check, the same key for every event of it', () => {
    const names = Array.from({ length: 80 }, (_, i) => ({ location: `region-${i}-${'x'.repeat(20)}`, reason: 'connect_timeout', message: 'm'.repeat(300) }));
    const longId = `api#${'9'.repeat(300)}`;
    const trig = events(alertDelivery({ incidentId: longId, dedupeKey: `${longId}:DOWN:1`, locations: names, locationCount: 80 }, 'pagerduty'));
    const res = events(alertDelivery({ event: 'RESOLVED', incidentId: longId, dedupeKey: `${longId}:RESOLVED:1`, locations: names, locationCount: 80, durationMs: 1000 }, 'pagerduty'));
    for (const e of [...trig, ...res]) expectValid(e);
    expect(trig[0]!.payload.summary.length).toBe(1024);
    expect(trig[0]!.dedup_key).toBe(res[0]!.dedup_key);
  });

  it('puts the routing key in routing_key and nowhere else, and no check secret anywhere', () => {
    for (const m of [down('pagerduty'), hostile('pagerduty'), testMessage('pagerduty'), channelFailing('pagerduty')]) {
      for (const req of render(m)) {
        const body = JSON.parse(req.body);
        const holding = stringsIn(body).filter((s) => s.text.includes(ROUTING_KEY)).map((s) => s.path);
        expect(holding).toEqual(['$.routing_key']);
        expect(Object.values(req.headers).join('\n')).not.toContain(ROUTING_KEY);
        expect(req.body).not.toMatch(/s3cr3t|abc123|user:pw/);
      }
    }
  });
});

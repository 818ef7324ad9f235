import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { renderDelivery } from '../../../shared/alert/channels/render.ts';
import type { DeliveryMessage } from '../../../shared/alert/delivery.ts';
import { HOSTILE, T0, alertDelivery, channelFailing, down, everyAlert, resolved, stringsIn, testMessage } from './fixtures.ts';

/**
 * The oracle is Microsoft's own Adaptive Cards library (npm `adaptivecards`, the renderer behind the
 * designer): its parser reports unknown element types and invalid property values, its validator
 * missing required properties, and what it serializes back is only what it understood. Its ES build
 * imports without file extensions, which Node cannot resolve, so the UMD bundle is loaded.
 */
const require = createRequire(import.meta.url);
const AC = require('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => { parse(json: unknown, ctx: unknown): void; validateProperties(): { validationEvents: Array<{ message: string }> }; toJSON(): unknown };
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): { message: string } };
};

/** Everything the library found wrong with a card, or dropped from it. */
function cardProblems(content: unknown): string[] {
  const card = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext();
  card.parse(content, ctx);
  const out = Array.from({ length: ctx.eventCount }, (_, i) => `parse: ${ctx.getEventAt(i).message}`);
  out.push(...card.validateProperties().validationEvents.map((e) => `validate: ${e.message}`));
  if (canonical(card.toJSON()) !== canonical(content)) out.push(`round trip changed the card: ${canonical(card.toJSON())}`);
  return out;
}
const canonical = (v: unknown): string => JSON.stringify(v, (_k, val: unknown) =>
  val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b))) : val);

const TEAMS_URL = 'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRETsig';
const DASHBOARD = 'https://dashboard.example.com/vantage';

function render(m: DeliveryMessage, links: { dashboard?: string } = { dashboard: DASHBOARD }) {
  const reqs = renderDelivery(m, { kind: 'teams', url: TEAMS_URL }, { now: T0, links, attempt: 1 });
  expect(reqs).toHaveLength(1);
  return { req: reqs[0]!, msg: JSON.parse(reqs[0]!.body) as Record<string, any> };
}

describe('Microsoft Teams Adaptive Card messages', () => {
  it('wraps one card in the webhook message envelope Teams documents', () => {
    const { req, msg } = render(down());
    expect(req.url).toBe(TEAMS_URL);
    expect(Object.keys(msg)).toEqual(['type', 'attachments']);
    expect(msg.type).toBe('message');
    expect(msg.attachments).toHaveLength(1);
    expect(msg.attachments[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null });
    expect(msg.attachments[0].content).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4' });
  });

  it('every event, CHANNEL_FAILING and TEST is a card the Adaptive Cards library reads without a complaint and serializes back unchanged', () => {
    for (const m of [...everyAlert(), channelFailing(), testMessage()]) {
      for (const links of [{ dashboard: DASHBOARD }, {}]) expect(cardProblems(render(m, links).msg.attachments[0].content), m.event).toEqual([]);
    }
  });

  it('the oracle is no rubber stamp: it reports a bad colour, an unknown element, a missing url and an unknown property', () => {
    const content = render(down()).msg.attachments[0].content;
    const bad = structuredClone(content);
    bad.body[0].color = 'Purple';
    bad.body.push({ type: 'Blink' });
    bad.actions[0].url = undefined;
    bad.body[1].factz = [];
    const found = cardProblems(bad);
    expect(found.some((p) => p.includes('"Purple"'))).toBe(true);
    expect(found.some((p) => p.includes('"Blink"'))).toBe(true);
    expect(found.some((p) => p.includes('"url"'))).toBe(true);
    expect(found.some((p) => p.startsWith('round trip'))).toBe(true);
  });

  it('states the same facts as the other kinds, and opens the dashboard only when it is known', () => {
    const content = render(resolved()).msg.attachments[0].content;
    expect(content.body[0]).toMatchObject({ type: 'TextBlock', text: 'RESOLVED: Public API', color: 'Good' });
    const facts = Object.fromEntries(content.body[1].facts.map((f: any) => [f.title, f.value]));
    expect(facts).toMatchObject({ Check: 'Public API (api), http', Target: 'https://api.example.com/health?token=***&x=***', State: 'UP', Lasted: '9m' });
    expect(content.body[2].text).toBe('Locations that were failing');
    expect(content.body[3].facts[0]).toEqual({ title: 'eu-west-1', value: 'connect_timeout: connect ETIMEDOUT after 5000ms; since 2026-11-20T10:00:00.000Z' });
    expect(content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open the dashboard', url: DASHBOARD }]);
    expect(render(resolved(), {}).msg.attachments[0].content).not.toHaveProperty('actions');
    expect(render(down()).msg.attachments[0].content.body[0].color).toBe('Attention');
  });

  it('a TEST says it is a test from vantage channels test', () => {
    const body = render(testMessage()).msg.attachments[0].content.body;
    expect(body[0].text).toBe('TEST: oncall slack');
    expect(body[1].text).toContain('This is a test notification from `vantage channels test oncall`');
    expect(body[2].facts[0]).toEqual({ title: 'Sent by', value: 'vantage channels test oncall' });
  });

  it('a failure message cannot dress up a Markdown link, and keeps its words', () => {
    const m = alertDelivery({ locations: [{ location: 'eu-west-1', reason: 'body_mismatch', message: `${HOSTILE} [click here](https://evil.example/login)`, since: T0 }] }, 'teams');
    const { msg } = render(m);
    const texts = stringsIn(msg.attachments[0].content.body).map((s) => s.text);
    for (const t of texts) expect(t, t).not.toMatch(/\]\s*\(/);
    const value = msg.attachments[0].content.body[3].facts[0].value as string;
    expect(value.replace(/\u200b/g, '')).toContain('[click here](https://evil.example/login)');
  });

  it('bounds a huge location list well under the 28 KB Teams accepts', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ location: `loc-${i}`, reason: 'body_mismatch', message: 'm'.repeat(300), since: T0 }));
    const { req, msg } = render(alertDelivery({ locations: many, locationCount: 200 }, 'teams'));
    expect(Buffer.byteLength(req.body)).toBeLessThan(28 * 1024);
    expect(msg.attachments[0].content.body[3].facts.at(-1)).toEqual({ title: '…', value: 'and 180 more' });
    expect(cardProblems(msg.attachments[0].content)).toEqual([]);
  });

  it('puts the workflow URL in the request URL only, and no check secret anywhere', () => {
    for (const m of [down(), testMessage(), channelFailing()]) {
      const { req } = render(m);
      expect(req.body).not.toContain('SECRETsig');
      expect(Object.values(req.headers).join('\n')).not.toContain('SECRETsig');
      expect(req.body).not.toMatch(/s3cr3t|abc123|user:pw/);
    }
  });
});

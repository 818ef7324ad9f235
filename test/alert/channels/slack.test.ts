import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderDelivery } from '../../../shared/alert/channels/render.ts';
import { fitMrkdwn } from '../../../shared/alert/channels/slack.ts';
import type { DeliveryMessage } from '../../../shared/alert/delivery.ts';
import { loadConfigObject } from '../../../shared/config/load.ts';
import type { Check } from '../../../shared/config/schema.ts';
import { HOSTILE, T0, TEST_WORDS, alertDelivery, channelFailing, down, everyAlert, hostile, partial, resolved, stringsIn, testMessage } from './fixtures.ts';

/**
 * Block Kit's limits, from Slack's reference rather than the renderer's constants:
 * header text ≤ 150 (https://docs.slack.dev/reference/block-kit/blocks/header-block), section text
 * ≤ 3000 and ≤ 10 fields of ≤ 2000 (https://docs.slack.dev/reference/block-kit/blocks/section-block),
 * ≤ 50 blocks per message and context ≤ 10 elements (https://docs.slack.dev/reference/block-kit/blocks/context-block).
 */
const RULES = { header: 150, sectionText: 3000, fields: 10, fieldText: 2000, blocks: 50, contextElements: 10 };
const BLOCK_TYPES = new Set(['header', 'section', 'context', 'divider', 'actions']);

const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/SECRETxyz';
const DASHBOARD = 'https://dashboard.example.com/vantage?a=1&b=2';

function render(m: DeliveryMessage, links: { dashboard?: string } = { dashboard: DASHBOARD }) {
  const reqs = renderDelivery(m, { kind: 'slack', url: SLACK_URL }, { now: T0, links, attempt: 1 });
  expect(reqs).toHaveLength(1);
  return { req: reqs[0]!, msg: JSON.parse(reqs[0]!.body) as Record<string, any> };
}

/** Every rule above that the message breaks, by path. */
function problems(msg: Record<string, any>): string[] {
  const out: string[] = [];
  const blocks: Array<[string, any]> = [
    ...(msg.blocks ?? []).map((b: any, i: number) => [`blocks[${i}]`, b]),
    ...(msg.attachments ?? []).flatMap((a: any, j: number) => (a.blocks ?? []).map((b: any, i: number) => [`attachments[${j}].blocks[${i}]`, b])),
  ];
  if (typeof msg.text !== 'string' || msg.text.trim() === '') out.push('text: missing fallback');
  if (blocks.length > RULES.blocks) out.push(`blocks: ${blocks.length}`);
  for (const [path, b] of blocks) {
    if (!BLOCK_TYPES.has(b.type)) out.push(`${path}: type ${b.type}`);
    if (b.type === 'header' && (b.text?.type !== 'plain_text' || b.text.text.length > RULES.header)) out.push(`${path}: header`);
    if (b.type === 'section') {
      if (!b.text && !b.fields) out.push(`${path}: empty section`);
      if (b.text && b.text.text.length > RULES.sectionText) out.push(`${path}: text ${b.text.text.length}`);
      if (b.fields && b.fields.length > RULES.fields) out.push(`${path}: ${b.fields.length} fields`);
      for (const f of b.fields ?? []) if (f.text.length > RULES.fieldText || f.text.length === 0) out.push(`${path}: field ${f.text.length}`);
    }
    if (b.type === 'context' && (b.elements.length === 0 || b.elements.length > RULES.contextElements)) out.push(`${path}: context elements`);
  }
  for (const a of msg.attachments ?? []) if (!/^#[0-9a-f]{6}$/i.test(a.color)) out.push(`attachment color ${a.color}`);
  return out;
}

/** What Slack would parse as control sequences: `<…>` (mentions, links) and `&` not starting one of its three entities. */
function controlSequences(mrkdwn: string): string[] {
  return [...mrkdwn.matchAll(/<[^>]*>|&(?!amp;|lt;|gt;)/g)].map((m) => m[0]);
}
/** The strings Slack parses as mrkdwn: `text`, and every mrkdwn text object. */
function mrkdwnStrings(msg: Record<string, any>): string[] {
  const objects = stringsIn(msg).filter((s) => s.path.endsWith('.text') && !s.path.endsWith('.text.text'));
  const typed = stringsIn(msg).filter((s) => s.path.endsWith('.text.text') || /\.(fields|elements)\[\d+\]\.text$/.test(s.path));
  return [msg.text, ...objects.map((s) => s.text), ...typed.map((s) => s.text)].filter((t, i, all) => all.indexOf(t) === i);
}
const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const OUR_LINK = '<https://dashboard.example.com/vantage?a=1&amp;b=2|Open the dashboard>';

describe('Slack incoming-webhook messages', () => {
  it('every event, CHANNEL_FAILING and TEST give a header, an attachment with a colour and a text fallback, within Block Kit limits', () => {
    for (const m of [...everyAlert(), channelFailing(), testMessage()]) {
      const { req, msg } = render(m);
      expect(req.url).toBe(SLACK_URL);
      expect(problems(msg), m.event).toEqual([]);
      expect(msg.blocks[0].type).toBe('header');
      expect(msg.blocks[0].text.text).toContain(m.event);
      expect(msg.attachments).toHaveLength(1);
      expect(msg.unfurl_links).toBe(false);
    }
  });

  it('the checks above catch a message that breaks the limits', () => {
    const { msg } = render(down());
    const broken = structuredClone(msg);
    broken.blocks[0].text.text = 'h'.repeat(151);
    broken.attachments[0].blocks[0].fields = Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' }));
    broken.text = '';
    expect(problems(broken)).toEqual(['text: missing fallback', 'blocks[0]: header', 'attachments[0].blocks[0]: 11 fields']);
  });

  it('says the state, check, target, since, the failing locations with reasons, and links to the dashboard', () => {
    const { msg } = render(down());
    const fields = msg.attachments[0].blocks[0].fields.map((f: any) => f.text);
    expect(fields).toEqual([
      '*Check*\nPublic API (api), http',
      '*Target*\nhttps://api.example.com/health?token=***&amp;x=***',
      '*State*\nDOWN, 2 of 3 locations failing',
      '*Since*\n2026-11-20T10:00:00.000Z (for 4m 12s)',
      '*At*\n2026-11-20T10:04:12.000Z',
    ]);
    const locations = msg.attachments[0].blocks[1].text.text;
    expect(locations).toContain('*Failing locations*');
    expect(locations).toContain('• *eu-west-1*: `connect_timeout: connect ETIMEDOUT after 5000ms`');
    expect(locations).toContain('phases: dns 2ms, connect 10ms, tls 20ms, ttfb 40ms, transfer 1ms, total 73ms');
    expect(msg.attachments[0].blocks[2].elements[0].text).toContain(OUR_LINK);
    expect(msg.text.startsWith('DOWN: Public API (api)')).toBe(true);
  });

  it('a RESOLVED says the outage and how long it lasted; colours follow severity', () => {
    const { msg } = render(resolved());
    const fields = msg.attachments[0].blocks[0].fields.map((f: any) => f.text);
    expect(fields).toContain('*Outage*\n2026-11-20T10:00:00.000Z to 2026-11-20T10:09:00.000Z');
    expect(fields).toContain('*Lasted*\n9m');
    expect(fields).toContain('*State*\nUP');
    const colour = (m: DeliveryMessage) => render(m).msg.attachments[0].color;
    const [red, amber, green, blue] = [colour(down()), colour(partial()), colour(resolved()), colour(testMessage())];
    expect(new Set([red, amber, green, blue]).size).toBe(4);
    expect(colour(channelFailing())).toBe(amber);
  });

  it('a silent location says when it last reported', () => {
    const silent = everyAlert().find((m) => m.event === 'LOCATION_SILENT')!;
    const locations = render(silent).msg.attachments[0].blocks[1].text.text;
    expect(locations).toBe('*Silent locations*\n• *eu-west-1*: `last result 2026-11-20T10:00:00.000Z`');
  });

  it('a TEST says plainly that it is a test from vantage channels test; CHANNEL_FAILING names the channel and its error', () => {
    const t = render(testMessage()).msg;
    expect(t.blocks[0].text.text).toBe('TEST: oncall slack');
    expect(t.blocks[1].text.text).toBe(TEST_WORDS);
    expect(t.attachments[0].blocks[0].fields[0].text).toBe('*Sent by*\nvantage channels test oncall');
    // Without the CLI's words the renderer says it itself.
    const m = testMessage();
    const bare = render({ ...m, payload: { ...m.payload, message: '' } as typeof m.payload }).msg;
    expect(bare.blocks[1].text.text).toBe('This is a test notification from `vantage channels test oncall`. Nothing is failing.');
    const cf = render(channelFailing()).msg;
    expect(cf.blocks[0].text.text).toBe('CHANNEL_FAILING: chat slack');
    expect(cf.attachments[0].blocks[0].fields.map((f: any) => f.text)).toContain('*Last error*\nHTTP 503');
  });

  it('escapes a hostile failure message everywhere Slack parses mrkdwn, and keeps its words', () => {
    const { msg } = render(hostile());
    const strings = mrkdwnStrings(msg);
    expect(strings.length).toBeGreaterThan(5);
    for (const s of strings) expect(controlSequences(s).filter((c) => c !== OUR_LINK), s).toEqual([]);
    const locations = msg.attachments[0].blocks[1].text.text;
    expect(locations).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(unescape(locations)).toContain(HOSTILE);
    expect(unescape(msg.text)).toContain(HOSTILE);
    expect(JSON.stringify(msg)).not.toContain('<!channel>');
  });

  it('escapes hostile check names and targets too, and a dashboard URL with | cannot end its link early', () => {
    const cfg = loadConfigObject({
      defaults: { locations: ['eu-west-1'] },
      checks: [{ id: 'evil', name: 'A <!here> & <http://x|y>', tcp: { host: 'db.internal', port: 5432 } }],
    });
    const m = alertDelivery({ checkId: 'evil', locationCount: 1 }, 'slack', cfg.checks[0] as Check);
    const { msg } = render(m, { dashboard: 'https://d.example.com/x|<!channel>' });
    for (const s of mrkdwnStrings(msg)) {
      for (const c of controlSequences(s)) expect(c).toMatch(/^<https:\/\/d\.example\.com\/x%7C&lt;!channel&gt;\|Open the dashboard>$/);
    }
  });

  it('clips rather than fails: a long name and 60 long failure messages stay within every limit and say how many were left out', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ location: `loc-${i}`, reason: 'body_mismatch', message: `${'<&>'.repeat(90)} ${i}`, since: T0 }));
    const cfg = loadConfigObject({ defaults: { locations: ['eu-west-1'] }, checks: [{ id: 'long', name: 'N'.repeat(300), tcp: { host: 'h'.repeat(200), port: 1 } }] });
    const m = alertDelivery({ checkId: 'long', locations: many, locationCount: 60 }, 'slack', cfg.checks[0] as Check);
    const { msg } = render(m);
    expect(problems(msg)).toEqual([]);
    expect(msg.blocks[0].text.text).toHaveLength(150);
    const locations: string = msg.attachments[0].blocks[1].text.text;
    expect(locations).toMatch(/\n… and \d+ more$/);
    for (const s of mrkdwnStrings(msg)) expect(controlSequences(s).filter((c) => c !== OUR_LINK)).toEqual([]);
  });

  it('fitMrkdwn never passes its limit nor leaves a broken entity, whatever the text', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('<', '>', '&', 'a', '|', '!', ' ', '😀') }), fc.integer({ min: 2, max: 60 }), (raw, max) => {
      const out = fitMrkdwn(raw, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(controlSequences(out)).toEqual([]);
    }));
  });

  it('puts the webhook URL in the request URL only, and no check secret anywhere', () => {
    for (const m of [down(), hostile(), testMessage(), channelFailing()]) {
      const { req } = render(m);
      expect(req.body).not.toContain('SECRETxyz');
      expect(Object.values(req.headers).join('\n')).not.toContain('SECRETxyz');
      expect(req.body).not.toMatch(/s3cr3t|abc123|user:pw/);
    }
  });
});

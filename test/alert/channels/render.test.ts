import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDelivery, type RenderContext, type ResolvedTarget } from '../../../shared/alert/channels/render.ts';
import { verifySignature } from '../../../shared/alert/channels/signature.ts';
import type { DeliveryMessage, TargetKind } from '../../../shared/alert/delivery.ts';
import { CHECK_SECRET, T0, channelFailing, down, everyAlert, hostile, testMessage } from './fixtures.ts';

const WEBHOOK_SECRET = 'whsec-9f8e7d6c5b4a';
const ROUTING_KEY = 'PDKEYPDKEYPDKEYPDKEYPDKEYPDKEY00';
const ctx = (over: Partial<RenderContext> = {}): RenderContext => ({ now: T0 + 5 * 60_000, links: { dashboard: 'https://dashboard.example.com/' }, attempt: 1, ...over });

function targetFor(kind: TargetKind, base: string): ResolvedTarget {
  switch (kind) {
    case 'webhook': return { kind, url: `${base}/hook/SECRETPATH`, secret: WEBHOOK_SECRET };
    case 'slack': return { kind, url: `${base}/services/T0/B0/SECRETPATH` };
    case 'teams': return { kind, url: `${base}/workflows/x?sig=SECRETPATH` };
    case 'pagerduty': return { kind, url: `${base}/v2/enqueue`, routingKey: ROUTING_KEY };
  }
}
const KINDS: TargetKind[] = ['webhook', 'slack', 'teams', 'pagerduty'];
const allMessages = (kind: TargetKind): DeliveryMessage[] => [...everyAlert(kind), channelFailing(kind), testMessage(kind)];

describe('webhook requests', () => {
  it('carry the payload unchanged and the documented headers; no signature without a secret', () => {
    const m = down('webhook');
    const [req, ...rest] = renderDelivery(m, { kind: 'webhook', url: 'https://hooks.example.com/x' }, ctx({ attempt: 3 }));
    expect(rest).toEqual([]);
    expect(req!.url).toBe('https://hooks.example.com/x');
    expect(req!.body).toBe(JSON.stringify(m.payload));
    expect(req!.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Vantage-Notifier/1',
      'vantage-event': 'DOWN',
      'vantage-dedupe-key': 'api#1763632800000:DOWN:1',
      'vantage-delivery-attempt': '3',
    });
  });

  it('are signed at send time: a retry later carries a new t that verifies, the same dedupe key', () => {
    const m = down('webhook');
    const target: ResolvedTarget = { kind: 'webhook', url: 'https://hooks.example.com/x', secret: WEBHOOK_SECRET };
    const [first] = renderDelivery(m, target, ctx());
    const [retry] = renderDelivery(m, target, ctx({ now: T0 + 65 * 60_000, attempt: 2 }));
    expect(first!.headers['vantage-signature']).toMatch(new RegExp(`^t=${(T0 + 5 * 60_000) / 1000},v1=[0-9a-f]{64}$`));
    expect(retry!.headers['vantage-signature']).not.toBe(first!.headers['vantage-signature']);
    expect(verifySignature(retry!.headers['vantage-signature']!, retry!.body, WEBHOOK_SECRET, { nowSeconds: (T0 + 65 * 60_000) / 1000 })).toBe(true);
    expect(verifySignature(first!.headers['vantage-signature']!, first!.body, WEBHOOK_SECRET, { nowSeconds: (T0 + 65 * 60_000) / 1000 })).toBe(false);
    expect(retry!.headers['vantage-dedupe-key']).toBe(first!.headers['vantage-dedupe-key']);
    expect(retry!.body).toBe(first!.body);
  });

  it('keep header values sendable when a key holds non-ASCII', () => {
    const m = { ...down('webhook'), dedupeKey: 'café#1:DOWN:1' };
    const [req] = renderDelivery(m, { kind: 'webhook', url: 'https://h.example.com' }, ctx());
    expect(req!.headers['vantage-dedupe-key']).toBe(encodeURIComponent('café#1:DOWN:1'));
  });
});

describe('every kind', () => {
  it('renders every event, CHANNEL_FAILING and TEST, and no secret lands outside its own place', () => {
    for (const kind of KINDS) {
      for (const m of allMessages(kind)) {
        const reqs = renderDelivery(m, targetFor(kind, 'https://receiver.example.com'), ctx());
        expect(reqs.length, `${kind} ${m.event}`).toBeGreaterThan(0);
        for (const r of reqs) {
          const headerText = Object.values(r.headers).join('\n');
          for (const secret of ['SECRETPATH', WEBHOOK_SECRET, CHECK_SECRET, 's3cr3t', 'abc123', 'user:pw']) {
            expect(r.body, `${kind} ${m.event} body holds ${secret}`).not.toContain(secret);
            expect(headerText, `${kind} ${m.event} headers hold ${secret}`).not.toContain(secret);
          }
          expect(headerText.includes(ROUTING_KEY)).toBe(false);
          expect(r.body.split(ROUTING_KEY).length - 1).toBe(kind === 'pagerduty' ? 1 : 0);
          expect(() => JSON.parse(r.body)).not.toThrow();
        }
      }
    }
  });

  it('is pure: the same message, target and context give the same requests', () => {
    for (const kind of KINDS) {
      const a = renderDelivery(hostile(kind), targetFor(kind, 'https://r.example.com'), ctx());
      const b = renderDelivery(hostile(kind), targetFor(kind, 'https://r.example.com'), ctx());
      expect(a).toEqual(b);
    }
  });
});

describe('posted to a real receiver on 127.0.0.1', () => {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

  it('arrives as sent: fetch accepts every header, the receiver parses JSON and verifies the signature', async () => {
    for (const kind of KINDS) {
      for (const r of renderDelivery(testMessage(kind), targetFor(kind, base), ctx())) {
        seen.length = 0;
        const res = await fetch(r.url, { method: 'POST', headers: r.headers, body: r.body });
        expect(res.status).toBe(202);
        const [got] = seen;
        expect(got!.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(got!.headers['user-agent']).toBe('Vantage-Notifier/1');
        expect(JSON.parse(got!.body)).toEqual(JSON.parse(r.body));
        if (kind === 'webhook') {
          expect(got!.headers['vantage-event']).toBe('TEST');
          expect(verifySignature(String(got!.headers['vantage-signature']), got!.body, WEBHOOK_SECRET, { nowSeconds: (T0 + 5 * 60_000) / 1000 })).toBe(true);
        }
      }
    }
  });
});

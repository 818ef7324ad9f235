import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDelivery } from '../../../shared/alert/channels/render.ts';
import { signatureHeader, verifySignature } from '../../../shared/alert/channels/signature.ts';
import { down } from './fixtures.ts';

const SECRET = 'whsec-test-0123456789';
const NOW_MS = Date.parse('2026-11-20T10:05:00.000Z');
const NOW = NOW_MS / 1000;

/** The independent oracle: OpenSSL's HMAC over the same bytes. */
function opensslHmac(secret: string, text: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], { input: text, encoding: 'utf8' });
  return out.trim().split(/\s+/).at(-1)!;
}

type ReadmeVerify = (header: string | undefined, rawBody: string | Buffer, secret: string, opts?: { nowSeconds?: number; toleranceSeconds?: number }) => boolean;

/** The README's verification snippet, run as a receiver would paste it. */
let readmeVerify: ReadmeVerify;
let dir: string;
beforeAll(async () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Signed webhook'));
  const block = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('export function verifyVantageSignature'));
  expect(block, 'README has a js block exporting verifyVantageSignature under "### Signed webhook"').toBeDefined();
  dir = mkdtempSync(join(tmpdir(), 'vantage-readme-'));
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, block!);
  ({ verifyVantageSignature: readmeVerify } = (await import(pathToFileURL(file).href)) as { verifyVantageSignature: ReadmeVerify });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function signedRequest() {
  const [req] = renderDelivery(down('webhook'), { kind: 'webhook', url: 'https://hooks.example.com/signed', secret: SECRET }, { now: NOW_MS, links: {}, attempt: 1 });
  return req!;
}

describe('the webhook signature', () => {
  it('is t=<unix seconds>,v1=<HMAC-SHA256 of "<t>.<body>"> as OpenSSL computes it', () => {
    const { body, headers } = signedRequest();
    const header = headers['vantage-signature']!;
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBe(NOW);
    expect(match![2]).toBe(opensslHmac(SECRET, `${NOW}.${body}`));
  });

  it('matches OpenSSL for bodies with non-ASCII text (the HMAC is over UTF-8 bytes)', () => {
    for (const body of ['{"checkName":"Café ☕ API"}', '{}', '{"m":"line\\nbreak"}']) {
      expect(signatureHeader(SECRET, body, 1_700_000_000)).toBe(`t=1700000000,v1=${opensslHmac(SECRET, `1700000000.${body}`)}`);
    }
  });

  it('is verified by the README snippet and by verifySignature', () => {
    const { body, headers } = signedRequest();
    const header = headers['vantage-signature']!;
    expect(readmeVerify(header, body, SECRET, { nowSeconds: NOW })).toBe(true);
    expect(readmeVerify(header, Buffer.from(body), SECRET, { nowSeconds: NOW + 299 })).toBe(true);
    expect(verifySignature(header, body, SECRET, { nowSeconds: NOW })).toBe(true);
  });

  it('is rejected for a tampered body, a wrong secret, an old or future timestamp, and a mangled header, by both', () => {
    const { body, headers } = signedRequest();
    const header = headers['vantage-signature']!;
    const tampered = body.replace('"DOWN"', '"RESOLVED"');
    expect(tampered).not.toBe(body);
    const cases: Array<[string, string, string, number]> = [
      ['tampered body', header, tampered, NOW],
      ['wrong secret', header, body, NOW],
      ['six minutes old', header, body, NOW + 360],
      ['from the future', header, body, NOW - 360],
      ['t re-written to now', header.replace(`t=${NOW}`, `t=${NOW + 360}`), body, NOW + 360],
      ['no v1', `t=${NOW}`, body, NOW],
      ['no t', header.replace(/^t=\d+,/, ''), body, NOW],
      ['v1 cut short', header.slice(0, -2), body, NOW],
      ['empty', '', body, NOW],
    ];
    for (const [name, h, b, now] of cases) {
      const secret = name === 'wrong secret' ? 'another-secret' : SECRET;
      expect(verifySignature(h, b, secret, { nowSeconds: now }), `verifySignature: ${name}`).toBe(false);
      expect(readmeVerify(h, b, secret, { nowSeconds: now }), `README: ${name}`).toBe(false);
    }
    expect(readmeVerify(undefined, body, SECRET, { nowSeconds: NOW })).toBe(false);
  });

  it('accepts either v1 of a header signed with two secrets (rotation)', () => {
    const body = '{"a":1}';
    const [, v1Old] = signatureHeader('old', body, NOW).split(',v1=');
    const header = `${signatureHeader('new', body, NOW)},v1=${v1Old}`;
    expect(verifySignature(header, body, 'old', { nowSeconds: NOW })).toBe(true);
    expect(verifySignature(header, body, 'new', { nowSeconds: NOW })).toBe(true);
    expect(readmeVerify(header, body, 'old', { nowSeconds: NOW })).toBe(true);
  });

  it('round-trips for any body and secret, and any one-character change breaks it', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ minLength: 1 }), fc.nat({ max: 2_000_000_000 }), fc.nat(), (body, secret, t, at) => {
      const header = signatureHeader(secret, body, t);
      expect(verifySignature(header, body, secret, { nowSeconds: t })).toBe(true);
      expect(readmeVerify(header, body, secret, { nowSeconds: t })).toBe(true);
      const i = at % (body.length + 1);
      const changed = `${body.slice(0, i)}x${body.slice(i)}`;
      expect(verifySignature(header, changed, secret, { nowSeconds: t })).toBe(false);
    }), { numRuns: 200 });
  });
});

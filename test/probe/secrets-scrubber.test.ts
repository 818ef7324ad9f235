/** The Scrubber on its own: every form a secret can take in a result, and the clips that cut one short. */
import { describe, expect, it } from 'vitest';
import { isCredentialHeaderName } from '../../shared/config/credentials.ts';
import { redactUrl, redactUrlsIn } from '../../shared/probe/redact-url.ts';
import { MIN_SECRET_CHARS, Scrubber } from '../../shared/probe/secrets.ts';

// Characters that every encoding spells differently: quote, backslash, slash, plus, space, &, =, ~.
const TOKEN = 'tk/9+f"e\\7d&c 5b=4a~Zq';
const scrubber = new Scrubber([TOKEN]);

describe('Scrubber', () => {
  const forms: Array<[string, string]> = [
    ['raw', TOKEN],
    ['JSON-escaped', JSON.stringify(TOKEN).slice(1, -1)],
    ['JSON-escaped twice (a JSON string inside JSON)', JSON.stringify(JSON.stringify(TOKEN).slice(1, -1)).slice(1, -1)],
    ['encodeURIComponent', encodeURIComponent(TOKEN)],
    ['percent-encoded, lower-case hex', encodeURIComponent(TOKEN).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
    ['form-encoded', new URLSearchParams({ t: TOKEN }).toString().slice(2)],
    ['as the URL parser serializes a query', new URL(`http://h/?t=${TOKEN}`).search.slice(3)],
    ['base64', Buffer.from(TOKEN).toString('base64')],
    ['base64url', Buffer.from(TOKEN).toString('base64url')],
  ];
  for (const [name, form] of forms) {
    it(`hides the ${name} form inside other text`, () => {
      // Each case is a spelling of its own, or it would test nothing the raw case does not.
      if (name !== 'raw') expect(form).not.toBe(TOKEN);
      expect(scrubber.scrub(`before ${form} after`)).toBe('before *** after');
    });
  }

  it('hides the token inside base64 of a longer value, at every byte alignment', () => {
    for (const around of ['', 'u:', 'us:', 'use:', 'Bearer ']) {
      const b64 = Buffer.from(`${around}${TOKEN}:x`).toString('base64');
      const out = scrubber.scrub(b64);
      expect(out, around).toContain('***');
      // What is left is at most the surrounding bytes' characters plus the two partial ones at each edge.
      expect(out.replace('***', '').length, around).toBeLessThanOrEqual(Math.ceil((around.length + 2) * 4 / 3) + 4);
    }
  });

  it('hides a prefix of the token that a clip cut short, down to MIN_SECRET_CHARS', () => {
    for (let k = MIN_SECRET_CHARS; k < TOKEN.length; k++) {
      expect(scrubber.scrub(`header x "${'p'.repeat(20)}${TOKEN.slice(0, k)}…" does not match`)).toBe(`header x "${'p'.repeat(20)}***…" does not match`);
    }
    // Shorter than that, the clip leaves too little to be a secret, and too common a string to hide.
    expect(scrubber.scrub(`${TOKEN.slice(0, 3)}…`)).toBe(`${TOKEN.slice(0, 3)}…`);
    // The same prefix not at a clip is ordinary text.
    expect(scrubber.scrub(`${TOKEN.slice(0, 6)} and more`)).toBe(`${TOKEN.slice(0, 6)} and more`);
  });

  it('hides the end of the token right after a clip (a kept tail)', () => {
    expect(scrubber.scrub(`…${TOKEN.slice(-9)} then`)).toBe('…*** then');
  });

  it('scrubs every string of a result, nested, without touching the input', () => {
    const result = { target: 'x', assertions: [{ name: 'a', ok: false, detail: `"${TOKEN}"` }], tcp: { received: TOKEN }, n: 3 };
    const out = scrubber.deep(result);
    expect(out).toEqual({ target: 'x', assertions: [{ name: 'a', ok: false, detail: '"***"' }], tcp: { received: '***' }, n: 3 });
    expect(result.tcp.received).toBe(TOKEN);
  });

  it('an empty scrubber returns the same value', () => {
    const none = new Scrubber(['abc']);
    const value = { a: 'abc' };
    expect(none.active).toBe(false);
    expect(none.deep(value)).toBe(value);
  });
});

describe('credential header names', () => {
  it.each(['Authorization', 'Proxy-Authorization', 'Cookie', 'Api-Key', 'apikey', 'X-Api-Key', 'X-Vault-Token', 'Private-Token', 'X-Auth-Token', 'X_Session', 'X-Hub-Signature', 'X-Client-Secret', 'DB-Password', 'X-Credentials'])('%s is a credential', (name) => {
    expect(isCredentialHeaderName(name)).toBe(true);
  });
  it.each(['Accept', 'Content-Type', 'X-Trace', 'User-Agent', 'X-Monkey', 'Keyboard'])('%s is not', (name) => {
    expect(isCredentialHeaderName(name)).toBe(false);
  });
});

describe('redactUrl', () => {
  it('drops userinfo and keeps the rest', () => {
    expect(redactUrl('https://user:pa%40ss@example.com:8443/p?q=1#f')).toBe('https://example.com:8443/p?q=1#f');
    expect(redactUrl(new URL('http://tok@example.com/'))).toBe('http://example.com/');
    expect(redactUrl('http://example.com/a')).toBe('http://example.com/a');
  });

  it('masks query values when asked', () => {
    expect(redactUrl('https://u:p@example.com/x?token=abc&b=2', { maskQuery: true })).toBe('https://example.com/x?token=***&b=***');
  });

  it('still hides userinfo in a string the URL parser rejects, and in free text', () => {
    expect(redactUrl('http://user:s3cr3t@[bad')).toBe('http://[bad');
    expect(redactUrlsIn('Unexpected argument \'https://me:p@ss w0rd@host/x\'. more')).toBe('Unexpected argument \'https://host/x\'. more');
    expect(redactUrlsIn('no urls here, mail me@example.com')).toBe('no urls here, mail me@example.com');
  });
});

/**
 * Secrets against real servers that echo them back in every form a result could carry: JSON-escaped
 * in a body a JSON path reads, clipped in a long header, URL-encoded in a redirect loop's next URL,
 * base64 in an assertion's detail. The token comes from `${env:}`, a `{secretsManager}` reference
 * through the injected resolver, a literal credential header and URL userinfo; none of it may appear
 * in the result, in any form, and credential headers do not follow a redirect to another origin.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAlertMessage } from '../../shared/alert/message.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { probeResultEmfLine } from '../../shared/metrics/emf.ts';
import { runProbe } from '../../shared/probe/index.ts';
import type { ProbeResult, SecretResolver } from '../../shared/probe/types.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

// Quote, backslash, slash, plus, space, &, = and ~: every encoding spells this token differently.
const TOKEN = 'tk/9+f"e\\7d&c 5b=4a~Zq';
const VAULT = 'hvs.CAESIJx8-vault-7Q2w';
const API_KEY = 'literal-key-5f3a9c71';
const PASSWORD = 'pw S3cr3t!@x';
const env = { TOKEN };
const asked: unknown[] = [];
const resolveSecret: SecretResolver = async (ref) => {
  asked.push(ref);
  return VAULT;
};

const HEADERS = {
  Authorization: 'Bearer ${env:TOKEN}',
  'X-Vault-Token': { secretsManager: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vault' },
  'Api-Key': API_KEY,
  'X-Trace': 'kept-on-every-hop',
};

/** Every spelling of a value that these servers send back. */
function spellings(value: string): string[] {
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    new URLSearchParams({ t: value }).toString().slice(2),
    new URL(`http://h/?t=${value}`).search.slice(3),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
  ];
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/**
 * Where a secret shows through: any 8 characters of any spelling in any string of the result, any
 * spelling in its JSON, or a prefix of 4 or more characters right before a clip mark.
 */
function leaks(result: ProbeResult, secret: string): string[] {
  const found: string[] = [];
  const all = strings(result);
  const json = JSON.stringify(result);
  for (const form of spellings(secret)) {
    if (json.includes(form) || json.includes(JSON.stringify(form).slice(1, -1))) found.push(`"${form}" in the JSON`);
    for (let i = 0; i + 8 <= form.length; i++) {
      const window = form.slice(i, i + 8);
      for (const s of all) if (s.includes(window)) found.push(`"${window}" in ${JSON.stringify(s)}`);
    }
  }
  for (const s of all) {
    for (let at = s.indexOf('…'); at >= 0; at = s.indexOf('…', at + 1)) {
      for (let k = 4; k < secret.length; k++) if (s.slice(0, at).endsWith(secret.slice(0, k))) found.push(`clipped "${secret.slice(0, k)}" in ${JSON.stringify(s)}`);
    }
  }
  return found;
}

function expectNoLeaks(result: ProbeResult): void {
  for (const secret of [TOKEN, `Bearer ${TOKEN}`, VAULT, API_KEY, PASSWORD]) expect(leaks(result, secret), secret).toEqual([]);
  // The Basic header the userinfo became, and the token-derived middle of base64("Bearer <token>").
  const json = JSON.stringify(result);
  expect(json).not.toContain(Buffer.from(`user:${PASSWORD}`).toString('base64'));
  expect(json).not.toContain(Buffer.from(`Bearer ${TOKEN}`).toString('base64').slice(12, 28));
}

let server: Running;
const seen = new Map<string, http.IncomingHttpHeaders>();

function header(req: http.IncomingMessage, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

beforeAll(async () => {
  server = await startHttp((req, res) => {
    const url = new URL(req.url!, 'http://x');
    seen.set(url.pathname, req.headers);
    const auth = header(req, 'authorization');
    switch (url.pathname) {
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ auth, vault: header(req, 'x-vault-token'), apiKey: header(req, 'api-key') }));
        return;
      case '/long-header':
        res.writeHead(200, { 'x-echo': `${'p'.repeat(Number(url.searchParams.get('pad')))}${auth}` }).end('ok');
        return;
      case '/loop':
        res.writeHead(302, { location: `/loop?t=${encodeURIComponent(auth)}` }).end();
        return;
      case '/loop-form':
        res.writeHead(302, { location: `/loop-form?${new URLSearchParams({ t: auth })}` }).end();
        return;
      case '/loop-raw':
        res.writeHead(302, { location: `/loop-raw?t=${header(req, 'x-vault-token')}&k=${header(req, 'api-key')}` }).end();
        return;
      case '/b64':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          whole: Buffer.from(auth).toString('base64'),
          url: Buffer.from(TOKEN).toString('base64url'),
          inside: Buffer.from(`id:${header(req, 'x-vault-token')}:${TOKEN}`).toString('base64'),
        }));
        return;
      case '/away':
        res.writeHead(302, { location: `http://localhost:${server.port}/landing-away` }).end();
        return;
      case '/same':
        res.writeHead(302, { location: '/landing-same' }).end();
        return;
      default:
        res.writeHead(200).end('ok');
    }
  });
});

afterAll(() => server.close());

function check(spec: Record<string, unknown>): Check {
  return loadConfigObject({ checks: [{ id: 'secrets', timeout: '2s', http: { headers: HEADERS, ...spec } }] }).checks[0]!;
}

const probe = (spec: Record<string, unknown>) => runProbe(check(spec), { env, resolveSecret });

describe('secrets never leave in any form', () => {
  it('sends each secret as configured, and resolves the reference through the injected resolver', async () => {
    asked.length = 0;
    const r = await probe({ url: server.url('/plain') });
    expect(r.ok).toBe(true);
    expect(seen.get('/plain')).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'x-vault-token': VAULT, 'api-key': API_KEY });
    expect(asked).toEqual([{ secretsManager: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vault' }]);
    expectNoLeaks(r);
  });

  it('JSON-escaped in a jsonPath failure message and detail', async () => {
    const r = await probe({ url: server.url('/json'), assert: { jsonPath: { '$.auth': 'nope', '$.vault': 'nope', '$.apiKey': 'nope' } } });
    expect(r.failure?.reason).toBe('body_mismatch');
    expect(r.failure?.message).toBe('$.auth is "***", expected "nope"');
    expect(r.assertions.filter((a) => a.name.startsWith('$')).map((a) => a.detail)).toEqual(['"***"', '"***"', '"***"']);
    expectNoLeaks(r);
  });

  it('clipped at 120 characters in a long echoed header, wherever the clip falls', async () => {
    // Pads from a clip just inside "Bearer" to one that keeps all but the token's last character.
    for (let pad = 120 - `Bearer ${TOKEN}`.length + 1; pad <= 116; pad++) {
      const r = await probe({ url: server.url(`/long-header?pad=${pad}`), assert: { headers: { 'x-echo': '^nomatch$' } } });
      expect(r.failure?.reason, `pad ${pad}`).toBe('header_mismatch');
      expect(r.failure?.message, `pad ${pad}`).toMatch(/…" does not match/);
      expectNoLeaks(r);
    }
  });

  it('URL-encoded, form-encoded and as the URL parser writes it, in a redirect loop\'s next URL', async () => {
    for (const path of ['/loop', '/loop-form', '/loop-raw']) {
      const r = await probe({ url: server.url(path), maxRedirects: 2 });
      expect(r.failure?.reason, path).toBe('too_many_redirects');
      expect(r.failure?.message, path).toContain(`(next: http://127.0.0.1:${server.port}${path}?`);
      expect(r.failure?.message, path).toContain('***');
      expectNoLeaks(r);
    }
  });

  it('base64 and base64url in assertion details, alone and inside a longer value', async () => {
    const r = await probe({ url: server.url('/b64'), assert: { jsonPath: { '$.whole': 'x', '$.url': 'x', '$.inside': 'x' } } });
    expect(r.failure?.reason).toBe('body_mismatch');
    const details = r.assertions.filter((a) => a.name.startsWith('$')).map((a) => a.detail);
    expect(details).toHaveLength(3);
    for (const d of details) expect(d).toContain('***');
    expectNoLeaks(r);
  });

  it('URL userinfo: not in the target, not in the Basic header echoed back', async () => {
    const url = `http://user:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/json`;
    const c = loadConfigObject({ checks: [{ id: 'userinfo', timeout: '2s', http: { url, assert: { jsonPath: { '$.auth': 'nope' } } } }] }).checks[0]!;
    const r = await runProbe(c);
    expect(seen.get('/json')?.authorization).toBe(`Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`);
    expect(r.target).toBe(`http://127.0.0.1:${server.port}/json`);
    expect(r.failure?.message).toBe('$.auth is "***", expected "nope"');
    expect(JSON.stringify(r)).not.toContain('user:');
    expectNoLeaks(r);
  });
});

describe('credential headers on redirects', () => {
  it('are not carried to another origin; other headers are', async () => {
    const r = await probe({ url: server.url('/away') });
    expect(r.ok).toBe(true);
    expect(seen.get('/away')).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'x-vault-token': VAULT, 'api-key': API_KEY });
    const landed = seen.get('/landing-away')!;
    expect(landed.host).toBe(`localhost:${server.port}`);
    expect(landed['x-trace']).toBe('kept-on-every-hop');
    for (const name of ['authorization', 'x-vault-token', 'api-key']) expect(landed[name], name).toBeUndefined();
  });

  it('are carried on a redirect within the origin', async () => {
    const r = await probe({ url: server.url('/same') });
    expect(r.ok).toBe(true);
    expect(seen.get('/landing-same')).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'x-vault-token': VAULT, 'api-key': API_KEY });
  });
});

describe('where results travel', () => {
  it('an alert built from a failed result shows neither the token nor URL userinfo', async () => {
    const url = `http://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/loop`;
    const cfg = loadConfigObject({
      defaults: { alerting: { channels: ['oncall'] } },
      channels: { oncall: { webhook: ['https://hooks.example.com/x'] } },
      checks: [{ id: 'travel', timeout: '2s', http: { url, headers: HEADERS, maxRedirects: 1 } }],
    });
    const c = cfg.checks[0]!;
    const r = await runProbe(c, { env, resolveSecret });
    expect(r.failure?.reason).toBe('too_many_redirects');
    const message = buildAlertMessage({
      event: 'DOWN', checkId: 'travel', incidentId: 'travel#1', dedupeKey: 'travel#1#DOWN', at: 0, since: 0, locationCount: 1,
      // A message from elsewhere that quotes a URL with userinfo is cleaned on the way out too.
      locations: [{ location: 'local', reason: r.failure!.reason, message: `${r.failure!.message}; was http://alice:${PASSWORD}@h/` }],
    }, c, cfg.channels);
    const text = JSON.stringify(message);
    expect(text).toContain('too_many_redirects');
    for (const secret of [TOKEN, VAULT, API_KEY, PASSWORD, encodeURIComponent(PASSWORD), 'alice:']) expect(text, secret).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(`Bearer ${TOKEN}`));
  });

  it('the EMF line of a failed result carries no target and no message', async () => {
    const r = await probe({ url: server.url('/json'), assert: { jsonPath: { '$.auth': 'nope' } } });
    const line = probeResultEmfLine(r, 'local');
    expect(JSON.parse(line)).toMatchObject({ CheckId: 'secrets', failureReason: 'body_mismatch' });
    expect(line).not.toContain('/json');
    expect(line).not.toContain('***');
  });
});


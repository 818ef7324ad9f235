/**
 * Targets that misbehave: they hang, drip, flood, lie, reset, refuse or do not exist. Each probe must
 * come back with the right reason, never throw, free its socket, and never let a secret into the
 * result. Durations are bounded by `hangBound` (test/support/timing.ts): every stalling target here
 * stalls far longer than that, so a probe that ignored its timeout would still fail.
 */
import { once } from 'node:events';
import type net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeHttp } from '../../shared/probe/http.ts';
import type { ProbeContext, ProbeOutcome } from '../../shared/probe/types.ts';
import { closedPort, httpCheck, probeContext, startHttp, startTcp, type Running } from '../support/http-servers.ts';
import { hangBound } from '../support/timing.ts';

const TIMEOUT_MS = 1000;

async function timed(spec: Record<string, unknown>, ctx: Partial<ProbeContext> = {}): Promise<{ r: ProbeOutcome; ms: number }> {
  const check = httpCheck(spec, { timeout: `${TIMEOUT_MS}ms` });
  const t0 = performance.now();
  const r = await probeHttp(check, probeContext(check, ctx));
  return { r, ms: performance.now() - t0 };
}

/** Server-side sockets, so a test can see the client go away. */
function sockets() {
  const open = new Set<net.Socket>();
  return {
    open,
    add(s: net.Socket) {
      open.add(s);
      // Reading is what lets the server see the client's FIN; a paused socket never reports its end.
      s.resume();
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
    },
    async drained() {
      await Promise.all([...open].map((s) => (s.closed ? Promise.resolve() : once(s, 'close'))));
    },
  };
}

describe('hostile targets', () => {
  const started: Running[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const every = (ms: number, fn: () => void) => {
    const t = setInterval(fn, ms);
    timers.add(t);
    return t;
  };
  afterEach(() => {
    for (const t of timers) clearInterval(t);
    timers.clear();
  });
  afterAll(() => Promise.all(started.map((s) => s.close())));
  async function tcp(onSocket: (s: net.Socket) => void) {
    const s = await startTcp(onSocket);
    started.push(s);
    return s;
  }

  it('a server that accepts and never answers: timeout, and the connection is closed', async () => {
    const seen = sockets();
    const server = await tcp((s) => seen.add(s));
    const { r, ms } = await timed({ url: server.url('/') });
    expect(r.failure?.reason).toBe('timeout');
    expect(r.failure?.message).toMatch(/waiting for the response headers$/);
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
    expect(r.phases.connect).toBeGreaterThan(0);
    await seen.drained();
    expect(seen.open.size).toBe(0);
  });

  it('headers dripped one byte per second: timeout', async () => {
    const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const server = await tcp((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        let i = 0;
        const t = every(1000, () => (i < head.length && !s.destroyed ? s.write(head.subarray(i, ++i)) : clearInterval(t)));
      });
    });
    const { r, ms } = await timed({ url: server.url('/') });
    expect(r.failure?.reason).toBe('timeout');
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
  });

  it('a body that trickles past the timeout: timeout while reading, with the status kept', async () => {
    const server = await tcp((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
        const t = every(100, () => (s.destroyed ? clearInterval(t) : s.write('.')));
      });
    });
    const { r, ms } = await timed({ url: server.url('/'), assert: { bodyMatches: ['done'] } });
    expect(r.failure?.reason).toBe('timeout');
    expect(r.failure?.message).toMatch(/reading the body \(\d+ bytes so far\)$/);
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
    expect(r.http?.status).toBe(200);
    expect(r.assertions).toEqual([
      { name: 'status in [2xx]', ok: true, detail: '200' },
      { name: 'body matches /done/', ok: false, detail: 'body not read completely' },
    ]);
  });

  it('a 100 MB body: body_too_large, the read stops early and memory stays bounded', async () => {
    const total = 100 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    let finished = false;
    let serverClosed!: () => void;
    const closed = new Promise<void>((resolve) => { serverClosed = resolve; });
    const server = await startHttp((_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      res.on('close', () => {
        finished = res.writableFinished;
        serverClosed();
      });
      const pump = () => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (written >= total) res.end();
      };
      pump();
    });
    started.push(server);
    const before = process.memoryUsage();
    // Body assertions make the prober keep the body, the path where the cap matters most.
    const { r, ms } = await timed({ url: server.url('/'), assert: { bodyMatches: ['b'] } });
    const after = process.memoryUsage();
    expect(r.failure?.reason).toBe('body_too_large');
    expect(r.failure?.message).toMatch(/^body larger than 1048576 bytes; stopped reading at \d+$/);
    expect(r.http?.bodyBytes).toBeGreaterThan(1024 * 1024);
    expect(r.http?.bodyBytes).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
    await closed;
    expect(finished).toBe(false);
    // Socket buffers on both sides hold a few MB at most; the rest was never sent.
    expect(written).toBeLessThan(total / 4);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(50 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(50 * 1024 * 1024);
  });

  it('a redirect loop: too_many_redirects after maxRedirects hops', async () => {
    const server = await startHttp((_req, res) => res.writeHead(302, { location: '/loop' }).end());
    started.push(server);
    const { r, ms } = await timed({ url: server.url('/loop'), maxRedirects: 3 });
    expect(r.failure).toEqual({ reason: 'too_many_redirects', message: `stopped after 3 redirects (next: ${server.url('/loop')})` });
    expect(server.connections).toBe(4);
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
  });

  it('garbage instead of HTTP: protocol_error', async () => {
    const server = await tcp((s) => {
      s.on('error', () => {});
      s.once('data', () => s.write('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    });
    const { r, ms } = await timed({ url: server.url('/') });
    expect(r.failure?.reason).toBe('protocol_error');
    // undici 8.12 leaves HTTPParserError.code undefined (it indexes llhttp's name→number map by
    // number), so this rests on the classifier's fallback: an unknown error mid-response is protocol_error.
    expect(r.http).toBeUndefined();
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
  });

  // Decided: a peer that drops the connection mid-body is `connection_reset` whether it sends RST or
  // FIN. The bytes that came were valid HTTP; the connection, not the protocol, failed.
  it('a reset (RST) mid-body: connection_reset', async () => {
    const server = await tcp((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000), () => setTimeout(() => s.resetAndDestroy(), 20));
      });
    });
    const { r, ms } = await timed({ url: server.url('/') });
    expect(r.failure?.reason).toBe('connection_reset');
    expect(r.http).toMatchObject({ status: 200, bodyBytes: 1000 });
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
  });

  it('a close (FIN) mid-body: connection_reset', async () => {
    const server = await tcp((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000)));
    });
    const { r } = await timed({ url: server.url('/') });
    expect(r.failure?.reason).toBe('connection_reset');
  });

  it('a closed port: connect_refused', async () => {
    const port = await closedPort();
    const { r, ms } = await timed({ url: `http://127.0.0.1:${port}/` });
    expect(r.failure?.reason).toBe('connect_refused');
    expect(r.failure?.message).toMatch(/ECONNREFUSED/);
    expect(r.http).toBeUndefined();
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
  });

  it('a name that cannot resolve (RFC 6761 .invalid): dns', async () => {
    const { r, ms } = await timed({ url: 'http://vantage-probe-test.invalid/' });
    expect(r.failure?.reason).toBe('dns');
    expect(r.failure?.message).toMatch(/\(ENOTFOUND\)$/);
    expect(r.phases.dns).toBeGreaterThan(0); // the failed lookup is still timed
    expect(r.phases.connect).toBeUndefined();
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
  });

  it('a TLS port that never completes the handshake: tls_handshake', async () => {
    const seen = sockets();
    const server = await tcp((s) => seen.add(s));
    const { r, ms } = await timed({ url: `https://127.0.0.1:${server.port}/` });
    expect(r.failure?.reason).toBe('tls_handshake');
    expect(r.failure?.message).toMatch(/in the TLS handshake$/);
    expect(ms).toBeLessThan(hangBound(TIMEOUT_MS));
    await seen.drained();
  });

  it('a plain HTTP server on an https URL: tls_handshake', async () => {
    const server = await startHttp((_req, res) => res.end('plain'));
    started.push(server);
    const { r } = await timed({ url: `https://127.0.0.1:${server.port}/` });
    expect(r.failure?.reason).toBe('tls_handshake');
  });

  it('an external abort mid-flight returns a classified failure and frees the socket', async () => {
    const seen = sockets();
    const server = await tcp((s) => seen.add(s));
    const check = httpCheck({ url: server.url('/') }, { timeout: '5s' });
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 100);
    const t0 = performance.now();
    const r = await probeHttp(check, { signal: cancel.signal, timeoutMs: check.timeout });
    // Before the probe's own 5 s timeout, so the abort is what ended it.
    expect(performance.now() - t0).toBeLessThan(check.timeout);
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('timeout'); // the runner turns this into `aborted`
    await seen.drained();
  });

  it('a header value a request cannot carry: internal, not blamed on the target', async () => {
    const server = await startHttp((_req, res) => res.end('ok'));
    started.push(server);
    const { r } = await timed({ url: server.url('/'), headers: { 'X-Bad': '${env:BAD}' } }, { env: { BAD: 'a\r\nInjected: yes' } });
    expect(r.failure?.reason).toBe('internal');
    expect(server.connections).toBe(0);
  });
});

describe('secrets in results', () => {
  const TOKEN = 'tok_9f8e7d6c5b4a';
  const env = { TOKEN };
  let server: Running;
  const received: string[] = [];

  beforeAll(async () => {
    server = await startHttp((req, res) => {
      received.push(req.headers.authorization ?? '');
      const echo = req.headers.authorization ?? '';
      if (req.url === '/redirect-with-token') {
        res.writeHead(302, { location: `/again?t=${TOKEN}` }).end();
        return;
      }
      if (req.url?.startsWith('/again')) {
        res.writeHead(302, { location: `/again?t=${TOKEN}` }).end();
        return;
      }
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'application/json', 'x-echo': echo })
        .end(JSON.stringify({ auth: echo, token: TOKEN }));
    });
  });
  afterAll(() => server.close());

  const spec = (url: string, extra: Record<string, unknown> = {}) => ({ url, headers: { Authorization: 'Bearer ${env:TOKEN}' }, ...extra });

  it('sends the resolved header and keeps the token out of a passing result', async () => {
    const { r } = await timed(spec(server.url('/ok'), { assert: { headers: { 'x-echo': '^Bearer ' } } }), { env });
    expect(r.ok).toBe(true);
    expect(received.at(-1)).toBe(`Bearer ${TOKEN}`);
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('keeps the token out of failures and assertion details that would echo it', async () => {
    const results = [
      (await timed(spec(server.url('/fail'), { assert: { headers: { 'x-echo': 'nothing' }, jsonPath: { '$.auth': 'x', '$.token': 'y' }, bodyMatches: ['zzz'] } }), { env })).r,
      (await timed(spec(server.url('/redirect-with-token'), { maxRedirects: 2 }), { env })).r,
      (await timed(spec(`http://127.0.0.1:${await closedPort()}/`), { env })).r,
      (await timed(spec('http://user:hunter2-pass@vantage-probe-test.invalid/'), { env })).r,
    ];
    expect(results.map((r) => r.failure?.reason)).toEqual(['status_code', 'too_many_redirects', 'connect_refused', 'dns']);
    expect(results[0]!.assertions.find((a) => a.name.startsWith('header x-echo'))?.detail).toBe('***');
    for (const r of results) {
      const text = JSON.stringify(r);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('hunter2-pass');
    }
  });

  it('names a missing environment variable without crashing', async () => {
    const { r } = await timed(spec(server.url('/ok')), { env: {} });
    expect(r.failure).toEqual({ reason: 'internal', message: 'cannot prepare the request: environment variable TOKEN is not set' });
  });
});

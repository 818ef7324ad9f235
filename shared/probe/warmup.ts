/**
 * The engine's warm-up: a few real exchanges over loopback before the first real probe.
 *
 * The first exchange in a fresh Node process pays for loading modules on first use (undici's
 * HTTP/1 and HTTP/2 clients, llhttp's WebAssembly, node:tls and node:http2 internals), for
 * OpenSSL's first handshake, and for JavaScript that has not been compiled yet. All of that happens
 * between the socket events the phases are measured at, so a cold first probe reports 3–12 ms of
 * connect and 6–13 ms more TLS on loopback, where curl sees 0.15 ms. Doing the same work once
 * during init (the probe function's init, the CLI's start-up) moves that cost out of every first
 * probe, so the first measures as the hundredth does.
 *
 * It starts its own servers on 127.0.0.1 (TLS with ALPN h2 and http/1.1, and plain HTTP/1.1), with a
 * certificate made for the occasion, and takes the same code paths a probe takes: a `localhost`
 * lookup, TCP, a verified TLS handshake, an HTTP/1.1 and an HTTP/2 exchange with a body kept, and the
 * TCP/TLS probers' timed socket. It never throws: a warm-up that fails costs accuracy, not probes.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { createSecureContext } from 'node:tls';
import { exchange, type ExchangeRequest } from './http-exchange.ts';
import { openTimedSocket } from './timed-socket.ts';
import { warmUpCertificate } from './warmup-cert.ts';

export interface WarmUpReport {
  ok: boolean;
  ms: number;
  /** The first thing that went wrong, when `ok` is false. */
  error?: string;
}

/** A stuck warm-up must not hold up init; past this it is abandoned. */
const WARM_UP_TIMEOUT_MS = 3_000;
/** Twice over: the second round reaches code the first only passed through once (JIT tiers up on calls). */
const ROUNDS = 2;

const PLAIN_RESPONSE = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok';

async function listen(server: net.Server | http2.Http2SecureServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

async function run(): Promise<WarmUpReport> {
  const t0 = performance.now();
  const signal = AbortSignal.timeout(WARM_UP_TIMEOUT_MS);
  const { cert, key } = warmUpCertificate();
  const secure = http2.createSecureServer({ cert, key, allowHTTP1: true }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  const plain = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end(PLAIN_RESPONSE));
  });
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  for (const server of [secure, plain]) {
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  }
  secure.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  secure.on('sessionError', () => {});
  try {
    const [securePort, plainPort] = await Promise.all([listen(secure), listen(plain)]);
    const tls = { ca: cert, servername: 'localhost' };
    // How the HTTP prober dials: an IP literal (no lookup) and a prepared secure context.
    const byIp = { secureContext: createSecureContext({ ca: cert }), servername: 'localhost' };
    const base: Omit<ExchangeRequest, 'url' | 'tls' | 'http2'> = {
      method: 'GET', headers: { 'user-agent': 'Vantage/1.0 (warm-up)' }, body: undefined, family: 4,
      timeoutMs: WARM_UP_TIMEOUT_MS, signal, maxBodyBytes: 1024, keepBody: true, followRedirects: true,
    };
    const requests: ExchangeRequest[] = [
      { ...base, url: new URL(`http://localhost:${plainPort}/`), tls: undefined, http2: false },
      { ...base, url: new URL(`https://localhost:${securePort}/`), tls, http2: false },
      { ...base, url: new URL(`https://localhost:${securePort}/`), tls, http2: true },
      { ...base, url: new URL(`https://127.0.0.1:${securePort}/`), tls: byIp, http2: true, family: undefined },
      { ...base, url: new URL(`https://127.0.0.1:${securePort}/`), tls: byIp, http2: false, family: undefined },
      { ...base, url: new URL(`http://127.0.0.1:${plainPort}/`), tls: undefined, http2: false, family: undefined },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const req of requests) {
        const ex = await exchange(req);
        if (ex.end !== 'complete' || ex.status !== 200) return { ok: false, ms: performance.now() - t0, error: `${req.url.protocol}${req.http2 ? ' h2' : ''}: ${ex.end}` };
      }
      const conn = await openTimedSocket({ host: 'localhost', port: securePort, family: 4, tls }, { signal, timeoutMs: WARM_UP_TIMEOUT_MS });
      conn.close();
      if (!conn.ok) return { ok: false, ms: performance.now() - t0, error: `tls socket: ${conn.failure.reason}` };
    }
    return { ok: true, ms: performance.now() - t0 };
  } catch (err) {
    return { ok: false, ms: performance.now() - t0, error: (err as NodeJS.ErrnoException).code ?? String(err) };
  } finally {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
    await Promise.all([secure, plain].map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}

let warming: Promise<WarmUpReport> | undefined;

/** Warms the engine once per process; later calls share the first one's result. */
export function warmUp(): Promise<WarmUpReport> {
  return (warming ??= run());
}

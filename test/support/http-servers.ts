/**
 * Real servers for the HTTP prober's tests, all on 127.0.0.1 port 0. Each one counts the connections
 * it accepted and, on close(), destroys every socket it still holds, so no test leaves anything open.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { HttpCheck } from '../../shared/config/schema.ts';
import type { ProbeContext } from '../../shared/probe/types.ts';
import type { TestPki } from '../../testkit/certs.ts';

export interface Running {
  /** The server itself, for tests that watch its events. */
  server: Listening;
  port: number;
  /** `http://127.0.0.1:<port><path>` (or https). */
  url(path?: string): string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

type Listening = net.Server | http2.Http2SecureServer;

async function track(server: Listening, scheme: 'http' | 'https'): Promise<Running> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  server.on('connection', (s: net.Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Clients that go away mid-response are what the hostile tests are about; they are not errors here.
  server.on('clientError', (_err: Error, s: net.Socket) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    port,
    url: (path = '/') => `${scheme}://127.0.0.1:${port}${path}`,
    get connections() { return connections; },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export function startHttp(handler: Handler): Promise<Running> {
  return track(http.createServer(handler), 'http');
}

export function startHttps(options: https.ServerOptions, handler: Handler): Promise<Running> {
  return track(https.createServer(options, handler), 'https');
}

/** An HTTP/2-only TLS server: it offers only `h2` by ALPN and refuses HTTP/1.1. */
export async function startH2Only(options: http2.SecureServerOptions, onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): Promise<Running> {
  const server = http2.createSecureServer({ ...options, allowHTTP1: false });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', onStream);
  const running = await track(server, 'https');
  return {
    ...running,
    get connections() { return running.connections; },
    close: async () => {
      for (const s of sessions) s.destroy();
      await running.close();
    },
  };
}

/** A raw TCP server for targets that do not speak HTTP properly. */
export function startTcp(onSocket: (socket: net.Socket) => void): Promise<Running> {
  return track(net.createServer(onSocket), 'http');
}

/** A port that was just bound and released, so nothing listens on it: connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** TLS server options for one certificate of the test PKI. */
export function tlsOptions(pem: { cert: string; key: string }, extra: tls.TlsOptions = {}): tls.TlsOptions {
  return { cert: pem.cert, key: pem.key, ...extra };
}

/** PEM files on disk, since `tls.ca`, `tls.cert` and `tls.key` are paths relative to the config. */
export interface PemDir {
  dir: string;
  remove(): void;
}

export function writePems(pki: TestPki): PemDir {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-http-'));
  writeFileSync(join(dir, 'ca.pem'), pki.ca.cert);
  writeFileSync(join(dir, 'client.pem'), pki.client.cert);
  writeFileSync(join(dir, 'client-key.pem'), pki.client.key);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A check built by the same loader users go through, so defaults and file references apply. */
export function httpCheck(spec: Record<string, unknown>, opts: { timeout?: string; baseDir?: string } = {}): HttpCheck {
  const cfg = loadConfigObject(
    { checks: [{ id: 'http-test', http: spec, ...(opts.timeout && { timeout: opts.timeout }) }] },
    opts.baseDir !== undefined ? { baseDir: opts.baseDir } : {},
  );
  return cfg.checks[0] as HttpCheck;
}

/** The context runProbe would give a prober: a signal that fires at the check's timeout. */
export function probeContext(check: HttpCheck, extra: Partial<ProbeContext> = {}): ProbeContext {
  return { signal: AbortSignal.timeout(check.timeout), timeoutMs: check.timeout, ...extra };
}

/**
 * A server whose body comes as `total` one-byte chunks of chunked transfer coding (`1\r\na\r\n` each),
 * written in large batches so the test is quick: undici's parser hands each chunk over as a view of
 * its own, a million for 1 MiB, which is what the body cap must hold against.
 */
export function startOneByteChunks(total: number): Promise<Running> {
  const batchChunks = 8192;
  const batch = Buffer.from('1\r\na\r\n'.repeat(batchChunks));
  return startTcp((s) => {
    s.on('error', () => {});
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n');
      let sent = 0;
      const pump = () => {
        while (sent < total && !s.destroyed) {
          const n = Math.min(batchChunks, total - sent);
          sent += n;
          if (!s.write(n === batchChunks ? batch : batch.subarray(0, n * 6))) return void s.once('drain', pump);
        }
        if (!s.destroyed) s.end('0\r\n\r\n');
      };
      pump();
    });
  });
}

/** Listens on 127.0.0.1 at a free port and returns it. */
export async function listenLoopback(server: net.Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as net.AddressInfo).port;
}

/** Closes a server and every connection still open to it; one never started is left alone. */
export async function closeServer(server: http.Server | undefined): Promise<void> {
  if (!server?.listening) return;
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

/** One webhook delivery as a receiver saw it. */
export interface ReceivedHook<B> { at: number; body: B; headers: http.IncomingHttpHeaders }

/**
 * A webhook endpoint on loopback that records every JSON body it is sent (with when and the
 * headers) and answers 204, as the e2e tests' alert receiver.
 */
export function webhookReceiver<B>(): { server: http.Server; hooks: Array<ReceivedHook<B>> } {
  const hooks: Array<ReceivedHook<B>> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      hooks.push({ at: Date.now(), body: JSON.parse(body) as B, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  return { server, hooks };
}

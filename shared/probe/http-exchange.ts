/**
 * One HTTP request and its response over a connection opened for it alone, timed phase by phase.
 *
 * Each exchange gets its own undici `Client` and connector, so DNS, TCP and TLS are measured every
 * time (nothing is pooled, resumed or cached), and both are destroyed when the exchange ends however
 * it ends. Phases come from the socket's `lookup`, `connect` and `secureConnect` events and from the
 * dispatch handler's callbacks; the raw handler API also lets the body be counted chunk by chunk and
 * dropped at the cap without ever becoming a stream.
 *
 * Once undici has the connection, only undici ends it: the request through its dispatch controller,
 * then the client. An HTTP/2 socket destroyed under a pending request puts that request back in the
 * client's queue, and undici then fails `assert(client[kPending] === 0)` outside any call stack of
 * ours: an uncaught exception that takes the whole process down.
 */
import { isIP, type Socket } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { buildConnector as Connector, Dispatcher } from 'undici';
// From their own files, not the package index: the index also loads fetch, WebSocket, the cache,
// mock and proxy agents, which the exchange never uses (about 280 KB of the probe bundle).
import buildConnector from 'undici/lib/core/connect.js';
import Client from 'undici/lib/dispatcher/client.js';
import { BodyBuffer, contentLength } from './body-buffer.ts';
import type { Stage } from './classify.ts';
import { ExchangeLog, type ExchangeDebug } from './http-debug.ts';
import { tlsInfo } from './tls-common.ts';
import { keepPeerForFailure } from './tls-peer.ts';
import type { TlsInfo } from './types.ts';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface ExchangeRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Node TLS options for an https URL (CA, client certificate, SNI, verification). */
  tls: ConnectionOptions | undefined;
  /** Offer h2 ahead of http/1.1 by ALPN (https only); otherwise only http/1.1 is offered. */
  http2: boolean;
  family: 4 | 6 | undefined;
  timeoutMs: number;
  /** Ends the exchange wherever it is; the socket is destroyed at once. */
  signal: AbortSignal;
  maxBodyBytes: number;
  /** Keep the body (for body assertions); otherwise its bytes are only counted. */
  keepBody: boolean;
  /** A redirect that will be followed is not read past its headers. */
  followRedirects: boolean;
  /** Log each event of the exchange into this trace (./http-debug.ts). */
  debug?: ExchangeDebug;
}

/** How the exchange ended. */
export type ExchangeEnd =
  | 'complete'   // the whole body was read
  | 'redirect'   // a redirect with a Location; the body was skipped
  | 'too_large'  // the body passed maxBodyBytes; reading stopped there
  | 'error'      // a transport or protocol error, in `error`
  | 'aborted';   // the signal fired, in `error`

export interface Exchange {
  end: ExchangeEnd;
  /** Set for `error` and `aborted`: what happened and where. */
  error?: { cause: unknown; stage: Stage };
  dns?: number;
  connect?: number;
  tls?: number;
  ttfb?: number;
  transfer?: number;
  status?: number;
  headers?: ResponseHeaders;
  /** `HTTP/1.0`, `HTTP/1.1` or `HTTP/2`, as negotiated and answered. */
  version?: string;
  /** Only when keepBody and the body was read completely. */
  body?: Buffer;
  bodyBytes: number;
  tlsInfo?: TlsInfo;
  remoteAddress?: string;
}

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
export function isRedirect(status: number): boolean {
  return REDIRECT_STATUS.has(status);
}

function noop(): void {}

/**
 * Reused for every exchange: creating an Error captures a stack, and undici would otherwise make a
 * fresh one for each client closed and each response cut short. Nothing reads these but undici.
 */
const DONE = Object.assign(new Error('exchange finished'), { code: 'VANTAGE_EXCHANGE_DONE' });
const STOPPED = Object.assign(new Error('read stopped by the prober'), { code: 'VANTAGE_STOPPED' });

/**
 * The dispatch handler and the timeline of one exchange. Times are `performance.now()` marks; a mark
 * that is still undefined is a phase the exchange never reached, which is also how the stage of an
 * error is known without reading its message.
 */
class TimedExchange implements Dispatcher.DispatchHandler {
  readonly req: ExchangeRequest;
  readonly https: boolean;
  /** An IP literal has no lookup, so the dns phase is 0 rather than missing. */
  readonly needsLookup: boolean;
  readonly done: Promise<Exchange>;
  resolve!: (ex: Exchange) => void;
  settled = false;
  socket: Socket | undefined;
  /** Set once the connector has handed the socket to undici; from then on undici closes it. */
  handedOver = false;
  /** undici's handle on the request, from its first callback; aborting it is how the request is cancelled. */
  controller: Dispatcher.DispatchController | undefined;
  /** The first error the socket itself raised: the root cause, which undici may replace with a later one. */
  socketError: Error | undefined;

  tStart = 0;
  tLookup: number | undefined;
  /** Node emits `lookup` for a failed resolution too; the error that follows belongs to the dns stage. */
  lookupFailed = false;
  tConnect: number | undefined;
  tSecure: number | undefined;
  /** The connection is ready for the request, after this exchange's own bookkeeping at its events. */
  tReady: number | undefined;
  /** The first response bytes reached undici: read off an HTTP/1 socket, or an HTTP/2 stream's HEADERS. */
  tFirstByte: number | undefined;

  status: number | undefined;
  headers: ResponseHeaders | undefined;
  /** Minor version from the status line (undici does not expose it). */
  h1Minor: number | undefined;
  body: BodyBuffer | undefined;
  bodyBytes = 0;
  stopping: ExchangeEnd | undefined;
  tls: TlsInfo | undefined;
  /** The certificate Node handed to the hostname check; undefined when the check did not run. */
  peerCert: DetailedPeerCertificate | undefined;
  remoteAddress: string | undefined;
  /** Only with a debug trace: every event is also logged. */
  readonly log: ExchangeLog | undefined;

  constructor(req: ExchangeRequest) {
    this.req = req;
    this.log = req.debug && new ExchangeLog(req.debug, req.url, req.method);
    this.https = req.url.protocol === 'https:';
    this.needsLookup = isIP(req.url.hostname.replace(/^\[|\]$/g, '')) === 0;
    this.done = new Promise<Exchange>((resolve) => { this.resolve = resolve; });
  }

  stage(): Stage {
    if (this.tConnect === undefined) return this.needsLookup && (this.tLookup === undefined || this.lookupFailed) ? 'dns' : 'connect';
    if (this.https && this.tSecure === undefined) return 'tls';
    return 'response';
  }

  /** Wraps the connector so that the socket it opens is timed and can be destroyed from here. */
  connector(inner: Connector.connector): Connector.connector {
    return (opts, callback) => {
      const socket = (inner as unknown as (o: Connector.Options, cb: Connector.Callback) => Socket)(opts, (err, sock) => {
        if (err === null) this.handedOver = true;
        (callback as (e: Error | null, s: Socket | null) => void)(err, sock);
      });
      this.socket = socket;
      // Ahead of the connector's own listeners: those hand the socket to undici, which writes the
      // request before returning, so a mark taken after them would count the write as connecting.
      socket.prependOnceListener('lookup', this.onLookup);
      socket.prependOnceListener('connect', this.onConnect);
      if (this.https) socket.prependOnceListener('secureConnect', this.onSecureConnect);
      // A rejected certificate is gone by the time its error arrives; the failure message names it.
      if (this.https) keepPeerForFailure(socket as TLSSocket);
      socket.on('error', this.onSocketError);
      this.peekStatusLine(socket);
    };
  }

  /**
   * Node builds the detailed peer certificate (with its issuer links) to check the hostname, and
   * only this callback sees it; kept here, the chain report does not build it a second time.
   */
  checkServerIdentity = (host: string, cert: PeerCertificate): Error | undefined => {
    this.peerCert = cert as DetailedPeerCertificate;
    return (this.req.tls?.checkServerIdentity ?? checkServerIdentity)(host, cert);
  };

  onSocketError = (err: Error): void => { this.socketError ??= err; };
  onLookup = (err: Error | null, address?: unknown, family?: unknown): void => {
    this.tLookup = performance.now();
    this.lookupFailed = err !== null;
    this.log?.lookup(err, address, family);
  };
  onConnect = (): void => {
    this.tConnect = performance.now();
    this.remoteAddress = this.socket?.remoteAddress;
    if (!this.https) this.tReady = this.tConnect;
    if (this.log && this.socket) {
      this.log.connect(this.socket);
      if (!this.https) this.log.request(this.socket);
    }
  };
  onSecureConnect = (): void => {
    this.tSecure = performance.now();
    try {
      this.tls = tlsInfo(this.socket as TLSSocket, this.peerCert, { ca: this.req.tls?.ca });
    } catch {
      // A socket listener that throws takes the process down; a certificate too odd to describe
      // costs only its description.
    }
    // Describing the certificate is Vantage's work: it counts in total but in no phase.
    this.tReady = performance.now();
    if (this.log) {
      this.log.secure(this.tls, this.socket as TLSSocket, this.peerCert);
      this.log.request(this.socket);
    }
  };

  /**
   * undici's HTTP/1 parser knows the response's minor version but does not report it, and an
   * HTTP/1.0 answer must not be reported as 1.1. The first chunk undici reads from the socket starts
   * with the status line; the wrapper looks at it once and then removes itself.
   */
  peekStatusLine(socket: Socket): void {
    const read = socket.read;
    socket.read = (size?: number) => {
      const chunk: unknown = read.call(socket, size);
      if (Buffer.isBuffer(chunk) && chunk.length > 0) {
        // The first byte as it arrives, before undici parses anything: parsing belongs to transfer.
        // (An h2 session reads the socket natively, and its first bytes would be SETTINGS anyway.)
        if ((socket as TLSSocket).alpnProtocol !== 'h2') this.tFirstByte ??= performance.now();
        if (chunk.length >= 8 && chunk[0] === 0x48 && chunk[4] === 0x2f && chunk[5] === 0x31 && chunk[6] === 0x2e) {
          this.h1Minor = chunk[7]! - 0x30;
        }
        delete (socket as { read?: unknown }).read;
      }
      return chunk;
    };
  }

  onAbort = (): void => {
    this.fail(this.req.signal.reason, 'aborted');
    // Ends the request now, wherever it is: an HTTP/2 stream is reset, an HTTP/1 socket destroyed.
    this.controller?.abort(this.req.signal.reason);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStarted(): void {
    this.tFirstByte ??= performance.now();
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (this.settled) return;
    if (statusCode < 200) return; // 1xx: the real response follows
    this.tFirstByte ??= performance.now();
    this.status = statusCode;
    this.headers = headers;
    this.log?.response(statusCode, this.versionText(), headers);
    if (this.req.followRedirects && isRedirect(statusCode) && headers.location !== undefined) {
      // The connection is never reused, so the redirect's body is not worth reading.
      this.stop(controller, 'redirect');
      return;
    }
    if (this.req.keepBody) this.body = new BodyBuffer(this.req.maxBodyBytes, contentLength(headers['content-length']));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.req.maxBodyBytes) {
      this.body = undefined;
      this.stop(controller, 'too_large');
      return;
    }
    this.body?.append(chunk);
    this.log?.data(chunk);
  }

  onResponseEnd(): void {
    this.finish('complete');
    // A connection that said `connection: close` (ours always does) is closed by undici right after
    // this returns, with a new InformationalError whose stack Node's destroy() formats: about 5% of
    // an HTTP probe's CPU. Closing it first, with an error made once, leaves undici nothing to do.
    // HTTP/2 ends streams, not the connection, so its session is left to the exchange's cleanup.
    const socket = this.socket;
    if (socket !== undefined && (socket as TLSSocket).alpnProtocol !== 'h2') socket.destroy(DONE);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    // Our own stop() surfaces here as an abort error; the exchange already ended the way stop() said.
    if (this.stopping !== undefined) this.finish(this.stopping);
    // A TLS 1.3 server that rejects the client certificate sends its alert after our handshake has
    // completed; undici then reports the close that follows ("other side closed"), not the alert.
    else this.fail(this.socketError ?? err, 'error');
  }

  /**
   * Ends the exchange's connection however far it got. A socket still connecting or in its handshake
   * is ours to destroy (undici is only waiting for it); after that, the request is cancelled through
   * its controller (a no-op once it completed) and the client destroys what it holds. Awaited, so
   * nothing of the exchange is left when it returns.
   */
  async close(client: InstanceType<typeof Client>): Promise<void> {
    if (!this.handedOver) this.socket?.destroy(DONE);
    this.controller?.abort(DONE);
    await client.destroy(DONE).catch(noop);
  }

  stop(controller: Dispatcher.DispatchController, end: ExchangeEnd): void {
    this.stopping = end;
    this.finish(end);
    // Destroys the connection now: the server sees the client go away instead of a stalled reader.
    controller.abort(STOPPED);
  }

  fail(cause: unknown, end: 'error' | 'aborted'): void {
    if (this.settled) return;
    const stage = this.stage();
    this.finish(end, { cause, stage });
  }

  versionText(): string {
    return this.socket && (this.socket as TLSSocket).alpnProtocol === 'h2' ? 'HTTP/2' : `HTTP/1.${this.h1Minor ?? 1}`;
  }

  finish(end: ExchangeEnd, error?: Exchange['error']): void {
    if (this.settled) return;
    this.settled = true;
    const tEnd = performance.now();
    this.req.signal.removeEventListener('abort', this.onAbort);
    const ex: Exchange = { end, bodyBytes: this.bodyBytes };
    if (error) ex.error = error;
    if (this.tLookup !== undefined) ex.dns = this.tLookup - this.tStart;
    else if (!this.needsLookup) ex.dns = 0;
    if (this.tConnect !== undefined) ex.connect = this.tConnect - (this.tLookup ?? this.tStart);
    if (this.tSecure !== undefined && this.tConnect !== undefined) ex.tls = this.tSecure - this.tConnect;
    // ttfb runs from the connection being ready, so it includes writing the request, as Blackbox
    // Exporter's `processing` does (from httptrace's GotConn to GotFirstResponseByte): the phases
    // then follow one another with no gap, and their sum is the exchange.
    if (this.tFirstByte !== undefined && this.tReady !== undefined) {
      ex.ttfb = this.tFirstByte - this.tReady;
      ex.transfer = tEnd - this.tFirstByte;
    }
    if (this.status !== undefined) {
      ex.status = this.status;
      ex.headers = this.headers!;
      ex.version = this.versionText();
      if (end !== 'redirect') this.log?.end(this.bodyBytes, end === 'complete');
    }
    if (end === 'complete' && this.body) ex.body = this.body.bytes();
    if (this.tls) ex.tlsInfo = this.tls;
    if (this.remoteAddress) ex.remoteAddress = this.remoteAddress;
    this.resolve(ex);
  }
}

/**
 * Each request URL's origin as undici's Client takes it: a URL object with path `/` is used as it
 * is, where an origin string would be parsed again for every exchange.
 */
const origins = new WeakMap<URL, URL>();
function originOf(url: URL): URL {
  let origin = origins.get(url);
  if (origin === undefined) origins.set(url, (origin = new URL(url.origin)));
  return origin;
}

/**
 * Sends one request on a new connection and reads the response within the cap. Never throws for
 * anything the target does; the connection is gone when the promise settles.
 */
export async function exchange(req: ExchangeRequest): Promise<Exchange> {
  const ex = new TimedExchange(req);
  const h2 = req.http2 && ex.https;
  const inner = buildConnector({
    ...(ex.https && { ...req.tls, checkServerIdentity: ex.checkServerIdentity }),
    ...(req.family !== undefined && { family: req.family }),
    allowH2: h2,
    preferH2: h2,
    timeout: req.timeoutMs,
    // A cached session would skip the full handshake and hide its cost.
    maxCachedSessions: 0,
    keepAlive: false,
  });
  const client = new Client(originOf(req.url), {
    connect: ex.connector(inner),
    pipelining: 1,
    allowH2: h2,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
  });
  try {
    if (req.signal.aborted) {
      ex.fail(req.signal.reason, 'aborted');
      return await ex.done;
    }
    req.signal.addEventListener('abort', ex.onAbort, { once: true });
    ex.tStart = performance.now();
    client.dispatch({
      path: `${req.url.pathname}${req.url.search}`,
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      // `connection: close`: one request per connection, so the server does not hold it open either.
      reset: true,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      ...(ex.https && typeof req.tls?.servername === 'string' && { servername: req.tls.servername }),
    }, ex);
    return await ex.done;
  } finally {
    req.signal.removeEventListener('abort', ex.onAbort);
    await ex.close(client);
  }
}

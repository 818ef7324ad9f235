/**
 * The debug log of one HTTP exchange (./http-exchange.ts calls it at each event, only when the
 * request carries a trace): the lookup, the connection, the handshake, the request as sent, the
 * response's status line and headers, and the first DEBUG_BODY_BYTES of the body.
 */
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { DEBUG_BODY_BYTES, type DebugTrace } from './debug.ts';
import { traceConnect, traceLookup, traceTls } from './debug-entries.ts';
import type { TlsInfo } from './types.ts';

export interface ExchangeDebug {
  trace: DebugTrace;
  /** The request headers as the log shows them: credential headers already replaced. */
  headers: Record<string, string>;
}

type Headers = Record<string, string | string[] | undefined>;

function headerFields(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

export class ExchangeLog {
  readonly #debug: ExchangeDebug;
  readonly #url: URL;
  readonly #method: string;
  #head: Buffer[] = [];
  #headBytes = 0;

  constructor(debug: ExchangeDebug, url: URL, method: string) {
    this.#debug = debug;
    this.#url = url;
    this.#method = method;
  }

  lookup(err: Error | null, address: unknown, family: unknown): void {
    traceLookup(this.#debug.trace, this.#url.hostname, err, address, family);
  }

  connect(socket: Socket): void {
    traceConnect(this.#debug.trace, socket);
  }

  secure(info: TlsInfo | undefined, socket: TLSSocket, leaf: DetailedPeerCertificate | undefined): void {
    if (info) traceTls(this.#debug.trace, info, socket, leaf);
  }

  /** The request goes out once the connection is ready; its version is what ALPN chose. */
  request(socket: Socket | undefined): void {
    const h2 = (socket as TLSSocket | undefined)?.alpnProtocol === 'h2';
    // What undici adds: the origin (`:authority` over h2, RFC 9113 §8.3.1) and our one-request connection.
    const headers = h2 ? { ':authority': this.#url.host, ...this.#debug.headers } : { host: this.#url.host, ...this.#debug.headers, connection: 'close' };
    this.#debug.trace.add({
      phase: 'request',
      message: `${this.#method} ${this.#url.pathname}${this.#url.search} ${h2 ? 'HTTP/2' : 'HTTP/1.1'}`,
      fields: headers,
    });
  }

  response(status: number, version: string, headers: Headers): void {
    this.#debug.trace.add({ phase: 'response', message: `${version} ${status}`, fields: headerFields(headers) });
  }

  data(chunk: Buffer): void {
    if (this.#headBytes >= DEBUG_BODY_BYTES) return;
    const part = chunk.subarray(0, DEBUG_BODY_BYTES - this.#headBytes);
    this.#head.push(Buffer.from(part));
    this.#headBytes += part.length;
  }

  /** The body's head as text; `cut` says the body went on past it (or was not read to its end). */
  end(bodyBytes: number, complete: boolean): void {
    if (bodyBytes === 0 && complete) {
      this.#debug.trace.add({ phase: 'body', message: '', fields: { bytes: 0 } });
      return;
    }
    const head = Buffer.concat(this.#head);
    this.#debug.trace.add({
      phase: 'body',
      message: head.toString('utf8'),
      fields: { bytes: bodyBytes, shown: head.length, cut: head.length < bodyBytes || !complete },
    });
  }
}

/**
 * Channel credentials that hand Vantage the probe's one connection as grpc-js opens it, so that the
 * TCP and TLS phases are measured on the real socket and TLS errors keep their OpenSSL codes.
 *
 * grpc-js's own `credentials.createSsl` hides all of that: a failed handshake becomes an UNAVAILABLE
 * status whose only detail is text, and there is no way to learn the TLS version, cipher or chain.
 * A `SecureConnector` (exported by grpc-js for custom credentials) receives the socket right after
 * TCP connect and returns the socket HTTP/2 runs over; this one does the TLS handshake itself with
 * the same `tlsConnectOptions` every other prober uses, so `ca`, `serverName`, `insecureSkipVerify`,
 * client certificates and min/max versions mean the same thing for gRPC as for HTTPS.
 *
 * What it cannot see: errors before TCP is up (refused, unreachable). grpc-js reports those as a
 * channel state change with a text message and no code, so the prober only knows that TCP failed.
 */
import * as grpc from '@grpc/grpc-js';
import type { Socket } from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';
import { tlsInfo } from './tls-common.ts';
import { keepPeerForFailure } from './tls-peer.ts';
import type { TlsInfo } from './types.ts';

/** What happened on the connection, in `performance.now()` times. Written by the connector only. */
export class ConnectionTrace {
  tcpConnectedAt?: number;
  tlsDoneAt?: number;
  /** The first error of the TLS handshake, with its code (`CERT_HAS_EXPIRED`, `ERR_SSL_…`). */
  tlsError?: unknown;
  tls?: TlsInfo;
  remoteAddress?: string;
}

type SecureConnector = grpc.experimental.SecureConnector;
type SecureConnectResult = grpc.experimental.SecureConnectResult;
type CreateConnectorArgs = Parameters<grpc.ChannelCredentials['_createSecureConnector']>;

/**
 * Credentials for one probe. They own every socket their connector is handed or opens: grpc-js
 * destroys neither a socket whose handshake is still pending when the channel closes (its
 * `Http2SubchannelConnector.shutdown` closes only a finished session) nor one whose handshake never
 * ends, so without this a TLS port that accepts and never answers keeps the socket, and with it the
 * process, alive for good. `close()` (on the probe's signal, on the connector's `destroy`, and from
 * the prober's `finally`) settles every pending handshake and destroys every socket.
 */
export class TracedCredentials extends grpc.ChannelCredentials {
  /** Undefined for plaintext (h2c). */
  readonly #tls: ConnectionOptions | undefined;
  readonly #trace: ConnectionTrace;
  readonly #signal: AbortSignal | undefined;
  /** Every socket seen, raw and TLS; emptied by close(). */
  readonly #sockets = new Set<Socket>();
  /** Rejects of handshakes not yet settled. */
  readonly #pending = new Set<(err: Error) => void>();
  #closed = false;

  constructor(tlsOptions: ConnectionOptions | undefined, trace: ConnectionTrace, signal?: AbortSignal) {
    super();
    this.#tls = tlsOptions;
    this.#trace = trace;
    this.#signal = signal;
    if (signal?.aborted) this.#closed = true;
    else signal?.addEventListener('abort', this.close, { once: true });
  }

  override _isSecure(): boolean {
    return this.#tls !== undefined;
  }

  /** Subchannel pools share subchannels between equal credentials; a probe's are equal to nothing else. */
  override _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  override _createSecureConnector(_target: CreateConnectorArgs[0], _options: CreateConnectorArgs[1], callCredentials?: CreateConnectorArgs[2]): SecureConnector {
    return {
      connect: (socket: Socket) => this.#connect(socket),
      waitForReady: () => (this.#closed ? Promise.reject(closedError()) : Promise.resolve()),
      getCallCredentials: () => callCredentials ?? grpc.credentials.createEmpty(),
      destroy: this.close,
    };
  }

  /** Ends the probe's connection: pending handshakes reject, every socket is destroyed. Idempotent. */
  close = (): void => {
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.close);
    const err = closedError();
    for (const reject of this.#pending) reject(err);
    this.#pending.clear();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  };

  #connect(socket: Socket): Promise<SecureConnectResult> {
    if (this.#closed) {
      socket.destroy();
      return Promise.reject(closedError());
    }
    this.#sockets.add(socket);
    const trace = this.#trace;
    trace.tcpConnectedAt ??= performance.now();
    trace.remoteAddress ??= socket.remoteAddress;
    if (this.#tls === undefined) return Promise.resolve({ socket, secure: false });
    return new Promise((resolve, reject) => {
      // HTTP/2 over TLS is negotiated by ALPN (RFC 9113 §3.2); gRPC servers refuse a session without it.
      const tlsSocket = tls.connect({ ...this.#tls, socket, ALPNProtocols: ['h2'] }, () => {
        settle();
        trace.tlsDoneAt = performance.now();
        trace.tls = tlsInfo(tlsSocket, undefined, { ca: this.#tls?.ca });
        resolve({ socket: tlsSocket, secure: true });
      });
      this.#sockets.add(tlsSocket);
      keepPeerForFailure(tlsSocket);
      const fail = (err: Error) => {
        settle();
        tlsSocket.destroy();
        reject(err);
      };
      const settle = () => {
        this.#pending.delete(fail);
        tlsSocket.off('close', onClose);
      };
      // A close with no error first (a FIN mid-handshake) must still settle the handshake.
      const onClose = () => fail(closedError());
      this.#pending.add(fail);
      tlsSocket.once('close', onClose);
      // Stays attached like grpc-js's own: after the handshake, grpc-js and http2 add their handlers.
      tlsSocket.on('error', (err) => {
        if (trace.tlsDoneAt === undefined) trace.tlsError ??= err;
        fail(err);
      });
    });
  }
}

/** What grpc-js is told when the probe ended the connection; the prober classifies from its own trace. */
function closedError(): Error {
  return Object.assign(new Error('the probe closed the connection'), { code: 'ABORT_ERR' });
}

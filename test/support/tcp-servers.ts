/**
 * Real TCP and TLS servers on 127.0.0.1:0 for prober tests: banner, Redis-like PING/PONG, silent,
 * closing, and TLS servers with generated certificates. Each server tracks its connections so that
 * `close()` ends them too and a test never leaves a socket behind.
 */
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';

export interface Running {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections accepted and not yet closed. */
  readonly open: number;
  close(): Promise<void>;
}

export async function start(server: Server): Promise<Running> {
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  // A client that gives up mid-handshake is expected in these tests, not an error.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Sends `banner` on connect and then reads (and ignores) whatever the client says. */
export function bannerServer(banner = 'SSH-2.0-Test\r\n'): Promise<Running> {
  return start(createNetServer((s) => {
    s.write(banner);
    s.resume();
  }));
}

/** Answers each `PING` line with `+PONG` and anything else with `-ERR`, one reply per CR LF line. */
function redisLike(s: Socket) {
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      s.write(line === 'PING' ? '+PONG\r\n' : `-ERR unknown command '${line}'\r\n`);
    }
  });
}

export function redisLikeServer(): Promise<Running> {
  return start(createNetServer(redisLike));
}

/** Accepts and never says anything (reads nothing either, so it does not answer a TLS ClientHello). */
export function silentServer(): Promise<Running> {
  return start(createNetServer(() => {}));
}

/** Accepts and closes at once (FIN), before any data. */
export function closingServer(): Promise<Running> {
  return start(createNetServer((s) => s.end()));
}

/** Writes `data` and closes. */
export function sayAndCloseServer(data: string | Buffer): Promise<Running> {
  return start(createNetServer((s) => s.end(data)));
}

/** Accepts and resets the connection (RST) once the client sends anything. */
export function resettingServer(): Promise<Running> {
  return start(createNetServer((s) => s.once('data', () => s.resetAndDestroy())));
}

/** A port nothing listens on: bound, then closed again, so connecting is refused. */
export async function refusedPort(): Promise<number> {
  const r = await start(createNetServer());
  await r.close();
  return r.port;
}

/** A TLS server with the given options that speaks `onSecure` to each client (default: the banner). */
export function tlsServer(options: TlsOptions, onSecure: (s: Socket) => void = (s) => {
  s.write('SSH-2.0-Test\r\n');
  s.resume();
}): Promise<Running> {
  return start(createTlsServer(options, onSecure));
}

export function tlsRedisLikeServer(options: TlsOptions): Promise<Running> {
  return tlsServer(options, redisLike);
}

/**
 * A gRPC health server for tests (grpc-js Server, hand-written service definition, the prober's own
 * codec) on 127.0.0.1:0, with statuses that can be flipped; plus a counting TCP proxy and raw TCP
 * servers that accept and then say nothing or say the wrong thing.
 */
import * as grpc from '@grpc/grpc-js';
import net from 'node:net';
import {
  decodeHealthRequest,
  decodeHealthResponse,
  encodeHealthRequest,
  encodeHealthResponse,
  HEALTH_CHECK_PATH,
  SERVING_STATUS,
  type ServingStatusName,
} from '../../shared/probe/grpc-health-codec.ts';

/** A service whose Check never answers, so the caller's deadline is what ends the call. */
export const HANGING_SERVICE = 'hang';

interface Request {
  service: string;
}
interface Response {
  status: number;
}

/**
 * Messages are wrapped in objects because grpc-js's server treats a falsy decoded request (the
 * empty service name) as no request at all.
 */
const HEALTH_SERVICE: grpc.ServiceDefinition = {
  check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (r: Request) => encodeHealthRequest(r.service),
    requestDeserialize: (b: Buffer): Request => ({ service: decodeHealthRequest(b) }),
    responseSerialize: (r: Response) => encodeHealthResponse(r.status),
    responseDeserialize: decodeHealthResponse,
    originalName: 'check',
  },
};

export interface HealthServer {
  port: number;
  /** `127.0.0.1:port` */
  target: string;
  /** `''` is the server as a whole. */
  setStatus(service: string, status: ServingStatusName): void;
  /** Health checks answered, by service name. */
  checks: string[];
  close(): Promise<void>;
}

export interface HealthServerOptions {
  /** Serve TLS with this certificate; `clientCa` also demands a client certificate signed by it. */
  tls?: { cert: string; key: string; clientCa?: string };
  /** Register the health service. @default true */
  health?: boolean;
}

export async function startHealthServer(opts: HealthServerOptions = {}): Promise<HealthServer> {
  const statuses = new Map<string, number>([['', SERVING_STATUS.indexOf('SERVING')]]);
  const checks: string[] = [];
  const server = new grpc.Server();
  if (opts.health ?? true) {
    server.addService(HEALTH_SERVICE, {
      check: (call: grpc.ServerUnaryCall<Request, Response>, callback: grpc.sendUnaryData<Response>) => {
        const { service } = call.request;
        checks.push(service);
        if (service === HANGING_SERVICE) return;
        const status = statuses.get(service);
        // The health spec: "If the requested service is unknown, the call will fail with status NOT_FOUND."
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        else callback(null, { status });
      },
    });
  }
  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(
        opts.tls.clientCa ? Buffer.from(opts.tls.clientCa) : null,
        [{ cert_chain: Buffer.from(opts.tls.cert), private_key: Buffer.from(opts.tls.key) }],
        opts.tls.clientCa !== undefined,
      )
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port,
    target: `127.0.0.1:${port}`,
    checks,
    setStatus: (service, status) => statuses.set(service, SERVING_STATUS.indexOf(status)),
    close: () => new Promise<void>((resolve) => {
      server.forceShutdown();
      resolve();
    }),
  };
}

export interface TcpProxy {
  port: number;
  target: string;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections still open. */
  open: number;
  close(): Promise<void>;
}

/** Forwards each connection to `127.0.0.1:upstreamPort`, counting them on the way. */
export async function startCountingProxy(upstreamPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: TcpProxy = { port: 0, target: '', accepted: 0, open: 0, close: async () => {} };
  const server = net.createServer((client) => {
    proxy.accepted++;
    proxy.open++;
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    let closed = false;
    const closeBoth = () => {
      if (!closed) {
        closed = true;
        proxy.open--;
      }
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', closeBoth);
      s.on('close', () => {
        sockets.delete(s);
        closeBoth();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.target = `127.0.0.1:${proxy.port}`;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

export interface RawServer {
  port: number;
  target: string;
  close(): Promise<void>;
}

/** A TCP server that runs `onConnection` for each client: e.g. stays silent, or speaks HTTP/1.1. */
export async function startRawServer(onConnection: (socket: net.Socket) => void): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    target: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = await startRawServer(() => {});
  await server.close();
  return server.port;
}

/**
 * A gRPC health server for tests on 127.0.0.1:0: grpc-js's Server with the health service from
 * grpc-health-check, gRPC's own implementation, whose messages protobufjs encodes from the real
 * health.proto. The prober's hand-written codec (shared/probe/grpc-health-codec.ts) is on the other
 * side only, so a wire-format bug in it fails these tests instead of agreeing with itself.
 * Plus a counting TCP proxy and raw TCP servers that accept and then say nothing or say the wrong thing.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, service as HEALTH_SERVICE } from 'grpc-health-check';
import net from 'node:net';
import type { ServingStatusName } from '../../shared/probe/grpc-health-codec.ts';

/** A service whose Check never answers, so the caller's deadline is what ends the call. */
export const HANGING_SERVICE = 'hang';

export interface HealthServer {
  port: number;
  /** `127.0.0.1:port` */
  target: string;
  /**
   * `''` is the server as a whole. SERVICE_UNKNOWN is meant for Watch only, but Check answers
   * whatever the map holds, which lets a test see the codec read every value of the enum.
   */
  setStatus(service: string, status: ServingStatusName): void;
  /** Health checks received, by service name, as the server decoded them. */
  checks: string[];
  close(): Promise<void>;
}

export interface HealthServerOptions {
  /** Serve TLS with this certificate; `clientCa` also demands a client certificate signed by it. */
  tls?: { cert: string; key: string; clientCa?: string };
  /** Register the health service. @default true */
  health?: boolean;
}

type Handlers = grpc.UntypedServiceImplementation;

/**
 * The library's handlers, caught by handing addToServer a stand-in server, so Check can be wrapped
 * to record the request and to hang for HANGING_SERVICE while everything else (status lookup,
 * NOT_FOUND for an unknown service, the encoding) stays the library's.
 */
function healthHandlers(health: HealthImplementation): Handlers {
  let handlers: Handlers | undefined;
  health.addToServer({ addService: (_def: unknown, impl: Handlers) => { handlers = impl; } } as never);
  if (!handlers) throw new Error('grpc-health-check registered no handlers');
  return handlers;
}

export async function startHealthServer(opts: HealthServerOptions = {}): Promise<HealthServer> {
  const health = new HealthImplementation({ '': 'SERVING' });
  const checks: string[] = [];
  const server = new grpc.Server();
  if (opts.health ?? true) {
    const handlers = healthHandlers(health);
    const check = handlers.check as grpc.handleUnaryCall<{ service: string }, unknown>;
    server.addService(HEALTH_SERVICE as grpc.ServiceDefinition, {
      ...handlers,
      check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        checks.push(call.request.service);
        if (call.request.service === HANGING_SERVICE) return;
        check(call, callback);
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
    // The library's type leaves out SERVICE_UNKNOWN; protobufjs encodes any name the enum has.
    setStatus: (service, status) => health.setStatus(service, status as 'UNKNOWN'),
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

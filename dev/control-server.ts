/**
 * The local pipeline's control endpoint: `POST /locations/<name>/stop` and `/start` stop and restart
 * one location's probing, so silence can be shown on demand. Loopback only, on a port the OS picks;
 * anyone who can reach 127.0.0.1 can already stop the process, so there is no authentication.
 *
 * Answers are JSON: `{"location": name, "state": "stopped" | "running", "changed": boolean}`; a path
 * that is not a location's is 404, a method other than POST is 405 with `Allow: POST` (RFC 9110
 * §15.5.6, https://www.rfc-editor.org/rfc/rfc9110#name-405-method-not-allowed), and a body longer than
 * {@link MAX_BODY_BYTES} is 413 (the body carries nothing, so there is no reason to read much of it).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const MAX_BODY_BYTES = 1_024;

export type LocationState = 'stopped' | 'running';

export interface ControlTarget {
  /** The locations that can be stopped, in the order shown to people. */
  locations: readonly string[];
  /** Stops the location; false when it was already stopped. */
  stop(location: string): boolean;
  /** Starts it again; false when it was already running. */
  start(location: string): boolean;
  state(location: string): LocationState;
}

export interface ControlServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** Closes the listener and every open connection. Idempotent. */
  close(): Promise<void>;
}

const ROUTE = /^\/locations\/([^/]+)\/(stop|start)$/;

function answer(res: http.ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`${JSON.stringify(body)}\n`);
}

/** Reads at most `limit` bytes; resolves false (and stops reading) once the body is longer. */
function bodyWithin(req: http.IncomingMessage, limit: number): Promise<boolean> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(false);
  return new Promise((resolve) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(false);
      }
    });
    req.on('end', () => resolve(true));
    req.on('error', () => resolve(false));
  });
}

function decodeName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

async function route(target: ControlTarget, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  const match = ROUTE.exec(path);
  const location = match ? decodeName(match[1]!) : undefined;
  if (!match || location === undefined || !target.locations.includes(location)) {
    req.resume();
    return answer(res, 404, { error: match ? `no location ${JSON.stringify(location ?? match[1])}` : 'not found', locations: target.locations });
  }
  if (req.method !== 'POST') {
    req.resume();
    return answer(res, 405, { error: `${req.method} is not allowed; use POST` }, { allow: 'POST' });
  }
  if (!(await bodyWithin(req, MAX_BODY_BYTES))) {
    return answer(res, 413, { error: `the body is longer than ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
  }
  const changed = match[2] === 'stop' ? target.stop(location) : target.start(location);
  answer(res, 200, { location, state: target.state(location), changed });
}

export async function startControlServer(target: ControlTarget): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    route(target, req, res).catch((err: unknown) => {
      if (!res.headersSent) answer(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => (closed ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    })),
  };
}

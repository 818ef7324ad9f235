/**
 * `vantage dev`'s status page: `GET /` answers the page rendered afresh, on loopback, on a port the
 * OS picks unless one is given. Other paths are 404; methods other than GET and HEAD are 405 with
 * `Allow` (RFC 9110 §9.3.2 asks a server that answers GET to answer HEAD too, and §15.5.6 the Allow
 * header: https://www.rfc-editor.org/rfc/rfc9110#name-head). It sends the deployed page's CSP, so a
 * page that needs anything beyond inline styles breaks here first, not behind CloudFront.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { STATUS_PAGE_CSP } from '../shared/usecases/status-page/render.ts';


export interface StatusPageServer {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** Closes the listener and every open connection. Idempotent. */
  close(): Promise<void>;
}

export interface StatusPageServerOptions {
  /** Told of every render that failed (the visitor gets a 500 with a short text). */
  onError?: (err: unknown) => void;
}

function text(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(`${body}\n`);
}

async function serve(getHtml: () => Promise<string>, req: http.IncomingMessage, res: http.ServerResponse, onError: (err: unknown) => void): Promise<void> {
  req.resume();
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (path !== '/') return text(res, 404, 'not found: the status page is at /');
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, `${req.method} is not allowed; use GET`, { allow: 'GET, HEAD' });
  let html: string;
  try {
    html = await getHtml();
  } catch (err) {
    onError(err);
    return text(res, 500, 'the status page could not be rendered; see the vantage dev log');
  }
  const body = Buffer.from(html, 'utf8');
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    'cache-control': 'no-store',
    'content-security-policy': STATUS_PAGE_CSP,
    'x-content-type-options': 'nosniff',
  }).end(req.method === 'HEAD' ? undefined : body);
}

export async function createStatusPageServer(getHtml: () => Promise<string>, port = 0, options: StatusPageServerOptions = {}): Promise<StatusPageServer> {
  const onError = options.onError ?? (() => {});
  const server = http.createServer((req, res) => {
    serve(getHtml, req, res, onError).catch((err: unknown) => {
      onError(err);
      if (!res.headersSent) text(res, 500, 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => (closed ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    })),
  };
}

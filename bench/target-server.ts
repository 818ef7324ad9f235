/**
 * The bench's target: one HTTP and one HTTPS server on 127.0.0.1, run as a process of its own so its
 * CPU never lands on the prober being measured. Started by ./targets.ts; prints its ports as one JSON
 * line and serves until killed.
 *
 *   /ok                      200 "ok"
 *   /delay?ms=N              200 "ok" after N ms (time to first byte N)
 *   /drip?ms=N&chunks=K      headers at once, then the body in K chunks spread over N ms
 *   /stats                   requests served, in flight now, most in flight at once
 *   /stats/reset             zeroes the counters
 *
 * Env: BENCH_TLS_CERT, BENCH_TLS_KEY (PEM files) for the HTTPS server.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';

let requests = 0;
let inFlight = 0;
let maxInFlight = 0;

const BODY = Buffer.from('ok\n');

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, inFlight, maxInFlight }));
    return;
  }
  if (url.pathname === '/stats/reset') {
    requests = 0;
    maxInFlight = inFlight;
    res.writeHead(204).end();
    return;
  }
  requests++;
  inFlight++;
  if (inFlight > maxInFlight) maxInFlight = inFlight;
  res.once('close', () => { inFlight--; });
  const ms = Number(url.searchParams.get('ms') ?? 0);
  switch (url.pathname) {
    case '/ok':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length }).end(BODY);
      return;
    case '/delay':
      setTimeout(() => {
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length }).end(BODY);
      }, ms);
      return;
    case '/drip': {
      const chunks = Math.max(1, Number(url.searchParams.get('chunks') ?? 10));
      const chunk = Buffer.alloc(100, 'x');
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': chunk.length * chunks });
      res.flushHeaders();
      const started = performance.now();
      let sent = 0;
      const step = () => {
        if (res.destroyed) return;
        res.write(chunk);
        sent++;
        if (sent === chunks) { res.end(); return; }
        // Each chunk is due at its share of the span, so timer drift does not pile up.
        setTimeout(step, Math.max(0, started + (ms * sent) / (chunks - 1 || 1) - performance.now()));
      };
      // The first chunk goes out with a small gap after the headers, the last one at `ms`.
      if (chunks === 1) setTimeout(step, ms);
      else setTimeout(step, 0);
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

function listen(server: Server): Promise<number> {
  // A deep backlog: the memory run opens 2,000 connections at once.
  server.maxConnections = 20_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
}

// Node's default keep-alive timeout (5 s), as most servers have: the probers close their connections
// themselves, and a shorter one would make undici take its reset path on every response.
const http = createHttp({ keepAliveTimeout: 5000 }, handle);
const https = createHttps({ cert: readFileSync(process.env.BENCH_TLS_CERT!), key: readFileSync(process.env.BENCH_TLS_KEY!), keepAliveTimeout: 5000 }, handle);
const [httpPort, httpsPort] = await Promise.all([listen(http), listen(https)]);
process.stdout.write(`${JSON.stringify({ http: httpPort, https: httpsPort })}\n`);
process.on('SIGTERM', () => process.exit(0));

/**
 * The small targets `vantage dev --demo` (and so `npm start`) monitors, on fixed loopback ports that
 * examples/demo.yaml names:
 * - 47801, an HTTP API: `/health` answers `{"status":"ok"}`, except for 40 s of every 2 minutes when
 *   it answers 503 `{"status":"failing"}`; the first outage starts 20 s after launch, so a newcomer
 *   sees DOWN and then RESOLVED within about two minutes. `/slow` answers after ~400 ms.
 * - 47802, a TCP banner: `VANTAGE-DEMO ready\r\n` on connect.
 * - 47810, a webhook receiver that reports every POST it gets, so the delivered alert is visible.
 *
 * The ports are fixed because the config names them; a busy port is a clear error, never a silent
 * fallback to another port the config does not know.
 */
import http from 'node:http';
import net from 'node:net';
import { VantageError } from '../shared/errors.ts';

export const DEMO_HOST = '127.0.0.1';
export const DEMO_PORTS = { api: 47801, tcp: 47802, receiver: 47810 } as const;
export const DEMO_BANNER = 'VANTAGE-DEMO ready\r\n';

/** When /health fails: from `firstAfterMs` after launch for `durationMs`, then again every `everyMs`. */
export interface OutageSchedule {
  firstAfterMs: number;
  durationMs: number;
  everyMs: number;
}

export const DEMO_OUTAGE: OutageSchedule = { firstAfterMs: 20_000, durationMs: 40_000, everyMs: 120_000 };

export type DemoEvent =
  | { type: 'demo_ready'; api: string; tcp: string; receiver: string; outage: OutageSchedule }
  /** /health changes phase: failing (or healthy) from now, for `forMs`. */
  | { type: 'demo_outage'; failing: boolean; forMs: number }
  /** A POST to the demo webhook; `attempt` from the notifier's Vantage-Delivery-Attempt header. */
  | { type: 'receiver'; path: string; attempt?: number; body: unknown };

export interface DemoTargetsOptions {
  /** @default DEMO_PORTS; 0 picks a free port (tests) */
  ports?: { api: number; tcp: number; receiver: number };
  /** @default DEMO_OUTAGE */
  outage?: OutageSchedule;
  /** Delay of /slow. @default 400 */
  slowMs?: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  onEvent?: (event: DemoEvent) => void;
}

export interface DemoTargets {
  ports: { api: number; tcp: number; receiver: number };
  /** Whether /health fails at this moment. */
  failing(): boolean;
  stop(): Promise<void>;
}

/** A demo port is taken (most often by another `vantage dev --demo`). */
export class DemoPortBusyError extends VantageError {
  constructor(what: string, port: number, options?: { cause?: unknown }) {
    super(
      'DEMO_PORT_BUSY',
      `the demo ${what} cannot listen on ${DEMO_HOST}:${port}: the port is already in use. ` +
        'Is another `vantage dev --demo` (or `npm start`) running? Stop it, or run `vantage dev` without --demo on your own config.',
      options,
    );
  }
}

/** Where in the outage cycle `elapsedMs` after launch falls, and when that phase ends (ms after launch). */
export function outagePhase(elapsedMs: number, s: OutageSchedule): { failing: boolean; untilMs: number } {
  if (elapsedMs < s.firstAfterMs) return { failing: false, untilMs: s.firstAfterMs };
  const intoCycle = (elapsedMs - s.firstAfterMs) % s.everyMs;
  const cycleStart = elapsedMs - intoCycle;
  return intoCycle < s.durationMs
    ? { failing: true, untilMs: cycleStart + s.durationMs }
    : { failing: false, untilMs: cycleStart + s.everyMs };
}

interface Listener {
  port: number;
  close(): Promise<void>;
}

/** Listens on loopback and tracks sockets, so close() does not wait on a keep-alive client. */
async function listen(server: net.Server, port: number, what: string): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new DemoPortBusyError(what, port, { cause: err }) : err);
    server.once('error', onError);
    server.listen(port, DEMO_HOST, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startDemoTargets(opts: DemoTargetsOptions = {}): Promise<DemoTargets> {
  const ports = opts.ports ?? DEMO_PORTS;
  const outage = opts.outage ?? DEMO_OUTAGE;
  const slowMs = opts.slowMs ?? 400;
  const now = opts.now ?? Date.now;
  const emit = opts.onEvent ?? (() => {});
  const startedAt = now();
  const failing = () => outagePhase(now() - startedAt, outage).failing;
  const timers = new Set<NodeJS.Timeout>();

  const api = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    if (path === '/health') {
      if (failing()) json(res, 503, { status: 'failing', detail: 'the demo outage: 40 s of every 2 minutes' });
      else json(res, 200, { status: 'ok' });
    } else if (path === '/slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        json(res, 200, { status: 'ok', delayMs: slowMs });
      }, slowMs);
      timers.add(timer);
    } else {
      json(res, 404, { error: 'not found', try: ['/health', '/slow'] });
    }
  });
  api.keepAliveTimeout = 1_000;

  const banner = net.createServer((socket) => {
    socket.on('error', () => {});
    // Closes idle clients itself, so a probe that never hangs up cannot hold stop() back.
    socket.setTimeout(5_000, () => socket.destroy());
    socket.end(DEMO_BANNER);
  });

  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: reported as the text it is.
      }
      const header = (name: string) => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const attempt = Number(header('vantage-delivery-attempt'));
      emit({ type: 'receiver', path: req.url ?? '/', ...(Number.isInteger(attempt) && attempt > 0 && { attempt }), body });
      res.writeHead(204).end();
    });
  });

  const started: Listener[] = [];
  try {
    started.push(await listen(api, ports.api, 'API'));
    started.push(await listen(banner, ports.tcp, 'TCP banner'));
    started.push(await listen(receiver, ports.receiver, 'webhook receiver'));
  } catch (err) {
    await Promise.all(started.map((l) => l.close()));
    throw err;
  }
  const [apiL, tcpL, recvL] = started as [Listener, Listener, Listener];

  // Announces each phase change, so the console says why the check is about to go DOWN.
  const announce = () => {
    const elapsed = now() - startedAt;
    const phase = outagePhase(elapsed, outage);
    emit({ type: 'demo_outage', failing: phase.failing, forMs: phase.untilMs - elapsed });
    const timer = setTimeout(() => {
      timers.delete(timer);
      announce();
    }, Math.max(0, startedAt + phase.untilMs - now()));
    timers.add(timer);
  };

  emit({
    type: 'demo_ready',
    api: `http://${DEMO_HOST}:${apiL.port}`,
    tcp: `${DEMO_HOST}:${tcpL.port}`,
    receiver: `http://${DEMO_HOST}:${recvL.port}/hook`,
    outage,
  });
  announce();

  let stopped: Promise<void> | undefined;
  return {
    ports: { api: apiL.port, tcp: tcpL.port, receiver: recvL.port },
    failing,
    stop: () => {
      stopped ??= (async () => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        await Promise.all(started.map((l) => l.close()));
      })();
      return stopped;
    },
  };
}

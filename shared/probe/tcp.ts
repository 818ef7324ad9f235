/**
 * The TCP prober (Blackbox Exporter's `tcp_connect` with `query_response` and `tls`): a fresh
 * connection, optionally TLS, then the configured send/expect steps (see ./tcp-steps.ts for what
 * `send` and `expect` accept). Up means connected, handshake done, and every expect matched.
 */
import type { ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import type { TcpCheck } from '../config/schema.ts';
import { runSteps } from './tcp-steps.ts';
import { openTimedSocket } from './timed-socket.ts';
import { traceTls } from './debug-entries.ts';
import { tlsConnectOptions, tlsInfo } from './tls-common.ts';
import type { ProbeFn } from './types.ts';

/** `host:port`, with an IPv6 literal in brackets so the port stays readable. */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export const probeTcp: ProbeFn<TcpCheck> = async (check, ctx) => {
  const t0 = performance.now();
  const total = () => Math.round((performance.now() - t0) * 1000) / 1000;
  const { host, port, ipFamily, steps } = check.tcp;
  const target = hostPort(host, port);

  let tls: ConnectionOptions | undefined;
  if (check.tcp.tls !== false) {
    try {
      tls = await tlsConnectOptions(host, check.tcp.tls, ctx);
    } catch (err) {
      // Only a client key given as a secret reference can fail here; its message names the reference, never the value.
      return { target, ok: false, phases: { total: total() }, assertions: [], failure: { reason: 'internal', message: `TLS client key: ${(err as Error).message}` } };
    }
  }

  const conn = await openTimedSocket({ host, port, ...(ipFamily !== undefined && { family: ipFamily }), ...(tls && { tls }) }, ctx);
  const remote = conn.remoteAddress !== undefined ? { remoteAddress: conn.remoteAddress } : {};
  if (!conn.ok) {
    return { target, ok: false, phases: { ...conn.phases, total: total() }, assertions: [], failure: conn.failure, ...remote };
  }
  try {
    const tlsFacts = conn.tlsSocket ? { tls: tlsInfo(conn.tlsSocket, undefined, { ca: tls?.ca }) } : {};
    if (ctx.debug && conn.tlsSocket && tlsFacts.tls) traceTls(ctx.debug, tlsFacts.tls, conn.tlsSocket);
    const out = await runSteps(conn.socket, steps, ctx);
    return {
      target,
      ok: out.failure === undefined,
      phases: { ...conn.phases, total: total() },
      ...tlsFacts,
      tcp: { received: out.received },
      assertions: out.assertions,
      ...(out.failure && { failure: out.failure }),
      ...remote,
    };
  } finally {
    conn.close();
  }
};

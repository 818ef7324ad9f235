/**
 * A fresh TCP (and optionally TLS) connection with each phase timed from the socket's own events:
 * `lookup` ends dns, `connect` ends connect, `secureConnect` ends tls. Shared by the TCP and TLS
 * probers, so both measure and classify connection failures the same way.
 *
 * TLS runs on top of the connected TCP socket instead of letting `tls.connect` dial, so a failure is
 * always attributed to the stage it happened in (a reset during the handshake is `tls_handshake`,
 * not `connect_error`).
 */
import { once } from 'node:events';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { classifyError, failureFrom, type Stage } from './classify.ts';
import { traceConnect, traceLookup } from './debug-entries.ts';
import { keepPeerForFailure } from './tls-peer.ts';
import type { Failure, Phases, ProbeContext } from './types.ts';

export interface SocketTarget {
  host: string;
  port: number;
  /** Resolve to this address family only. @default either, with happy eyeballs */
  family?: 4 | 6;
  /** Wrap the connection in TLS with these options. @default plain TCP */
  tls?: ConnectionOptions;
}

export type ConnectPhases = Pick<Phases, 'dns' | 'connect' | 'tls'>;

interface Common {
  phases: ConnectPhases;
  remoteAddress?: string;
  /** Destroys every socket this connection opened; safe to call more than once. */
  close: () => void;
}

export type TimedConnection =
  | (Common & { ok: true; /** The stream to talk on: the TLS socket when TLS is on. */ socket: Socket; tlsSocket?: TLSSocket })
  | (Common & { ok: false; failure: Failure; stage: Stage });

const STAGE_WORDS: Record<Stage, string> = {
  dns: 'resolving the host',
  connect: 'connecting',
  tls: 'in the TLS handshake',
  response: 'waiting for the response',
};

/** The failure for a probe whose signal fired at `stage`; the reason follows the shared classification. */
export function abortFailure(stage: Stage, timeoutMs: number): Failure {
  return { reason: classifyError({ name: 'AbortError' }, stage), message: `timed out after ${timeoutMs}ms ${STAGE_WORDS[stage]}` };
}

const elapsed = (from: number, to: number) => Math.round((to - from) * 1000) / 1000;

// Errors are read by whoever holds the socket (the awaited `once` below, then the prober's reader).
// This listener only keeps an error that arrives between those from crashing the process.
const keepAlive = () => {};

export async function openTimedSocket(target: SocketTarget, ctx: Pick<ProbeContext, 'signal' | 'timeoutMs' | 'debug'>): Promise<TimedConnection> {
  const t0 = performance.now();
  const phases: ConnectPhases = {};
  let stage: Stage = isIP(target.host) === 0 ? 'dns' : 'connect';
  let tLookup: number | undefined;

  const raw = netConnect({ host: target.host, port: target.port, ...(target.family !== undefined && { family: target.family }) });
  raw.on('error', keepAlive);
  let tlsSocket: TLSSocket | undefined;
  const close = () => {
    tlsSocket?.destroy();
    raw.destroy();
  };
  const fail = (err: unknown): TimedConnection => {
    close();
    const failure = ctx.signal.aborted ? abortFailure(stage, ctx.timeoutMs) : failureFrom(err, stage);
    return { ok: false, failure, stage, phases, ...(raw.remoteAddress && { remoteAddress: raw.remoteAddress }), close };
  };

  raw.once('lookup', (err: Error | null, address: unknown, family: unknown) => {
    if (ctx.debug) traceLookup(ctx.debug, target.host, err, address, family);
    if (err) return;
    tLookup = performance.now();
    phases.dns = elapsed(t0, tLookup);
    stage = 'connect';
  });
  try {
    await once(raw, 'connect', { signal: ctx.signal });
  } catch (err) {
    return fail(err);
  }
  const tConnect = performance.now();
  phases.connect = elapsed(tLookup ?? t0, tConnect);
  const remoteAddress = raw.remoteAddress;
  if (ctx.debug) traceConnect(ctx.debug, raw);

  if (target.tls) {
    stage = 'tls';
    // `host` is what Node verifies the certificate against when no servername is set (IP targets).
    tlsSocket = tlsConnect({ ...target.tls, socket: raw, host: target.host });
    tlsSocket.on('error', keepAlive);
    keepPeerForFailure(tlsSocket);
    try {
      await once(tlsSocket, 'secureConnect', { signal: ctx.signal });
    } catch (err) {
      return fail(err);
    }
    phases.tls = elapsed(tConnect, performance.now());
  }
  return { ok: true, socket: tlsSocket ?? raw, ...(tlsSocket && { tlsSocket }), phases, ...(remoteAddress && { remoteAddress }), close };
}

/**
 * The gRPC prober: `grpc.health.v1.Health/Check` on a fresh channel, as Blackbox Exporter's
 * `prober/grpc.go` does. Up means the call returned SERVING.
 *
 * Phases: `dns` (names only), `connect` (asking the channel to connect → TCP up), `tls` (handshake),
 * `ttfb` (call started on the READY channel → response headers, or the trailers of a trailers-only
 * error). The HTTP/2 SETTINGS exchange between the handshake and READY is in `total` only.
 *
 * Outcomes:
 * - SERVING → up; any other serving status → `grpc_not_serving`, with `grpc.status` its enum name.
 * - An unknown service: the health spec has the server answer NOT_FOUND, so that is `grpc_error`
 *   (a status code, not a serving status), as in Blackbox Exporter.
 * - No health service (UNIMPLEMENTED) and other status codes → `grpc_error`; DEADLINE_EXCEEDED → `timeout`.
 * - The connection never reaching READY is classified from what the connector saw (see
 *   grpc-connection.ts): a TLS error by its code; TCP never up → `connect_error`, because grpc-js
 *   does not expose the socket's error code (refused and unreachable look alike to us); connected but
 *   no HTTP/2 session → `protocol_error`.
 */
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { GrpcCheck } from '../config/schema.ts';
import { VantageError } from '../errors.ts';
import { failureFrom } from './classify.ts';
import { ConnectionTrace, TracedCredentials } from './grpc-connection.ts';
import { decodeHealthResponse, encodeHealthRequest, HEALTH_CHECK_PATH, servingStatusName, type HealthResponse } from './grpc-health-codec.ts';
import { traceLookup } from './debug-entries.ts';
import { lookupAddress } from './lookup.ts';
import { tlsConnectOptions } from './tls-common.ts';
import type { Assertion, Failure, Phases, ProbeFn, ProbeOutcome } from './types.ts';

const ConnectivityState = grpc.connectivityState;

/** A health response is two bytes; this only bounds what a broken server can make the probe buffer. */
const MAX_RESPONSE_BYTES = 4096;

function channelOptions(authority: string): grpc.ChannelOptions {
  return {
    // Every probe measures a new connection: no subchannel is shared with another client.
    'grpc.use_local_subchannel_pool': 1,
    // The :authority the server sees is the target as written, not the address it resolved to.
    'grpc.default_authority': authority,
    // Probes measure the path to the target; an inherited https_proxy would measure the proxy.
    'grpc.enable_http_proxy': 0,
    // Retrying is policy (the runner's retests), not transport.
    'grpc.enable_retries': 0,
    'grpc.service_config_disable_resolution': 1,
    'grpc.max_receive_message_length': MAX_RESPONSE_BYTES,
  };
}

/** `host:port` or `[v6]:port`, already validated by the schema. */
function splitTarget(target: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(target);
  if (!m) throw new VantageError('GRPC_TARGET_INVALID', `invalid gRPC target ${target}`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

/** grpc-js's `ipv4:`/`ipv6:` schemes take the address as is: no second lookup inside grpc-js. */
function channelTarget(address: string, port: number): string {
  return isIP(address) === 6 ? `ipv6:[${address}]:${port}` : `ipv4:${address}:${port}`;
}

type ConnectOutcome = 'ready' | 'failed' | 'deadline' | 'aborted';

/**
 * Connects the channel and waits for READY. TRANSIENT_FAILURE ends the wait at once: a call without
 * waitForReady would fail there too, and grpc-js's reconnect backoff is not something to time.
 */
function connect(channel: grpc.ChannelInterface, deadline: Date, signal: AbortSignal): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: ConnectOutcome) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = () => done('aborted');
    if (signal.aborted) return done('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    const step = () => {
      if (settled) return;
      const state = channel.getConnectivityState(true);
      if (state === ConnectivityState.READY) return done('ready');
      if (state === ConnectivityState.TRANSIENT_FAILURE || state === ConnectivityState.SHUTDOWN) return done('failed');
      channel.watchConnectivityState(state, deadline, (err) => (err ? done('deadline') : step()));
    };
    step();
  });
}

/** Why the channel did not become READY, from what the connector saw rather than grpc-js's text. */
function connectFailure(outcome: Exclude<ConnectOutcome, 'ready'>, trace: ConnectionTrace, secure: boolean): Failure {
  if (trace.tlsError !== undefined) return failureFrom(trace.tlsError, 'tls');
  if (outcome === 'failed') {
    return trace.tcpConnectedAt === undefined
      ? { reason: 'connect_error', message: 'TCP connection failed (grpc-js gives no error code; the port may be closed or the host unreachable)' }
      : { reason: 'protocol_error', message: 'connected, but no HTTP/2 session came up: not a gRPC server?' };
  }
  if (trace.tcpConnectedAt === undefined) return { reason: 'connect_timeout', message: 'TCP connection not established in time' };
  if (secure && trace.tlsDoneAt === undefined) return { reason: 'tls_handshake', message: 'TLS handshake not finished in time' };
  return { reason: 'timeout', message: 'connected, but the HTTP/2 session did not come up in time' };
}

type RpcOutcome =
  | { ok: true; response: HealthResponse; ttfbMs: number }
  | { ok: false; error: grpc.ServiceError; cancelled: boolean; ttfbMs: number | undefined };

function healthCheck(client: grpc.Client, service: string, deadline: Date, signal: AbortSignal): Promise<RpcOutcome> {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    let headersAt: number | undefined;
    let cancelled = false;
    const call = client.makeUnaryRequest(HEALTH_CHECK_PATH, encodeHealthRequest, decodeHealthResponse, service, new grpc.Metadata(), { deadline }, (err, value) => {
      signal.removeEventListener('abort', onAbort);
      const endedAt = performance.now();
      if (err) {
        // A call that ran out of time has no first byte unless headers came; any other status is the server's answer.
        const timedOut = cancelled || err.code === grpc.status.DEADLINE_EXCEEDED;
        const firstByteAt = headersAt ?? (timedOut ? undefined : endedAt);
        return resolve({ ok: false, error: err, cancelled, ttfbMs: firstByteAt === undefined ? undefined : firstByteAt - sentAt });
      }
      resolve({ ok: true, response: value ?? { ok: false, error: 'no response message' }, ttfbMs: (headersAt ?? endedAt) - sentAt });
    });
    call.on('metadata', () => {
      headersAt ??= performance.now();
    });
    const onAbort = () => {
      cancelled = true;
      call.cancel();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

function rpcFailure(error: grpc.ServiceError, cancelled: boolean): Failure {
  const name = grpc.status[error.code] ?? String(error.code);
  if (cancelled || error.code === grpc.status.DEADLINE_EXCEEDED) return { reason: 'timeout', message: `Health/Check did not complete in time (${name})` };
  return { reason: 'grpc_error', message: `Health/Check failed: ${name} (${error.code})${error.details ? `: ${error.details}` : ''}` };
}

export const probeGrpc: ProbeFn<GrpcCheck> = async (check, ctx) => {
  const t0 = performance.now();
  const deadline = new Date(Date.now() + ctx.timeoutMs);
  const spec = check.grpc;
  const phases: Omit<Phases, 'total'> = {};
  const assertions: Assertion[] = [];
  const trace = new ConnectionTrace();
  const outcome = (rest: Partial<ProbeOutcome> & { ok: boolean }): ProbeOutcome => ({
    target: spec.target,
    assertions,
    ...(trace.remoteAddress !== undefined && { remoteAddress: trace.remoteAddress }),
    ...(trace.tls && { tls: trace.tls }),
    ...rest,
    phases: { ...phases, total: performance.now() - t0 },
  });
  const fail = (failure: Failure, rest: Partial<ProbeOutcome> = {}) => outcome({ ok: false, failure, ...rest });

  const { host, port } = splitTarget(spec.target);
  let address: string;
  try {
    address = await lookupAddress(host, spec.ipFamily, ctx.signal);
  } catch (err) {
    phases.dns = performance.now() - t0;
    if (ctx.debug) traceLookup(ctx.debug, host, err as Error, undefined, undefined);
    return fail(failureFrom(err, 'dns'));
  }
  if (!isIP(host)) {
    phases.dns = performance.now() - t0;
    if (ctx.debug) traceLookup(ctx.debug, host, null, address, undefined);
  }

  let tlsOptions: ConnectionOptions | undefined;
  if (spec.tls !== false) {
    try {
      // `host` (not the address) is the name the certificate is checked against, as for HTTPS.
      tlsOptions = { ...(await tlsConnectOptions(host, spec.tls, ctx)), host };
    } catch (err) {
      return fail({ reason: 'internal', message: `TLS settings: ${(err as Error).message}` });
    }
  }

  const credentials = new TracedCredentials(tlsOptions, trace, ctx.signal);
  const client = new grpc.Client(channelTarget(address, port), credentials, channelOptions(spec.target));
  try {
    const connectStart = performance.now();
    const connected = await connect(client.getChannel(), deadline, ctx.signal);
    if (trace.tcpConnectedAt !== undefined) phases.connect = trace.tcpConnectedAt - connectStart;
    if (trace.tcpConnectedAt !== undefined && trace.tlsDoneAt !== undefined) phases.tls = trace.tlsDoneAt - trace.tcpConnectedAt;
    ctx.debug?.add({ phase: 'connect', message: `channel ${connected}`, fields: { remote: trace.remoteAddress ?? 'unknown', tls: tlsOptions !== undefined, ...(trace.tls && { 'tls version': trace.tls.version, alpn: trace.tls.alpn ?? 'none' }) } });
    if (connected !== 'ready') return fail(connectFailure(connected, trace, tlsOptions !== undefined));
    ctx.debug?.add({ phase: 'grpc', message: 'call grpc.health.v1.Health/Check', fields: { service: spec.service === '' ? '(the server)' : spec.service } });

    const rpc = await healthCheck(client, spec.service, deadline, ctx.signal);
    if (rpc.ttfbMs !== undefined) phases.ttfb = rpc.ttfbMs;
    if (!rpc.ok) return fail(rpcFailure(rpc.error, rpc.cancelled));
    if (!rpc.response.ok) return fail({ reason: 'protocol_error', message: `malformed HealthCheckResponse: ${rpc.response.error}` });

    const status = servingStatusName(rpc.response.status);
    ctx.debug?.add({ phase: 'grpc', message: `health status ${status}` });
    const serving = status === 'SERVING';
    assertions.push({ name: 'status is SERVING', ok: serving, detail: status });
    const grpcInfo = { status };
    return serving
      ? outcome({ ok: true, grpc: grpcInfo })
      : fail({ reason: 'grpc_not_serving', message: `health status of ${spec.service === '' ? 'the server' : `service "${spec.service}"`} is ${status}` }, { grpc: grpcInfo });
  } finally {
    client.close();
    // grpc-js leaves a socket mid-handshake open when the channel closes; the credentials do not.
    credentials.close();
  }
};

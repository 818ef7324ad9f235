/**
 * One DNS query and its response over UDP or TCP, on a fresh socket, with the timing of each step.
 * Failures are values (`{ok: false, failure}`), so the prober never has to guess where an error came from.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import { failureFrom, type Stage } from './classify.ts';
import type { Failure } from './types.ts';

export interface DnsServer {
  /** An IP address. */
  address: string;
  port: number;
}

export interface DnsQuestion {
  id: number;
  name: string;
  type: packet.RecordType;
}

export type Exchange =
  | {
      ok: true;
      response: packet.DecodedPacket & { rcode?: string };
      /** TCP only: the three-way handshake. */
      connectMs?: number;
      /** Query written → the whole response read. */
      ttfbMs: number;
      /** UDP datagrams dropped because their id or question did not belong to this query. */
      ignored: number;
    }
  /** connectMs is kept when the connection came up before the failure. */
  | { ok: false; failure: Failure; connectMs?: number };

/** RFC 1035 §4.2.2: a TCP message is preceded by its length as two bytes. */
const TCP_LENGTH_BYTES = 2;
/** A DNS header is 12 bytes; anything shorter cannot even carry the id. */
const HEADER_BYTES = 12;

export function encodeQuery(q: DnsQuestion, recursionDesired: boolean): Buffer {
  return packet.encode({
    type: 'query',
    id: q.id,
    flags: recursionDesired ? packet.RECURSION_DESIRED : 0,
    questions: [{ type: q.type, name: q.name, class: 'IN' }],
  });
}

function sameName(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\.$/, '').toLowerCase();
  return norm(a) === norm(b);
}

type Verdict =
  | { kind: 'answer'; response: packet.DecodedPacket }
  /** Not for this query: a stray or spoofed datagram. Over UDP it is dropped and the wait goes on. */
  | { kind: 'foreign'; why: string }
  /** Carries this query's id but is not a valid response to it. */
  | { kind: 'malformed'; why: string };

/**
 * Decides whether `msg` answers `q`. The id is read before decoding, so a datagram that is
 * garbage and does not carry our id counts as foreign rather than as the server's answer.
 */
export function judgeResponse(msg: Buffer, q: DnsQuestion): Verdict {
  if (msg.length < HEADER_BYTES) return { kind: 'foreign', why: `${msg.length}-byte datagram` };
  if (msg.readUInt16BE(0) !== q.id) return { kind: 'foreign', why: 'id mismatch' };
  let response: packet.DecodedPacket;
  try {
    response = packet.decode(msg);
  } catch (err) {
    return { kind: 'malformed', why: `undecodable response: ${(err as Error).message}` };
  }
  if (!response.flag_qr) return { kind: 'malformed', why: 'QR bit not set (a query, not a response)' };
  const question = response.questions?.[0];
  // A truncated or failed response may omit the question; when present it must be ours (RFC 5452 §9.1).
  if (question && (!sameName(question.name, q.name) || question.type !== q.type)) {
    return { kind: 'foreign', why: `question ${question.name} ${question.type} does not match` };
  }
  return { kind: 'answer', response };
}

function elapsedSince(t: number): number {
  return performance.now() - t;
}

function abortFailure(signal: AbortSignal, stage: Stage): Failure {
  return failureFrom(signal.reason ?? new DOMException('aborted', 'AbortError'), stage);
}

/** Sends the query from a connected UDP socket, so the kernel drops datagrams from any other address. */
export function exchangeUdp(server: DnsServer, q: DnsQuestion, query: Buffer, signal: AbortSignal): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(server.address) ? 'udp6' : 'udp4');
    let sentAt: number | undefined;
    let ignored = 0;
    let settled = false;
    const finish = (result: Exchange) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      try {
        socket.close();
      } catch {
        // Already closed after an error: nothing left to release.
      }
      resolve(result);
    };
    // A datagram has no handshake, so before the query is out only local setup can fail.
    const stage = (): Stage => (sentAt === undefined ? 'connect' : 'response');
    // Nothing distinguishes a silent server from a slow one over UDP: running out of time is a timeout.
    const onAbort = () => finish({ ok: false, failure: abortFailure(signal, 'response') });
    if (signal.aborted) return finish({ ok: false, failure: abortFailure(signal, 'response') });
    signal.addEventListener('abort', onAbort, { once: true });
    // ECONNREFUSED here is an ICMP port unreachable, reported on a connected socket's next receive.
    socket.on('error', (err) => finish({ ok: false, failure: failureFrom(err, stage()) }));
    socket.on('message', (msg) => {
      const verdict = judgeResponse(msg, q);
      if (verdict.kind === 'foreign') {
        ignored++;
        return;
      }
      if (verdict.kind === 'malformed') return finish({ ok: false, failure: { reason: 'protocol_error', message: verdict.why } });
      finish({ ok: true, response: verdict.response, ttfbMs: elapsedSince(sentAt ?? performance.now()), ignored });
    });
    socket.connect(server.port, server.address, () => {
      sentAt = performance.now();
      socket.send(query);
    });
  });
}

/** One query on a fresh TCP connection, framed with its two-byte length. */
export function exchangeTcp(server: DnsServer, q: DnsQuestion, query: Buffer, signal: AbortSignal): Promise<Exchange> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    let connectMs: number | undefined;
    let sentAt: number | undefined;
    let settled = false;
    let buffered = Buffer.alloc(0);
    const socket = net.connect({ host: server.address, port: server.port });
    const stage = (): Stage => (connectMs === undefined ? 'connect' : 'response');
    const finish = (result: Exchange) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(!result.ok && connectMs !== undefined ? { ...result, connectMs } : result);
    };
    const onAbort = () => finish({ ok: false, failure: abortFailure(signal, stage()) });
    if (signal.aborted) return finish({ ok: false, failure: abortFailure(signal, 'connect') });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish({ ok: false, failure: failureFrom(err, stage()) }));
    socket.on('connect', () => {
      connectMs = elapsedSince(startedAt);
      const framed = Buffer.alloc(TCP_LENGTH_BYTES + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, TCP_LENGTH_BYTES);
      sentAt = performance.now();
      socket.write(framed);
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < TCP_LENGTH_BYTES) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < TCP_LENGTH_BYTES + length) return;
      const verdict = judgeResponse(buffered.subarray(TCP_LENGTH_BYTES, TCP_LENGTH_BYTES + length), q);
      // Nobody can inject into an established TCP stream off-path, so a foreign answer here is the server's fault.
      if (verdict.kind !== 'answer') return finish({ ok: false, failure: { reason: 'protocol_error', message: verdict.why } });
      finish({ ok: true, response: verdict.response, connectMs, ttfbMs: elapsedSince(sentAt ?? performance.now()), ignored: 0 });
    });
    socket.on('end', () => finish({
      ok: false,
      failure: { reason: 'connection_reset', message: `server closed the connection after ${buffered.length} bytes of the response` },
    }));
  });
}

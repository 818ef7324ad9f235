/**
 * Debug entries that more than one prober writes the same way: the lookup, the connection and the
 * TLS handshake. They describe what the prober already measured and collected (the socket's own
 * addresses, the TlsInfo of the result); nothing here times or probes anything again.
 */
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { DebugTrace } from './debug.ts';
import { chainAltNames } from './tls-common.ts';
import type { TlsInfo } from './types.ts';

/** `host:port`, with an IPv6 address in brackets. */
export function addressText(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unknown';
  const host = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}

/**
 * A name resolved through getaddrinfo (`dns.lookup`, as Node's sockets do). getaddrinfo reports no
 * TTL, so none is shown; a DNS check's own answers carry theirs.
 */
export function traceLookup(trace: DebugTrace, host: string, err: Error | null, address: unknown, family: unknown): void {
  if (err) {
    trace.add({ phase: 'dns', message: `could not resolve ${host}`, fields: { error: (err as NodeJS.ErrnoException).code ?? err.message } });
    return;
  }
  // With happy eyeballs Node reports every address it will try at once.
  const addresses = Array.isArray(address) ? address.map((a: { address: string }) => a.address) : [String(address)];
  trace.add({ phase: 'dns', message: `resolved ${host}`, fields: { addresses, ...(typeof family === 'number' && { family: `IPv${family}` }), ttl: 'not reported by getaddrinfo' } });
}

export function traceConnect(trace: DebugTrace, socket: Socket): void {
  trace.add({
    phase: 'connect',
    message: 'connected',
    fields: { local: addressText(socket.localAddress, socket.localPort), remote: addressText(socket.remoteAddress, socket.remotePort) },
  });
}

/** The handshake's outcome and every certificate of the chain, leaf first. */
export function traceTls(trace: DebugTrace, info: TlsInfo, socket: TLSSocket, leaf?: DetailedPeerCertificate): void {
  trace.add({
    phase: 'tls',
    message: 'handshake done',
    fields: {
      version: info.version,
      cipher: info.cipher,
      alpn: info.alpn ?? 'none',
      verified: info.authorized ?? false,
      ...(!socket.authorized && socket.authorizationError && { 'verify error': String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError) }),
    },
  });
  let sans: string[] = [];
  try {
    sans = chainAltNames(socket, leaf);
  } catch {
    // A certificate too odd to describe costs only its names.
  }
  for (const [i, c] of (info.chain ?? []).entries()) {
    trace.add({
      phase: 'tls',
      message: `certificate ${i}${c.fromTrustStore ? ' (from the trust store, not presented)' : ''}`,
      fields: { subject: c.subject, issuer: c.issuer, notAfter: c.notAfter, ...(sans[i] ? { san: sans[i].split(', ') } : {}) },
    });
  }
}

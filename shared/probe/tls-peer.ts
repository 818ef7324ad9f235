/**
 * The peer's certificate as a person needs it when verification fails: who it is for, who issued
 * it, the names it covers and when it expires. A rejected handshake destroys the socket before its
 * 'error' is emitted, and with it the certificate, so `keepPeerForFailure` takes what it needs at the
 * last moment the certificate is still there and hands it over with the error.
 */
import { errorMonitor, type EventEmitter } from 'node:events';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';

export interface PeerCert {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
}

export interface PeerFacts {
  /** Leaf first, as Node links it (the presented certificates, then any from the trust store). */
  chain: PeerCert[];
  /** The leaf's subjectAltName entries, without their `DNS:`/`IP Address:` prefixes. */
  altNames: string[];
}

/** `CN=localhost, O=Example`: the distinguished name as people write it. */
export function nameOf(subject: PeerCertificate['subject'] | undefined): string {
  if (!subject) return '';
  return Object.entries(subject).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ');
}

const iso = (openssl: string): string => {
  const t = Date.parse(openssl);
  return Number.isNaN(t) ? openssl : new Date(t).toISOString();
};

/**
 * Node renders subjectAltName as `DNS:a, IP Address:1.2.3.4`, quoting (JSON-style) any entry that
 * itself contains a comma or quote, so splitting on `, ` outside quotes is exact.
 */
export function altNamesOf(san: string | undefined): string[] {
  if (!san) return [];
  const out: string[] = [];
  for (const m of san.matchAll(/(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[2]!;
    out.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}

export function factsOf(leaf: PeerCertificate | DetailedPeerCertificate): PeerFacts {
  const chain: PeerCert[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf as DetailedPeerCertificate;
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push({ subject: nameOf(cert.subject), issuer: nameOf(cert.issuer), notBefore: iso(cert.valid_from), notAfter: iso(cert.valid_to) });
    cert = cert.issuerCertificate;
  }
  return { chain, altNames: altNamesOf(leaf.subjectaltname) };
}

/** The detailed certificate built for a failed verification, by socket, so that nothing builds it twice. */
const detailedBySocket = new WeakMap<TLSSocket, DetailedPeerCertificate>();

/** The detailed peer certificate keepPeerForFailure built, if verification failed. */
export function keptPeerCertificate(socket: TLSSocket): DetailedPeerCertificate | undefined {
  return detailedBySocket.get(socket);
}

/** Errors of failed handshakes, with what their socket presented. Weak: an error is dropped with its facts. */
const factsByError = new WeakMap<object, PeerFacts>();

interface VerifyingHandle {
  verifyError?: () => unknown;
}

/**
 * Keeps the presented certificate of a handshake that fails verification, for the failure message.
 *
 * Node emits 'secure' when the handshake is done and then, in its own listener, checks the chain and
 * destroys the socket on a verification error; a listener put before Node's sees the certificate.
 * It builds the detailed certificate only when verification failed (asked of the TLS handle, the
 * call Node's own check makes), so a good handshake builds it once, in Node's hostname check, as
 * before. The handle is internal to Node; where it is missing, the message only lacks the names.
 */
export function keepPeerForFailure(socket: TLSSocket): void {
  let facts: PeerFacts | undefined;
  socket.prependOnceListener('secure', () => {
    try {
      const handle = (socket as unknown as { _handle?: VerifyingHandle })._handle;
      if (typeof handle?.verifyError !== 'function' || !handle.verifyError()) return;
      const detailed = socket.getPeerCertificate(true);
      // With verification off the handshake goes on, and the chain report reuses this one.
      detailedBySocket.set(socket, detailed);
      facts = factsOf(detailed);
    } catch {
      // A listener that throws takes the process down; an odd certificate costs only its names.
    }
  });
  // A monitor, not a listener: it sees the error first and leaves handling it to the socket's owner.
  (socket as EventEmitter).on(errorMonitor, (err: unknown) => {
    if (facts && typeof err === 'object' && err !== null) factsByError.set(err, facts);
  });
}

/**
 * What the peer presented, for an error from a failed handshake: the facts kept for it, or the
 * certificate Node's hostname check attaches to its own error (`ERR_TLS_CERT_ALTNAME_INVALID`).
 */
export function peerFactsOf(err: unknown): PeerFacts | undefined {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const kept = factsByError.get(e);
    if (kept) return kept;
    const cert = (e as { cert?: unknown }).cert;
    if (cert && typeof cert === 'object' && 'subject' in cert) return factsOf(cert as PeerCertificate);
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * TLS settings and certificate facts shared by the HTTP, TCP, gRPC and TLS probers, so that
 * `tls: {ca, serverName, insecureSkipVerify, ...}` means the same thing for every protocol.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions, DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import type { TlsOptions } from '../config/schema.ts';
import type { Assertion, CertInfo, Failure, ProbeContext, TlsInfo } from './types.ts';
import { resolveSecretRef } from './secrets.ts';

const DAY_MS = 86_400_000;

/**
 * Node options for a verified connection to `host`. SNI is never sent for an IP literal (RFC 6066
 * §3 forbids it), but the certificate is still checked against the IP.
 */
export async function tlsConnectOptions(host: string, opts: TlsOptions | true | undefined, ctx: Pick<ProbeContext, 'resolveSecret' | 'env'>): Promise<ConnectionOptions> {
  const o: Partial<TlsOptions> = opts === true || opts === undefined ? {} : opts;
  const serverName = o.serverName ?? host;
  const out: ConnectionOptions = {
    rejectUnauthorized: !o.insecureSkipVerify,
    ...(isIP(serverName) === 0 && { servername: serverName }),
    ...(o.ca !== undefined && { ca: o.ca }),
    ...(o.cert !== undefined && { cert: o.cert }),
    ...(o.minVersion && { minVersion: o.minVersion }),
    ...(o.maxVersion && { maxVersion: o.maxVersion }),
  };
  if (o.key !== undefined) out.key = typeof o.key === 'string' ? o.key : await resolveSecretRef(o.key, ctx);
  if (o.serverName !== undefined) {
    // Verify against the configured name, not the address dialled (Blackbox's tls_config.server_name).
    const { checkServerIdentity } = await import('node:tls');
    out.checkServerIdentity = (_host, cert) => checkServerIdentity(serverName, cert);
  }
  return out;
}

function nameOf(subject: PeerCertificate['subject'] | undefined): string {
  if (!subject) return '';
  return Object.entries(subject).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ');
}

/**
 * The presented chain, leaf first, stopping at the self-issued root or where the peer stopped sending.
 * `leaf` is the detailed certificate Node already built for the hostname check, when the caller kept
 * it: building it costs as much as the rest of the probe's TLS bookkeeping (a JS object per
 * certificate with its DER and three fingerprints), so it is built again only when that check did
 * not run (verification off, or a resumed session).
 */
export function peerChain(socket: TLSSocket, leaf?: DetailedPeerCertificate): CertInfo[] {
  const chain: CertInfo[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf ?? socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push({ subject: nameOf(cert.subject), issuer: nameOf(cert.issuer), notAfter: new Date(cert.valid_to).toISOString() });
    cert = cert.issuerCertificate;
  }
  return chain;
}

/** Version, cipher, ALPN and the earliest expiry of an established TLS socket; `leaf` as for peerChain. */
export function tlsInfo(socket: TLSSocket, leaf?: DetailedPeerCertificate, now = Date.now()): TlsInfo {
  const chain = peerChain(socket, leaf);
  const earliest = chain.reduce<string | undefined>((min, c) => (min === undefined || c.notAfter < min ? c.notAfter : min), undefined);
  const cipher = socket.getCipher();
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
    ...(socket.alpnProtocol ? { alpn: socket.alpnProtocol } : {}),
    ...(earliest && { certExpiresAt: earliest, certDaysLeft: Math.floor((Date.parse(earliest) - now) / DAY_MS) }),
    chain,
    authorized: socket.authorized,
  };
}

/** The `certMinDaysLeft` assertion, and the failure when it does not hold. */
export function certDaysAssertion(info: TlsInfo, minDays: number): { assertion: Assertion; failure?: Failure } {
  const days = info.certDaysLeft;
  const ok = days !== undefined && days >= minDays;
  const assertion: Assertion = { name: `certificate valid for >= ${minDays} days`, ok, detail: days === undefined ? 'no certificate' : `${days} days left (${info.certExpiresAt})` };
  return ok ? { assertion } : { assertion, failure: { reason: 'cert_expiring', message: `certificate expires in ${days} days (${info.certExpiresAt}); want at least ${minDays}` } };
}

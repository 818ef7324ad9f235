/**
 * TLS settings and certificate facts shared by the HTTP, TCP, gRPC and TLS probers, so that
 * `tls: {ca, serverName, insecureSkipVerify, ...}` means the same thing for every protocol.
 */
import { isIP } from 'node:net';
import { getCACertificates, type ConnectionOptions, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { TlsOptions } from '../config/schema.ts';
import type { Assertion, CertInfo, Failure, ProbeContext, TlsInfo } from './types.ts';
import { resolveSecretRef } from './secrets.ts';
import { keptPeerCertificate, nameOf } from './tls-peer.ts';

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

/** The certificates a probe trusts, as base64 DER: the `ca` option when given (it replaces the defaults), else Node's defaults. */
type Anchors = ReadonlySet<string>;

function pemBodies(pems: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const pem of pems) {
    for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) out.add(m[1]!.replace(/\s+/g, ''));
  }
  return out;
}

let defaultAnchors: Anchors | undefined;
/** Bounded: one entry per distinct `ca` bundle in the config, which is a handful. */
const anchorsByCa = new Map<string, Anchors>();

function anchorsFor(ca: ConnectionOptions['ca']): Anchors {
  if (ca === undefined) return (defaultAnchors ??= pemBodies(getCACertificates('default')));
  const pems = (Array.isArray(ca) ? ca : [ca]).map((c) => (typeof c === 'string' ? c : Buffer.from(c as Uint8Array).toString('utf8')));
  const key = pems.join('\n');
  let anchors = anchorsByCa.get(key);
  if (anchors === undefined) {
    if (anchorsByCa.size >= 64) anchorsByCa.clear();
    anchorsByCa.set(key, (anchors = pemBodies(pems)));
  }
  return anchors;
}

interface LinkedCert extends CertInfo {
  der: string;
}

/**
 * The chain as Node links it, leaf first: the presented certificates by issuer, then, where the
 * last one presented is not self-issued, issuers Node found in the trust store, up to a root.
 * `leaf` is the detailed certificate Node already built for the hostname check, when the caller kept
 * it: building it costs as much as the rest of the probe's TLS bookkeeping (a JS object per
 * certificate with its DER and three fingerprints), so it is built again only when neither that
 * check nor a failed verification (tls-peer.ts) built it (a resumed session).
 */
function linkedChain(socket: TLSSocket, leaf?: DetailedPeerCertificate): LinkedCert[] {
  return linkedCerts(socket, leaf).map((cert) => ({
    subject: nameOf(cert.subject), issuer: nameOf(cert.issuer), notAfter: new Date(cert.valid_to).toISOString(), der: cert.raw.toString('base64'),
  }));
}

function linkedCerts(socket: TLSSocket, leaf?: DetailedPeerCertificate): DetailedPeerCertificate[] {
  const certs: DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf ?? keptPeerCertificate(socket) ?? socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    certs.push(cert);
    cert = cert.issuerCertificate;
  }
  return certs;
}

/**
 * The subject alternative names of each certificate in the order of TlsInfo.chain (`DNS:a, IP
 * Address:127.0.0.1`, as Node spells them; empty when a certificate has none). Only a debug log asks.
 */
export function chainAltNames(socket: TLSSocket, leaf?: DetailedPeerCertificate): string[] {
  return linkedCerts(socket, leaf).map((c) => c.subjectaltname ?? '');
}

/**
 * How many of the linked chain's certificates the server presented. Node adds trust-store issuers
 * only after the last presented certificate, so they are a suffix, and each is a trust anchor: the
 * presented part ends where that suffix of anchors starts (the leaf always counts as presented).
 * A server that also sends a root the prober trusts cannot be told apart from one that does not
 * (Node's API exposes only the linked chain); the root then counts as the store's, which moves the
 * earliest expiry only when that root expires before everything the server sent.
 */
function presentedLength(chain: readonly LinkedCert[], anchors: Anchors): number {
  let n = chain.length;
  while (n > 1 && anchors.has(chain[n - 1]!.der)) n--;
  return n;
}

const earliestOf = (chain: readonly CertInfo[]): string | undefined =>
  chain.reduce<string | undefined>((min, c) => (min === undefined || c.notAfter < min ? c.notAfter : min), undefined);

/** Certificates the server did not send are marked `fromTrustStore` (see presentedLength). */
function reportChain(linked: readonly LinkedCert[], ca: ConnectionOptions['ca']): CertInfo[] {
  const presented = linked.length > 1 ? presentedLength(linked, anchorsFor(ca)) : linked.length;
  return linked.map(({ der: _, ...c }, i) => (i < presented ? c : { ...c, fromTrustStore: true }));
}

export interface TlsInfoOptions {
  /** The `ca` the connection was made with; the trust store Node completed the chain from. @default Node's defaults */
  ca?: ConnectionOptions['ca'];
  now?: number;
}

/**
 * Version, cipher, ALPN and the certificate expiries of an established TLS socket; `leaf` as for
 * linkedChain. `certExpiresAt` is the earliest of the presented certificates (Blackbox Exporter's
 * `probe_ssl_earliest_cert_expiry`); `verifiedChainExpiresAt` the earliest of the chain that verified
 * (its `probe_ssl_last_chain_expiry_timestamp_seconds`, for the one chain Node builds).
 */
export function tlsInfo(socket: TLSSocket, leaf?: DetailedPeerCertificate, opts: TlsInfoOptions = {}): TlsInfo {
  const chain = reportChain(linkedChain(socket, leaf), opts.ca);
  const presented = chain.filter((c) => !c.fromTrustStore);
  const earliest = earliestOf(presented);
  const verifiedEarliest = socket.authorized ? earliestOf(chain) : undefined;
  const now = opts.now ?? Date.now();
  const cipher = socket.getCipher();
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
    ...(socket.alpnProtocol ? { alpn: socket.alpnProtocol } : {}),
    ...(earliest && { certExpiresAt: earliest, certDaysLeft: Math.floor((Date.parse(earliest) - now) / DAY_MS) }),
    ...(verifiedEarliest && { verifiedChainExpiresAt: verifiedEarliest }),
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

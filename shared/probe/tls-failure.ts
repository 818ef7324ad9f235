/**
 * Failure messages for TLS problems that say what to do: which CA to pass, which names the
 * certificate covers, when it expired, and that a port speaks plain text where TLS was expected (or
 * the reverse). Chosen by error code; OpenSSL's own message text (a file path, a line number and a
 * trailing newline) never reaches a person.
 */
import { peerFactsOf, type PeerCert, type PeerFacts } from './tls-peer.ts';

const CA_HINT = 'if that CA is yours, pass its certificate with --ca FILE (tls.ca in the config)';

/** Why a chain is untrusted, by OpenSSL verify code; unknown codes fall back to a generic phrase. */
const UNTRUSTED_WHY: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its issuer is not a trusted CA, and the server did not send it',
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is not a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not a trusted CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in a self-signed root that is not trusted',
  CERT_UNTRUSTED: 'the root is not trusted for server authentication',
  CERT_REJECTED: 'the root is marked to reject server authentication',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify against its issuer',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'its signature does not verify against its issuer',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: "its issuer's public key cannot be read",
  INVALID_CA: 'a certificate in the chain is not a CA but signs another',
  PATH_LENGTH_EXCEEDED: 'the chain is longer than a CA in it allows',
  CERT_CHAIN_TOO_LONG: 'the chain is too long',
  CERT_REVOKED: 'it is revoked',
};

/** Codes for a TLS client that got plain text back: the record header is not TLS. */
const PLAIN_TEXT_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_UNKNOWN_PROTOCOL']);

const HANDSHAKE_WHY: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate: pass --cert FILE --key FILE (tls.cert and tls.key)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server rejected the client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the CA of the client certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the server says the client certificate has expired',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'no TLS version both sides accept (see tls.minVersion and tls.maxVersion)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'no TLS version both sides accept (see tls.minVersion and tls.maxVersion)',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'no TLS version both sides accept (see tls.minVersion and tls.maxVersion)',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the server refused the handshake: no cipher, version or extension both sides accept',
  ERR_SSL_NO_SHARED_CIPHER: 'no cipher both sides accept',
  ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL: 'the server speaks none of the offered ALPN protocols',
  ERR_SSL_TLSV1_UNRECOGNIZED_NAME: 'the server does not know the name sent as SNI (see tls.serverName)',
  ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR: 'the server failed during the handshake (internal error alert)',
};

/** `ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC` → `sslv3 alert bad record mac`: the code in words, for codes without a sentence. */
function codeWords(code: string, prefix: string): string {
  return code.slice(prefix.length).toLowerCase().replaceAll('_', ' ');
}

function earliest(chain: PeerCert[], key: 'notAfter'): PeerCert | undefined {
  return chain.reduce<PeerCert | undefined>((min, c) => (min === undefined || c[key] < min[key] ? c : min), undefined);
}

function latestNotBefore(chain: PeerCert[]): PeerCert | undefined {
  return chain.reduce<PeerCert | undefined>((max, c) => (max === undefined || c.notBefore > max.notBefore ? c : max), undefined);
}

function untrustedMessage(code: string, facts: PeerFacts | undefined): string {
  const leaf = facts?.chain[0];
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return `certificate ${leaf ? `${leaf.subject} ` : ''}is self-signed and not trusted: pass it with --ca FILE (tls.ca in the config) to trust it`;
  }
  if (code === 'INVALID_PURPOSE') return `certificate ${leaf ? `${leaf.subject} ` : ''}is not for server authentication (its extended key usage)`;
  const why = UNTRUSTED_WHY[code] ?? 'its chain does not verify';
  if (!leaf) return `certificate is not trusted: ${why}; ${CA_HINT}`;
  // The issuer that could not be found is the one named by the last certificate the chain reached.
  const top = facts.chain.at(-1)!;
  return `certificate ${leaf.subject} issued by ${top.issuer} is not trusted: ${why}; ${CA_HINT}`;
}

function expiredMessage(code: string, facts: PeerFacts | undefined): string {
  const chain = facts?.chain ?? [];
  const leaf = chain[0];
  const which = (c: PeerCert) => (c === leaf ? `certificate ${c.subject}` : `certificate ${c.subject} in the chain (above ${leaf!.subject})`);
  if (code === 'CERT_NOT_YET_VALID') {
    const c = latestNotBefore(chain);
    return c ? `${which(c)} is not valid before ${c.notBefore}` : 'certificate is not yet valid';
  }
  // Of a chain with an expired certificate, the earliest notAfter is an expired one: no clock needed.
  const c = earliest(chain, 'notAfter');
  return c ? `${which(c)} expired on ${c.notAfter}` : 'certificate has expired';
}

function hostnameMessage(err: unknown, facts: PeerFacts | undefined): string {
  const host = hostOf(err);
  const names = facts?.altNames.length ? facts.altNames : facts?.chain[0] ? [facts.chain[0].subject] : [];
  const covers = names.length ? `is for ${names.join(', ')}` : 'names no host';
  return `certificate ${covers}, not ${host ?? 'the name asked for'}: probe one of those names, or set --server-name NAME (tls.serverName)`;
}

function hostOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const host = (e as { host?: unknown }).host;
    if (typeof host === 'string') return host;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An HTTP/1 parser error over bytes that start a TLS record (handshake or alert, version 3.x). */
function answeredWithTls(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const { name, data } = e as { name?: unknown; data?: unknown };
    if (name === 'HTTPParserError' && typeof data === 'string') {
      const type = data.charCodeAt(0);
      return (type === 0x15 || type === 0x16) && data.charCodeAt(1) === 0x03 && data.charCodeAt(2) <= 0x04;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A sentence for a TLS-related error, chosen by its first code (see classify.ts), or undefined when
 * the code is not a TLS one and the error's own message will do.
 */
export function tlsFailureMessage(err: unknown, code: string | undefined, reason: string): string | undefined {
  if (reason === 'protocol_error' && answeredWithTls(err)) return 'the server answered with TLS, not plain HTTP: this port speaks TLS, is it https://?';
  if (code === undefined) return undefined;
  if (reason === 'cert_untrusted') return untrustedMessage(code, peerFactsOf(err));
  if (reason === 'cert_expired') return expiredMessage(code, peerFactsOf(err));
  if (reason === 'cert_hostname') return hostnameMessage(err, peerFactsOf(err));
  if (PLAIN_TEXT_CODES.has(code)) return 'the server answered in plain text, not TLS: is this port http://?';
  const why = HANDSHAKE_WHY[code];
  if (why) return `TLS handshake failed: ${why}`;
  if (code.startsWith('ERR_SSL_')) return `TLS handshake failed: ${codeWords(code, 'ERR_SSL_')}`;
  if (code.startsWith('ERR_OSSL_')) return `TLS setup failed: ${codeWords(code, 'ERR_OSSL_')}`;
  return undefined;
}

/** The certificate message for a verify code Node left in `authorizationError` (the TLS prober's path). */
export function certificateMessage(code: string, reason: string, facts: PeerFacts | undefined, host: string): string {
  if (reason === 'cert_expired') return expiredMessage(code, facts);
  if (reason === 'cert_hostname') return hostnameMessage({ host }, facts);
  return untrustedMessage(code, facts);
}

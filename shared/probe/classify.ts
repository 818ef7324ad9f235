/**
 * Turns transport errors into failure reasons. Reads stable error codes only (Node's `code`, OpenSSL's
 * verify codes, undici's `UND_ERR_*`, llhttp's `HPE_*`), walking the `cause` chain because undici
 * wraps socket errors. Never matches on message text, which changes between versions and locales.
 */
import { tlsFailureMessage } from './tls-failure.ts';
import type { Failure, FailureReason } from './types.ts';

/** Where the probe was when the error happened; the same code means different things before and after connect. */
export type Stage = 'dns' | 'connect' | 'tls' | 'response';

const BY_CODE: Record<string, FailureReason> = {
  ENOTFOUND: 'dns', EAI_AGAIN: 'dns', EAI_NONAME: 'dns', EAI_NODATA: 'dns', EAI_FAIL: 'dns', ENODATA: 'dns',
  ECONNREFUSED: 'connect_refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  EHOSTUNREACH: 'connect_error', ENETUNREACH: 'connect_error', EADDRNOTAVAIL: 'connect_error', EADDRINUSE: 'connect_error',
  // OpenSSL certificate verification codes, as Node exposes them.
  CERT_HAS_EXPIRED: 'cert_expired', CERT_NOT_YET_VALID: 'cert_expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'cert_untrusted', SELF_SIGNED_CERT_IN_CHAIN: 'cert_untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'cert_untrusted', UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'cert_untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cert_untrusted', CERT_UNTRUSTED: 'cert_untrusted', CERT_SIGNATURE_FAILURE: 'cert_untrusted',
  CERT_REJECTED: 'cert_untrusted', INVALID_CA: 'cert_untrusted', CERT_CHAIN_TOO_LONG: 'cert_untrusted',
  CERT_REVOKED: 'cert_untrusted', PATH_LENGTH_EXCEEDED: 'cert_untrusted', INVALID_PURPOSE: 'cert_untrusted',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'cert_untrusted', UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'cert_untrusted',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'cert_untrusted', ERROR_IN_CERT_NOT_AFTER_FIELD: 'cert_untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'cert_hostname', HOSTNAME_MISMATCH: 'cert_hostname',
  UND_ERR_HEADERS_TIMEOUT: 'timeout', UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'body_too_large',
  UND_ERR_INFO: 'protocol_error', UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol_error',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'internal',
  // undici refused to build the request (e.g. a header value with CR/LF): nothing was sent.
  UND_ERR_INVALID_ARG: 'internal',
  ECONNRESET: 'connection_reset', EPIPE: 'connection_reset', UND_ERR_SOCKET: 'connection_reset', UND_ERR_CLOSED: 'connection_reset',
  ERR_STREAM_PREMATURE_CLOSE: 'connection_reset',
  ABORT_ERR: 'timeout', UND_ERR_ABORTED: 'timeout', ETIMEDOUT: 'timeout',
};

function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const obj = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (typeof obj.code === 'string') codes.push(obj.code);
    if (obj.name === 'AbortError' || obj.name === 'TimeoutError') codes.push('ABORT_ERR');
    // AggregateError from happy-eyeballs connects: the first attempt's error is representative.
    if (Array.isArray(obj.errors) && obj.errors.length > 0) e = obj.errors[0];
    else e = obj.cause;
  }
  return codes;
}

/** The reason for an error raised at `stage`. Unknown codes fall back by stage, never to a guess from text. */
export function classifyError(err: unknown, stage: Stage): FailureReason {
  const codes = codesOf(err);
  for (const code of codes) {
    if (code.startsWith('HPE_')) return 'protocol_error';
    if (code.startsWith('ERR_HTTP2_')) return code === 'ERR_HTTP2_STREAM_CANCEL' ? 'connection_reset' : 'protocol_error';
    let reason = BY_CODE[code];
    if (reason === undefined && code.startsWith('ERR_SSL_')) reason = 'tls_handshake';
    if (reason === undefined) continue;
    // A timeout or reset before the connection was up is a connect problem, not a slow server.
    if (reason === 'timeout' && (stage === 'dns' || stage === 'connect')) return stage === 'dns' ? 'dns' : 'connect_timeout';
    if (reason === 'timeout' && stage === 'tls') return 'tls_handshake';
    if (reason === 'connection_reset' && stage === 'tls') return 'tls_handshake';
    if (reason === 'connection_reset' && stage === 'connect') return 'connect_error';
    return reason;
  }
  switch (stage) {
    case 'dns': return 'dns';
    case 'connect': return 'connect_error';
    case 'tls': return 'tls_handshake';
    case 'response': return 'protocol_error';
  }
}

/** Messages are one line: a newline in an error's text (OpenSSL ends its with one) would break a table or a log line. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * A failure value with a message for people and the error's code kept in it. TLS errors get a
 * sentence chosen by code (tls-failure.ts); an OpenSSL error's own text is never used, since it is a
 * source path and a line number rather than a reason.
 */
export function failureFrom(err: unknown, stage: Stage, scrub: (s: string) => string = (s) => s): Failure {
  const codes = codesOf(err);
  const reason = classifyError(err, stage);
  const sentence = tlsFailureMessage(err, codes[0], reason);
  const fromOpenSsl = typeof (err as { library?: unknown })?.library === 'string';
  const own = (err as Error)?.message ?? String(err);
  const message = sentence ?? (fromOpenSsl ? `${stage === 'tls' ? 'TLS handshake failed' : 'OpenSSL error'}` : oneLine(own));
  return { reason, message: scrub(codes.length ? `${message} (${codes[0]})` : message) };
}

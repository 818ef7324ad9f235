/**
 * The TLS certificate prober (Blackbox Exporter's `tcp` + `tls` module with
 * `probe_ssl_earliest_cert_expiry`): one handshake, then what was presented and whether it holds.
 *
 * The handshake never rejects the certificate itself (`rejectUnauthorized: false`), so a failing
 * check still reports the chain and expiry that were presented; verification is decided afterwards
 * from the OpenSSL code Node leaves in `authorizationError`, and the host name is checked explicitly.
 */
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import type { TlsCheck } from '../config/schema.ts';
import { classifyError } from './classify.ts';
import { hostPort } from './tcp.ts';
import { openTimedSocket } from './timed-socket.ts';
import { certDaysAssertion, tlsConnectOptions, tlsInfo } from './tls-common.ts';
import { traceTls } from './debug-entries.ts';
import { certificateMessage } from './tls-failure.ts';
import { factsOf, keptPeerCertificate } from './tls-peer.ts';
import type { Assertion, Failure, ProbeFn } from './types.ts';

/**
 * Why the presented certificate does not verify for `name`: its error code, or undefined when it
 * does. Node leaves the OpenSSL code string (CERT_HAS_EXPIRED, …) in `authorizationError`, typed as an
 * Error; the name is checked here in any case, since Node only checks it once the chain is trusted.
 */
function verificationCode(socket: TLSSocket, name: string): string | undefined {
  if (!socket.authorized) {
    const e = socket.authorizationError as unknown;
    const code = typeof e === 'string' ? e : (e as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : 'CERT_UNTRUSTED';
  }
  const err = checkServerIdentity(name, socket.getPeerCertificate()) as NodeJS.ErrnoException | undefined;
  return err ? (err.code ?? 'ERR_TLS_CERT_ALTNAME_INVALID') : undefined;
}

function verificationFailure(code: string, name: string, socket: TLSSocket): Failure {
  const classified = classifyError({ code }, 'tls');
  // Every verify code is a certificate problem; one the shared table does not know yet is still one.
  const reason = classified === 'tls_handshake' ? 'cert_untrusted' : classified;
  // The message names the issuer, the names covered or the expiry.
  const facts = factsOf(keptPeerCertificate(socket) ?? socket.getPeerCertificate(true));
  return { reason, message: `${certificateMessage(code, reason, facts, name)} (${code})` };
}

export const probeTls: ProbeFn<TlsCheck> = async (check, ctx) => {
  const t0 = performance.now();
  const total = () => Math.round((performance.now() - t0) * 1000) / 1000;
  const spec = check.tls;
  const target = hostPort(spec.host, spec.port);
  const name = spec.serverName ?? spec.host;

  const options = await tlsConnectOptions(spec.host, { ca: spec.ca, serverName: spec.serverName, insecureSkipVerify: spec.insecureSkipVerify }, ctx);
  const conn = await openTimedSocket(
    { host: spec.host, port: spec.port, ...(spec.ipFamily !== undefined && { family: spec.ipFamily }), tls: { ...options, rejectUnauthorized: false } },
    ctx,
  );
  const remote = conn.remoteAddress !== undefined ? { remoteAddress: conn.remoteAddress } : {};
  if (!conn.ok || !conn.tlsSocket) {
    const failure: Failure = conn.ok ? { reason: 'internal', message: 'TLS connection without a TLS socket' } : conn.failure;
    conn.close();
    return { target, ok: false, phases: { ...conn.phases, total: total() }, assertions: [], failure, ...remote };
  }
  try {
    const info = tlsInfo(conn.tlsSocket, undefined, { ca: options.ca });
    if (ctx.debug) traceTls(ctx.debug, info, conn.tlsSocket);
    const assertions: Assertion[] = [];
    let failure: Failure | undefined;
    if (!spec.insecureSkipVerify) {
      const code = verificationCode(conn.tlsSocket, name);
      assertions.push({ name: `certificate verifies for ${name}`, ok: code === undefined, ...(code && { detail: code }) });
      if (code) failure = verificationFailure(code, name, conn.tlsSocket);
    }
    const days = certDaysAssertion(info, spec.assert.certMinDaysLeft);
    assertions.push(days.assertion);
    if (!failure && days.failure) {
      // Past notAfter is expired, not expiring; this is reached when insecureSkipVerify skipped verification.
      failure = info.certDaysLeft !== undefined && info.certDaysLeft < 0
        ? { reason: 'cert_expired', message: `certificate expired on ${info.certExpiresAt}` }
        : days.failure;
    }
    return {
      target,
      ok: failure === undefined,
      phases: { ...conn.phases, total: total() },
      tls: info,
      assertions,
      ...(failure && { failure }),
      ...remote,
    };
  } finally {
    conn.close();
  }
};

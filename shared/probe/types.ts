/**
 * The probe contract. One function type for every protocol; a down target is a value, never an
 * exception. See ../shared/design.md "Probe contract".
 */
import type { Check, CheckKind, CheckOf, SecretRef } from '../config/schema.ts';
import type { DebugTrace } from './debug.ts';

/**
 * Why a probe failed, from a closed set. Probers classify from error codes (`ECONNREFUSED`,
 * `UND_ERR_HEADERS_TIMEOUT`, `CERT_HAS_EXPIRED`, …), never from message text.
 */
export const FAILURE_REASONS = [
  'dns',              // the target's name did not resolve
  'connect_refused',  // RST on connect (ECONNREFUSED)
  'connect_timeout',  // no answer to SYN within the timeout
  'connect_error',    // other socket errors before the connection was up (EHOSTUNREACH, ENETUNREACH, …)
  'tls_handshake',    // handshake failed for a reason other than the certificate (protocol, alert, mTLS refused)
  'cert_expired',     // a certificate in the chain is past notAfter (or not yet valid)
  'cert_untrusted',   // the chain does not lead to a trusted root (self-signed, unknown CA)
  'cert_hostname',    // the certificate does not cover the server name
  'cert_expiring',    // valid, but expires sooner than certMinDaysLeft
  'timeout',          // connected, but the whole probe ran past its timeout (slow headers or body)
  'status_code',      // HTTP status not in validStatusCodes
  'body_mismatch',    // a body or JSON path assertion failed
  'header_mismatch',  // a header assertion failed
  'http_version',     // the negotiated HTTP version is not in validHttpVersions
  'too_many_redirects',
  'body_too_large',   // the body passed maxBodyBytes; the read stopped there
  'protocol_error',   // the peer spoke something that is not the protocol (garbage, bad framing, reset mid-response)
  'connection_reset', // the peer reset or closed the connection mid-exchange
  'slow_response',    // passed every assertion except maxResponseTime
  'dns_rcode',        // DNS answered with an rcode not in validRcodes
  'dns_answer',       // DNS answer assertions failed
  'grpc_not_serving', // the health service answered, but not SERVING
  'grpc_error',       // the gRPC call failed with a status code (UNIMPLEMENTED, UNAVAILABLE, …)
  'expect_mismatch',  // a TCP expect step did not match what was received
  'packet_loss',      // ICMP: no echo request was answered, and nothing reported an error (dropped on the way or by the target)
  'icmp_unavailable', // ICMP: this location cannot send it (no ping binary, or no ICMP socket permission); the location's fault, not the target's
  'aborted',          // the invocation was cancelled (Lambda deadline) before the probe finished
  'internal',         // a bug in Vantage; never the target's fault
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface Failure {
  reason: FailureReason;
  message: string;
}

/** Phase durations in ms. Only the phases a protocol has are present; `total` always is. */
export interface Phases {
  dns?: number;
  connect?: number;
  tls?: number;
  /** request written → first response byte */
  ttfb?: number;
  /** first byte → last byte */
  transfer?: number;
  total: number;
}

export interface Assertion {
  /** e.g. `status in [200]`, `body matches /ok/`, `header content-type matches /json/` */
  name: string;
  ok: boolean;
  /** What was seen, when it helps (never a secret). */
  detail?: string;
}

export interface CertInfo {
  subject: string;
  issuer: string;
  notAfter: string;
  /** Set when the server did not send this certificate: Node completed the chain from the prober's trust store. */
  fromTrustStore?: true;
}

/**
 * Expiry follows Blackbox Exporter: what the server presents is the target's, what the prober's own
 * trust store adds is not. A short-lived private CA given with `tls.ca` (or a root about to leave the
 * system store) shows in `verifiedChainExpiresAt` only, not as the target's expiry.
 */
export interface TlsInfo {
  version: string;
  cipher: string;
  /** ALPN protocol, when negotiated. */
  alpn?: string;
  /**
   * The earliest notAfter among the certificates the server presented, ISO 8601 (Blackbox's
   * `probe_ssl_earliest_cert_expiry`). Set whether or not the chain verified.
   */
  certExpiresAt?: string;
  /**
   * Whole days until certExpiresAt (negative when expired). `certMinDaysLeft` and CERT_EXPIRING use
   * this, as Blackbox users alert on `probe_ssl_earliest_cert_expiry`: it is what the target's
   * owner can renew.
   */
  certDaysLeft?: number;
  /**
   * The earliest notAfter in the chain that verified, leaf to trusted root, including certificates
   * from the prober's trust store (Blackbox's `probe_ssl_last_chain_expiry_timestamp_seconds`, for
   * the one chain Node builds). Absent when the chain did not verify.
   */
  verifiedChainExpiresAt?: string;
  /** Leaf first, linked by issuer: the presented certificates, then any the trust store supplied (`fromTrustStore`). */
  chain?: CertInfo[];
  /** Whether the chain verified (false only when insecureSkipVerify let an untrusted chain through). */
  authorized?: boolean;
}

/** One ICMP probe's echo statistics, as ping counted them (shared/probe/icmp.ts). */
export interface IcmpInfo {
  /** Echo requests sent. */
  sent: number;
  /** Echo replies received (duplicates not counted). */
  received: number;
  /** ICMP errors (destination unreachable, time exceeded) and local send errors, instead of replies. */
  errors: number;
  /** Share of echo requests not answered, 0-100. */
  lossPercent: number;
  /** Round-trip times in ms over the replies, each measured by ping from the send time it wrote into the packet; absent with no reply. */
  rtt?: { min: number; avg: number; max: number; mdev: number };
}

export interface ProbeResult {
  checkId?: string;
  kind: CheckKind;
  /** What was probed, for people: the URL or host:port, never with credentials. */
  target: string;
  location?: string;
  /** When the probe started, ISO 8601. */
  startedAt: string;
  ok: boolean;
  status: 'up' | 'degraded' | 'down';
  phases: Phases;
  http?: { status: number; version: string; redirects: number; bodyBytes: number };
  tls?: TlsInfo;
  dns?: { rcode: string; answers: string[] };
  grpc?: { status: string };
  tcp?: { received?: string };
  icmp?: IcmpInfo;
  assertions: Assertion[];
  failure?: Failure;
  /** How many immediate retests ran before this result (set by the probe handler). */
  retries?: number;
  /** The remote address that was connected to. */
  remoteAddress?: string;
  /** Why this run happened when it is not a scheduled one: a recheck of an undecided location, or another location's request to confirm. */
  trigger?: 'recheck' | 'confirm';
  /** The private-location instance (`"1"`, `"2"`, …) whose attempt was recorded; absent for AWS-region locations. */
  instance?: string;
}

/** Resolves a secret reference to its value. Supplied by the runtime (Lambda: Secrets Manager/SSM). */
export type SecretResolver = (ref: Exclude<SecretRef, string>) => Promise<string>;

export interface ProbeContext {
  /** Fires when the probe must stop: its own timeout, or the invocation's deadline. */
  signal: AbortSignal;
  /** Timeout in ms for this probe (the signal fires then); probers use it to set socket timers. */
  timeoutMs: number;
  /** Where the probe runs (a region or a private location); sent in the User-Agent. */
  location?: string;
  /** Resolves `{secretsManager}` / `{ssm}` references. Without one, such references fail the probe. */
  resolveSecret?: SecretResolver;
  /** Environment for `${env:NAME}` references. @default process.env */
  env?: Record<string, string | undefined>;
  /** When given, the prober logs what each phase saw into it (./debug.ts); nothing is logged otherwise. */
  debug?: DebugTrace;
}

/** What a prober returns; the runner adds the bookkeeping (id, location, startedAt, status). */
export type ProbeOutcome = Omit<ProbeResult, 'checkId' | 'location' | 'startedAt' | 'status' | 'kind'>;

/** One protocol's prober. It only probes: the runner owns the deadline and the status. */
export type ProbeFn<C extends Check = Check> = (check: C, ctx: ProbeContext) => Promise<ProbeOutcome>;

/** A prober per kind; leaving one out fails to compile. */
export type ProberRegistry = { [K in CheckKind]: ProbeFn<CheckOf<K>> };

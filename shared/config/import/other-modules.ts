/**
 * The exporter's `tcp`, `dns`, `grpc` and `icmp` prober options (CONFIGURATION.md) as Vantage specs,
 * without the target, which the scrape job gives.
 */
import { ipFamily } from './ip.ts';
import { regex, regexes } from './regex-list.ts';
import { bool, list, obj, type Obj, str, strings } from './shape.ts';
import { convertTls, type TlsContext } from './tls.ts';

const DNS_TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', 'SRV', 'PTR']);
const DNS_RCODES = new Set(['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED']);
const NO_SOURCE = 'Vantage lets the system pick the source address';

/** Reports every key not in `known`, so an option Vantage does not read is never lost silently. */
function reportUnknown(options: Obj, known: readonly string[], at: string, ctx: TlsContext, why: Record<string, string> = {}): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    ctx.notes.add(`${at}.${key}`, 'dropped', Object.hasOwn(why, key) ? why[key]! : 'no Vantage equivalent');
  }
}

/** `tls: true` plus `tls_config` as Vantage's `tls` (true, or the options). */
function tlsField(options: Obj, at: string, ctx: TlsContext): boolean | Obj {
  const on = bool(options.tls) === true;
  if (!on) {
    if (options.tls_config !== undefined && !list(options.query_response).some((s) => bool(obj(s).starttls))) ctx.notes.add(`${at}.tls_config`, 'dropped', 'tls is off, so the exporter does not use it either');
    return false;
  }
  if (options.tls_config === undefined) return true;
  const tls = convertTls(options.tls_config, `${at}.tls_config`, ctx);
  return Object.keys(tls).length > 0 ? tls : true;
}

/**
 * `query_response` as steps. Each entry is expect, then send, then starttls, in that order, as the
 * exporter runs them (prober/tcp.go). The exporter writes every send followed by "\n"; Vantage writes
 * exactly what it is given, so the newline is added here.
 */
function tcpSteps(raw: unknown, at: string, ctx: TlsContext): Obj[] {
  const steps: Obj[] = [];
  list(raw).forEach((entry, i) => {
    const path = `${at}[${i}]`;
    const e = obj(entry);
    if (e.expect !== undefined) {
      const re = regex(e.expect, `${path}.expect`, ctx.notes);
      if (re !== undefined) steps.push({ expect: re });
    }
    const send = str(e.send);
    if (send !== undefined) {
      steps.push({ send: `${send}\n` });
      ctx.notes.add(`${path}.send`, 'mapped', 'sent with the trailing "\\n" the exporter appends');
      if (/\$\{?\w+\}?/.test(send)) ctx.notes.add(`${path}.send`, 'approximated', 'Vantage sends it literally: it does not substitute groups matched by expect (${1})');
    }
    if (bool(e.starttls)) ctx.notes.add(`${path}.starttls`, 'dropped', 'Vantage cannot upgrade a connection to TLS midway; the steps after it run in cleartext');
    reportUnknown(e, ['expect', 'send', 'starttls'], path, ctx, { labels: 'probe_expect_info labels are metrics, which Vantage does not export' });
  });
  return steps;
}

export function convertTcpModule(raw: unknown, at: string, ctx: TlsContext): Obj {
  const options = obj(raw);
  const family = ipFamily(options, at, ctx.notes);
  const steps = tcpSteps(options.query_response, `${at}.query_response`, ctx);
  const tls = tlsField(options, at, ctx);
  reportUnknown(options, ['preferred_ip_protocol', 'ip_protocol_fallback', 'query_response', 'tls', 'tls_config'], at, ctx, { source_ip_address: NO_SOURCE });
  return { ...(tls !== false && { tls }), ...(family !== undefined && { ipFamily: family }), ...(steps.length > 0 && { steps }) };
}

/** `validate_answer_rrs` as assert: the two of the four rules Vantage has, one approximated, one dropped. */
function answerAsserts(raw: unknown, at: string, ctx: TlsContext): Obj {
  const v = obj(raw);
  const matches = [...regexes(v.fail_if_none_matches_regexp, `${at}.fail_if_none_matches_regexp`, ctx.notes)];
  const notMatches = regexes(v.fail_if_matches_regexp, `${at}.fail_if_matches_regexp`, ctx.notes);
  const every = regexes(v.fail_if_not_matches_regexp, `${at}.fail_if_not_matches_regexp`, ctx.notes);
  if (every.length > 0) ctx.notes.add(`${at}.fail_if_not_matches_regexp`, 'approximated', 'the exporter needs every answer to match; Vantage needs at least one to (assert.answerMatches)');
  matches.push(...every);
  if (v.fail_if_all_match_regexp !== undefined) ctx.notes.add(`${at}.fail_if_all_match_regexp`, 'dropped', 'Vantage cannot fail when every answer matches; only when any does (answerNotMatches)');
  reportUnknown(v, ['fail_if_none_matches_regexp', 'fail_if_matches_regexp', 'fail_if_not_matches_regexp', 'fail_if_all_match_regexp'], at, ctx);
  return { ...(matches.length > 0 && { answerMatches: matches }), ...(notMatches.length > 0 && { answerNotMatches: notMatches }) };
}

export function convertDnsModule(raw: unknown, at: string, ctx: TlsContext): Obj {
  const options = obj(raw);
  const out: Obj = {};
  const family = ipFamily(options, at, ctx.notes);
  if (family !== undefined) out.ipFamily = family;
  out.name = str(options.query_name);
  if (!out.name) ctx.notes.add(`${at}.query_name`, 'dropped', 'missing: the exporter refuses such a module; the check asks for "." instead');
  out.name ??= '.';
  const type = (str(options.query_type) ?? 'ANY').toUpperCase();
  if (DNS_TYPES.has(type)) out.type = type;
  else ctx.notes.add(`${at}.query_type`, 'approximated', `${type}${options.query_type === undefined ? ' (the exporter\'s default)' : ''} is not a type Vantage queries; it asks for A`);
  const transport = str(options.transport_protocol) ?? 'udp';
  if (transport === 'tcp') out.transport = 'tcp';
  else if (transport !== 'udp') ctx.notes.add(`${at}.transport_protocol`, 'dropped', `${transport}: Vantage queries over udp or tcp; udp is used`);
  if (bool(options.dns_over_tls)) {
    out.transport = 'tcp';
    ctx.notes.add(`${at}.dns_over_tls`, 'approximated', 'Vantage has no DNS over TLS; it queries over plain TCP');
  }
  if (options.tls_config !== undefined) ctx.notes.add(`${at}.tls_config`, 'dropped', 'only used for DNS over TLS, which Vantage does not have');
  if (bool(options.recursion_desired) === false) out.recursionDesired = false;
  const cls = str(options.query_class);
  if (cls !== undefined && cls.toUpperCase() !== 'IN') ctx.notes.add(`${at}.query_class`, 'dropped', `${cls}: Vantage asks in class IN`);
  if (options.valid_rcodes !== undefined) {
    const codes = strings(options.valid_rcodes).map((c) => c.toUpperCase());
    const known = codes.filter((c) => DNS_RCODES.has(c));
    if (known.length < codes.length) ctx.notes.add(`${at}.valid_rcodes`, 'dropped', `${codes.filter((c) => !DNS_RCODES.has(c)).join(', ')}: not a code Vantage knows`);
    if (known.length > 0) out.validRcodes = known;
  }
  const assert = answerAsserts(options.validate_answer_rrs, `${at}.validate_answer_rrs`, ctx);
  if (Object.keys(assert).length > 0) out.assert = assert;
  reportUnknown(options, ['preferred_ip_protocol', 'ip_protocol_fallback', 'query_name', 'query_type', 'transport_protocol', 'dns_over_tls', 'tls_config', 'recursion_desired', 'query_class', 'valid_rcodes', 'validate_answer_rrs'], at, ctx, {
    source_ip_address: NO_SOURCE,
    validate_authority_rrs: 'Vantage judges the answer section only',
    validate_additional_rrs: 'Vantage judges the answer section only',
  });
  return out;
}

export function convertGrpcModule(raw: unknown, at: string, ctx: TlsContext): Obj {
  const options = obj(raw);
  const family = ipFamily(options, at, ctx.notes);
  const tls = tlsField(options, at, ctx);
  reportUnknown(options, ['preferred_ip_protocol', 'ip_protocol_fallback', 'service', 'tls', 'tls_config'], at, ctx);
  return { ...(str(options.service) && { service: str(options.service) }), ...(tls !== false && { tls }), ...(family !== undefined && { ipFamily: family }) };
}

/** The exporter sends one echo request per probe (prober/icmp.go), so the check sends one too. */
export function convertIcmpModule(raw: unknown, at: string, ctx: TlsContext): Obj {
  const options = obj(raw);
  const out: Obj = { count: 1 };
  const family = ipFamily(options, at, ctx.notes);
  if (family !== undefined) out.ipFamily = family;
  if (bool(options.dont_fragment)) out.dontFragment = true;
  const size = options.payload_size;
  if (typeof size === 'number') {
    out.packetSize = Math.min(Math.max(size, 16), 65507);
    if (out.packetSize !== size) ctx.notes.add(`${at}.payload_size`, 'approximated', `${size} bytes is outside Vantage's 16–65507; ${String(out.packetSize)} is sent`);
  }
  reportUnknown(options, ['preferred_ip_protocol', 'ip_protocol_fallback', 'dont_fragment', 'payload_size'], at, ctx, {
    source_ip_address: NO_SOURCE,
    ttl: 'Vantage sends with the system TTL',
  });
  return out;
}


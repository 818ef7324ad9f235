/**
 * The HTTP(S) prober: Blackbox Exporter's `http` module for Vantage. It follows redirects itself
 * (each hop on a new connection, phases summed across hops as Blackbox does), judges the final
 * response, and reports every assertion. The request itself lives in ./http-exchange.ts.
 */
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import type { HttpCheck } from '../config/schema.ts';
import { classifyError, failureFrom } from './classify.ts';
import { exchange, type Exchange } from './http-exchange.ts';
import { headerValue, MISSING, parseJsonPath, regex, shorten, statusAllowed, valueAt, Verdict } from './http-assertions.ts';
import { isCredentialHeaderName } from '../config/credentials.ts';
import { REDACTED, scrubbingTrace } from './debug.ts';
import { redactUrl } from './redact-url.ts';
import { isSecret, resolveSecretRef, Scrubber } from './secrets.ts';
import { certDaysAssertion, tlsConnectOptions } from './tls-common.ts';
import type { Failure, Phases, ProbeContext, ProbeFn, ProbeOutcome } from './types.ts';

type HttpSpec = HttpCheck['http'];

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Each check's URL, parsed once rather than on every probe. Nothing mutates a URL once parsed
 * (a redirect makes a new one), so probes of the same check can share it.
 */
const urls = new WeakMap<HttpSpec, URL>();
function urlOf(spec: HttpSpec): URL {
  let url = urls.get(spec);
  if (url === undefined) urls.set(spec, (url = new URL(spec.url)));
  return url;
}

function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') ? h.slice(1, -1) : h;
}

/** What a request needs that does not change between probes' hops, resolved once per probe. */
interface Prepared {
  headers: Record<string, string>;
  /** Lower-case names of headers that carry credentials; they are not sent to another origin. */
  credentialHeaders: Set<string>;
  /** Hides every resolved secret and credential value from everything the result says. */
  scrubber: Scrubber;
  /** The values the scrubber hides. */
  secrets: readonly string[];
}

/** Every value a secret could show up as: the header value, and the token inside `Bearer <token>`. */
function remember(secrets: string[], value: string, parts: Iterable<string>): void {
  secrets.push(value);
  const space = value.indexOf(' ');
  if (space > 0) secrets.push(value.slice(space + 1));
  for (const p of parts) secrets.push(p);
}

async function prepare(spec: HttpSpec, url: URL, ctx: ProbeContext): Promise<Prepared> {
  const headers: Record<string, string> = {};
  const credentialHeaders = new Set<string>();
  const secrets: string[] = [];
  let userAgent = false;
  for (const name of Object.keys(spec.headers)) {
    const ref = spec.headers[name]!;
    const lower = name.toLowerCase();
    const secret = isSecret(ref);
    const value = secret ? await resolveSecretRef(ref, ctx) : (ref as string);
    headers[name] = value;
    if (lower === 'user-agent') userAgent = true;
    if (secret || isCredentialHeaderName(name)) {
      credentialHeaders.add(lower);
      const env = ctx.env ?? process.env;
      const parts = typeof ref === 'string' ? [...ref.matchAll(ENV_REF)].map((m) => env[m[1]!] ?? '') : [];
      remember(secrets, value, parts);
    }
  }
  if (!userAgent) headers['user-agent'] = `Vantage/1.0 (location=${ctx.location ?? 'local'})`;
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    const basic = Buffer.from(`${user}:${pass}`).toString('base64');
    // The userinfo is a credential even when a configured Authorization header wins over it.
    // A user alone (`https://<token>@host`) is how some services take a token.
    remember(secrets, `${user}:${pass}`, pass === '' ? [basic, user] : [basic, pass, url.password]);
    if (!credentialHeaders.has('authorization')) {
      // RFC 3986 userinfo becomes Basic auth (RFC 7617), as curl and Go's client do.
      headers.authorization = `Basic ${basic}`;
      credentialHeaders.add('authorization');
      remember(secrets, headers.authorization, []);
    }
  }
  return { headers, credentialHeaders, scrubber: new Scrubber(secrets), secrets };
}

/**
 * The secret values an HTTP check's request carries once resolved (header references, credential
 * headers, URL userinfo): what a debug log of it must not show.
 */
export async function httpSecrets(check: HttpCheck, ctx: Pick<ProbeContext, 'env' | 'resolveSecret' | 'location'>): Promise<readonly string[]> {
  // Preparing sends nothing, so it has no deadline to keep.
  return (await prepare(check.http, urlOf(check.http), { ...ctx, signal: new AbortController().signal, timeoutMs: 0 })).secrets;
}

/** The request headers as a debug log shows them. */
function shownHeaders(headers: Record<string, string>, credentialHeaders: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) out[name] = credentialHeaders.has(name.toLowerCase()) || isCredentialHeaderName(name) ? REDACTED : headers[name]!;
  return out;
}

/** One hop's request; redirects derive the next one from it. */
interface Hop {
  url: URL;
  method: string;
  body: string | undefined;
  headers: Record<string, string>;
}

/**
 * The request a redirect leads to, following the Fetch standard §4.4 (what browsers and Go do):
 * 303, and 301/302 after a POST, become a GET without a body; credentials are not sent to another
 * origin (so not over a downgrade to plain http either).
 */
function redirected(hop: Hop, status: number, to: URL, credentialHeaders: ReadonlySet<string>): Hop {
  const toGet = (status === 303 && hop.method !== 'HEAD') || ((status === 301 || status === 302) && hop.method === 'POST');
  // Another origin (RFC 6454: scheme, host and port) is another party, and a downgrade to http is one.
  const leaves = to.origin !== hop.url.origin;
  if (!toGet && !leaves) return { ...hop, url: to };
  const headers: Record<string, string> = {};
  for (const name of Object.keys(hop.headers)) {
    const lower = name.toLowerCase();
    if (toGet && (lower === 'content-type' || lower === 'content-length')) continue;
    if (leaves && (credentialHeaders.has(lower) || lower === 'host')) continue;
    headers[name] = hop.headers[name]!;
  }
  return { url: to, method: toGet ? 'GET' : hop.method, body: toGet ? undefined : hop.body, headers };
}

const STAGE_WORDS = { dns: 'resolving the host', connect: 'connecting', tls: 'in the TLS handshake', response: 'waiting for the response' } as const;

function transportFailure(ex: Exchange, elapsedMs: number, hide: (s: string) => string): Failure {
  const { cause, stage } = ex.error!;
  if (ex.end === 'aborted') {
    const where = stage !== 'response' ? STAGE_WORDS[stage]
      : ex.status === undefined ? 'waiting for the response headers' : `reading the body (${ex.bodyBytes} bytes so far)`;
    return { reason: classifyError(cause, stage), message: `timed out after ${Math.round(elapsedMs)}ms ${where}` };
  }
  return failureFrom(cause, stage, hide);
}

function judgeBody(v: Verdict, spec: HttpSpec, body: Buffer | undefined): void {
  const a = spec.assert;
  const unread = body === undefined ? 'body not read completely' : undefined;
  const text = body?.toString('utf8');
  for (const src of a.bodyMatches) {
    const ok = text !== undefined && regex(src).test(text);
    v.add(`body matches /${src}/`, ok, unread, 'body_mismatch', () => `body does not match /${src}/`);
  }
  for (const src of a.bodyNotMatches) {
    const ok = text !== undefined && !regex(src).test(text);
    v.add(`body does not match /${src}/`, ok, unread, 'body_mismatch', () => `body matches /${src}/`);
  }
  const paths = Object.keys(a.jsonPath);
  if (paths.length === 0) return;
  let doc: unknown = MISSING;
  let why = unread;
  if (text !== undefined) {
    try {
      doc = JSON.parse(text);
    } catch {
      why = 'body is not JSON';
    }
  }
  for (const path of paths) {
    const want = a.jsonPath[path];
    const name = `${path} == ${JSON.stringify(want)}`;
    if (doc === MISSING) {
      v.add(name, false, why, 'body_mismatch', () => `${path}: ${why}`);
      continue;
    }
    const steps = parseJsonPath(path);
    const got = steps === undefined ? MISSING : valueAt(doc, steps);
    const seen = steps === undefined ? 'unsupported path syntax' : got === MISSING ? 'not present' : shorten(JSON.stringify(got) ?? String(got));
    v.add(name, got === want, seen, 'body_mismatch', () => `${path} is ${seen}, expected ${JSON.stringify(want)}`);
  }
}

/** Judges a final response; the order of the adds is the precedence of the failures. */
function judge(v: Verdict, spec: HttpSpec, ex: Exchange, totalMs: number): void {
  const status = ex.status!;
  const valid = spec.validStatusCodes.join(', ');
  v.add(`status in [${valid}]`, statusAllowed(status, spec.validStatusCodes), String(status), 'status_code', () => `status ${status}, expected one of ${valid}`);
  if (spec.validHttpVersions) {
    const versions = spec.validHttpVersions.join(', ');
    v.add(`version in [${versions}]`, (spec.validHttpVersions as string[]).includes(ex.version!), ex.version, 'http_version', () => `${ex.version}, expected one of ${versions}`);
  }
  if (spec.http2 === true) {
    // After a redirect to http://, no hop could have negotiated h2; that fails here too.
    v.add('version is HTTP/2', ex.version === 'HTTP/2', ex.version, 'http_version', () => `${ex.version}, but http2: true requires HTTP/2`);
  }
  const headers = ex.headers!;
  for (const name of Object.keys(spec.assert.headers)) {
    const src = spec.assert.headers[name]!;
    const value = headerValue(headers, name);
    const ok = value !== undefined && regex(src).test(value);
    v.add(`header ${name} matches /${src}/`, ok, value === undefined ? 'missing' : shorten(value), 'header_mismatch',
      () => (value === undefined ? `header ${name} is missing` : `header ${name} "${shorten(value)}" does not match /${src}/`));
  }
  judgeBody(v, spec, ex.end === 'complete' ? ex.body : undefined);
  const limit = spec.assert.maxResponseTime;
  if (limit !== undefined && ex.end === 'complete') {
    const took = Math.round(totalMs);
    v.add(`response time <= ${limit}ms`, totalMs <= limit, `${took}ms`, 'slow_response', () => `took ${took}ms, limit ${limit}ms`);
  }
  const minDays = spec.assert.certMinDaysLeft;
  if (minDays !== undefined && ex.tlsInfo) {
    const { assertion, failure } = certDaysAssertion(ex.tlsInfo, minDays);
    v.add(assertion.name, assertion.ok, assertion.detail, 'cert_expiring', () => failure!.message);
  }
}

/**
 * Secure contexts per check. Parsing the CA bundle, certificate and key costs about a tenth of an
 * HTTPS probe's CPU and gives the same result every run. A client context stores no sessions (Node
 * keeps none in OpenSSL's internal cache), so sharing one never turns a handshake into a resumption.
 * A key from a secret is compared on each probe, so a rotated key gets a new context.
 */
const contexts = new WeakMap<HttpSpec, { key: ConnectionOptions['key']; context: SecureContext }>();

function secureContextFor(spec: HttpSpec, o: ConnectionOptions): SecureContext {
  const hit = contexts.get(spec);
  if (hit !== undefined && hit.key === o.key) return hit.context;
  const context = createSecureContext({ ca: o.ca, cert: o.cert, key: o.key, minVersion: o.minVersion, maxVersion: o.maxVersion });
  contexts.set(spec, { key: o.key, context });
  return context;
}

/**
 * TLS options per hop. The context is made before the first https hop dials: that turns an unusable
 * CA, certificate or key into a setup failure with its own message instead of a connect error
 * blamed on the target, and every later hop shares it.
 */
function tlsOptionsFor(spec: HttpSpec, ctx: ProbeContext): (url: URL) => Promise<ConnectionOptions> {
  let base: ConnectionOptions | undefined;
  let baseHost: string | undefined;
  return async (url) => {
    const host = bareHost(url);
    if (base === undefined) {
      const o = await tlsConnectOptions(host, spec.tls, ctx);
      // With secureContext given, tls.connect uses it and ignores ca/cert/key/versions.
      base = { ...o, secureContext: secureContextFor(spec, o) };
      baseHost = host;
    }
    if (host === baseHost || spec.tls?.serverName !== undefined) return base;
    // A redirect to another host: SNI and verification follow the new host.
    const { servername: _, ...rest } = base;
    return isIP(host) === 0 ? { ...rest, servername: host } : rest;
  };
}

/** Phase sums across hops, as Blackbox reports them; a phase no hop reached stays undefined. */
class PhaseSums {
  dns: number | undefined;
  connect: number | undefined;
  tls: number | undefined;
  ttfb: number | undefined;
  transfer: number | undefined;

  add(ex: Exchange): void {
    if (ex.dns !== undefined) this.dns = (this.dns ?? 0) + ex.dns;
    if (ex.connect !== undefined) this.connect = (this.connect ?? 0) + ex.connect;
    if (ex.tls !== undefined) this.tls = (this.tls ?? 0) + ex.tls;
    if (ex.ttfb !== undefined) this.ttfb = (this.ttfb ?? 0) + ex.ttfb;
    if (ex.transfer !== undefined) this.transfer = (this.transfer ?? 0) + ex.transfer;
  }

  phases(total: number): Phases {
    const p: Phases = { total };
    if (this.dns !== undefined) p.dns = this.dns;
    if (this.connect !== undefined) p.connect = this.connect;
    if (this.tls !== undefined) p.tls = this.tls;
    if (this.ttfb !== undefined) p.ttfb = this.ttfb;
    if (this.transfer !== undefined) p.transfer = this.transfer;
    return p;
  }
}

/** Where a redirect leads, or why it cannot be followed. */
function redirectTarget(ex: Exchange, from: URL, followed: number, max: number): URL | Failure {
  const location = headerValue(ex.headers!, 'location')!;
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    return { reason: 'protocol_error', message: `redirect to an invalid Location "${shorten(location)}"` };
  }
  if (to.protocol !== 'http:' && to.protocol !== 'https:') return { reason: 'protocol_error', message: `redirect to unsupported scheme ${to.protocol}` };
  // maxRedirects counts redirects followed; one more than that is a loop or a chain too long to trust.
  if (followed >= max) return { reason: 'too_many_redirects', message: `stopped after ${followed} redirects (next: ${redactUrl(to)})` };
  return to;
}

export const probeHttp: ProbeFn<HttpCheck> = async (check, ctx) => {
  const spec = check.http;
  const url = urlOf(spec);
  const target = redactUrl(url);
  let prepared: Prepared;
  try {
    prepared = await prepare(spec, url, ctx);
  } catch (err) {
    // A missing variable or an unreadable secret is Vantage's setup failing, not the target.
    return { target, ok: false, phases: { total: 0 }, assertions: [], failure: { reason: 'internal', message: `cannot prepare the request: ${(err as Error).message}` } };
  }
  const { scrubber } = prepared;
  const hide = (s: string) => scrubber.scrub(s);
  const keepBody = spec.assert.bodyMatches.length > 0 || spec.assert.bodyNotMatches.length > 0 || Object.keys(spec.assert.jsonPath).length > 0;
  const tlsFor = tlsOptionsFor(spec, ctx);
  if (url.protocol === 'https:') {
    // Before the clock too: parsing the CA bundle and key (milliseconds on a check's first probe) is
    // also Vantage's work. tlsFor keeps the result, so the first hop below does not wait again.
    try {
      await tlsFor(url);
    } catch (err) {
      return { target, ok: false, phases: { total: 0 }, assertions: [], failure: { reason: 'internal', message: hide(`cannot prepare TLS: ${(err as Error).message}`) } };
    }
  }

  // The clock starts once the request is ready: resolving secrets is Vantage's work, not the target's.
  const trace = ctx.debug && scrubbingTrace(ctx.debug, prepared.secrets);
  // Before it: resolving secrets and loading the TLS material, which no phase counts.
  trace?.add({ phase: 'note', message: 'request prepared; the phases start here' });
  const t0 = performance.now();
  const sums = new PhaseSums();
  let hop: Hop = { url, method: spec.method, body: spec.body, headers: prepared.headers };
  let redirects = 0;
  let ex: Exchange;
  let failure: Failure | undefined;
  for (;;) {
    let tls: ConnectionOptions | undefined;
    if (hop.url.protocol === 'https:') {
      try {
        tls = await tlsFor(hop.url);
      } catch (err) {
        return { target, ok: false, phases: sums.phases(performance.now() - t0), assertions: [], failure: { reason: 'internal', message: hide(`cannot prepare TLS: ${(err as Error).message}`) } };
      }
    }
    ex = await exchange({
      url: hop.url, method: hop.method, headers: hop.headers, body: hop.body, tls,
      http2: spec.http2 !== false, family: spec.ipFamily, timeoutMs: ctx.timeoutMs, signal: ctx.signal,
      maxBodyBytes: spec.maxBodyBytes, keepBody, followRedirects: spec.followRedirects,
      ...(trace && { debug: { trace, headers: shownHeaders(hop.headers, prepared.credentialHeaders) } }),
    });
    sums.add(ex);
    if (ex.end !== 'redirect') break;
    const to = redirectTarget(ex, hop.url, redirects, spec.maxRedirects);
    if (!(to instanceof URL)) {
      failure = to;
      break;
    }
    redirects++;
    hop = redirected(hop, ex.status!, to, prepared.credentialHeaders);
    trace?.add({ phase: 'note', message: `following redirect ${redirects} to ${redactUrl(to)}`, fields: { method: hop.method } });
  }
  const total = performance.now() - t0;

  const verdict = new Verdict();
  if (failure) verdict.fail(failure);
  else if (ex.end === 'error' || ex.end === 'aborted') verdict.fail(transportFailure(ex, total, hide));
  else if (ex.end === 'too_large') verdict.fail({ reason: 'body_too_large', message: `body larger than ${spec.maxBodyBytes} bytes; stopped reading at ${ex.bodyBytes}` });
  if (ex.status !== undefined && ex.end !== 'redirect') judge(verdict, spec, ex, total);

  const out: ProbeOutcome = { target, ok: verdict.failure === undefined, phases: sums.phases(total), assertions: verdict.assertions };
  if (ex.status !== undefined) out.http = { status: ex.status, version: ex.version!, redirects, bodyBytes: ex.bodyBytes };
  if (ex.tlsInfo) out.tls = ex.tlsInfo;
  if (ex.remoteAddress) out.remoteAddress = ex.remoteAddress;
  if (verdict.failure) out.failure = verdict.failure;
  // Every string the result carries, whatever field a server's echo lands in.
  return scrubber.deep(out);
};

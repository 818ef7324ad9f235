/**
 * The exporter's `http` prober options (CONFIGURATION.md `<http_probe>`) as a Vantage `http` spec,
 * without the URL, which comes from the target.
 */
import type { Notes } from './notes.ts';
import { ipFamily } from './ip.ts';
import { regex, regexes } from './regex-list.ts';
import { bool, isObj, list, obj, type Obj, str } from './shape.ts';
import { convertTls, type TlsContext } from './tls.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** The exporter's spellings (it compares with Go's `resp.Proto`) to Vantage's. */
const VERSIONS: Record<string, string> = { 'HTTP/1.0': 'HTTP/1.0', 'HTTP/1.1': 'HTTP/1.1', 'HTTP/2': 'HTTP/2', 'HTTP/2.0': 'HTTP/2' };
/** prometheus/common's units.Base2Bytes: KB is 1024 bytes. */
const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3 };

/** What the URL decides later: TLS options apply to https only, and fail_if_not_ssl depends on the scheme. */
export interface HttpModule {
  spec: Obj;
  tls?: Obj;
  failIfNotSsl: boolean;
  failIfSsl: boolean;
}

type Handler = (value: unknown, path: string, m: HttpModule, ctx: TlsContext) => void;
const assertOf = (m: HttpModule) => (m.spec.assert ??= {}) as Obj;
const dropped = (why: string): Handler => (_v, path, _m, ctx) => ctx.notes.add(path, 'dropped', why);
const authHeader = (m: HttpModule, value: string, path: string, notes: Notes) => {
  ((m.spec.headers ??= {}) as Obj).Authorization = value;
  notes.add(path, 'mapped', 'written as an Authorization header in plain; move it to a secret ({secretsManager: …} or ${env:NAME}) before committing the file');
};

function bodySize(value: unknown, path: string, m: HttpModule, ctx: TlsContext): void {
  const match = /^(\d+)\s*([A-Za-z]*)$/.exec(str(value)?.trim() ?? '');
  const factor = match ? SIZE_UNITS[match[2]!.toUpperCase()] : undefined;
  if (!match || factor === undefined) return ctx.notes.add(path, 'dropped', `cannot read the size ${JSON.stringify(value)}`);
  const bytes = Number(match[1]) * factor;
  if (bytes === 0) return ctx.notes.add(path, 'approximated', '0 is no limit in the exporter; Vantage always has one, so its default of 1 MiB applies');
  m.spec.maxBodyBytes = bytes;
}

function headerMatches(negate: boolean): Handler {
  return (value, at, m, ctx) => list(value).forEach((raw, i) => {
    const path = `${at}[${i}]`;
    const spec = obj(raw);
    if (negate) return ctx.notes.add(path, 'dropped', `Vantage cannot fail a check when header ${str(spec.header)} matches; only when it does not (assert.headers)`);
    const name = str(spec.header);
    const re = regex(spec.regexp, `${path}.regexp`, ctx.notes);
    if (!name || re === undefined) return;
    const headers = (assertOf(m).headers ??= {}) as Obj;
    if (Object.hasOwn(headers, name.toLowerCase())) return ctx.notes.add(path, 'dropped', `a second pattern for ${name}; Vantage takes one per header`);
    headers[name.toLowerCase()] = re;
    if (bool(spec.allow_missing)) ctx.notes.add(`${path}.allow_missing`, 'approximated', `a missing ${name} header fails the check in Vantage`);
  });
}

const HANDLERS: Record<string, Handler> = {
  valid_status_codes: (v, path, m, ctx) => {
    const codes = list(v).filter((c): c is number => Number.isInteger(c) && (c as number) >= 100 && (c as number) <= 599);
    if (codes.length !== list(v).length) ctx.notes.add(path, 'dropped', 'entries that are not status codes');
    if (codes.length > 0) m.spec.validStatusCodes = codes;
  },
  valid_http_versions: (v, path, m, ctx) => {
    const versions = list(v).map((x, i) => {
      const mapped = VERSIONS[str(x) ?? ''];
      if (!mapped) ctx.notes.add(`${path}[${i}]`, 'dropped', `${str(x)}: Vantage knows HTTP/1.0, HTTP/1.1 and HTTP/2`);
      else if (mapped !== x) ctx.notes.add(`${path}[${i}]`, 'mapped', `${str(x)} is spelled ${mapped}`);
      return mapped;
    }).filter((x): x is string => x !== undefined);
    if (versions.length > 0) m.spec.validHttpVersions = [...new Set(versions)];
  },
  method: (v, path, m, ctx) => {
    const method = str(v)?.toUpperCase();
    if (method && METHODS.has(method)) m.spec.method = method;
    else ctx.notes.add(path, 'dropped', `${str(v)}: Vantage sends ${[...METHODS].join(', ')}; GET is sent`);
  },
  headers: (v, path, m, ctx) => {
    const headers = (m.spec.headers ??= {}) as Obj;
    for (const [name, value] of Object.entries(obj(v))) {
      if (str(value) === undefined) ctx.notes.add(`${path}.${name}`, 'dropped', 'not a string');
      else headers[name] = str(value);
    }
  },
  body: (v, _path, m) => {
    if (str(v) !== undefined) m.spec.body = str(v);
  },
  body_size_limit: bodySize,
  follow_redirects: (v, _p, m) => {
    if (bool(v) === false) m.spec.followRedirects = false;
  },
  no_follow_redirects: (v, _p, m) => {
    if (bool(v) === true) m.spec.followRedirects = false;
  },
  enable_http2: (v, path, m, ctx) => {
    if (bool(v) !== false) return;
    m.spec.http2 = false;
    ctx.notes.add(path, 'mapped', 'http2: false (https URLs only: Vantage offers HTTP/2 only by ALPN, never h2c)');
  },
  fail_if_ssl: (v, _p, m) => {
    m.failIfSsl = bool(v) === true;
  },
  fail_if_not_ssl: (v, _p, m) => {
    m.failIfNotSsl = bool(v) === true;
  },
  fail_if_body_matches_regexp: (v, path, m, ctx) => {
    const res = regexes(v, path, ctx.notes);
    if (res.length > 0) assertOf(m).bodyNotMatches = res;
  },
  fail_if_body_not_matches_regexp: (v, path, m, ctx) => {
    const res = regexes(v, path, ctx.notes);
    if (res.length > 0) assertOf(m).bodyMatches = res;
  },
  fail_if_header_matches: headerMatches(true),
  fail_if_header_not_matches: headerMatches(false),
  fail_if_body_json_matches_cel: dropped('Vantage has no CEL; assert.jsonPath compares a path with a value'),
  fail_if_body_json_not_matches_cel: dropped('Vantage has no CEL; assert.jsonPath compares a path with a value'),
  tls_config: (v, path, m, ctx) => {
    m.tls = convertTls(v, path, ctx);
  },
  basic_auth: (v, path, m, ctx) => {
    const auth = obj(v);
    if (auth.password_file !== undefined) return ctx.notes.add(`${path}.password_file`, 'dropped', 'Vantage does not read credential files; write the Authorization header with a secret reference');
    const user = str(auth.username) ?? '';
    authHeader(m, `Basic ${Buffer.from(`${user}:${str(auth.password) ?? ''}`).toString('base64')}`, path, ctx.notes);
  },
  bearer_token: (v, path, m, ctx) => {
    if (str(v)) authHeader(m, `Bearer ${str(v)}`, path, ctx.notes);
  },
  authorization: (v, path, m, ctx) => {
    const auth = obj(v);
    if (auth.credentials_file !== undefined) return ctx.notes.add(`${path}.credentials_file`, 'dropped', 'Vantage does not read credential files; write the Authorization header with a secret reference');
    if (str(auth.credentials)) authHeader(m, `${str(auth.type) ?? 'Bearer'} ${str(auth.credentials)}`, path, ctx.notes);
  },
  bearer_token_file: dropped('Vantage does not read credential files; write the Authorization header with a secret reference'),
  body_file: dropped('Vantage does not read the body from a file; put it in http.body'),
  compression: dropped('Vantage does not decompress bodies; body patterns see what the server sent'),
  oauth2: dropped('Vantage has no OAuth 2.0 client; fetch a token elsewhere and send it as a header secret'),
  proxy_url: dropped('Vantage connects directly, never through a proxy'),
  no_proxy: dropped('Vantage connects directly, never through a proxy'),
  proxy_from_environment: dropped('Vantage connects directly, never through a proxy'),
  proxy_connect_header: dropped('Vantage connects directly, never through a proxy'),
  skip_resolve_phase_with_proxy: dropped('Vantage connects directly, never through a proxy'),
  use_proxy_dns: dropped('Vantage connects directly, never through a proxy'),
};

export function convertHttpModule(raw: unknown, at: string, ctx: TlsContext): HttpModule {
  const m: HttpModule = { spec: {}, failIfNotSsl: false, failIfSsl: false };
  const options = obj(raw);
  const family = ipFamily(options, at, ctx.notes);
  if (family !== undefined) m.spec.ipFamily = family;
  for (const [key, value] of Object.entries(options)) {
    if (key === 'preferred_ip_protocol' || key === 'ip_protocol_fallback') continue;
    const handler = Object.hasOwn(HANDLERS, key) ? HANDLERS[key] : undefined;
    if (handler) handler(value, `${at}.${key}`, m, ctx);
    else ctx.notes.add(`${at}.${key}`, 'dropped', 'no Vantage equivalent');
  }
  if (isObj(m.spec.assert) && Object.keys(m.spec.assert).length === 0) delete m.spec.assert;
  return m;
}

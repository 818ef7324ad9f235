import { parseDuration } from '../../shared/config/duration.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { createDebugTrace } from '../../shared/probe/debug.ts';
import { checkSecrets } from '../../shared/probe/debug-secrets.ts';
import { runProbe } from '../../shared/probe/index.ts';
import { redactUrl } from '../../shared/probe/redact-url.ts';
import { probeWithRetests } from '../../shared/usecases/retest.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { firstBodyLine, formatDebug } from '../debug-view.ts';
import { formatJsonLines, formatTable } from '../format.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage check <target> [options]

Runs one probe now, from this machine. The target's scheme picks the protocol:
  https://host/path  http://host/path     HTTP(S)
  tcp://host:port                         TCP connect (with --send/--expect steps, --tls)
  grpc://host:port[/service]              gRPC health (grpc.health.v1.Health/Check)
  tls://host:port                         TLS certificate check
  dns://server:port/name?type=A           DNS query (dns:///name uses the system resolver; &transport=tcp)
  icmp://host?count=3&size=56&df=1        ICMP echo (iputils ping; count, size and df are optional)
Options:
  --timeout 5s            whole-probe timeout (default 5s)
  --retries N             immediate retests of a failure, 0-3 (default 1, as a config's default)
  --method GET            HTTP method
  --header 'K: V'         request header, repeatable; values may use \${env:NAME}
  --expect-status 200     valid status code or class (2xx), repeatable (default 2xx)
  --body-regex RE         the body must match, repeatable
  --http2                 require HTTP/2 (h2, then http/1.1, is offered by ALPN anyway)
  --no-follow             do not follow redirects
  --ca FILE               CA bundle (PEM) to verify against
  --cert FILE --key FILE  client certificate for mTLS
  --server-name NAME      SNI and verification name
  --insecure              skip certificate verification
  --min-days N            fail when the certificate expires within N days
  --tls                   TLS for tcp:// and grpc://
  --send TEXT             tcp: send this first
  --expect RE             tcp: the reply must match; dns: an answer must match
  --ip 4|6                IP family
  --location NAME         probe as this location (sent in the User-Agent)
  --json                  one JSON object
  --debug                 the probe's log: DNS, connect, TLS and chain, request and response headers,
                          the body's first 4 KiB, each assertion, the phases (secrets [redacted]);
                          to stderr with --json
Exit codes: 0 up or degraded, 1 down, 2 usage error.
`;

const OPTIONS = {
  timeout: { type: 'string' },
  retries: { type: 'string' },
  method: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  'expect-status': { type: 'string', multiple: true },
  'body-regex': { type: 'string', multiple: true },
  http2: { type: 'boolean' },
  'no-follow': { type: 'boolean' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'server-name': { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
  'min-days': { type: 'string' },
  tls: { type: 'boolean' },
  send: { type: 'string' },
  expect: { type: 'string' },
  ip: { type: 'string' },
  location: { type: 'string' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>['values'];

function hostPort(url: URL, defaultPort?: number): { host: string; port: number } {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : defaultPort;
  if (!host || port === undefined) throw new UsageError(`${url.protocol}// needs host:port`);
  return { host, port };
}

function tlsOptions(v: Values): Record<string, unknown> | undefined {
  const o = {
    ...(v.ca !== undefined && { ca: v.ca }),
    ...(v.cert !== undefined && { cert: v.cert }),
    ...(v.key !== undefined && { key: v.key }),
    ...(v['server-name'] !== undefined && { serverName: v['server-name'] }),
    ...(v.insecure && { insecureSkipVerify: true }),
  };
  return Object.keys(o).length ? o : undefined;
}

function asNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got "${text}"`);
  return n;
}

/** The query parameters `icmp://` reads, and the `icmp` field each sets. */
const ICMP_PARAMS = { count: 'count', size: 'packetSize', df: 'dontFragment' } as const;

/** `icmp://host?count=N&size=BYTES&df=1`: no port or path, since ICMP has neither; an unknown parameter is a typo. */
function icmpTarget(url: URL): Record<string, unknown> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new UsageError('icmp:// needs a host: icmp://192.0.2.1 or icmp://[2001:db8::1]');
  if (url.port || (url.pathname !== '' && url.pathname !== '/')) throw new UsageError('icmp:// takes a host only, with no port or path (ICMP has neither)');
  const spec: Record<string, unknown> = { host };
  for (const [key, value] of url.searchParams) {
    if (!Object.hasOwn(ICMP_PARAMS, key)) throw new UsageError(`icmp:// knows ${Object.keys(ICMP_PARAMS).join(', ')}, not "${key}"`);
    const field = ICMP_PARAMS[key as keyof typeof ICMP_PARAMS];
    // Typed as written, so the schema reports a bad value (count=0, size=x) with the field's own rule.
    const flag = ({ 1: true, true: true, 0: false, false: false } as Record<string, boolean>)[value];
    spec[field] = field === 'dontFragment' ? (flag ?? value) : /^\d+$/.test(value) ? Number(value) : value;
  }
  return spec;
}

/** Turns the target URL and flags into the same config a YAML file would hold, so one validator serves both. */
export function adHocCheck(target: string, v: Values): Record<string, unknown> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`"${redactUrl(target)}" is not a URL; try https://example.com or tcp://host:port`);
  }
  const ipFamily = asNumber(v.ip, '--ip');
  const family = ipFamily !== undefined ? { ipFamily } : {};
  const minDays = asNumber(v['min-days'], '--min-days');
  const tls = tlsOptions(v);
  switch (url.protocol) {
    case 'http:':
    case 'https:': {
      // No prototype: a header named `__proto__` becomes an own key, which the schema then rejects
      // by name, instead of silently setting the object's prototype.
      const headers: Record<string, string> = Object.create(null);
      for (const [n, h] of (v.header ?? []).entries()) {
        const i = h.indexOf(':');
        // The value is not echoed: a mistyped `Authorization Bearer …` would print the token.
        if (i <= 0) throw new UsageError(`--header #${n + 1} is not "Name: value" (${i < 0 ? 'no colon' : 'no name before the colon'})`);
        headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
      }
      const statuses = (v['expect-status'] ?? []).flatMap((s) => s.split(',')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const assert = {
        ...(v['body-regex'] && { bodyMatches: v['body-regex'] }),
        ...(minDays !== undefined && { certMinDaysLeft: minDays }),
      };
      return {
        http: {
          url: target,
          ...(v.method && { method: v.method.toUpperCase() }),
          ...(Object.keys(headers).length && { headers }),
          ...(statuses.length && { validStatusCodes: statuses }),
          ...(v.http2 && { http2: true }),
          ...(v['no-follow'] && { followRedirects: false }),
          ...(tls && { tls }),
          ...(Object.keys(assert).length && { assert }),
          ...family,
        },
      };
    }
    case 'tcp:':
      return {
        tcp: {
          ...hostPort(url),
          ...(v.tls || tls ? { tls: tls ?? true } : {}),
          ...(v.send !== undefined && { send: v.send }),
          ...(v.expect !== undefined && { expect: v.expect }),
          ...family,
        },
      };
    case 'grpc:': {
      const { host, port } = hostPort(url);
      const service = decodeURIComponent(url.pathname.replace(/^\//, ''));
      return { grpc: { target: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, service, ...(v.tls || tls ? { tls: tls ?? true } : {}), ...family } };
    }
    case 'tls:':
      return {
        tls: {
          ...hostPort(url, 443),
          ...(v['server-name'] !== undefined && { serverName: v['server-name'] }),
          ...(v.ca !== undefined && { ca: v.ca }),
          ...(v.insecure && { insecureSkipVerify: true }),
          ...(minDays !== undefined && { assert: { certMinDaysLeft: minDays } }),
          ...family,
        },
      };
    case 'dns:': {
      const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
      if (!name) throw new UsageError('dns:// needs a name to query: dns://server:53/example.com?type=A');
      const type = (url.searchParams.get('type') ?? 'A').toUpperCase();
      const transport = url.searchParams.get('transport');
      const server = url.host ? url.host : undefined;
      return {
        dns: {
          name,
          type,
          ...(server && { server }),
          ...(transport && { transport }),
          ...(v.expect !== undefined && { assert: { answerMatches: [v.expect] } }),
        },
      };
    }
    case 'icmp:':
      return { icmp: { ...icmpTarget(url), ...family } };
    default:
      throw new UsageError(`unsupported scheme "${url.protocol}"; use http(s)://, tcp://, grpc://, tls://, dns:// or icmp://`);
  }
}

export const check = defineCommand('check', HELP, async (argv, io) => {
  const { values, positionals } = parse(argv, OPTIONS, true);
  if (positionals.length !== 1) throw new UsageError('give exactly one target');
  const timeout = values.timeout ?? '5s';
  const timeoutMs = parseDuration(timeout);
  const spec = adHocCheck(positionals[0]!, values);
  // Left out, the schema's default applies: the same number of retests a deployed check gets.
  const retries = asNumber(values.retries, '--retries');
  let cfg;
  try {
    cfg = loadConfigObject({
      // The interval is irrelevant for one run; it only has to be at least the timeout to validate.
      defaults: { timeout, interval: timeoutMs !== undefined && timeoutMs > 60_000 ? timeout : '60s', ...(retries !== undefined && { retries }) },
      checks: [{ id: 'adhoc', ...spec }],
    }, { baseDir: process.cwd(), source: 'vantage check', local: { env: io.env } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Name the flag's field, not the synthetic config around it.
    throw new UsageError(err.issues.map((i) => `${i.path.replace(/^checks\[0\]\.|^defaults\./, '')}: ${i.message}`).join('\n  '), { showHelp: false });
  }
  const location = values.location !== undefined ? { location: values.location } : {};
  const checked = cfg.checks[0]!;
  // Always traced (one probe, so the cost is nothing): a failure's line quotes the body's first line.
  let trace = createDebugTrace();
  const result = await probeWithRetests(checked, (c, signal) => {
    trace = createDebugTrace();
    return runProbe(c, { signal, env: io.env, ...location, debug: trace });
  }, io.signal);
  const secrets = await checkSecrets(checked, { env: io.env, ...location });
  const { checkId: _omit, ...shown } = result;
  if (values.debug) {
    const log = formatDebug(checked, result, trace, { secrets });
    if (values.json) io.stderr(log);
    else io.stdout(`${log}\n`);
  }
  const bodyLine = firstBodyLine(trace, { secrets });
  io.stdout(values.json ? formatJsonLines([shown]) : formatTable([{ ...shown, checkId: redactUrl(positionals[0]!) }], { color: io.isTTY, bodyLines: [bodyLine] }));
  return result.status === 'down' ? EXIT.DOWN : EXIT.OK;
});

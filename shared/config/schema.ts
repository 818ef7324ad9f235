/**
 * The check configuration schema: the single source of truth for what a config may say.
 *
 * Input is YAML (or a TypeScript object) written for humans: durations are strings, the kind of a
 * check is given by which one of `http`, `tcp`, `dns`, `grpc`, `tls` or `icmp` it has. Output is what the
 * engine runs: durations in milliseconds, an explicit `kind`, defaults filled in, file references
 * resolved to their contents. Every object is strict, so a typo is an error rather than a silent no-op.
 */
import { EVENTS, LISTENABLE_EVENTS } from '../events.ts';
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_INTERVAL_MS, DEFAULT_LOCATIONS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, MIN_RECHECK_INTERVAL_MS } from './defaults.ts';
import { DURATION_MAX_MS, formatDuration, parseDuration } from './duration.ts';
import { parseServer } from './host-port.ts';
import { HAS_ENV_REF } from './deploy-only.ts';
import { Deployment } from './deployment.ts';
import { isTimeZone, parseCron } from './cron.ts';
import { INSTANT_RULE, parseInstant } from './instant.ts';
import { ICMP_MAX_COUNT, ICMP_MAX_PAYLOAD, ICMP_MIN_PAYLOAD } from './icmp.ts';
import { sloOf, SLO_SEVERITIES, SLO_SLIS } from './slo-schema.ts';
import { DEFAULT_SLO_WINDOW_MS, MAX_BURN_WINDOW_MS, MAX_SLO_WINDOW_MS, MIN_SLO_WINDOW_MS } from './slo.ts';

export const CHECK_KINDS = ['http', 'tcp', 'dns', 'grpc', 'tls', 'icmp'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** Long input (`1` and 400 zeros) is clipped in messages. */
const quoted = (text: string) => JSON.stringify(text.length > 24 ? `${text.slice(0, 24)}…` : text);

/** A duration string such as `500ms`, `5s` or `2m`, parsed to milliseconds, longer than 0 (at least `minMs` when given) and at most `maxMs`. */
function duration(maxMs: number, minMs?: number) {
  const meta = { format: 'duration', maxDuration: formatDuration(maxMs), ...(minMs !== undefined && { minDuration: formatDuration(minMs) }) };
  return z.string().meta(meta).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${quoted(text)}: expected a number and a unit (ms, s, m, h, d), e.g. 500ms or 5s` });
      return z.NEVER;
    }
    if (ms <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be longer than 0' });
      return z.NEVER;
    }
    if (minMs !== undefined && ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `${quoted(text)} is shorter than the minimum of ${formatDuration(minMs)}` });
      return z.NEVER;
    }
    if (ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `${quoted(text)} is longer than the maximum of ${formatDuration(maxMs)}` });
      return z.NEVER;
    }
    return ms;
  });
}

const ProbeDuration = duration(DURATION_MAX_MS.probe);
const IntervalDuration = duration(DURATION_MAX_MS.interval);
const AlertingDuration = duration(DURATION_MAX_MS.alerting);
const RecheckDuration = duration(DURATION_MAX_MS.alerting, MIN_RECHECK_INTERVAL_MS);
const MaintenanceDuration = duration(DURATION_MAX_MS.maintenance);
const SloWindow = duration(MAX_SLO_WINDOW_MS, MIN_SLO_WINDOW_MS);
const BurnWindow = duration(MAX_BURN_WINDOW_MS);

const OBJECTIVE_RULE = 'expected a percentage strictly between 0 and 100, e.g. 99.9';

/** One burn-rate rule as written; the rules between its windows and the SLO's are in ./slo-refs.ts. */
const BurnRate = z.strictObject({
  severity: z.enum(SLO_SEVERITIES),
  /** Fires while both windows burn the error budget at least this many times faster than it lasts the SLO window. */
  factor: z.number().gt(0, 'must be above 0'),
  long: BurnWindow,
  /** Shorter than long; the workbook uses 1/12 of it, so the alert ends soon after the burn does. */
  short: BurnWindow,
});

/**
 * A service level objective (./slo.ts). The accounting it is measured by (what a minute of downtime
 * is, what is left out) is README "SLOs and how Vantage accounts for them".
 */
const Slo = z.strictObject({
  /** Percent of eligible time (or samples) that must be good: strictly between 0 and 100. */
  objective: z.number().gt(0, OBJECTIVE_RULE).lt(100, OBJECTIVE_RULE),
  /** The rolling window the objective and the error budget are measured over. @default 30d */
  window: SloWindow.prefault(formatDuration(DEFAULT_SLO_WINDOW_MS)),
  /** availability: good minutes over eligible minutes; latency: fast passing samples over samples. @default availability */
  sli: z.enum(SLO_SLIS).default('availability'),
  /** Required with sli: latency (and only then): a passing sample at or under it is good. */
  latencyThreshold: ProbeDuration.optional(),
  /** Count a PARTIAL minute (failing locations short of the quorum) as bad. @default false */
  countPartial: z.boolean().default(false),
  /** @default the SRE workbook's three: page 14.4× over 1h and 5m, page 6× over 6h and 30m, ticket 1× over 3d and 6h (those longer than window left out) */
  burnRates: z.array(BurnRate).min(1).optional(),
}).transform(sloOf);

/** A regular expression given as a string; rejected at load time if it does not compile. */
const Regex = z.string().superRefine((src, ctx) => {
  try {
    new RegExp(src);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/**
 * A secret value: a literal string (which may hold `${env:NAME}` references), or a reference to
 * Secrets Manager or SSM Parameter Store that the probe resolves at run time. References keep the
 * secret out of the bundled definitions and out of environment variables.
 */
export const SecretRef = z.union([
  z.string(),
  z.strictObject({ secretsManager: z.string().min(1), key: z.string().min(1).optional() }),
  z.strictObject({ ssm: z.string().min(1) }),
], { error: 'expected a string, {secretsManager: arn, key?} or {ssm: name}' });
export type SecretRef = z.infer<typeof SecretRef>;

/** A PEM file path, relative to the config file; the loader replaces it with the file's contents. */
export type FileResolver = (path: string) => string | undefined;

export interface SchemaOptions {
  /** Reads a file referenced by the config, or returns undefined when it does not exist. */
  readFile: FileResolver;
}

const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
const HTTP_VERSIONS = ['HTTP/1.0', 'HTTP/1.1', 'HTTP/2'] as const;
export const DNS_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', 'SRV', 'PTR'] as const;
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;
/**
 * The default warning window for CERT_EXPIRING, in days. Automated renewal starts well before it:
 * certbot renews Let's Encrypt's 90-day certificates with 30 days left
 * (https://eff-certbot.readthedocs.io/en/stable/using.html#automated-renewals), ACM 60 days ahead
 * (https://docs.aws.amazon.com/acm/latest/userguide/managed-renewal.html). A certificate inside it
 * means renewal has been failing for over a week, which is news but not yet a page. It also leaves
 * a week before a `tls` check's default `certMinDaysLeft` of 14 turns the check into a failure.
 */
export const CERT_EXPIRING_DAYS = 21;
/** Re-exported: the config names events in `channels.<name>.events`. */
export { EVENTS, LISTENABLE_EVENTS };
/** PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** A channel is reported failing after this many failed delivery attempts in a row. */
export const DEFAULT_FAILING_AFTER = 3;

const HTTP_URL_RULE = 'expected an http:// or https:// URL';
const isHttpUrl = (text: string) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);

/** Where a channel delivers: http(s). The deploy-only rules (./deploy-only.ts) refuse http:// in a deployed config. */
const HttpUrl = z.url({ protocol: /^https?$/, error: HTTP_URL_RULE });

/** One webhook target as the engine reads it. */
export interface WebhookTarget {
  url: string;
  /** Signs each request (`Vantage-Signature`, HMAC-SHA256). */
  secret?: SecretRef;
}

/** A webhook: a URL (the form before signing existed), or a URL with a signing secret. Typed so both read as one shape. */
const WebhookTarget: z.ZodType<WebhookTarget, string | { url: string; secret?: SecretRef }> = z.union([
  HttpUrl.transform((url): WebhookTarget => ({ url })),
  z.strictObject({ url: HttpUrl, secret: SecretRef.optional() }),
], { error: 'expected a URL or {url, secret?}' });

/**
 * A Slack or Teams incoming-webhook URL is its own credential (anyone holding it can post), so it is
 * a secret: written in plain (a URL, or one with `${env:NAME}`) it must read as a URL.
 */
const ChatWebhookSecret = SecretRef.superRefine((ref, ctx) => {
  if (typeof ref === 'string' && !HAS_ENV_REF.test(ref) && !isHttpUrl(ref)) {
    ctx.addIssue({ code: 'custom', message: 'expected the incoming-webhook URL (https://…), ${env:NAME}, {secretsManager: arn, key?} or {ssm: name}' });
  }
});

/**
 * Slack (https://api.slack.com/messaging/webhooks) and Teams workflow webhooks. `url`, when given, is
 * where the message goes instead (a proxy, a compatible service, a test receiver), and `webhook` is
 * then not read.
 */
const ChatWebhook = z.strictObject({
  /** The incoming-webhook URL: a secret reference (or, locally, the URL or `${env:NAME}`). */
  webhook: ChatWebhookSecret.optional(),
  /** Posts here instead; `webhook` is then not read. */
  url: HttpUrl.optional(),
}).refine((c) => c.webhook !== undefined || c.url !== undefined, { message: 'needs webhook (the incoming-webhook URL, best as a secret reference) or url' });

/** PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview/). */
const PagerDuty = z.strictObject({
  /** The integration (routing) key of a PagerDuty service's Events API v2 integration: a secret. */
  routingKey: SecretRef,
  /** @default the US endpoint; EU accounts use https://events.eu.pagerduty.com/v2/enqueue */
  url: HttpUrl.default(PAGERDUTY_EVENTS_URL),
});
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ID_RULE = 'expected lowercase letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)';
/**
 * A location name keys per-location state maps and DynamoDB items, so it follows the id rule (as the
 * deployment's location names do) and `__proto__` can never be one; `constructor` can, so those maps
 * are read by own key only.
 */
const LocationName = z.string().regex(ID, ID_RULE);

export function makeSchemas(opts: SchemaOptions) {
  const pemFile = z.string().min(1).transform((path, ctx) => {
    const text = opts.readFile(path);
    if (text === undefined) {
      ctx.addIssue({ code: 'custom', message: 'file not found' });
      return z.NEVER;
    }
    return text;
  });

  /** Blackbox Exporter's `tls_config`, with the same meaning for each field. */
  const TlsOptions = z.strictObject({
    /** PEM CA bundle that replaces the system roots. @default system roots */
    ca: pemFile.optional(),
    /** Client certificate (PEM) for mTLS. */
    cert: pemFile.optional(),
    /** Client private key (PEM) for mTLS; a file, or a secret reference so it stays out of the bundle. */
    key: z.union([pemFile, z.strictObject({ secretsManager: z.string().min(1), key: z.string().optional() }), z.strictObject({ ssm: z.string().min(1) })], { error: 'expected a PEM file path, {secretsManager: arn, key?} or {ssm: name}' }).optional(),
    /** SNI and the name the certificate is verified against. @default the target's host */
    serverName: z.string().min(1).optional(),
    /** Turns certificate verification off. @default false */
    insecureSkipVerify: z.boolean().default(false),
    minVersion: z.enum(TLS_VERSIONS).optional(),
    maxVersion: z.enum(TLS_VERSIONS).optional(),
  }).superRefine((tls, ctx) => {
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [tls.cert === undefined ? 'cert' : 'key'], message: 'cert and key must be given together' });
    }
    if (tls.minVersion && tls.maxVersion && tls.minVersion > tls.maxVersion) {
      ctx.addIssue({ code: 'custom', path: ['minVersion'], message: 'minVersion is above maxVersion' });
    }
  });

  const IpFamily = z.union([z.literal(4), z.literal(6)]).optional();
  const Port = z.number().int().min(1).max(65535);

  /** `validStatusCodes` entries: a code (200) or a class ("2xx"). */
  const StatusCode = z.union([z.number().int().min(100).max(599), z.string().regex(/^[1-5]xx$/, 'expected a status code (100-599) or a class like "2xx"')], { error: 'expected a status code (100-599) or a class like "2xx"' });

  const HttpAssert = z.strictObject({
    /** Each regex must match the body. */
    bodyMatches: z.array(Regex).default([]),
    /** No regex may match the body. */
    bodyNotMatches: z.array(Regex).default([]),
    /** Header name → regex its value must match; a missing header fails. */
    headers: z.record(z.string(), Regex).default({}),
    /** Dotted path into a JSON body (`$.status`, `$.items[0].id`) → the value it must equal. */
    jsonPath: z.record(z.string().regex(/^\$/, 'a JSON path starts with $'), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
    /** The probe fails when it takes longer than this in total. */
    maxResponseTime: ProbeDuration.optional(),
    /** HTTPS only: fail when the earliest certificate in the chain expires sooner. */
    certMinDaysLeft: z.number().min(0).optional(),
  });

  const Http = z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
    method: z.enum(HTTP_METHODS).default('GET'),
    headers: z.record(z.string(), SecretRef).default({}),
    body: z.string().optional(),
    /** @default 2xx, as in Blackbox Exporter */
    validStatusCodes: z.array(StatusCode).min(1).default(['2xx']),
    /** `HTTP/2.0`, Blackbox Exporter's spelling, is read as `HTTP/2`. @default any version */
    validHttpVersions: z.array(z.enum([...HTTP_VERSIONS, 'HTTP/2.0']).transform((v) => (v === 'HTTP/2.0' ? 'HTTP/2' : v))).min(1).optional(),
    /**
     * https only. Unset: offer h2, then http/1.1, by ALPN and use what the server picks (Blackbox
     * Exporter's `enable_http2: true`). `true`: HTTP/2 is required, and a server that picks
     * http/1.1 fails with `http_version`. `false`: offer only http/1.1.
     * @default offer both
     */
    http2: z.boolean().optional(),
    followRedirects: z.boolean().default(true),
    maxRedirects: z.number().int().min(0).max(30).default(10),
    ipFamily: IpFamily,
    tls: TlsOptions.optional(),
    assert: HttpAssert.default({ bodyMatches: [], bodyNotMatches: [], headers: {}, jsonPath: {} }),
    /** Passing but slower than this is `degraded`. */
    degradedAfter: ProbeDuration.optional(),
    /** Bodies larger than this fail with `body_too_large`; the read stops there. @default 1 MiB */
    maxBodyBytes: z.number().int().min(0).default(1024 * 1024),
  }).superRefine((http, ctx) => {
    if (http.tls && http.url.startsWith('http:')) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls options need an https:// url' });
    }
    if (http.assert.certMinDaysLeft !== undefined && http.url.startsWith('http:')) {
      ctx.addIssue({ code: 'custom', path: ['assert', 'certMinDaysLeft'], message: 'a certificate check needs an https:// url' });
    }
    if (http.http2 === false && http.validHttpVersions?.every((v) => v === 'HTTP/2')) {
      ctx.addIssue({ code: 'custom', path: ['validHttpVersions'], message: 'only HTTP/2 is valid but http2: false offers only HTTP/1.1' });
    }
    if (http.http2 === true && http.validHttpVersions && !http.validHttpVersions.includes('HTTP/2')) {
      ctx.addIssue({ code: 'custom', path: ['validHttpVersions'], message: 'http2: true requires HTTP/2, which validHttpVersions does not allow' });
    }
    if (http.http2 === true && http.url.startsWith('http:')) {
      // HTTP/2 is negotiated in the TLS handshake (RFC 9113 §3.2); cleartext h2c is not offered.
      ctx.addIssue({ code: 'custom', path: ['http2'], message: 'http2 needs an https:// url' });
    }
  });

  const TcpStep = z.union([z.strictObject({ send: z.string() }), z.strictObject({ expect: Regex })]);
  const Tcp = z.strictObject({
    host: z.string().min(1),
    port: Port,
    /** `true` for TLS with default options, or the options. @default false */
    tls: z.union([z.boolean(), TlsOptions]).default(false),
    ipFamily: IpFamily,
    /** Shorthand for a first `send` step. */
    send: z.string().optional(),
    /** Shorthand for an `expect` step after `send`: a regex the received data must match. */
    expect: Regex.optional(),
    /** Blackbox Exporter's `query_response`: sends and expectations, in order. */
    steps: z.array(TcpStep).default([]),
    degradedAfter: ProbeDuration.optional(),
  }).transform(({ send, expect, steps, ...rest }) => ({
    ...rest,
    steps: [...(send !== undefined ? [{ send }] : []), ...(expect !== undefined ? [{ expect }] : []), ...steps] as Array<{ send: string } | { expect: string }>,
  }));

  const Dns = z.strictObject({
    name: z.string().min(1),
    type: z.enum(DNS_TYPES).default('A'),
    /** `host` or `host:port` (`[v6]:port`). @default the system resolver */
    server: z.string().min(1).refine((s) => parseServer(s) !== undefined, 'expected host, host:port or [ipv6]:port').optional(),
    transport: z.enum(['udp', 'tcp']).default('udp'),
    recursionDesired: z.boolean().default(true),
    validRcodes: z.array(z.enum(DNS_RCODES)).min(1).default(['NOERROR']),
    assert: z.strictObject({
      /** Each regex must match at least one answer record (rendered as text, e.g. `api.example.com. 300 IN A 10.0.0.1`). */
      answerMatches: z.array(Regex).default([]),
      /** No answer record may match. */
      answerNotMatches: z.array(Regex).default([]),
      minAnswers: z.number().int().min(0).optional(),
    }).default({ answerMatches: [], answerNotMatches: [] }),
    degradedAfter: ProbeDuration.optional(),
  });

  const Grpc = z.strictObject({
    /** `host:port` */
    target: z.string().regex(/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port'),
    /** The service name sent in the health request; "" asks about the server as a whole. */
    service: z.string().default(''),
    tls: z.union([z.boolean(), TlsOptions]).default(false),
    ipFamily: IpFamily,
    degradedAfter: ProbeDuration.optional(),
  });

  const TlsCert = z.strictObject({
    host: z.string().min(1),
    port: Port.default(443),
    serverName: z.string().min(1).optional(),
    ca: pemFile.optional(),
    insecureSkipVerify: z.boolean().default(false),
    ipFamily: IpFamily,
    assert: z.strictObject({ certMinDaysLeft: z.number().min(0).default(14) }).default({ certMinDaysLeft: 14 }),
    degradedAfter: ProbeDuration.optional(),
  });

  /** ICMP echo (Blackbox Exporter's `icmp` prober); how it is sent: shared/probe/icmp.ts. */
  const Icmp = z.strictObject({
    /** A name (resolved once per probe) or an IPv4/IPv6 address. */
    host: z.string().min(1),
    ipFamily: IpFamily,
    /** Echo requests per probe, ICMP_SEND_INTERVAL_MS apart; up while at least one is answered. @default 3 */
    count: z.number().int().min(1).max(ICMP_MAX_COUNT).default(3),
    /**
     * Payload bytes of each echo request (ping's `-s`). At least 16, so the send time fits in it and
     * every reply carries its RTT; at most 65507, an IPv4 datagram's limit (65535 less the 20-byte IP
     * and 8-byte ICMP headers, RFC 791 and RFC 792). @default 56, ping's
     */
    packetSize: z.number().int().min(ICMP_MIN_PAYLOAD).max(ICMP_MAX_PAYLOAD).default(56),
    /**
     * Sets the IPv4 DF bit and forbids fragmenting on this host too (ping's `-M do`), to find a path
     * whose MTU is smaller than packetSize; otherwise packets are sent without DF (`-M dont`). Over
     * IPv6 routers never fragment (RFC 8200 §4.5); `true` only stops this host from doing it. @default false
     */
    dontFragment: z.boolean().default(false),
    /** DEGRADED when the average round trip is longer (shared/probe/latency.ts), as the other kinds compare their total. */
    degradedAfter: ProbeDuration.optional(),
  }).superRefine((icmp, ctx) => {
    const literal = isIP(icmp.host);
    if (literal !== 0 && icmp.ipFamily !== undefined && literal !== icmp.ipFamily) {
      ctx.addIssue({ code: 'custom', path: ['ipFamily'], message: `host ${icmp.host} is an IPv${literal} address, not IPv${icmp.ipFamily}` });
    }
  });

  /** When a failure becomes an alert. Semantics: ../shared/design.md "Evaluation semantics". */
  const Alerting = z.strictObject({
    /** Consecutive failed runs before a location counts as failing. @default 2 */
    failureThreshold: z.number().int().min(1).optional(),
    /** Alternative to failureThreshold: failing continuously for this long (Prometheus `for:`). */
    for: AlertingDuration.optional(),
    /** Consecutive successes before a failing location is up again. @default 2 */
    recoveryThreshold: z.number().int().min(1).optional(),
    /** Failing locations needed for DOWN. @default a majority of the check's locations */
    quorum: z.number().int().min(1).optional(),
    /** Repeat a REMINDER this often while DOWN. @default never */
    repeatInterval: AlertingDuration.optional(),
    /** Send CERT_EXPIRING (once per certificate) when a passing run's certificate expires within this many days. @default 21 (CERT_EXPIRING_DAYS) */
    certExpiringDays: z.number().int().min(1).max(365).optional(),
    /** While a location's view of the check is undecided (a failure short of the threshold, or a recovery short of it), that location probes again this soon. @default 10s */
    recheckInterval: RecheckDuration.optional(),
    /** A location that starts failing (or recovering) asks the check's other locations to probe it now. @default true with two or more locations */
    confirm: z.boolean().optional(),
    /** Channel names from the top-level `channels`. */
    channels: z.array(z.string()).optional(),
    /**
     * Alternative to consecutive counts: a location is failing when failureThreshold of its last
     * `window` runs failed (it still recovers after recoveryThreshold consecutive successes). Not with `for`.
     */
    window: z.number().int().min(1).max(30).optional(),
    /** A check whose state changes `changes` times within `within` is FLAPPING: one notification, then quiet until stable for `within`. */
    flapping: z.strictObject({
      changes: z.number().int().min(2),
      within: AlertingDuration,
    }).optional(),
    /** While DOWN, after each `after` (from the DOWN, strictly increasing) send an ESCALATION to that level's channels. */
    escalate: z.array(z.strictObject({
      after: AlertingDuration,
      /** Channel names from the top-level `channels`. */
      channels: z.array(z.string()).min(1),
    })).min(1).optional(),
  });

  /**
   * Planned downtime: results are recorded and counted, nothing is sent. Recurring (`cron` +
   * `duration`, in `timezone`) or one-off (`start` + `end`). The rules between fields (which go
   * together, end after start) and against the checks are in ./maintenance-refs.ts.
   */
  const Maintenance = z.strictObject({
    name: z.string().regex(ID, ID_RULE),
    /** Any of these check ids. @default every check (with tags: those with the tags) */
    checks: z.array(z.string()).min(1).optional(),
    /** Checks with all of these tags; with `checks`, both must hold. */
    tags: z.record(z.string(), z.string()).optional(),
    /** Five fields, the start of each window: minute hour day-of-month month day-of-week (Vixie cron; JAN-DEC, SUN-SAT). */
    cron: z.string().meta({ format: 'cron' }).superRefine((text, ctx) => {
      const parsed = parseCron(text);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
    }).optional(),
    /** How long each recurring window lasts; required with cron. */
    duration: MaintenanceDuration.optional(),
    /** IANA time zone the cron is read in. @default UTC */
    timezone: z.string().superRefine((tz, ctx) => {
      if (!isTimeZone(tz)) ctx.addIssue({ code: 'custom', message: `unknown IANA time zone ${quoted(tz)}` });
    }).optional(),
    /** One-off window: ISO 8601 with a zone. */
    start: z.string().meta({ format: 'date-time' }).refine((t) => parseInstant(t) !== undefined, INSTANT_RULE).optional(),
    /** One-off window's end (exclusive): ISO 8601 with a zone. */
    end: z.string().meta({ format: 'date-time' }).refine((t) => parseInstant(t) !== undefined, INSTANT_RULE).optional(),
  }).transform(maintenanceWindow);

  const Common = {
    id: z.string().regex(ID, ID_RULE),
    name: z.string().optional(),
    interval: IntervalDuration.optional(),
    timeout: ProbeDuration.optional(),
    locations: z.array(LocationName).min(1).optional(),
    /** Immediate retests of a failed run before it is recorded as failed. */
    retries: z.number().int().min(0).max(3).optional(),
    tags: z.record(z.string(), z.string()).optional(),
    enabled: z.boolean().default(true),
    alerting: Alerting.optional(),
    /** Replaces defaults.slo as a whole. */
    slo: Slo.optional(),
  };

  const RawCheck = z.discriminatedUnion('kind', [
    z.strictObject({ ...Common, kind: z.literal('http'), http: Http }),
    z.strictObject({ ...Common, kind: z.literal('tcp'), tcp: Tcp }),
    z.strictObject({ ...Common, kind: z.literal('dns'), dns: Dns }),
    z.strictObject({ ...Common, kind: z.literal('grpc'), grpc: Grpc }),
    z.strictObject({ ...Common, kind: z.literal('tls'), tls: TlsCert }),
    z.strictObject({ ...Common, kind: z.literal('icmp'), icmp: Icmp }),
  ]);

  /** The kind is implied by the one protocol key a check has; `kind` itself is never written by users. */
  const CheckInput = z.preprocess((input, ctx) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    if (Object.hasOwn(input, 'kind')) {
      ctx.addIssue({ code: 'custom', path: ['kind'], message: 'kind is implied by the protocol key; remove it', input });
      return input;
    }
    const kinds = CHECK_KINDS.filter((k) => Object.hasOwn(input, k));
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        input,
        message: kinds.length === 0
          ? `a check needs exactly one of ${CHECK_KINDS.join(', ')}`
          : `a check needs exactly one of ${CHECK_KINDS.join(', ')}, found ${kinds.join(' and ')}`,
      });
      return input;
    }
    return { ...input, kind: kinds[0] };
  }, RawCheck);

  const Channel = z.strictObject({
    email: z.array(z.email()).default([]),
    /** Each gets the JSON payload by POST; with a `secret`, signed (`Vantage-Signature`). */
    // A prefault is parsed like the input, so the reference (input JSON schema) still shows it; a
    // default of a transforming schema is an output value and is left out there.
    webhook: z.array(WebhookTarget).prefault([]),
    slack: ChatWebhook.optional(),
    teams: ChatWebhook.optional(),
    pagerduty: PagerDuty.optional(),
    /** Only these events reach the channel (every kind of target alike). @default every event */
    events: z.array(z.enum(LISTENABLE_EVENTS)).min(1).optional(),
    /** Failed delivery attempts in a row to one target, after which the other channels hear CHANNEL_FAILING. @default 3 */
    failingAfter: z.number().int().min(1).max(100).default(DEFAULT_FAILING_AFTER),
  });

  const Defaults = z.strictObject({
    interval: IntervalDuration.default(DEFAULT_INTERVAL_MS),
    timeout: ProbeDuration.default(DEFAULT_TIMEOUT_MS),
    locations: z.array(LocationName).min(1).default([...DEFAULT_LOCATIONS]),
    retries: z.number().int().min(0).max(3).default(DEFAULT_RETRIES),
    alerting: Alerting.default({}),
    /** Every check's SLO unless it has its own. @default none */
    slo: Slo.optional(),
  });

  const Config = z.strictObject({
    version: z.literal(1).default(1),
    defaults: Defaults.default({ interval: DEFAULT_INTERVAL_MS, timeout: DEFAULT_TIMEOUT_MS, locations: [...DEFAULT_LOCATIONS], retries: DEFAULT_RETRIES, alerting: {} }),
    // prefault, not default: see Channel.webhook.
    channels: z.record(z.string().regex(ID, 'expected a lowercase name'), Channel).prefault({}),
    checks: z.array(CheckInput),
    /** Planned downtime windows; see ./maintenance.ts. */
    maintenance: z.array(Maintenance).default([]),
    /** Where `cdk deploy` puts probes and the home stack; see ./deployment.ts. @default none (CLI and local runs) */
    deployment: Deployment.optional(),
    // Rules between parts of the config (channels, locations, timeout and interval, quorum) are in
    // ./cross-refs.ts: they run on the input as written, so they are reported with these errors.
  });

  return { Config, CheckInput, RawCheck, TlsOptions, Alerting, Channel, Maintenance };
}

/** A maintenance window as the engine reads it (the loader's and the definitions file's form). */
export interface MaintenanceWindow {
  name: string;
  /** Any of these check ids. */
  checks?: string[];
  /** All of these tags. Neither checks nor tags: every check. */
  tags?: Record<string, string>;
  /** Recurring: each start, in `timezone`; with durationMs and timezone. */
  cron?: string;
  durationMs?: number;
  /** IANA name; 'UTC' when the config gave none. */
  timezone?: string;
  /** One-off: epoch ms. */
  start?: number;
  /** One-off: epoch ms, exclusive. */
  end?: number;
}

interface MaintenanceInput {
  name: string;
  checks?: string[];
  tags?: Record<string, string>;
  cron?: string;
  duration?: number;
  timezone?: string;
  start?: string;
  end?: string;
}

/** The engine form of a window as written; the schema has already checked each field. */
function maintenanceWindow(w: MaintenanceInput): MaintenanceWindow {
  const at = (text: string | undefined) => (text === undefined ? undefined : parseInstant(text));
  const start = at(w.start);
  const end = at(w.end);
  return {
    name: w.name,
    ...(w.checks !== undefined && { checks: w.checks }),
    ...(w.tags !== undefined && { tags: w.tags }),
    ...(w.cron !== undefined && { cron: w.cron, timezone: w.timezone ?? 'UTC' }),
    ...(w.duration !== undefined && { durationMs: w.duration }),
    ...(start !== undefined && { start }),
    ...(end !== undefined && { end }),
  };
}

type Schemas = ReturnType<typeof makeSchemas>;
/** A config as parsed: durations in ms, file references resolved, per-check fields still optional. */
export type ParsedConfig = z.output<Schemas['Config']>;
export type ParsedCheck = ParsedConfig['checks'][number];
export type TlsOptions = z.output<Schemas['TlsOptions']>;
export type ChannelConfig = z.output<Schemas['Channel']>;
/** `alerting` as parsed (defaults or a check's own), before ./policy.ts applies the defaults. */
export type ParsedAlerting = z.output<Schemas['Alerting']>;

/** The alert policy with every default applied (the quorum default depends on the location count). */
export interface AlertPolicy {
  failureThreshold: number;
  forMs?: number;
  recoveryThreshold: number;
  quorum: number;
  repeatIntervalMs?: number;
  certExpiringDays: number;
  degradedAfterMs?: number;
  intervalMs: number;
  channels: string[];
  /** Milliseconds between rechecks while a location's view is undecided (alerting.recheckInterval). */
  recheckIntervalMs: number;
  /** Whether a location that starts failing or recovering asks the other locations to probe now. */
  confirm: boolean;
  /** Runs; a location is failing when failureThreshold of its last `window` runs failed. Never with forMs. */
  window?: number;
  /** FLAPPING after `changes` changes of state within `withinMs`. */
  flapping?: { changes: number; withinMs: number };
  /** ESCALATION levels: `afterMs` measured from the DOWN, strictly increasing; each level's channels only. */
  escalate?: Array<{ afterMs: number; channels: string[] }>;
}

type WithDefaults<C> = C extends unknown
  ? Omit<C, 'interval' | 'timeout' | 'locations' | 'retries' | 'alerting'> & {
      interval: number;
      timeout: number;
      locations: string[];
      retries: number;
      alerting: AlertPolicy;
    }
  : never;

/** A check ready to run: every default merged in. This is what probers, handlers and the evaluator see. */
export type Check = WithDefaults<ParsedCheck>;
export type CheckOf<K extends CheckKind> = Extract<Check, { kind: K }>;
export type HttpCheck = CheckOf<'http'>;
export type TcpCheck = CheckOf<'tcp'>;
export type DnsCheck = CheckOf<'dns'>;
export type GrpcCheck = CheckOf<'grpc'>;
export type TlsCheck = CheckOf<'tls'>;
export type IcmpCheck = CheckOf<'icmp'>;

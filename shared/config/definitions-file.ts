/**
 * The definitions file (`definitions.json`), as the functions read it at cold start. The CDK app writes
 * it next to each handler bundle with `toDefinitions` (./definitions.ts): a probe function gets the
 * checks of its own location, the evaluator every check and the alert channels, and the notifier the
 * evaluator's file (it delivers to those channels' targets). An agent location's document, the same
 * as a probe's, is not a file: the CDK app and `vantage dev` write it to the location's DEFINITIONS
 * item in the home table, where `vantage agent` reads it.
 *
 * The file holds the checks in the engine's form, exactly as the loader produced them and zod
 * validated them at `cdk synth` (durations in ms, an explicit `kind`, every default merged in, PEM
 * files inlined), plus a schemaVersion and the SHA-256 of its content. This module is the runtime
 * half and deliberately imports neither zod nor yaml: re-validating with the full schema cost every
 * cold start about 456 KB of bundle and 40 ms of init to re-prove what the synth already proved.
 * What it checks instead still makes a bad file fail the init loudly, with every problem and its path:
 *  - schemaVersion: a file from another version of the format is refused outright;
 *  - sha256: any change after the synth wrote it (a hand edit, a truncated copy) is refused;
 *  - shape: every field the engine relies on is present with the right type, ids are unique, a
 *    probe's checks are for its location, and each maintenance window's cron and time zone can be
 *    read. The tables below are typed against the schema's output types, so a new required field
 *    (or an optional policy field) that is missing here fails to compile.
 * The full zod validation (`parseDefinitions`) stays in ./definitions.ts for synth time and tests.
 *
 * Secret references (`{secretsManager}`, `{ssm}`, `${env:NAME}`) are copied as references: no value is
 * ever resolved into a file.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VantageError, type ConfigIssue } from '../errors.ts';
import { LISTENABLE_EVENTS } from '../events.ts';
import { isTimeZone, parseCron } from './cron.ts';
import { formatPath } from './paths.ts';
import type { AlertPolicy, ChannelConfig, Check, CheckKind, CheckOf, MaintenanceWindow, WebhookTarget } from './schema.ts';

/** 2: the engine's form with a content hash (1 was the config's input form, re-validated with zod at init). */
export const DEFINITIONS_SCHEMA_VERSION = 2;

/** The file name the CDK app bundles next to each handler, and the handlers read by default. */
export const DEFINITIONS_FILE = 'definitions.json';

export class DefinitionsError extends VantageError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], source = DEFINITIONS_FILE) {
    super('DEFINITIONS_INVALID', `${source}: ${issues.length} problem(s)\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

export interface Definitions {
  schemaVersion: typeof DEFINITIONS_SCHEMA_VERSION;
  /** The probe location these are for; absent in the evaluator's file, which has every check. */
  location?: string;
  /** Ready to run: every default applied, exactly as the loader produced them. */
  checks: Check[];
  /** Alert channels; empty in a probe's file, since probes never alert. */
  channels: Record<string, ChannelConfig>;
  /** Evaluator's file only: private location → how many instances it runs (the sweep watches each one's heartbeat). */
  instances?: Record<string, number>;
  /** Evaluator's file only: every maintenance window of the config ([] when none); policyFor picks each check's. */
  maintenance?: MaintenanceWindow[];
  /**
   * Every agent location the deployment declares, in every file when it declares any: whoever sends
   * a confirmation to one of them writes it to that location's inbox instead of invoking a function.
   */
  agentLocations?: string[];
  /** Evaluator's file only: agent location → how many instances are expected (the sweep watches each one's beat). */
  agents?: Record<string, number>;
}

/** The JSON document as written to the bundle. */
export interface DefinitionsDocument extends Definitions {
  /** Hex SHA-256 of the canonical JSON of every other field (`definitionsHash`). */
  sha256: string;
}

/** JSON with object keys sorted, so the hash does not depend on key order or formatting. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The content hash of a document: every field but `sha256` itself. */
export function definitionsHash(doc: object): string {
  const { sha256: _ignored, ...content } = doc as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

// ---- shape tables, typed against the schema's output -------------------------------------------------

type Shape = 'string' | 'id' | 'positive' | 'count' | 'count1' | 'boolean' | 'object' | 'array' | 'strings' | 'boolean|object' | 'secret';

/** A secret reference as the schema's SecretRef writes it; copied as written, never resolved into the file. */
function isSecretRef(v: unknown): boolean {
  if (typeof v === 'string') return true;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const ref = v as Record<string, unknown>;
  const keys = Object.keys(ref);
  if (keys.length === 1 && typeof ref.ssm === 'string' && ref.ssm !== '') return true;
  return typeof ref.secretsManager === 'string' && ref.secretsManager !== '' && keys.every((k) => k === 'secretsManager' || (k === 'key' && typeof ref.key === 'string'));
}

const SHAPES: Record<Shape, [test: (v: unknown) => boolean, expected: string]> = {
  string: [(v) => typeof v === 'string', 'a string'],
  id: [(v) => typeof v === 'string' && v.length > 0, 'a non-empty string'],
  positive: [(v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number of milliseconds above 0'],
  count: [(v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number'],
  count1: [(v) => Number.isInteger(v) && (v as number) >= 1, 'a whole number above 0'],
  boolean: [(v) => typeof v === 'boolean', 'true or false'],
  object: [(v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object'],
  array: [Array.isArray, 'an array'],
  strings: [(v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'an array of strings'],
  'boolean|object': [(v) => typeof v === 'boolean' || (typeof v === 'object' && v !== null && !Array.isArray(v)), 'true, false or an object'],
  secret: [isSecretRef, 'a string, {secretsManager, key?} or {ssm}'],
};

/** The keys of T that are not optional: what the engine may read without a fallback. */
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T] & string;
type SpecOf<K extends CheckKind> = CheckOf<K>[K & keyof CheckOf<K>];
/** Exactly the required keys: a required field the table forgets, or an optional one it lists, fails to compile. */
type ShapeTable<T> = { [F in RequiredKeys<T>]: Shape };

const COMMON: ShapeTable<Omit<CheckOf<'http'>, 'http'>> = {
  id: 'id', kind: 'id', enabled: 'boolean', interval: 'positive', timeout: 'positive', locations: 'strings', retries: 'count', alerting: 'object',
};

const ALERTING: ShapeTable<AlertPolicy> = {
  failureThreshold: 'count', recoveryThreshold: 'count', quorum: 'count', intervalMs: 'positive', channels: 'strings', certExpiringDays: 'count',
  recheckIntervalMs: 'positive', confirm: 'boolean',
};

const SPECS: { [K in CheckKind]: ShapeTable<SpecOf<K>> } = {
  http: { url: 'id', method: 'id', headers: 'object', validStatusCodes: 'array', followRedirects: 'boolean', maxRedirects: 'count', assert: 'object', maxBodyBytes: 'count' },
  tcp: { host: 'id', port: 'count', tls: 'boolean|object', steps: 'array' },
  dns: { name: 'id', type: 'id', transport: 'id', recursionDesired: 'boolean', validRcodes: 'strings', assert: 'object' },
  grpc: { target: 'id', service: 'string', tls: 'boolean|object' },
  tls: { host: 'id', port: 'count', insecureSkipVerify: 'boolean', assert: 'object' },
  icmp: { host: 'id', count: 'count1', packetSize: 'count', dontFragment: 'boolean' },
};

/** Typed by CheckKind, so a new kind without an entry fails to compile. */
const KINDS = Object.keys(SPECS) as CheckKind[];

const CHANNEL: ShapeTable<ChannelConfig> = { email: 'strings', webhook: 'array', failingAfter: 'count1' };
/** The optional channel fields, each checked only when present. */
const CHANNEL_OPTIONAL: OptionalShapeTable<ChannelConfig> = { slack: 'object', teams: 'object', pagerduty: 'object', events: 'strings' };
type ChatTarget = NonNullable<ChannelConfig['slack']>;
type PagerDutyTarget = NonNullable<ChannelConfig['pagerduty']>;
const WEBHOOK: ShapeTable<WebhookTarget> = { url: 'id' };
const WEBHOOK_OPTIONAL: OptionalShapeTable<WebhookTarget> = { secret: 'secret' };
const CHAT_OPTIONAL: OptionalShapeTable<ChatTarget> = { webhook: 'secret', url: 'id' };
const PAGERDUTY: ShapeTable<PagerDutyTarget> = { routingKey: 'secret', url: 'id' };

/** Exactly the optional keys of T, each checked only when present. */
type OptionalShapeTable<T> = { [F in Exclude<keyof T, RequiredKeys<T>> & string]-?: Shape };

/** The optional policy fields, each checked only when present. */
const ALERTING_OPTIONAL: OptionalShapeTable<AlertPolicy> = {
  forMs: 'positive', repeatIntervalMs: 'positive', degradedAfterMs: 'positive', window: 'count', flapping: 'object', escalate: 'array',
};

function optionalShapeIssues(obj: Record<string, unknown>, table: Record<string, Shape>, path: PropertyKey[]): ConfigIssue[] {
  return Object.entries(table).flatMap(([key, shape]) => {
    const v = obj[key];
    const [test, expected] = SHAPES[shape];
    return v === undefined || test(v) ? [] : [{ path: formatPath([...path, key]), message: `expected ${expected}` }];
  });
}

/** The optional policy fields: present ones must have the engine's shape. */
function alertingIssues(a: Record<string, unknown>, at: PropertyKey[]): ConfigIssue[] {
  const issues = [...shapeIssues(a, ALERTING, at), ...optionalShapeIssues(a, ALERTING_OPTIONAL, at)];
  if (isObject(a.flapping)) issues.push(...shapeIssues(a.flapping, { changes: 'count', withinMs: 'positive' }, [...at, 'flapping']));
  if (Array.isArray(a.escalate)) {
    a.escalate.forEach((level, j) => {
      if (!isObject(level)) issues.push({ path: formatPath([...at, 'escalate', j]), message: 'expected an object' });
      else issues.push(...shapeIssues(level, { afterMs: 'positive', channels: 'strings' }, [...at, 'escalate', j]));
    });
  }
  return issues;
}

/** A window in the engine's form: recurring (a cron that parses, durationMs, a zone Intl knows) or one-off (start before end). */
function windowShapeIssues(w: unknown, i: number): ConfigIssue[] {
  const at: PropertyKey[] = ['maintenance', i];
  if (!isObject(w)) return [{ path: formatPath(at), message: 'expected an object' }];
  const issues = [
    ...shapeIssues(w, { name: 'id' }, at),
    ...optionalShapeIssues(w, { checks: 'strings', tags: 'object', cron: 'string', durationMs: 'positive', timezone: 'string', start: 'count', end: 'count' }, at),
  ];
  const path = (key: string) => formatPath([...at, key]);
  if (typeof w.cron === 'string') {
    const cron = parseCron(w.cron);
    if (!cron.ok) issues.push({ path: path('cron'), message: cron.message });
    if (w.durationMs === undefined) issues.push({ path: path('durationMs'), message: 'required with cron' });
    if (typeof w.timezone !== 'string') issues.push({ path: path('timezone'), message: 'required with cron' });
    else if (!isTimeZone(w.timezone)) issues.push({ path: path('timezone'), message: `unknown IANA time zone ${JSON.stringify(w.timezone)}` });
  } else if (w.cron === undefined) {
    if (w.start === undefined || w.end === undefined) issues.push({ path: formatPath(at), message: 'expected cron, or start and end' });
    else if (typeof w.start === 'number' && typeof w.end === 'number' && w.end <= w.start) issues.push({ path: path('end'), message: 'is not after start' });
  }
  return issues;
}

function shapeIssues(obj: Record<string, unknown>, table: Record<string, Shape>, path: PropertyKey[]): ConfigIssue[] {
  return Object.entries(table).flatMap(([key, shape]) => {
    const v = obj[key];
    if (v === undefined) return [{ path: formatPath([...path, key]), message: 'required' }];
    const [test, expected] = SHAPES[shape];
    return test(v) ? [] : [{ path: formatPath([...path, key]), message: `expected ${expected}` }];
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => SHAPES.object[0](v);

/**
 * A channel as the evaluator routes by and the notifier delivers from: its targets' URLs and secret
 * references (as references), the events it admits and when it counts as failing.
 */
function channelIssues(channel: unknown, name: string): ConfigIssue[] {
  const at: PropertyKey[] = ['channels', name];
  if (!isObject(channel)) return [{ path: formatPath(at), message: 'expected an object' }];
  const issues = [...shapeIssues(channel, CHANNEL, at), ...optionalShapeIssues(channel, CHANNEL_OPTIONAL, at)];
  if (Array.isArray(channel.webhook)) {
    channel.webhook.forEach((w, j) => {
      if (!isObject(w)) issues.push({ path: formatPath([...at, 'webhook', j]), message: 'expected an object' });
      else issues.push(...shapeIssues(w, WEBHOOK, [...at, 'webhook', j]), ...optionalShapeIssues(w, WEBHOOK_OPTIONAL, [...at, 'webhook', j]));
    });
  }
  for (const kind of ['slack', 'teams'] as const) {
    const chat = channel[kind];
    if (!isObject(chat)) continue;
    issues.push(...optionalShapeIssues(chat, CHAT_OPTIONAL, [...at, kind]));
    if (chat.webhook === undefined && chat.url === undefined) issues.push({ path: formatPath([...at, kind]), message: 'expected webhook or url' });
  }
  if (isObject(channel.pagerduty)) issues.push(...shapeIssues(channel.pagerduty, PAGERDUTY, [...at, 'pagerduty']));
  if (Array.isArray(channel.events)) {
    channel.events.forEach((e, j) => {
      if (typeof e === 'string' && !(LISTENABLE_EVENTS as readonly string[]).includes(e)) issues.push({ path: formatPath([...at, 'events', j]), message: `unknown event "${e}"` });
    });
  }
  return issues;
}

function checkIssues(check: unknown, i: number, location: string | undefined): ConfigIssue[] {
  const at: PropertyKey[] = ['checks', i];
  if (!isObject(check)) return [{ path: formatPath(at), message: 'expected an object' }];
  const issues = shapeIssues(check, COMMON, at);
  const kind = check.kind as CheckKind;
  if (typeof kind === 'string' && !KINDS.includes(kind)) {
    issues.push({ path: formatPath([...at, 'kind']), message: `expected one of ${KINDS.join(', ')}` });
  } else if (typeof kind === 'string') {
    const spec = check[kind];
    if (!isObject(spec)) issues.push({ path: formatPath([...at, kind]), message: spec === undefined ? 'required' : 'expected an object' });
    else issues.push(...shapeIssues(spec, SPECS[kind], [...at, kind]));
  }
  if (isObject(check.alerting)) issues.push(...alertingIssues(check.alerting, [...at, 'alerting']));
  if (location !== undefined && Array.isArray(check.locations) && !check.locations.includes(location)) {
    issues.push({ path: formatPath([...at, 'locations']), message: `does not include this file's location "${location}"` });
  }
  return issues;
}

/** A map of location → instance count (`instances`, `agents`), when present. */
function countsIssues(counts: unknown, key: string): ConfigIssue[] {
  if (counts === undefined) return [];
  if (!isObject(counts)) return [{ path: key, message: 'expected an object' }];
  return Object.entries(counts).flatMap(([name, n]) =>
    (Number.isInteger(n) && (n as number) >= 1 ? [] : [{ path: formatPath([key, name]), message: 'expected a whole number above 0' }]));
}

/** `agentLocations` names locations; `agents` counts instances of those locations only. */
function agentIssues(input: Record<string, unknown>): ConfigIssue[] {
  const names = input.agentLocations;
  const issues: ConfigIssue[] = [];
  if (names !== undefined && !Array.isArray(names)) issues.push({ path: 'agentLocations', message: 'expected an array' });
  const listed = Array.isArray(names) ? names : [];
  listed.forEach((name, i) => {
    if (!SHAPES.id[0](name)) issues.push({ path: formatPath(['agentLocations', i]), message: `expected ${SHAPES.id[1]}` });
  });
  issues.push(...countsIssues(input.agents, 'agents'));
  if (isObject(input.agents)) {
    for (const name of Object.keys(input.agents)) {
      if (!listed.includes(name)) issues.push({ path: formatPath(['agents', name]), message: 'is not one of agentLocations' });
    }
  }
  return issues;
}

/**
 * The light check: every problem found in a parsed document, each with its path; none means the
 * document is what `toDefinitions` wrote. A wrong schemaVersion is the only problem reported then,
 * since nothing else about such a file can be read the same way.
 */
export function definitionsIssues(input: unknown): ConfigIssue[] {
  if (!isObject(input)) return [{ path: '(root)', message: 'expected an object' }];
  if (input.schemaVersion !== DEFINITIONS_SCHEMA_VERSION) {
    return [{ path: 'schemaVersion', message: `expected schemaVersion ${DEFINITIONS_SCHEMA_VERSION}, found ${JSON.stringify(input.schemaVersion) ?? 'none'}: rebuild the bundle with this version of vantage` }];
  }
  const issues: ConfigIssue[] = [];
  if (typeof input.sha256 !== 'string') issues.push({ path: 'sha256', message: 'required' });
  else if (input.sha256 !== definitionsHash(input)) {
    issues.push({ path: 'sha256', message: 'does not match the content: the file was changed after `cdk synth` wrote it; rebuild the bundle' });
  }
  const location = input.location;
  if (location !== undefined && (typeof location !== 'string' || location === '')) issues.push({ path: 'location', message: 'expected a non-empty string' });
  const where = typeof location === 'string' ? location : undefined;
  if (!Array.isArray(input.checks)) issues.push({ path: 'checks', message: input.checks === undefined ? 'required' : 'expected an array' });
  else {
    const seen = new Set<unknown>();
    input.checks.forEach((check, i) => {
      issues.push(...checkIssues(check, i, where));
      const id = isObject(check) ? check.id : undefined;
      if (typeof id === 'string' && seen.has(id)) issues.push({ path: `checks[${i}].id`, message: `duplicate id "${id}"` });
      seen.add(id);
    });
  }
  if (!isObject(input.channels)) issues.push({ path: 'channels', message: input.channels === undefined ? 'required' : 'expected an object' });
  else {
    for (const [name, channel] of Object.entries(input.channels)) issues.push(...channelIssues(channel, name));
  }
  issues.push(...countsIssues(input.instances, 'instances'), ...agentIssues(input));
  if (input.maintenance !== undefined) {
    if (!Array.isArray(input.maintenance)) issues.push({ path: 'maintenance', message: 'expected an array' });
    else input.maintenance.forEach((w, i) => issues.push(...windowShapeIssues(w, i)));
  }
  return issues;
}

/** The parsed document: text is parsed (a syntax error is a DefinitionsError), anything else is taken as parsed. */
export function parseDocumentJson(json: unknown, source?: string): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new DefinitionsError([{ path: '(json)', message: (err as Error).message }], source);
  }
}

/** Parses a document's text (or takes the parsed JSON) and runs the light check; throws DefinitionsError with every problem. */
export function readDefinitions(json: unknown, source = DEFINITIONS_FILE): Definitions {
  const input = parseDocumentJson(json, source);
  const issues = definitionsIssues(input);
  if (issues.length > 0) throw new DefinitionsError(issues, source);
  const doc = input as DefinitionsDocument;
  return {
    schemaVersion: DEFINITIONS_SCHEMA_VERSION,
    ...(doc.location !== undefined && { location: doc.location }),
    checks: doc.checks,
    channels: doc.channels,
    ...(doc.instances !== undefined && { instances: doc.instances }),
    ...(doc.maintenance !== undefined && { maintenance: doc.maintenance }),
    ...(doc.agentLocations !== undefined && { agentLocations: doc.agentLocations }),
    ...(doc.agents !== undefined && { agents: doc.agents }),
  };
}

/** Reads and checks a definitions file; a missing or unreadable file is a DefinitionsError too. */
export function loadDefinitionsFile(path: string): Definitions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DefinitionsError([{ path: '(file)', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], path);
  }
  return readDefinitions(text, path);
}

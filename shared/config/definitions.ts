/**
 * Writing the definitions file at `cdk synth`, and validating one with the full zod schema.
 *
 * `toDefinitions` writes the checks in the engine's form, exactly as the loader produced them (see
 * ./definitions-file.ts for the format and for what the functions check at cold start without zod).
 * Before it returns, it proves the file it wrote: the checks survive JSON unchanged, and
 * `parseDefinitions` reads the file back through the same zod schema that validated the config. So a
 * field the schema does not accept, or one JSON would lose, fails the synth rather than a cold start,
 * and the hash then pins the file to what was proven.
 *
 * Secret references (`{secretsManager}`, `{ssm}`, `${env:NAME}`) are copied as references: no value is
 * ever resolved into a bundle.
 */
import type { ConfigIssue } from '../errors.ts';
import {
  DEFINITIONS_SCHEMA_VERSION, DefinitionsError, definitionsHash, definitionsIssues, parseDocumentJson, readDefinitions,
  type Definitions, type DefinitionsDocument,
} from './definitions-file.ts';
import { DEFAULT_AGENT_INSTANCES } from './deployment.ts';
import { formatDuration } from './duration.ts';
import type { LoadedConfig } from './load.ts';
import { windowIssues } from './maintenance-refs.ts';
import { formatPath } from './paths.ts';
import { alertPolicy } from './policy.ts';
import type { Slo } from './slo.ts';
import { configIssuesOf } from './zod-issues.ts';
import { CHECK_KINDS, makeSchemas, type AlertPolicy, type Check, type MaintenanceWindow, type ParsedCheck } from './schema.ts';

export {
  DEFINITIONS_FILE, DEFINITIONS_SCHEMA_VERSION, DefinitionsError, definitionsHash, definitionsIssues, loadDefinitionsFile, readDefinitions,
  type Definitions, type DefinitionsDocument,
} from './definitions-file.ts';

/**
 * Where `a` and `b` differ as JSON values, as paths; an object key whose value is `undefined` counts as
 * absent, as in JSON.
 */
function differences(a: unknown, b: unknown, path: PropertyKey[] = []): string[] {
  if (Object.is(a, b)) return [];
  const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (kindOf(a) !== kindOf(b) || typeof a !== 'object' || a === null) return [formatPath(path)];
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return [formatPath(path)];
    return a.flatMap((v, i) => differences(v, bb[i], [...path, i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)].filter((k) => ao[k] !== undefined || bo[k] !== undefined));
  return [...keys].flatMap((k) => differences(ao[k], bo[k], [...path, k]));
}

/**
 * Private location → instances, for the sweep's INSTANCE_SILENT. Read defensively: a config without a
 * deployment block (or from before `instances` existed) gives no entry, and then no instance is watched.
 */
function instancesOf(config: LoadedConfig): { instances?: Record<string, number> } {
  const privates = (config.deployment as { privateLocations?: Array<{ name?: unknown; instances?: unknown }> } | undefined)?.privateLocations ?? [];
  const entries = privates.flatMap((p) => (typeof p.name === 'string' && Number.isInteger(p.instances) && (p.instances as number) >= 1 ? [[p.name, p.instances as number] as const] : []));
  return entries.length > 0 ? { instances: Object.fromEntries(entries) } : {};
}

/**
 * The agent locations, in every file (a sender routes confirmations to them by inbox), and for the
 * evaluator each one's expected instances. Nothing when the deployment declares none, so the files of
 * a deployment without agents are unchanged.
 */
function agentsOf(config: LoadedConfig, evaluator: boolean): Pick<Definitions, 'agentLocations' | 'agents'> {
  const agents = config.deployment?.agentLocations ?? [];
  if (agents.length === 0) return {};
  return {
    agentLocations: agents.map((a) => a.name),
    // A deployment built in code may leave out the schema's default.
    ...(evaluator && { agents: Object.fromEntries(agents.map((a) => [a.name, a.instances ?? DEFAULT_AGENT_INSTANCES])) }),
  };
}

/**
 * The document for one probe location (only its enabled checks, no channels), or, with no location,
 * the evaluator's file (every check, the channels and the maintenance windows). An agent location's
 * document is a probe location's: `vantage dev` and the CDK app write it to its DEFINITIONS item.
 * Throws DefinitionsError when the document would not hold exactly the validated checks.
 */
export function toDefinitions(config: LoadedConfig, location?: string): DefinitionsDocument {
  const checks = location === undefined ? config.checks : config.checks.filter((c) => c.enabled && c.locations.includes(location));
  const content: Definitions = {
    schemaVersion: DEFINITIONS_SCHEMA_VERSION,
    ...(location !== undefined && { location }),
    checks,
    channels: location === undefined ? config.channels : {},
    ...(location === undefined && instancesOf(config)),
    ...(location === undefined && { maintenance: config.maintenance }),
    ...agentsOf(config, location === undefined),
  };
  const json = JSON.parse(JSON.stringify(content)) as Definitions;
  const lost = differences(content, json);
  if (lost.length > 0) throw new DefinitionsError(lost.map((path) => ({ path, message: 'does not survive JSON unchanged' })), '(toDefinitions)');
  const doc: DefinitionsDocument = { ...json, sha256: definitionsHash(json) };
  // Read it back now: a field the schema does not accept fails the synth, not a cold start.
  parseDefinitions(doc, '(toDefinitions)');
  return doc;
}

// ---- back to the config's input form, for zod -----------------------------------------------------

/** `formatDuration` always gives a string the parser reads back exactly. */
const duration = (ms: number | undefined) => (ms === undefined ? undefined : formatDuration(ms));

function alertingInput(a: Partial<AlertPolicy> = {}): Record<string, unknown> {
  return {
    failureThreshold: a.failureThreshold,
    recoveryThreshold: a.recoveryThreshold,
    quorum: a.quorum,
    channels: a.channels,
    ...(a.forMs !== undefined && { for: duration(a.forMs) }),
    ...(a.repeatIntervalMs !== undefined && { repeatInterval: duration(a.repeatIntervalMs) }),
    certExpiringDays: a.certExpiringDays,
    recheckInterval: duration(a.recheckIntervalMs),
    confirm: a.confirm,
    window: a.window,
    ...(a.flapping !== undefined && { flapping: { changes: a.flapping.changes, within: duration(a.flapping.withinMs) } }),
    ...(a.escalate !== undefined && { escalate: a.escalate.map((level) => ({ after: duration(level.afterMs), channels: level.channels })) }),
  };
}

/** A window in the config's input form: durations as strings, times as ISO. */
function maintenanceInput(w: MaintenanceWindow): Record<string, unknown> {
  const iso = (ms: number | undefined) => (typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : ms);
  const { durationMs, start, end, ...rest } = w;
  return { ...rest, duration: duration(durationMs), start: iso(start), end: iso(end) };
}

function specInput(check: Check): Record<string, unknown> {
  const spec = { ...(check as unknown as Record<string, Record<string, unknown>>)[check.kind] } as Record<string, unknown>;
  if (typeof spec.degradedAfter === 'number') spec.degradedAfter = duration(spec.degradedAfter);
  if (check.kind === 'http' && check.http.assert?.maxResponseTime !== undefined) {
    spec.assert = { ...check.http.assert, maxResponseTime: duration(check.http.assert.maxResponseTime) };
  }
  return spec;
}

/** An SLO in the config's input form; rule names are derived from severity and long, so they come back the same. */
function sloInput(slo: Slo): Record<string, unknown> {
  return {
    objective: slo.objective,
    window: duration(slo.windowMs),
    sli: slo.sli,
    latencyThreshold: duration(slo.latencyThresholdMs),
    countPartial: slo.countPartial,
    burnRates: slo.burnRates?.map((r) => ({ severity: r.severity, factor: r.factor, long: duration(r.longMs), short: duration(r.shortMs) })),
  };
}

/** A check in the config's input form, with every default explicit. */
function checkInput(check: Check): Record<string, unknown> {
  const { kind, interval, timeout, alerting, slo, ...rest } = check as Check & Record<string, unknown>;
  delete rest[kind];
  return {
    ...rest, interval: duration(interval), timeout: duration(timeout), alerting: alertingInput(alerting), [kind]: specInput(check),
    ...(slo !== undefined && { slo: sloInput(slo as Slo) }),
  };
}

/** What the schema makes of a check's input form, with the policy fields as the loader builds them. */
function withPolicy(parsed: ParsedCheck): Check {
  // Every field is explicit in a file; these fallbacks only satisfy the types.
  const locations = parsed.locations ?? [];
  const spec = (parsed as unknown as Record<string, { degradedAfter?: number }>)[parsed.kind] ?? {};
  const alerting = alertPolicy(parsed.alerting ?? {}, { locationCount: locations.length, intervalMs: parsed.interval ?? 60_000, degradedAfterMs: spec.degradedAfter });
  return { ...parsed, interval: parsed.interval ?? 60_000, timeout: parsed.timeout ?? 5_000, locations, retries: parsed.retries ?? 1, alerting } as Check;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function hasSpec(check: unknown): check is Check {
  return isRecord(check) && (CHECK_KINDS as readonly unknown[]).includes(check.kind) && isRecord(check[check.kind as string]);
}

/**
 * The full validation, for synth time and tests: the light check of ./definitions-file.ts (version,
 * hash, shape), then every check, channel and maintenance window through the zod schema, which must
 * give back exactly what the file holds. Throws DefinitionsError with every problem and its path.
 */
export function parseDefinitions(json: unknown, source?: string): Definitions {
  const input = parseDocumentJson(json, source);
  const issues = definitionsIssues(input);
  if (issues.some((i) => i.path === 'schemaVersion' || i.path === '(root)')) throw new DefinitionsError(issues, source);
  const doc = input as Record<string, unknown>;
  // PEM contents are already inlined, so a "file" is its own content.
  const { CheckInput, Channel, Maintenance } = makeSchemas({ readFile: (text) => text });
  const shapeOk = (prefix: string) => !issues.some((i) => i.path === prefix || i.path.startsWith(`${prefix}.`) || i.path.startsWith(`${prefix}[`));
  const drift = (path: string) => ({ path, message: 'differs from what the schema makes of it' });
  const schemaIssues: ConfigIssue[] = [];
  (Array.isArray(doc.checks) ? doc.checks as unknown[] : []).forEach((check, i) => {
    // Without a known kind and its spec there is no input form to rebuild; the light check named that.
    if (!hasSpec(check)) return;
    const parsed = CheckInput.safeParse(checkInput(check), { reportInput: true });
    if (!parsed.success) schemaIssues.push(...configIssuesOf(parsed.error.issues, ['checks', i]));
    else if (shapeOk(`checks[${i}]`)) schemaIssues.push(...differences(check, withPolicy(parsed.data), ['checks', i]).map(drift));
  });
  for (const [name, channel] of Object.entries(isRecord(doc.channels) ? doc.channels : {})) {
    const parsed = Channel.safeParse(channel, { reportInput: true });
    if (!parsed.success) schemaIssues.push(...configIssuesOf(parsed.error.issues, ['channels', name]));
    else if (shapeOk(formatPath(['channels', name]))) schemaIssues.push(...differences(channel, parsed.data, ['channels', name]).map(drift));
  }
  (Array.isArray(doc.maintenance) ? doc.maintenance as unknown[] : []).forEach((w, i) => {
    if (!isRecord(w)) return;
    const input = maintenanceInput(w as unknown as MaintenanceWindow);
    const parsed = Maintenance.safeParse(input, { reportInput: true });
    // The rules between a window's fields are not the schema's (./maintenance-refs.ts); they run here too.
    const between = windowIssues(input, ['maintenance', i]);
    schemaIssues.push(...between);
    if (!parsed.success) schemaIssues.push(...configIssuesOf(parsed.error.issues, ['maintenance', i]));
    else if (between.length === 0 && shapeOk(`maintenance[${i}]`)) schemaIssues.push(...differences(w, parsed.data, ['maintenance', i]).map(drift));
  });
  // One problem per path: the light check's word on a field comes first.
  const all = [...issues, ...schemaIssues.filter((z) => !issues.some((i) => i.path === z.path))];
  if (all.length > 0) throw new DefinitionsError(all, source);
  return readDefinitions(doc, source);
}

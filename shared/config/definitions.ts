/**
 * Definitions: the checks JSON bundled with each function at synth time (`definitions.json` next to
 * the handler bundle). A probe function gets the checks of its own location; the evaluator gets every
 * check and the alert channels.
 *
 * The checks are written back in the config's own input form (durations as `"5000ms"`, no `kind`,
 * every default spelled out, PEM files inlined) and read with the same zod schema that validated the
 * config. One schema stays the single source of truth: a bundle that no longer matches it (an old
 * bundle, a hand edit, a new field the writer forgot) fails at cold start with every problem and its
 * path, not halfway through a probe. `toDefinitions` reads its own output back, so such drift already
 * fails at `cdk synth`.
 *
 * Secret references (`{secretsManager}`, `{ssm}`, `${env:NAME}`) are copied as references: no value is
 * ever resolved into a bundle.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { VantageError, type ConfigIssue } from '../errors.ts';
import { formatDuration } from './duration.ts';
import type { LoadedConfig } from './load.ts';
import { formatPath } from './paths.ts';
import { makeSchemas, type AlertPolicy, type ChannelConfig, type Check, type ParsedCheck } from './schema.ts';

export const DEFINITIONS_SCHEMA_VERSION = 1;

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
  /** The probe location these are for; absent in the evaluator's bundle, which has every check. */
  location?: string;
  /** Ready to run: every default applied, exactly as the loader produced them. */
  checks: Check[];
  /** Alert channels; empty in a probe's bundle, since probes never alert. */
  channels: Record<string, ChannelConfig>;
}

/** The JSON document as written to the bundle. */
export interface DefinitionsDocument {
  schemaVersion: typeof DEFINITIONS_SCHEMA_VERSION;
  location?: string;
  checks: Record<string, unknown>[];
  channels: Record<string, ChannelConfig>;
}

/** Milliseconds back to the input form; `formatDuration` always gives a string the parser reads back exactly. */
const duration = (ms: number | undefined) => (ms === undefined ? undefined : formatDuration(ms));

function alertingInput(a: AlertPolicy): Record<string, unknown> {
  return {
    failureThreshold: a.failureThreshold,
    recoveryThreshold: a.recoveryThreshold,
    quorum: a.quorum,
    channels: a.channels,
    ...(a.forMs !== undefined && { for: duration(a.forMs) }),
    ...(a.repeatIntervalMs !== undefined && { repeatInterval: duration(a.repeatIntervalMs) }),
  };
}

function specInput(check: Check): Record<string, unknown> {
  const spec = { ...(check as unknown as Record<string, Record<string, unknown>>)[check.kind] } as Record<string, unknown>;
  if (typeof spec.degradedAfter === 'number') spec.degradedAfter = duration(spec.degradedAfter);
  if (check.kind === 'http' && check.http.assert.maxResponseTime !== undefined) {
    spec.assert = { ...check.http.assert, maxResponseTime: duration(check.http.assert.maxResponseTime) };
  }
  return spec;
}

/** A loaded check in the config's input form, with every default explicit. */
function checkInput(check: Check): Record<string, unknown> {
  const { kind, interval, timeout, alerting, ...rest } = check as Check & Record<string, unknown>;
  delete rest[kind];
  return { ...rest, interval: duration(interval), timeout: duration(timeout), alerting: alertingInput(alerting), [kind]: specInput(check) };
}

/**
 * The bundle for one probe location (only its enabled checks, no channels), or, with no location,
 * the evaluator's bundle (every check and the channels).
 */
export function toDefinitions(config: LoadedConfig, location?: string): DefinitionsDocument {
  const checks = location === undefined ? config.checks : config.checks.filter((c) => c.enabled && c.locations.includes(location));
  const doc: DefinitionsDocument = {
    schemaVersion: DEFINITIONS_SCHEMA_VERSION,
    ...(location !== undefined && { location }),
    checks: checks.map(checkInput),
    channels: location === undefined ? config.channels : {},
  };
  // Read it back now: a field that does not survive the round trip fails the synth, not a cold start.
  parseDefinitions(JSON.parse(JSON.stringify(doc)), '(toDefinitions)');
  return doc;
}

function withPolicy(parsed: ParsedCheck): Check {
  // Every field is explicit in a bundle; these fallbacks only satisfy the types.
  const a = parsed.alerting ?? {};
  const locations = parsed.locations ?? [];
  const spec = (parsed as unknown as Record<string, { degradedAfter?: number }>)[parsed.kind] ?? {};
  const alerting: AlertPolicy = {
    failureThreshold: a.failureThreshold ?? 2,
    recoveryThreshold: a.recoveryThreshold ?? 2,
    quorum: a.quorum ?? Math.floor(locations.length / 2) + 1,
    intervalMs: parsed.interval ?? 60_000,
    channels: a.channels ?? [],
    ...(a.for !== undefined && { forMs: a.for }),
    ...(a.repeatInterval !== undefined && { repeatIntervalMs: a.repeatInterval }),
    ...(spec.degradedAfter !== undefined && { degradedAfterMs: spec.degradedAfter }),
  };
  return { ...parsed, interval: parsed.interval ?? 60_000, timeout: parsed.timeout ?? 5_000, locations, retries: parsed.retries ?? 1, alerting } as Check;
}

/** A bundle spells out what the loader would otherwise fill in from `defaults`, which it does not carry. */
const EXPLICIT = ['interval', 'timeout', 'locations', 'retries', 'alerting'] as const;

function missingExplicit(input: unknown): ConfigIssue[] {
  const checks = (input as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(checks)) return [];
  return checks.flatMap((c, i) => (typeof c === 'object' && c !== null
    ? EXPLICIT.filter((k) => !(k in c)).map((k) => ({ path: `checks[${i}].${k}`, message: 'required in a bundle' }))
    : []));
}

/** Validates a bundle (the parsed JSON, or its text). Throws DefinitionsError with every problem. */
export function parseDefinitions(json: unknown, source = DEFINITIONS_FILE): Definitions {
  let input = json;
  if (typeof json === 'string') {
    try {
      input = JSON.parse(json);
    } catch (err) {
      throw new DefinitionsError([{ path: '(json)', message: (err as Error).message }], source);
    }
  }
  // PEM contents are already inlined, so a "file" is its own content.
  const { CheckInput, Channel } = makeSchemas({ readFile: (text) => text });
  const Envelope = z.strictObject({
    schemaVersion: z.literal(DEFINITIONS_SCHEMA_VERSION, { error: `expected schemaVersion ${DEFINITIONS_SCHEMA_VERSION}: rebuild the bundle with this version of vantage` }),
    location: z.string().min(1).optional(),
    checks: z.array(CheckInput),
    channels: z.record(z.string(), Channel),
  }).superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.checks.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['checks', i, 'id'], message: `duplicate id "${c.id}"` });
      seen.add(c.id);
      if (doc.location !== undefined && !(c.locations ?? []).includes(doc.location)) {
        ctx.addIssue({ code: 'custom', path: ['checks', i, 'locations'], message: `does not include this bundle's location "${doc.location}"` });
      }
    });
  });
  const parsed = Envelope.safeParse(input);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key' }))
      : [{ path: formatPath(issue.path), message: issue.message }]))),
    ...missingExplicit(input),
  ];
  if (!parsed.success || issues.length > 0) throw new DefinitionsError(issues, source);
  const doc = parsed.data;
  return {
    schemaVersion: DEFINITIONS_SCHEMA_VERSION,
    ...(doc.location !== undefined && { location: doc.location }),
    checks: doc.checks.map(withPolicy),
    channels: doc.channels,
  };
}

/** Reads and validates a bundle file; a missing or unreadable file is a DefinitionsError too. */
export function loadDefinitionsFile(path: string): Definitions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DefinitionsError([{ path: '(file)', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], path);
  }
  return parseDefinitions(text, path);
}

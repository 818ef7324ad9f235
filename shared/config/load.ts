/**
 * Loads a checks config from YAML text or a file: parse, validate with zod, merge defaults.
 * Every problem is reported with its path; nothing is half-loaded.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { formatPath } from './paths.ts';
import { makeSchemas, type AlertPolicy, type Check, type ParsedCheck, type ParsedConfig } from './schema.ts';

export { formatPath };

export interface LoadedConfig {
  defaults: ParsedConfig['defaults'];
  channels: ParsedConfig['channels'];
  checks: Check[];
  /** Present when the config has a `deployment` block (the CDK app needs one). */
  deployment?: ParsedConfig['deployment'];
}

function issuesOf(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    // zod reports unknown keys on the parent; name each one on its own path so the user can find it.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key' }));
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) message = 'required';
    return [{ path: formatPath(issue.path), message }];
  }).flat();
}

function readRelative(baseDir: string) {
  return (path: string): string | undefined => {
    const full = resolve(baseDir, path);
    if (!existsSync(full) || !statSync(full).isFile()) return undefined;
    return readFileSync(full, 'utf8');
  };
}

/** The quorum default is a majority of the check's locations: 1 of 1, 2 of 3, 3 of 4. */
export function majority(locationCount: number): number {
  return Math.floor(locationCount / 2) + 1;
}

function withDefaults(check: ParsedCheck, cfg: ParsedConfig): Check {
  const d = cfg.defaults;
  const locations = check.locations ?? d.locations;
  const interval = check.interval ?? d.interval;
  const a = { ...d.alerting, ...check.alerting };
  const spec = (check as Record<string, unknown>)[check.kind] as { degradedAfter?: number };
  const alerting: AlertPolicy = {
    failureThreshold: a.failureThreshold ?? 2,
    recoveryThreshold: a.recoveryThreshold ?? 2,
    quorum: a.quorum ?? majority(locations.length),
    intervalMs: interval,
    channels: a.channels ?? [],
    ...(a.for !== undefined && { forMs: a.for }),
    ...(a.repeatInterval !== undefined && { repeatIntervalMs: a.repeatInterval }),
    ...(spec.degradedAfter !== undefined && { degradedAfterMs: spec.degradedAfter }),
  };
  return { ...check, interval, timeout: check.timeout ?? d.timeout, locations, retries: check.retries ?? d.retries, alerting } as Check;
}

/**
 * Found on the raw input rather than in the schema: zod skips an object's refinements once any field
 * inside it failed, and a duplicate id is worth reporting together with everything else.
 */
function duplicateIds(input: unknown): ConfigIssue[] {
  const checks = (input as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(checks)) return [];
  const seen = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  checks.forEach((c, i) => {
    const id = (c as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first !== undefined) issues.push({ path: `checks[${i}].id`, message: `duplicate id "${id}" (also checks[${first}])` });
    else seen.set(id, i);
  });
  return issues;
}

/** Validates an already-parsed object (YAML, JSON or a TypeScript literal). */
export function loadConfigObject(input: unknown, opts: { baseDir?: string; source?: string } = {}): LoadedConfig {
  const { Config } = makeSchemas({ readFile: readRelative(opts.baseDir ?? process.cwd()) });
  const parsed = Config.safeParse(input, { reportInput: true });
  const issues = [...(parsed.success ? [] : issuesOf(parsed.error)), ...duplicateIds(input)];
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues, opts.source);
  const cfg = parsed.data;
  return { defaults: cfg.defaults, channels: cfg.channels, checks: cfg.checks.map((c) => withDefaults(c, cfg)), ...(cfg.deployment && { deployment: cfg.deployment }) };
}

/** Parses YAML text; syntax errors are reported with their line and column. */
export function loadConfigText(text: string, opts: { baseDir?: string; source?: string } = {}): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({
      path: e.linePos ? `line ${e.linePos[0].line}:${e.linePos[0].col}` : '(yaml)',
      message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
    })), opts.source);
  }
  return loadConfigObject(doc.toJS(), opts);
}

export function loadConfigFile(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], path);
  }
  return loadConfigText(text, { baseDir: dirname(resolve(path)), source: path });
}

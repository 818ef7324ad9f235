/**
 * Loads a checks config from YAML text or a file (YAML, or a TypeScript or JavaScript module:
 * ./config-module.ts): parse (./yaml.ts), validate (structure, the zod schema, the rules between
 * parts, the deploy-only rules), merge defaults. Every problem is reported
 * with its path, in one run; nothing is half-loaded.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { importConfigModule, isModulePath, MODULE_EXTENSIONS } from './config-module.ts';
import { crossRefIssues } from './cross-refs.ts';
import { deployOnlyIssues, missingEnvIssues } from './deploy-only.ts';
import { formatPath } from './paths.ts';
import { structureIssues } from './raw.ts';
import { alertPolicy, majority } from './policy.ts';
import { makeSchemas, type Check, type MaintenanceWindow, type ParsedCheck, type ParsedConfig } from './schema.ts';
import { parseYaml } from './yaml.ts';
import { configIssuesOf } from './zod-issues.ts';

export { formatPath, majority };

export interface LoadedConfig {
  defaults: ParsedConfig['defaults'];
  channels: ParsedConfig['channels'];
  checks: Check[];
  /** The maintenance windows, in the engine's form ([] when none); policyFor picks each check's. */
  maintenance: MaintenanceWindow[];
  /** Present when the config has a `deployment` block (the CDK app needs one). */
  deployment?: ParsedConfig['deployment'];
}

function readRelative(baseDir: string) {
  return (path: string): string | undefined => {
    const full = resolve(baseDir, path);
    if (!existsSync(full) || !statSync(full).isFile()) return undefined;
    return readFileSync(full, 'utf8');
  };
}

function withDefaults(check: ParsedCheck, cfg: ParsedConfig): Check {
  const d = cfg.defaults;
  const locations = check.locations ?? d.locations;
  const interval = check.interval ?? d.interval;
  const spec = (check as Record<string, unknown>)[check.kind] as { degradedAfter?: number };
  const alerting = alertPolicy({ ...d.alerting, ...check.alerting }, { locationCount: locations.length, intervalMs: interval, degradedAfterMs: spec.degradedAfter });
  // A check's slo replaces the defaults' whole block, as its alerting keys do theirs.
  const slo = check.slo ?? d.slo;
  return { ...check, interval, timeout: check.timeout ?? d.timeout, locations, retries: check.retries ?? d.retries, alerting, ...(slo !== undefined && { slo }) } as Check;
}

export interface LoadOptions {
  /** Where PEM paths are relative to. @default the current directory */
  baseDir?: string;
  /** Names the file in messages. */
  source?: string;
  /**
   * Set by the commands that run the config on this machine (check, run, dev, replay). Deploy-only
   * rules (./deploy-only.ts) are then passed to `warn` instead of failing the load, and with `env`
   * every `${env:NAME}` must be set in it.
   * @default unset: the config is judged as `cdk synth` would deploy it when it has a deployment block
   */
  local?: { env?: Readonly<Record<string, string | undefined>>; warn?: (text: string) => void };
}

/** The same problem found by two rules (or at one path twice) is listed once. */
function unique(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\0${i.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/**
 * Validates an already-parsed object (YAML, JSON or a TypeScript literal). Every rule runs on every
 * input, so one run reports everything: the structure (./raw.ts), the schema, the rules between parts
 * (./cross-refs.ts) and, where the config is deployed, the deploy-only rules.
 */
export function loadConfigObject(input: unknown, opts: LoadOptions = {}): LoadedConfig {
  const { Config } = makeSchemas({ readFile: readRelative(opts.baseDir ?? process.cwd()) });
  const parsed = Config.safeParse(input, { reportInput: true });
  const deployOnly = deployOnlyIssues(input);
  if (opts.local?.warn && deployOnly.length > 0) opts.local.warn(deployOnlyWarning(deployOnly, opts.source));
  const issues = unique([
    ...structureIssues(input),
    ...(parsed.success ? [] : configIssuesOf(parsed.error.issues)),
    ...crossRefIssues(input),
    ...(opts.local ? [] : deployOnly),
    ...(opts.local?.env ? missingEnvIssues(input, opts.local.env) : []),
  ]);
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues, opts.source);
  const cfg = parsed.data;
  return {
    defaults: cfg.defaults,
    channels: cfg.channels,
    checks: cfg.checks.map((c) => withDefaults(c, cfg)),
    maintenance: cfg.maintenance,
    ...(cfg.deployment && { deployment: cfg.deployment }),
  };
}

function deployOnlyWarning(issues: ConfigIssue[], source?: string): string {
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
  return `${source ? `${source}: ` : ''}warning: ${issues.length} problem(s) that fail \`vantage validate\` and \`cdk synth\` (fine for running here)\n${lines}\n`;
}

/** Parses YAML text (see ./yaml.ts); syntax, alias and size errors are reported with their line. */
export function loadConfigText(text: string, opts: LoadOptions = {}): LoadedConfig {
  return loadConfigObject(parseYaml(text, opts.source), opts);
}

/** What a config file may be: YAML (JSON is YAML), or a module whose default export is the config. */
export const CONFIG_EXTENSIONS = ['.yaml', '.yml', '.json', ...MODULE_EXTENSIONS] as const;

/** What `findConfig` looks for, in this order, when a command is given no `--config`. */
export const DISCOVERED_CONFIGS = ['vantage.config.ts', 'vantage.config.mts', 'vantage.config.js', 'vantage.config.mjs', 'checks.yaml', 'checks.yml'] as const;

/** The first of DISCOVERED_CONFIGS that is a file in `cwd`. */
export function findConfig(cwd: string): string | undefined {
  return DISCOVERED_CONFIGS.map((name) => join(cwd, name)).find((path) => existsSync(path) && statSync(path).isFile());
}

/** Any config file, by its extension: a module (.ts, .mts, .js, .mjs) is imported, anything else read as YAML. */
export async function loadConfig(path: string, opts: Pick<LoadOptions, 'local'> = {}): Promise<LoadedConfig> {
  return loadConfigFileInput(await readConfig(path), path, opts);
}

/** A config file as written, by its extension, not yet validated: readConfigFile's form for modules too. */
export async function readConfig(path: string): Promise<unknown> {
  return isModulePath(path) ? importConfigModule(path) : readConfigFile(path);
}

/** A YAML or JSON config, for callers that cannot await; a module config needs `loadConfig`. */
export function loadConfigFile(path: string, opts: Pick<LoadOptions, 'local'> = {}): LoadedConfig {
  return loadConfigFileInput(readConfigFile(path), path, opts);
}

/** A YAML or JSON config file as written: read and parsed (./yaml.ts), not yet validated; what the raw-form rules (./deploy-only.ts) read. */
export function readConfigFile(path: string): unknown {
  if (isModulePath(path)) {
    throw new ConfigError([{ path: '(file)', message: `${path} is a module config; this reads YAML or JSON only (loadConfig imports modules)` }], path);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], path);
  }
  return parseYaml(text, path);
}

/** Validates what `readConfigFile(path)` read, with PEM paths relative to the file and its name in messages. */
export function loadConfigFileInput(input: unknown, path: string, opts: Pick<LoadOptions, 'local'> = {}): LoadedConfig {
  return loadConfigObject(input, { ...opts, baseDir: dirname(resolve(path)), source: path });
}

/**
 * `vantage import blackbox`: a Blackbox Exporter setup (blackbox.yml, and optionally the Prometheus
 * scrape jobs that call it and the alert rules on `probe_success`) as a Vantage config. Pure: the
 * command reads the files and passes their text in, and decides how file paths are rewritten.
 *
 * One check per target and module. What the exporter does that a check must say explicitly:
 * - timeout: the exporter probes for the scrape timeout less 0.5 s (its `--timeout-offset`), or the
 *   module's timeout when that is shorter (prober/handler.go); Prometheus's scrape timeout defaults to 10s.
 * - retries: the exporter probes once per scrape, so `defaults.retries: 0`.
 * - icmp: one echo request per probe.
 */
import { stringify } from 'yaml';
import { formatDuration, DURATION_MAX_MS } from '../duration.ts';
import { parseYaml } from '../yaml.ts';
import { checkId, uniqueIds } from './ids.ts';
import { convertModules, type Module } from './modules.ts';
import { formatNote, type ImportNote, Notes } from './notes.ts';
import { PROMETHEUS_DEFAULTS, probeTargets } from './prometheus.ts';
import type { Labels } from './relabel.ts';
import { probeRules, type ProbeRule } from './rules.ts';
import type { Obj } from './shape.ts';
import { blockFor } from './targets.ts';

export type { ImportNote } from './notes.ts';
export { formatNote };

/** The exporter's `--timeout-offset` default. */
const TIMEOUT_OFFSET_MS = 500;
/** Targets for modules that have none (no Prometheus file, no --target): the check is written disabled. */
const PLACEHOLDER: Record<Module['prober'], string> = { http: 'http://example.invalid/', tcp: 'example.invalid:80', dns: 'example.invalid', grpc: 'example.invalid:443', icmp: 'example.invalid' };

/** An http module that speaks TLS gets an https placeholder, so its TLS options are kept. */
const placeholderFor = (m: Module) => (m.prober === 'http' && (m.http.tls !== undefined || m.http.failIfNotSsl) ? 'https://example.invalid/' : PLACEHOLDER[m.prober]);

export interface ImportInput {
  /** blackbox.yml as text. */
  modules: string;
  /** prometheus.yml as text. */
  prometheus?: string;
  /** A Prometheus rules file as text. */
  rules?: string;
  /** Targets for modules when there is no Prometheus file (`--target MODULE=TARGET`). */
  targets?: ReadonlyArray<{ module: string; target: string }>;
  /** File names, for parse errors. */
  sources?: { modules?: string; prometheus?: string; rules?: string };
  /** A tls_config file path as the output config should say it. @default unchanged */
  resolveFile?: (path: string) => string;
  /** Where resolveFile takes relative paths from, for the notes (./tls.ts). */
  fileBase?: { description: string; guessed: boolean };
}

export interface ImportResult {
  /** A Vantage config (input form, as a user would write it). */
  config: { version: 1; defaults: Obj; checks: Obj[] };
  notes: ImportNote[];
  /** The config as YAML, starting with a comment block listing the notes. */
  yaml: string;
}

interface Wanted {
  module: string;
  target: string;
  job?: string;
  labels: Labels;
  intervalMs?: number;
  scrapeTimeoutMs: number;
  at: string;
  placeholder?: boolean;
}

function wantedTargets(input: ImportInput, modules: Map<string, Module>, notes: Notes): Wanted[] {
  const scraped: Wanted[] = input.prometheus === undefined ? [] : probeTargets(parseYaml(input.prometheus, input.sources?.prometheus), notes);
  const scrapeTimeoutMs = PROMETHEUS_DEFAULTS.scrapeTimeoutMs;
  const given: Wanted[] = (input.targets ?? []).map((t, i) => ({ ...t, labels: { instance: t.target }, scrapeTimeoutMs, at: `--target[${i}]` }));
  const wanted = [...scraped, ...given];
  const unused = [...modules.values()].filter((m) => !wanted.some((w) => w.module === m.name));
  if (input.prometheus !== undefined) {
    for (const m of unused) notes.add(`modules.${m.name}`, 'dropped', `no scrape job uses it, so no check is made (add --target ${m.name}=… for one)`);
    return wanted;
  }
  const placeholders = unused.map((m): Wanted => {
    notes.add(`modules.${m.name}`, 'mapped', `no target (no --prometheus and no --target ${m.name}=…): written with the placeholder ${placeholderFor(m)} and enabled: false`);
    return { module: m.name, target: placeholderFor(m), labels: {}, scrapeTimeoutMs, at: `modules.${m.name}`, placeholder: true };
  });
  return [...wanted, ...placeholders];
}

/** The exporter's probe timeout for this module under this scrape timeout, within Vantage's bounds. */
function timeoutFor(m: Module, scrapeTimeoutMs: number, notes: Notes): number {
  const scrape = Math.max(scrapeTimeoutMs - TIMEOUT_OFFSET_MS, 1);
  const ms = m.timeoutMs !== undefined && m.timeoutMs < scrape ? m.timeoutMs : scrape;
  if (ms <= DURATION_MAX_MS.probe) return ms;
  notes.add(`modules.${m.name}.timeout`, 'approximated', `${formatDuration(ms)} is longer than Vantage's maximum probe timeout; ${formatDuration(DURATION_MAX_MS.probe)} is used`);
  return DURATION_MAX_MS.probe;
}

function alertingFor(labels: Labels, rules: readonly ProbeRule[], id: string, notes: Notes): Obj | undefined {
  const hits = rules.filter((r) => r.matches(labels));
  if (hits.length === 0) return undefined;
  // The first alert to fire pages: the shortest `for` of the rules that cover the check.
  const first = hits.reduce((a, b) => ((a.forMs ?? 0) <= (b.forMs ?? 0) ? a : b));
  if (new Set(hits.map((h) => h.forMs ?? 0)).size > 1) notes.add(first.at, 'approximated', `${id} is covered by ${hits.length} rules with different for:; the shortest (${first.forMs === undefined ? 'none' : formatDuration(first.forMs)}, ${first.alert}) is used`);
  return first.forMs === undefined ? { failureThreshold: 1 } : { for: formatDuration(first.forMs) };
}

function buildChecks(input: ImportInput, notes: Notes): Obj[] {
  const ctx = { notes, resolveFile: input.resolveFile ?? ((p: string) => p), ...(input.fileBase && { fileBase: input.fileBase }) };
  const modules = convertModules(parseYaml(input.modules, input.sources?.modules), ctx);
  const wanted = wantedTargets(input, modules, notes);
  const rules = input.rules === undefined ? [] : probeRules(parseYaml(input.rules, input.sources?.rules), notes);
  const used = new Set<ProbeRule>();
  const unique = uniqueIds();
  const checks: Obj[] = [];
  for (const w of wanted) {
    const m = modules.get(w.module);
    if (!m) {
      notes.add(w.at, 'dropped', `module ${w.module} is not in the modules file (or could not be imported)`);
      continue;
    }
    const block = blockFor(m, w.target, notes);
    if ('error' in block) {
      notes.add(w.at, 'dropped', `${block.error}, as the ${m.prober} prober needs`);
      continue;
    }
    const id = unique(checkId(w.job ?? m.name, w.target));
    const labels = { ...w.labels, module: m.name };
    const alerting = alertingFor(labels, rules, id, notes);
    for (const r of rules) if (r.matches(labels)) used.add(r);
    checks.push({
      id,
      name: `${m.name} ${w.target}`,
      ...(w.placeholder && { enabled: false }),
      ...(w.intervalMs !== undefined && { interval: formatDuration(w.intervalMs) }),
      timeout: formatDuration(timeoutFor(m, w.scrapeTimeoutMs, notes)),
      tags: { ...labels },
      ...(alerting && { alerting }),
      [block.key]: block.spec,
    });
  }
  for (const r of rules) if (!used.has(r)) notes.add(r.at, 'dropped', `${r.alert} matches none of the imported checks`);
  return checks;
}

function render(config: ImportResult['config'], notes: readonly ImportNote[]): string {
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
  const header = [
    '# Imported from Blackbox Exporter by `vantage import blackbox`.',
    '# Check it with `vantage validate --config <this file>`.',
    ...(notes.length === 0
      ? ['# Every option was carried over.']
      : [`# ${notes.length} option(s) without an exact equivalent:`, ...notes.map((n) => `#   ${oneLine(formatNote(n))}`)]),
    '',
  ];
  return `${header.join('\n')}${stringify(config, { lineWidth: 0, blockQuote: false })}`;
}

export function importBlackbox(input: ImportInput): ImportResult {
  const notes = new Notes();
  const checks = buildChecks(input, notes);
  const config = { version: 1 as const, defaults: { retries: 0 }, checks };
  return { config, notes: notes.list, yaml: render(config, notes.list) };
}

/**
 * The scrape jobs of a prometheus.yml that go through the exporter, as (job, module, target) triples:
 * static targets, relabelled the way Prometheus does it (./relabel.ts), with the module and target
 * the exporter would receive as `/probe?module=…&target=…`.
 */
import { parseGoDuration } from './go-duration.ts';
import type { Notes } from './notes.ts';
import { type Labels, relabel } from './relabel.ts';
import { isObj, list, obj, type Obj, str, strings } from './shape.ts';

/** Prometheus's defaults (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#configuration-file). */
export const PROMETHEUS_DEFAULTS = { scrapeIntervalMs: 60_000, scrapeTimeoutMs: 10_000 } as const;
/** The exporter's module when a request names none (main.go: `moduleName = "http_2xx"`). */
export const EXPORTER_DEFAULT_MODULE = 'http_2xx';

export interface ProbeTarget {
  job: string;
  module: string;
  target: string;
  /** The target's labels after relabelling, without the `__` ones: what an alert rule matches on. */
  labels: Labels;
  intervalMs: number;
  scrapeTimeoutMs: number;
  /** Where the target is written: `scrape_configs[0].static_configs[1].targets[2]`. */
  at: string;
}

const SD_CONFIGS = /_sd_configs$/;

function durationOr(value: unknown, fallback: number, path: string, notes: Notes): number {
  if (value === undefined) return fallback;
  const ms = parseGoDuration(value);
  if (ms === undefined || ms <= 0) {
    notes.add(path, 'dropped', `cannot read the duration ${JSON.stringify(value)}`);
    return fallback;
  }
  return ms;
}

/** Whether Prometheus scrapes the exporter's /probe for this job rather than the targets themselves. */
function isProbeJob(job: Obj): boolean {
  const params = obj(job.params);
  const setsTarget = [...list(job.relabel_configs)].some((r) => str(obj(r).target_label) === '__param_target');
  return str(job.metrics_path) === '/probe' || params.module !== undefined || params.target !== undefined || setsTarget;
}

function jobTargets(job: Obj, at: string, defaults: { intervalMs: number; timeoutMs: number }, notes: Notes): ProbeTarget[] {
  const name = str(job.job_name) ?? `job${at.replace(/\D/g, '')}`;
  const intervalMs = durationOr(job.scrape_interval, defaults.intervalMs, `${at}.scrape_interval`, notes);
  const scrapeTimeoutMs = durationOr(job.scrape_timeout, Math.min(defaults.timeoutMs, intervalMs), `${at}.scrape_timeout`, notes);
  const params = obj(job.params);
  const modules = strings(params.module);
  if (modules.length > 1) notes.add(`${at}.params.module`, 'dropped', `the exporter reads the first module only (${modules[0]}); ${modules.slice(1).join(', ')} ignored`);
  for (const key of Object.keys(job)) {
    if (SD_CONFIGS.test(key)) notes.add(`${at}.${key}`, 'dropped', 'targets from service discovery cannot be imported; list them under static_configs or add checks by hand');
  }
  const base: Labels = { job: name, __metrics_path__: str(job.metrics_path) ?? '/metrics', __scheme__: str(job.scheme) ?? 'http' };
  for (const [param, values] of Object.entries(params)) {
    const first = strings(values)[0];
    if (first !== undefined) base[`__param_${param}`] = first;
  }
  const out: ProbeTarget[] = [];
  list(job.static_configs).forEach((sc, i) => {
    const group = obj(sc);
    const groupLabels = Object.fromEntries(Object.entries(obj(group.labels)).map(([k, v]) => [k, str(v) ?? '']));
    strings(group.targets).forEach((address, j) => {
      const path = `${at}.static_configs[${i}].targets[${j}]`;
      const labels = relabel({ ...base, ...groupLabels, __address__: address }, list(job.relabel_configs), `${at}.relabel_configs`, notes);
      if (!labels) return;
      const target = labels.__param_target;
      if (!target) {
        notes.add(path, 'dropped', `${address} reaches the exporter with no target parameter (no __param_target relabelling and no params.target)`);
        return;
      }
      const module = labels.__param_module ?? EXPORTER_DEFAULT_MODULE;
      if (labels.__param_module === undefined) notes.add(`${at}.params`, 'mapped', `no module: the exporter uses ${EXPORTER_DEFAULT_MODULE}`);
      labels.instance ??= labels.__address__ ?? address;
      const visible = Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('__')));
      out.push({ job: name, module, target, labels: visible, intervalMs, scrapeTimeoutMs, at: path });
    });
  });
  return out;
}

export function probeTargets(doc: unknown, notes: Notes): ProbeTarget[] {
  const cfg = obj(doc);
  const global = obj(cfg.global);
  const intervalMs = durationOr(global.scrape_interval, PROMETHEUS_DEFAULTS.scrapeIntervalMs, 'global.scrape_interval', notes);
  const timeoutMs = durationOr(global.scrape_timeout, Math.min(PROMETHEUS_DEFAULTS.scrapeTimeoutMs, intervalMs), 'global.scrape_timeout', notes);
  const jobs = list(cfg.scrape_configs);
  if (!isObj(doc) || jobs.length === 0) notes.add('scrape_configs', 'dropped', 'the Prometheus file has no scrape jobs');
  return jobs.flatMap((raw, i) => {
    const job = obj(raw);
    const at = `scrape_configs[${i}]`;
    if (!isProbeJob(job)) {
      notes.add(at, 'dropped', `job ${str(job.job_name) ?? i} does not go through the exporter (no params.module, /probe or __param_target)`);
      return [];
    }
    return jobTargets(job, at, { intervalMs, timeoutMs }, notes);
  });
}

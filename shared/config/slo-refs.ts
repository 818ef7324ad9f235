/**
 * Rules between an `slo` block's fields: a latency threshold goes with (and only with) a latency
 * SLI; each burn rule's short window is shorter than its long one, which fits in the SLO window; rule
 * names (severity and long window) are unique. Like ./cross-refs.ts they read the config as written
 * (./raw.ts), so they report in the same run as the schema, which checks each field on its own. A
 * check's `slo` replaces the defaults' whole block, so each block is judged alone.
 */
import type { ConfigIssue } from '../errors.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { arrayOf, isRecord, issue, own, type RawPath, type RawRecord } from './raw.ts';
import { burnRuleName, DEFAULT_SLO_WINDOW_MS, MAX_BURN_WINDOW_MS, MAX_SLO_WINDOW_MS, MIN_SLO_WINDOW_MS } from './slo.ts';

/** A duration the schema accepts in its field, else undefined (the schema reports it; comparing it would say it twice). */
function durationIn(v: unknown, minMs: number, maxMs: number): number | undefined {
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  return ms !== undefined && ms >= minMs && ms > 0 && ms <= maxMs ? ms : undefined;
}

function thresholdIssues(slo: RawRecord, at: RawPath): ConfigIssue[] {
  const latency = own(slo, 'sli') === 'latency';
  const threshold = own(slo, 'latencyThreshold') !== undefined;
  if (latency && !threshold) return [issue([...at, 'latencyThreshold'], 'required with sli: latency: a passing sample at or under it is good, e.g. 500ms')];
  if (!latency && threshold) return [issue([...at, 'latencyThreshold'], 'only with sli: latency; an availability SLO does not read latency')];
  return [];
}

/** One rule's windows against each other and the SLO window (undefined: the window is the schema's to report). */
function windowIssues(rule: unknown, windowMs: number | undefined, at: RawPath): ConfigIssue[] {
  const long = durationIn(own(rule, 'long'), 1, MAX_BURN_WINDOW_MS);
  const short = durationIn(own(rule, 'short'), 1, MAX_BURN_WINDOW_MS);
  const out: ConfigIssue[] = [];
  if (long !== undefined && short !== undefined && short >= long) {
    out.push(issue([...at, 'short'], `${formatDuration(short)} is not shorter than long ${formatDuration(long)}; the short window ends the alert soon after the burn does (the workbook uses long / 12)`));
  }
  if (long !== undefined && windowMs !== undefined && long > windowMs) {
    out.push(issue([...at, 'long'], `${formatDuration(long)} is longer than the SLO window ${formatDuration(windowMs)}`));
  }
  return out;
}

function ruleIssues(rules: readonly unknown[], windowMs: number | undefined, at: RawPath): ConfigIssue[] {
  const seen = new Map<string, number>();
  return rules.flatMap((rule, j) => {
    const out = windowIssues(rule, windowMs, [...at, j]);
    const severity = own(rule, 'severity');
    const long = durationIn(own(rule, 'long'), 1, MAX_BURN_WINDOW_MS);
    if ((severity !== 'page' && severity !== 'ticket') || long === undefined) return out;
    const name = burnRuleName(severity, long);
    const first = seen.get(name);
    if (first !== undefined) out.push(issue([...at, j], `duplicate rule "${name}" (also burnRates[${first}]): one rule per severity and long window`));
    else seen.set(name, j);
    return out;
  });
}

function sloIssues(slo: unknown, at: RawPath): ConfigIssue[] {
  if (!isRecord(slo)) return [];
  const window = own(slo, 'window');
  const windowMs = window === undefined ? DEFAULT_SLO_WINDOW_MS : durationIn(window, MIN_SLO_WINDOW_MS, MAX_SLO_WINDOW_MS);
  return [...thresholdIssues(slo, at), ...ruleIssues(arrayOf(own(slo, 'burnRates')), windowMs, [...at, 'burnRates'])];
}

/** Every problem between SLO fields, in defaults.slo and in each check's slo. */
export function sloRefIssues(defaults: RawRecord, checks: readonly unknown[]): ConfigIssue[] {
  return [
    ...sloIssues(own(defaults, 'slo'), ['defaults', 'slo']),
    ...checks.flatMap((c, i) => sloIssues(own(c, 'slo'), ['checks', i, 'slo'])),
  ];
}

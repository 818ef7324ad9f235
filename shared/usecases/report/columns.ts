/**
 * The report's columns, defined once: the CSV header and values, and the documentation `vantage
 * report --help` and the README print. Percentages are plain numbers (99.95, not 0.9995 or "99.95%").
 */
import type { CheckReport } from './types.ts';

export interface Column {
  name: string;
  unit: string;
  meaning: string;
  value: (c: CheckReport) => string;
}

/** Up to 3 decimals, rounded; empty when unknown. */
export function percentText(value: number | undefined): string {
  if (value === undefined) return '';
  const rounded = Math.round(value * 1000) / 1000;
  return String(rounded === 0 ? 0 : rounded);
}

/**
 * Up to 3 decimals, rounded down: an SLI with any bad time never reads 100. The epsilon absorbs
 * binary fractions (0.9999 × 100 × 1000 is 99989.99999999999).
 */
export function sliText(value: number | undefined): string {
  if (value === undefined) return '';
  return String(Math.floor(value * 1000 + 1e-6) / 1000);
}

const number = (v: number | undefined) => (v === undefined ? '' : String(Math.round(v)));

export const COLUMNS: readonly Column[] = [
  { name: 'check', unit: 'id', meaning: 'the check id', value: (c) => c.checkId },
  { name: 'objective', unit: 'percent', meaning: "the check's slo.objective; empty without an slo", value: (c) => percentText(c.objective) },
  { name: 'sli', unit: 'percent', meaning: 'the SLI over the range by the slo\'s rule (availability: good / (good + bad) seconds; latency: fast / samples), rounded down; without an slo, the availability rule; empty with no eligible data', value: (c) => sliText(c.sli) },
  { name: 'budget_used', unit: 'percent', meaning: 'bad / allowed, allowed = (100 − objective)% of the eligible time or samples; above 100 once overspent; empty without an slo or data', value: (c) => percentText(c.budgetUsed) },
  { name: 'budget_remaining', unit: 'percent', meaning: '100 − budget_used: the error budget left (negative once overspent)', value: (c) => percentText(c.budgetRemaining) },
  { name: 'up_seconds', unit: 'seconds', meaning: 'accounted time the check was UP or DEGRADED', value: (c) => number(c.upSeconds) },
  { name: 'downtime_seconds', unit: 'seconds', meaning: 'accounted time the check was DOWN (quorum of locations failing), outside maintenance', value: (c) => number(c.downtimeSeconds) },
  { name: 'partial_seconds', unit: 'seconds', meaning: 'accounted time the check was PARTIAL (some locations failing, fewer than quorum); bad only with countPartial', value: (c) => number(c.partialSeconds) },
  { name: 'maintenance_seconds', unit: 'seconds', meaning: 'time inside a maintenance window or silence: in neither good nor bad', value: (c) => number(c.maintenanceSeconds) },
  { name: 'no_data_seconds', unit: 'seconds', meaning: 'time with no evidence (every location stale, or no minute accounted): in neither good nor bad', value: (c) => number(c.noDataSeconds) },
  { name: 'incidents', unit: 'count', meaning: 'incidents (DOWN to RESOLVED) overlapping the range', value: (c) => String(c.incidents.length) },
  { name: 'samples', unit: 'count', meaning: 'scheduled results in the range outside maintenance (retests, rechecks and confirmations are not samples)', value: (c) => String(c.samples) },
  { name: 'latency_p50_ms', unit: 'ms', meaning: "median latency of the samples in the range's whole hours (histogram estimate); empty without any", value: (c) => number(c.latencyP50Ms) },
  { name: 'latency_p95_ms', unit: 'ms', meaning: '95th percentile latency, as latency_p50_ms', value: (c) => number(c.latencyP95Ms) },
];

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** The columns as a plain-text list for --help: name, unit, then the meaning wrapped to fit `lineWidth`. */
export function columnsHelp(indent = '  ', lineWidth = 100): string {
  const width = Math.max(...COLUMNS.map((c) => c.name.length));
  const unitWidth = Math.max(...COLUMNS.map((c) => c.unit.length));
  const hang = indent.length + width + 2 + unitWidth + 2;
  return COLUMNS.map((c) => {
    const [first, ...rest] = wrap(c.meaning, lineWidth - hang);
    return [`${indent}${c.name.padEnd(width)}  ${c.unit.padEnd(unitWidth)}  ${first}`, ...rest.map((l) => `${' '.repeat(hang)}${l}`)].join('\n');
  }).join('\n');
}

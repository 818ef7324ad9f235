/** The bench's printed tables and its targets, each judged met / not met / not measured. */
import type { AccuracyResult } from './accuracy.ts';
import type { ColdStartResult } from './coldstart.ts';
import { costSection, costTarget, type CostResult } from './cost.ts';
import { detectionSection, detectionTargets, type DetectionResult } from './detection.ts';
import type { EvaluatorResult } from './evaluator.ts';
import type { MemoryRun } from './memory.ts';
import type { ThroughputResult } from './throughput.ts';

export type Verdict = 'met' | 'not met' | 'not measured';

export interface Target {
  name: string;
  goal: string;
  measured: string;
  verdict: Verdict;
  why?: string;
}

export interface BenchResults {
  throughput?: ThroughputResult;
  memory?: { vantage?: MemoryRun; exporter?: MemoryRun; notes: string[] };
  accuracy?: AccuracyResult;
  evaluator?: EvaluatorResult;
  coldStart?: ColdStartResult;
  detection?: DetectionResult;
  cost?: CostResult;
  /** Why a whole section could not run. */
  skipped: Record<string, string>;
}

const f = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const int = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : Math.round(v).toLocaleString('en-US'));

/** `align`: one letter per column, `l` or `r`; by default the first column is left-aligned and the rest right. */
export function table(header: string[], rows: string[][], align?: string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const left = (i: number) => (align ? align[i] === 'l' : i === 0);
  const fmt = (cells: string[]) => cells.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

export function evaluateTargets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const notMeasured = (name: string, goal: string, why: string) => out.push({ name, goal, measured: '-', verdict: 'not measured', why });

  for (const [protocol, goal] of [['http', 2], ['https', 1]] as const) {
    const name = `${protocol.toUpperCase()} probes per CPU-second vs Blackbox Exporter`;
    const ratios = r.throughput?.ratios.filter((x) => x.protocol === protocol && Number.isFinite(x.ratio)) ?? [];
    if (!ratios.length) notMeasured(name, `≥ ${goal}×`, r.skipped.throughput ?? r.throughput?.notes.join('; ') ?? 'exporter unavailable');
    else {
      const worst = Math.min(...ratios.map((x) => x.ratio));
      out.push({ name, goal: `≥ ${goal}× at c=1, 10, 100`, measured: ratios.map((x) => `c=${x.concurrency} ${f(x.ratio)}×`).join(', '), verdict: worst >= goal ? 'met' : 'not met' });
    }
  }

  const mem = r.memory?.vantage;
  if (!mem) notMeasured('Peak RSS with 2,000 probes in flight', '≤ 128 MB', r.skipped.memory ?? r.memory?.notes.join('; ') ?? '');
  else {
    const ok = mem.failed === 0 && mem.targetMaxInFlight >= mem.inFlight;
    out.push({
      name: 'Peak RSS with 2,000 probes in flight', goal: '≤ 128 MB',
      measured: `${f(mem.peakMb, 0)} MB (exporter ${f(r.memory?.exporter?.peakMb, 0)} MB)`,
      verdict: ok ? (mem.peakMb <= 128 ? 'met' : 'not met') : 'not measured',
      ...(!ok && { why: `only ${mem.targetMaxInFlight} in flight at once, ${mem.failed} failed` }),
    });
  }

  const acc = r.accuracy?.overall;
  if (!acc?.length) {
    notMeasured('Median phase error vs curl', '≤ 1 ms', r.skipped.accuracy ?? '');
    notMeasured('p95 phase error vs curl', '≤ 3 ms', r.skipped.accuracy ?? '');
  } else {
    const worstMed = acc.reduce((a, b) => (b.medianAbsMs > a.medianAbsMs ? b : a));
    const worstP95 = acc.reduce((a, b) => (b.p95AbsMs > a.p95AbsMs ? b : a));
    out.push({ name: 'Median phase error vs curl (worst phase)', goal: '≤ 1 ms', measured: `${f(worstMed.medianAbsMs)} ms (${worstMed.phase})`, verdict: worstMed.medianAbsMs <= 1 ? 'met' : 'not met' });
    out.push({ name: 'p95 phase error vs curl (worst phase)', goal: '≤ 3 ms', measured: `${f(worstP95.p95AbsMs)} ms (${worstP95.phase})`, verdict: worstP95.p95AbsMs <= 3 ? 'met' : 'not met' });
  }

  const probe = r.coldStart?.entries.find((e) => e.name === 'probe');
  if (probe?.bytes === undefined) notMeasured('Probe function bundle', '≤ 1 MB (1,000,000 bytes)', probe?.note ?? r.skipped.coldStart ?? '');
  else out.push({ name: 'Probe function bundle', goal: '≤ 1 MB (1,000,000 bytes)', measured: `${int(probe.bytes)} bytes`, verdict: probe.bytes <= 1_000_000 ? 'met' : 'not met' });
  if (probe?.initMs === undefined) notMeasured('Probe module init', '≤ 150 ms', probe?.note ?? r.skipped.coldStart ?? '');
  else out.push({ name: 'Probe module init (median, minus empty import)', goal: '≤ 150 ms', measured: `${f(probe.initMs, 0)} ms`, verdict: probe.initMs <= 150 ? 'met' : 'not met' });

  const h = r.evaluator?.handler;
  if (!h) notMeasured('Steady-state state writes per result', '0', r.skipped.evaluator ?? r.evaluator?.notes.join('; ') ?? '');
  else out.push({ name: 'Steady-state state writes per result', goal: '0', measured: `${h.steady.writes} writes / ${h.steady.results} results`, verdict: h.steady.writes === 0 ? 'met' : 'not met' });

  out.push(...detectionTargets(r.detection, r.skipped.detection));

  out.push(costTarget(r.cost, r.skipped.cost));
  return out;
}

export function renderReport(r: BenchResults, targets: Target[], header: string): string {
  const parts: string[] = [header];

  if (r.throughput) {
    const t = r.throughput;
    const rows: string[][] = [];
    for (const protocol of ['http', 'https'] as const) {
      for (const c of [...new Set(t.cells.map((x) => x.concurrency))]) {
        const v = t.cells.find((x) => x.protocol === protocol && x.concurrency === c && x.peer === 'vantage');
        const e = t.cells.find((x) => x.protocol === protocol && x.concurrency === c && x.peer === 'exporter');
        const ratio = t.ratios.find((x) => x.protocol === protocol && x.concurrency === c)?.ratio;
        rows.push([`${protocol} c=${c}`, int(v?.probesPerSec), f(v?.cpuPer1000, 3), int(v?.probesPerCpuSecond), int(e?.probesPerSec), f(e?.cpuPer1000, 3), int(e?.probesPerCpuSecond), ratio === undefined ? '-' : `${f(ratio)}×`]);
      }
    }
    const n = t.cells[0];
    parts.push(`1. Probe throughput, new connection per probe (N=${n?.n} per run, median of ${n?.runs.length} interleaved runs; CPU = the prober process's own, from /proc/<pid>/task/*/schedstat)`,
      table(['protocol', 'V probes/s', 'V CPU-s/1k', 'V probes/CPU-s', 'BB probes/s', 'BB CPU-s/1k', 'BB probes/CPU-s', 'V/BB per CPU-s'], rows));
  } else parts.push(`1. Probe throughput: not measured: ${r.skipped.throughput}`);

  if (r.memory && (r.memory.vantage || r.memory.exporter)) {
    const rows = [r.memory.vantage, r.memory.exporter].filter((x): x is MemoryRun => !!x).map((m) => [
      m.peer === 'vantage' ? 'Vantage' : 'Blackbox Exporter', int(m.inFlight), int(m.targetMaxInFlight), f(m.baselineMb, 0), f(m.peakMb, 0), f((m.peakMb - m.baselineMb) * 1024 / m.inFlight, 1), `${m.ok}/${m.inFlight}`, f(m.wallMs / 1000, 1),
    ]);
    parts.push('2. Memory: probes in flight at once against a target that answers after 2 s (fresh process each)',
      table(['prober', 'in flight', 'seen at target', 'idle RSS MB', 'peak RSS MB', 'KB per probe', 'passed', 'wall s'], rows));
  } else parts.push(`2. Memory: not measured: ${r.skipped.memory ?? r.memory?.notes.join('; ')}`);

  if (r.accuracy) {
    const rows = r.accuracy.scenarios.flatMap((s) => s.errors.map((e) => [
      `${s.name} ${e.phase}`, f(s.vantage[e.phase]), f(s.curl[e.phase]), f(e.medianAbsMs), f(e.p95AbsMs),
    ]));
    rows.push(...r.accuracy.overall.map((e) => [`all scenarios ${e.phase}`, '', '', f(e.medianAbsMs), f(e.p95AbsMs)]));
    const truth = r.accuracy.scenarios.map((s) => `${s.name}: Vantage ${f(s.injected.vantageMedianMs)} ms, curl ${f(s.injected.curlMedianMs)} ms (${s.injected.phase})`).join('; ');
    parts.push(`3. Timing accuracy vs curl -w (${r.accuracy.scenarios[0]?.runs} interleaved pairs per scenario; ms)`,
      table(['scenario / phase', 'Vantage median', 'curl median', '|Δ| median', '|Δ| p95'], rows),
      `   injected delay, medians: ${truth}`);
  } else parts.push(`3. Timing accuracy: not measured: ${r.skipped.accuracy}`);

  if (r.evaluator) {
    const e = r.evaluator;
    const rows: string[][] = [];
    if (e.pure) rows.push(['pure policy (evaluate)', `${int(e.pure.resultsPerSec)} results/s`, `${int(e.pure.results)} results, 10 checks × 3 locations`]);
    if (e.handler) {
      rows.push(['stream handler on DynamoDB Local', `${int(e.handler.resultsPerSec)} results/s`, `batches of ${e.handler.batchSize}, median ${f(e.handler.medianBatchMs, 0)} ms per batch`]);
      rows.push(['state writes per result, steady state', f(e.handler.steady.writesPerResult, 3), `${e.handler.steady.writes} writes for ${e.handler.steady.results} results`]);
      rows.push(['state writes per result, outage', f(e.handler.outage.writesPerResult, 3), `${e.handler.outage.writes} writes for ${e.handler.outage.results} results (5 of 10 checks down 6 min, then up); ${e.handler.outage.publishes} notifications`]);
    }
    parts.push('4. Evaluator', rows.length ? table(['what', 'figure', 'detail'], rows, 'lrl') : '   not measured', ...e.notes.map((n) => `   note: ${n}`));
  } else parts.push(`4. Evaluator: not measured: ${r.skipped.evaluator}`);

  if (r.coldStart) {
    const c = r.coldStart;
    const rows = c.entries.map((e) => [e.name, e.bytes === undefined ? '-' : int(e.bytes), f(e.importMs, 0), f(e.initMs, 0), e.note ?? '']);
    parts.push(`5. Cold start (the CDK build settings: esbuild node24, ESM, minified, SDK bundled, source maps; each function run with its own NODE_OPTIONS; init = median of ${c.runs} fresh \`node\` imports − empty-import baseline ${f(c.baselineMs, 0)} ms)`,
      table(['function', 'bundle bytes', 'import ms', 'init ms', 'note'], rows, 'lrrrl'));
  } else parts.push(`5. Cold start: not measured: ${r.skipped.coldStart}`);

  parts.push(detectionSection(r.detection, r.skipped.detection));

  parts.push(r.cost ? costSection(r.cost) : `7. Cost: not measured: ${r.skipped.cost}`);

  parts.push('Targets', table(['target', 'goal', 'measured', 'verdict'], targets.map((t) => [t.name, t.goal, t.measured, t.verdict]), 'llll'));
  const why = targets.filter((t) => t.why).map((t) => `   ${t.name}: not measured: ${t.why}`);
  if (why.length) parts.push(...why);
  return `${parts.join('\n\n')}\n`;
}

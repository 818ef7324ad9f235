/**
 * Measurement 1: probe throughput with a fresh connection per probe, at concurrency 1, 10 and 100,
 * Vantage beside Blackbox Exporter, interleaved round by round (the order alternates) so that the noise
 * of a shared machine falls on both. CPU is the prober's own process's, from /proc (see proc.ts).
 */
import type { IpcChild } from './ipc.ts';
import type { Exporter } from './peers.ts';
import { cpuSeconds, cpuTickSeconds } from './proc.ts';
import { median } from './stats.ts';
import type { Pki, Targets } from './targets.ts';

export type Protocol = 'http' | 'https';
export type Peer = 'vantage' | 'exporter';

export interface Run {
  probesPerSec: number;
  /** From schedstat (ns resolution). */
  cpuSeconds: number;
  /** utime + stime from /proc/<pid>/stat over the same run, as a cross-check (10 ms ticks). */
  cpuTickSeconds: number;
  cpuPer1000: number;
  ok: number;
  failed: number;
  /** Only runs where every probe passed count toward the medians. */
  counted: boolean;
  note?: string;
}

export interface ThroughputCell {
  protocol: Protocol;
  concurrency: number;
  peer: Peer;
  n: number;
  runs: Run[];
  /** Medians over the counted runs. */
  probesPerSec: number;
  cpuPer1000: number;
  probesPerCpuSecond: number;
}

export interface ThroughputResult {
  cells: ThroughputCell[];
  /** Vantage probes per CPU-second ÷ the exporter's, per protocol and concurrency. */
  ratios: Array<{ protocol: Protocol; concurrency: number; ratio: number }>;
  notes: string[];
}

interface BatchReply { ok: number; failed: number; wallMs: number; reasons?: Record<string, number>; sample?: string }

export interface ThroughputSetup {
  vantage: IpcChild;
  driver?: IpcChild;
  exporter?: Exporter;
  targets: Targets;
  pki: Pki;
  n: number;
  rounds: number;
  concurrencies: number[];
  log: (s: string) => void;
}

export function vantageCheck(protocol: Protocol, url: string, pki: Pki, timeout = '5s'): Record<string, unknown> {
  return {
    id: `bench-${protocol}`,
    timeout,
    http: { url, validStatusCodes: [200], ...(protocol === 'https' && { tls: { ca: pki.caFile } }) },
  };
}

async function runVantage(s: ThroughputSetup, protocol: Protocol, concurrency: number, n: number): Promise<Run> {
  const url = `${protocol === 'http' ? s.targets.http : s.targets.https}/ok`;
  const before = cpuSeconds(s.vantage.pid);
  const ticks = cpuTickSeconds(s.vantage.pid);
  const r = await s.vantage.request<BatchReply>({ op: 'batch', check: vantageCheck(protocol, url, s.pki), n, concurrency });
  const cpu = cpuSeconds(s.vantage.pid) - before;
  return summarize(r, cpu, cpuTickSeconds(s.vantage.pid) - ticks, n, r.failed ? `failures: ${JSON.stringify(r.reasons)}` : undefined);
}

async function runExporter(s: ThroughputSetup, protocol: Protocol, concurrency: number, n: number): Promise<Run> {
  const url = `${protocol === 'http' ? s.targets.http : s.targets.https}/ok`;
  const before = cpuSeconds(s.exporter!.pid);
  const ticks = cpuTickSeconds(s.exporter!.pid);
  const r = await s.driver!.request<BatchReply>({ op: 'batch', exporter: s.exporter!.origin, target: url, module: protocol === 'http' ? 'http_2xx' : 'https_2xx', n, concurrency });
  const cpu = cpuSeconds(s.exporter!.pid) - before;
  return summarize(r, cpu, cpuTickSeconds(s.exporter!.pid) - ticks, n, r.failed ? `probe_success was not 1 for ${r.failed}: ${r.sample}` : undefined);
}

function summarize(r: BatchReply, cpu: number, ticks: number, n: number, note: string | undefined): Run {
  return {
    probesPerSec: (n / r.wallMs) * 1000,
    cpuSeconds: cpu,
    cpuTickSeconds: ticks,
    cpuPer1000: (cpu / n) * 1000,
    ok: r.ok,
    failed: r.failed,
    counted: r.failed === 0 && cpu > 0,
    ...(note && { note }),
  };
}

export async function measureThroughput(s: ThroughputSetup): Promise<ThroughputResult> {
  const notes: string[] = [];
  const withExporter = s.exporter !== undefined && s.driver !== undefined;
  if (!withExporter) notes.push('exporter not measured: Blackbox Exporter unavailable');

  // Warm-up, not counted. V8 compiles hot code on background threads of the prober's own process, so
  // until the engine's code is optimised those threads' CPU lands in the figures: 200 probes were not
  // enough (the first measured round came out 40-70% dearer than the next). Both peers get the same.
  for (const protocol of ['http', 'https'] as const) {
    const n = protocol === 'http' ? 1500 : 600;
    await runVantage(s, protocol, 10, n);
    if (withExporter) await runExporter(s, protocol, 10, n);
  }

  const cells = new Map<string, ThroughputCell>();
  const cell = (protocol: Protocol, concurrency: number, peer: Peer) => {
    const key = `${protocol}/${concurrency}/${peer}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { protocol, concurrency, peer, n: s.n, runs: [], probesPerSec: NaN, cpuPer1000: NaN, probesPerCpuSecond: NaN }));
    return c;
  };
  for (let round = 0; round < s.rounds; round++) {
    for (const protocol of ['http', 'https'] as const) {
      for (const concurrency of s.concurrencies) {
        // Alternate who goes first, so neither always runs on the warmer or the quieter side of a pair.
        const order: Peer[] = (round + concurrency) % 2 === 0 ? ['vantage', 'exporter'] : ['exporter', 'vantage'];
        for (const peer of order) {
          if (peer === 'exporter' && !withExporter) continue;
          const run = peer === 'vantage' ? await runVantage(s, protocol, concurrency, s.n) : await runExporter(s, protocol, concurrency, s.n);
          cell(protocol, concurrency, peer).runs.push(run);
          s.log(`  ${protocol.padEnd(5)} c=${String(concurrency).padEnd(3)} ${peer.padEnd(8)} ${run.probesPerSec.toFixed(0).padStart(6)} probes/s  ${run.cpuPer1000.toFixed(3)} CPU-s/1000${run.note ? `  (${run.note})` : ''}`);
        }
      }
    }
  }
  for (const c of cells.values()) {
    // schedstat and tick counts must agree within the ticks' resolution; a gap means a thread exited mid-run.
    const off = c.runs.filter((r) => Math.abs(r.cpuSeconds - r.cpuTickSeconds) > Math.max(0.03, 0.2 * r.cpuTickSeconds));
    if (off.length) notes.push(`${c.peer} ${c.protocol} c=${c.concurrency}: schedstat CPU and /proc stat ticks disagree in ${off.length} run(s) (${off.map((r) => `${r.cpuSeconds.toFixed(3)} vs ${r.cpuTickSeconds.toFixed(2)} s`).join(', ')})`);
    const counted = c.runs.filter((r) => r.counted);
    if (counted.length < c.runs.length) notes.push(`${c.peer} ${c.protocol} c=${c.concurrency}: ${c.runs.length - counted.length} run(s) left out because a probe failed (${c.runs.find((r) => !r.counted)?.note})`);
    c.probesPerSec = median(counted.map((r) => r.probesPerSec));
    c.cpuPer1000 = median(counted.map((r) => r.cpuPer1000));
    c.probesPerCpuSecond = 1000 / c.cpuPer1000;
  }
  const ratios: ThroughputResult['ratios'] = [];
  if (withExporter) {
    for (const protocol of ['http', 'https'] as const) {
      for (const concurrency of s.concurrencies) {
        const v = cells.get(`${protocol}/${concurrency}/vantage`)!;
        const e = cells.get(`${protocol}/${concurrency}/exporter`)!;
        ratios.push({ protocol, concurrency, ratio: v.probesPerCpuSecond / e.probesPerCpuSecond });
      }
    }
  }
  return { cells: [...cells.values()], ratios, notes };
}

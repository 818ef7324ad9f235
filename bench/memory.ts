/**
 * Measurement 2: memory with 2,000 probes in flight at once against a target that answers after 2 s.
 * Each prober gets a fresh process, so its peak RSS (the highest of VmRSS sampled every 20 ms and the
 * kernel's VmHWM) belongs to this run alone. The target counts the most requests it held at once, which
 * shows that the 2,000 really were in flight together.
 */
import { startIpcChild } from './ipc.ts';
import { startExporter, type Exporter } from './peers.ts';
import { memKb, RssSampler } from './proc.ts';
import type { Pki, Targets } from './targets.ts';
import { vantageCheck } from './throughput.ts';

export interface MemoryRun {
  peer: 'vantage' | 'exporter';
  inFlight: number;
  /** RSS after start and warm-up, before the burst. */
  baselineMb: number;
  peakMb: number;
  /** The most requests the target held at once during the run. */
  targetMaxInFlight: number;
  ok: number;
  failed: number;
  wallMs: number;
  /** Vantage only: process.memoryUsage() in the middle of the burst, in MB. */
  midBurst?: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  note?: string;
}

export interface MemorySetup {
  targets: Targets;
  pki: Pki;
  inFlight: number;
  delayMs: number;
  /** The Vantage worker to start (the bundled ./vantage-worker.ts). */
  workerScript: string;
  /** Node flags for the Vantage worker (to try GC settings); none by default. */
  execArgv?: string[];
  exporterBin?: string;
  blackboxConfig?: string;
  log: (s: string) => void;
}

interface BatchReply { ok: number; failed: number; wallMs: number; reasons?: Record<string, number>; sample?: string }

const mb = (kb: number) => kb / 1024;

export async function measureVantageMemory(s: MemorySetup): Promise<MemoryRun> {
  const worker = await startIpcChild(s.workerScript, [], s.execArgv ?? []);
  try {
    const url = `${s.targets.http}/delay?ms=${s.delayMs}`;
    const check = vantageCheck('http', url, s.pki, '15s');
    // Warm-up on the same code path, so the baseline includes the loaded engine.
    await worker.request({ op: 'batch', check: vantageCheck('http', `${s.targets.http}/ok`, s.pki), n: 50, concurrency: 10 });
    const baseline = memKb(worker.pid).rss;
    await s.targets.resetStats();
    const sampler = new RssSampler(worker.pid);
    const burst = worker.request<BatchReply>({ op: 'batch', check, n: s.inFlight, concurrency: s.inFlight });
    await new Promise((resolve) => setTimeout(resolve, s.delayMs * 0.75));
    const usage = await worker.request<Record<string, number>>({ op: 'mem' });
    const r = await burst;
    const peak = sampler.stop();
    const midBurst = { rss: mb(usage.rss! / 1024), heapTotal: mb(usage.heapTotal! / 1024), heapUsed: mb(usage.heapUsed! / 1024), external: mb(usage.external! / 1024), arrayBuffers: mb(usage.arrayBuffers! / 1024) };
    const stats = await s.targets.stats();
    return {
      peer: 'vantage', inFlight: s.inFlight, baselineMb: mb(baseline), peakMb: mb(peak.peakKb), targetMaxInFlight: stats.maxInFlight, midBurst,
      ok: r.ok, failed: r.failed, wallMs: r.wallMs, ...(r.failed && { note: `failures: ${JSON.stringify(r.reasons)}` }),
    };
  } finally {
    await worker.stop();
  }
}

export async function measureExporterMemory(s: MemorySetup): Promise<MemoryRun> {
  let exporter: Exporter | undefined;
  const driver = await startIpcChild('exporter-driver.ts');
  try {
    exporter = await startExporter(s.exporterBin!, s.blackboxConfig!);
    await driver.request({ op: 'batch', exporter: exporter.origin, target: `${s.targets.http}/ok`, module: 'http_2xx', n: 50, concurrency: 10 });
    const baseline = memKb(exporter.pid).rss;
    await s.targets.resetStats();
    const sampler = new RssSampler(exporter.pid);
    const r = await driver.request<BatchReply>({
      op: 'batch', exporter: exporter.origin, target: `${s.targets.http}/delay?ms=${s.delayMs}`, module: 'http_slow', n: s.inFlight, concurrency: s.inFlight,
    });
    const peak = sampler.stop();
    const stats = await s.targets.stats();
    return {
      peer: 'exporter', inFlight: s.inFlight, baselineMb: mb(baseline), peakMb: mb(peak.peakKb), targetMaxInFlight: stats.maxInFlight,
      ok: r.ok, failed: r.failed, wallMs: r.wallMs, ...(r.failed && { note: `probe_success was not 1 for ${r.failed}: ${r.sample}` }),
    };
  } finally {
    await exporter?.stop();
    await driver.stop();
  }
}

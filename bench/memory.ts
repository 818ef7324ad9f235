/**
 * Measurement 2: memory with 2,000 probes in flight at once against a target that answers after 2 s.
 * Each prober gets a fresh process, so its peak RSS (the highest of VmRSS sampled every 20 ms and the
 * kernel's VmHWM) belongs to this run alone. The target counts the most requests it held at once, which
 * shows that the 2,000 really were in flight together.
 */
import { dirname } from 'node:path';
import { probeRuntimeEnvironment } from '../shared/deploy/lambda-build.ts';
import { sizeProbe } from '../shared/usecases/cost/sizing.ts';
import { loadConfigObject } from '../shared/config/load.ts';
import type { Check } from '../shared/config/schema.ts';
import { startIpcChild, type IpcChild } from './ipc.ts';
import { startExporter, type Exporter } from './peers.ts';
import { cpuSeconds, memKb, RssSampler } from './proc.ts';
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
  /** CPU seconds of the prober's process during the burst (schedstat, all threads). */
  cpuSeconds?: number;
  /** Vantage only: the environment variables its worker started with (NODE_OPTIONS, MALLOC_ARENA_MAX). */
  runtime?: Record<string, string>;
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
  /**
   * The Vantage worker's NODE_OPTIONS and other runtime variables, to try other settings.
   * @default the probe function's (probeRuntimeEnvironment in shared/deploy/lambda-build.ts)
   */
  runtime?: Record<string, string>;
  exporterBin?: string;
  blackboxConfig?: string;
  log: (s: string) => void;
}

interface BatchReply { ok: number; failed: number; wallMs: number; reasons?: Record<string, number>; sample?: string }

const mb = (kb: number) => kb / 1024;

/** A bench check as the loader produces it, so the worker runs it without loading zod (as Lambda does). */
function loaded(raw: Record<string, unknown>): Check {
  return loadConfigObject({ defaults: { retries: 0 }, checks: [raw] }, { baseDir: dirname(process.cwd()) }).checks[0]!;
}

/**
 * The probe function's runtime variables for a location that runs `checks`: those of the memory size
 * `cdk synth` would give it.
 */
export function probeRuntimeFor(checks: readonly Check[]): Record<string, string> {
  return probeRuntimeEnvironment(sizeProbe(checks).memoryMb);
}

/**
 * Starts the Vantage worker with `runtime` in its environment, as Lambda starts the function with its
 * variables (NODE_OPTIONS among them). startIpcChild spawns, with this process's environment, before
 * it first awaits, so the variables are set for that one spawn and restored at once.
 */
export function startVantageWorker(script: string, runtime: Record<string, string>): Promise<IpcChild> {
  const saved = Object.keys(runtime).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, runtime);
  try {
    return startIpcChild(script);
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export async function measureVantageMemory(s: MemorySetup): Promise<MemoryRun> {
  const url = `${s.targets.http}/delay?ms=${s.delayMs}`;
  const check = loaded(vantageCheck('http', url, s.pki, '15s'));
  const runtime = s.runtime ?? probeRuntimeFor(new Array<Check>(s.inFlight).fill(check));
  const worker = await startVantageWorker(s.workerScript, runtime);
  try {
    // Warm-up on the same code path, so the baseline includes the loaded engine.
    await worker.request({ op: 'batch', loaded: loaded(vantageCheck('http', `${s.targets.http}/ok`, s.pki)), n: 50, concurrency: 10 });
    const baseline = memKb(worker.pid).rss;
    await s.targets.resetStats();
    const sampler = new RssSampler(worker.pid);
    const cpu0 = cpuSeconds(worker.pid);
    const burst = worker.request<BatchReply>({ op: 'batch', loaded: check, n: s.inFlight, concurrency: s.inFlight });
    await new Promise((resolve) => setTimeout(resolve, s.delayMs * 0.75));
    const usage = await worker.request<Record<string, number>>({ op: 'mem' });
    const r = await burst;
    const cpu = cpuSeconds(worker.pid) - cpu0;
    const peak = sampler.stop();
    const midBurst = { rss: mb(usage.rss! / 1024), heapTotal: mb(usage.heapTotal! / 1024), heapUsed: mb(usage.heapUsed! / 1024), external: mb(usage.external! / 1024), arrayBuffers: mb(usage.arrayBuffers! / 1024) };
    const stats = await s.targets.stats();
    return {
      peer: 'vantage', inFlight: s.inFlight, baselineMb: mb(baseline), peakMb: mb(peak.peakKb), targetMaxInFlight: stats.maxInFlight, midBurst,
      ok: r.ok, failed: r.failed, wallMs: r.wallMs, cpuSeconds: cpu, runtime, ...(r.failed && { note: `failures: ${JSON.stringify(r.reasons)}` }),
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

/**
 * `npm run bench [-- --quick] [-- --only=throughput,memory,accuracy,evaluator,coldstart,detection,cost]`
 *
 * Vantage beside its peers on this machine, every figure measured side by side in one run: probe
 * throughput and memory against Prometheus Blackbox Exporter, timing accuracy against curl, the
 * evaluator, cold start, detection latency and cost per million check runs. Prints a table (stdout;
 * progress goes to stderr) and writes bench/results.json. Every target is printed met / not met /
 * not measured; nothing here is a timed test.
 *
 * Everything runs on 127.0.0.1 against servers the bench starts, is bounded in count and time, and
 * every process it starts (targets, exporter, workers, DynamoDB Local) is stopped on exit, error or
 * Ctrl-C. `--quick` takes under 90 s (without detection, which at its 60 s interval needs about four
 * minutes), the full run under 10 minutes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeResult } from '../shared/probe/types.ts';
import { measureAccuracy } from './accuracy.ts';
import { bundle } from './bundle.ts';
import { measureColdStart } from './coldstart.ts';
import { measureCost } from './cost.ts';
import { measureDetection } from './detection.ts';
import { measureEvaluator } from './evaluator.ts';
import { startIpcChild, type IpcChild } from './ipc.ts';
import { measureExporterMemory, measureVantageMemory, probeRuntimeFor, startVantageWorker } from './memory.ts';
import { loadConfigObject } from '../shared/config/load.ts';
import { ensureCurl, ensureExporter, startExporter, writeBlackboxConfig, type Exporter, type Tool } from './peers.ts';
import { isStopping, machineBusySeconds, machineLoad, onExit, stopAllOwned } from './proc.ts';
import { evaluateTargets, renderReport, type BenchResults } from './report.ts';
import { startTargets, writePki } from './targets.ts';
import { measureThroughput, vantageCheck } from './throughput.ts';

const SECTIONS = ['throughput', 'memory', 'accuracy', 'evaluator', 'coldstart', 'detection', 'cost'] as const;
type Section = (typeof SECTIONS)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = new Set<Section>(onlyArg ? (onlyArg.slice(7).split(',') as Section[]) : SECTIONS);
const unknown = args.filter((a) => a !== '--quick' && !a.startsWith('--only=')).concat([...only].filter((s) => !SECTIONS.includes(s)));
if (unknown.length) {
  process.stderr.write(`bench: unknown argument(s): ${unknown.join(' ')}\nusage: npm run bench [-- --quick] [-- --only=${SECTIONS.join(',')}]\n`);
  process.exit(2);
}

/** Sizes: the quick run keeps every measurement but with fewer samples. */
const SIZE = quick
  ? { n: 300, rounds: 2, concurrencies: [1, 10, 100], accuracyRuns: 6, inFlight: 2000, pureRounds: 2000, steadyBatches: 5, coldRuns: 8, outages: 0 }
  : { n: 2000, rounds: 3, concurrencies: [1, 10, 100], accuracyRuns: 20, inFlight: 2000, pureRounds: 20000, steadyBatches: 30, coldRuns: 20, outages: 4 };

const ROOT = join(import.meta.dirname, '..');
const log = (s: string) => process.stderr.write(`${s}\n`);
const errText = (err: unknown) => ((err as Error)?.message ?? String(err)).split('\n')[0]!;

/** Wall seconds per section, printed with the results. */
const sectionSeconds: Record<string, number> = {};
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    sectionSeconds[name] = Math.round((performance.now() - t0) / 100) / 10;
  }
}

async function main(): Promise<number> {
  const started = performance.now();
  const busy0 = machineBusySeconds();
  const load0 = machineLoad();
  log(`bench: ${quick ? 'quick' : 'full'} run, node ${process.version}, ${load0.cores} cores, load average ${load0.load1} (1 min) ${load0.load5} (5 min)`);
  const results: BenchResults = { skipped: {} };
  const installs: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vantage-bench-'));
  onExit(() => rmSync(dir, { recursive: true, force: true }));
  let vantage: IpcChild | undefined;
  let driver: IpcChild | undefined;
  let exporter: Exporter | undefined;
  let sample: ProbeResult | undefined;
  try {
    const needsExporter = only.has('throughput') || only.has('memory');
    const exporterTool: Tool = needsExporter ? ensureExporter(log) : { installed: false, missing: 'not needed' };
    const curlTool: Tool = only.has('accuracy') ? ensureCurl(log) : { installed: false, missing: 'not needed' };
    if (exporterTool.installed) installs.push(`prometheus-blackbox-exporter ${exporterTool.version ?? ''} (apt-get)`);
    if (curlTool.installed) installs.push(`curl ${curlTool.version ?? ''} (apt-get)`);

    const pki = await writePki(dir);
    const needsTargets = only.has('throughput') || only.has('memory') || only.has('accuracy') || only.has('cost');
    const targets = needsTargets ? await startTargets(pki) : undefined;
    const blackboxConfig = writeBlackboxConfig(dir, pki.caFile);
    // The prober under test runs the engine bundled as Lambda runs it (./bundle.ts), in its own process.
    const worker = await bundle(join(ROOT, 'bench/vantage-worker.ts'), join(dir, 'vantage-worker.mjs'));
    // Throughput and accuracy run the engine with the runtime variables (NODE_OPTIONS among them) that a
    // probe function sized for 100 one-minute HTTP checks gets, as the memory section does.
    const sizedFor = loadConfigObject({ checks: Array.from({ length: 100 }, (_, i) => ({ id: `c${i}`, http: { url: 'http://127.0.0.1/' } })) }).checks;
    if (targets) vantage = await startVantageWorker(worker.file, probeRuntimeFor(sizedFor));

    if (only.has('throughput')) {
      log('bench: 1/7 probe throughput');
      await timed('throughput', async () => {
        try {
          if (exporterTool.path) {
            exporter = await startExporter(exporterTool.path, blackboxConfig);
            driver = await startIpcChild('exporter-driver.ts');
          }
          results.throughput = await measureThroughput({ vantage: vantage!, ...(driver && { driver }), ...(exporter && { exporter }), targets: targets!, pki, n: SIZE.n, rounds: SIZE.rounds, concurrencies: SIZE.concurrencies, log });
          if (exporterTool.missing) results.throughput.notes.push(`exporter not measured: ${exporterTool.missing}`);
        } catch (err) {
          results.skipped.throughput = errText(err);
        } finally {
          await exporter?.stop();
          await driver?.stop();
          exporter = undefined;
          driver = undefined;
        }
      });
    }

    if (only.has('accuracy')) {
      log('bench: 2/7 timing accuracy vs curl');
      if (!curlTool.path) results.skipped.accuracy = curlTool.missing ?? 'curl unavailable';
      else {
        await timed('accuracy', async () => {
          try {
            results.accuracy = await measureAccuracy({ vantage: vantage!, curl: curlTool.path!, targets: targets!, pki, runs: SIZE.accuracyRuns, log });
          } catch (err) {
            results.skipped.accuracy = errText(err);
          }
        });
      }
    }

    if (targets && vantage) {
      // A real HTTPS result, to size the stored item and the EMF line for the cost section.
      try {
        sample = (await vantage.request<{ result: ProbeResult }>({ op: 'probe', check: vantageCheck('https', `${targets.https}/ok`, pki) })).result;
      } catch { /* sizes fall back to the codec's estimate */ }
      await vantage.stop();
      vantage = undefined;
    }

    // Detection runs its outages at once on separate checks at a 60 s interval: about four minutes,
    // nearly all of it waiting, so the quick run leaves it out.
    const detection = async () => {
      if (SIZE.outages === 0) {
        results.skipped.detection = 'not run with --quick (a 60 s interval takes about four minutes: npm run bench -- --only=detection)';
        return;
      }
      log(`bench: 6/7 detection latency (${SIZE.outages} outages at a 60 s interval, at once)`);
      try {
        results.detection = await measureDetection({ root: ROOT, dir, outages: SIZE.outages, log });
      } catch (err) {
        results.skipped.detection = errText(err);
      }
    };

    if (only.has('memory')) {
      log(`bench: 3/7 memory with ${SIZE.inFlight} probes in flight`);
      await timed('memory', async () => {
        const notes: string[] = [];
        results.memory = { notes };
        const setup = { targets: targets!, pki, inFlight: SIZE.inFlight, delayMs: 2000, workerScript: worker.file, ...(exporterTool.path && { exporterBin: exporterTool.path, blackboxConfig }), log };
        try {
          results.memory.vantage = await measureVantageMemory(setup);
        } catch (err) {
          notes.push(`Vantage: ${errText(err)}`);
        }
        if (exporterTool.path) {
          try {
            results.memory.exporter = await measureExporterMemory(setup);
          } catch (err) {
            notes.push(`exporter: ${errText(err)}`);
          }
        } else notes.push(`exporter not measured: ${exporterTool.missing}`);
      });
    }
    await targets?.stop();

    if (only.has('evaluator')) {
      log('bench: 4/7 evaluator (pure policy, then the stream handler on DynamoDB Local)');
      await timed('evaluator', async () => {
        try {
          results.evaluator = await measureEvaluator({ pureRounds: SIZE.pureRounds, steadyBatches: SIZE.steadyBatches, log });
        } catch (err) {
          results.skipped.evaluator = errText(err);
        }
      });
    }

    if (only.has('coldstart')) {
      log('bench: 5/7 cold start (bundle sizes, module init)');
      await timed('cold start', async () => {
        try {
          results.coldStart = await measureColdStart({ dir, root: ROOT, runs: SIZE.coldRuns, log });
        } catch (err) {
          results.skipped.coldStart = errText(err);
        }
      });
    }

    if (only.has('detection')) await timed('detection', detection);

    if (only.has('cost')) {
      log('bench: 7/7 cost per million check runs');
      try {
        const h = results.evaluator?.handler;
        // The outage phase takes 5 checks through DOWN and RESOLVED once each.
        const writesPerIncident = h ? h.outage.writes / 5 : undefined;
        results.cost = measureCost({ root: ROOT, ...(sample && { sample }), ...(writesPerIncident !== undefined && { writesPerIncident }) });
      } catch (err) {
        results.skipped.cost = errText(err);
      }
    }
  } finally {
    await stopAllOwned();
    rmSync(dir, { recursive: true, force: true });
  }

  for (const s of SECTIONS) if (!only.has(s)) results.skipped[s === 'coldstart' ? 'coldStart' : s] = 'not selected (--only)';
  const wallS = (performance.now() - started) / 1000;
  const busy = machineBusySeconds() - busy0;
  const load1 = machineLoad();
  const utilization = busy / (wallS * load0.cores);
  const noise = `machine: ${load0.cores} cores; load average ${load0.load1} at start, ${load1.load1} at end; all processes kept the CPUs ${(utilization * 100).toFixed(0)}% busy during the run (the bench's own share included)`;
  const header = [
    `Vantage bench (${quick ? 'quick' : 'full'}), ${new Date().toISOString()}, node ${process.version}, ${wallS.toFixed(0)} s`,
    noise,
    ...(installs.length ? [`installed for this run: ${installs.join(', ')}`] : []),
    `seconds per section: ${Object.entries(sectionSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    'Figures are medians of interleaved runs on a shared, noisy machine: compare ratios, not single timings.',
  ].join('\n');
  const targets = evaluateTargets(results);
  process.stdout.write(renderReport(results, targets, header));
  const notes = [
    ...(results.throughput?.notes ?? []), ...(results.memory?.notes ?? []), ...(results.accuracy?.notes ?? []),
    ...(results.evaluator?.notes ?? []), ...(results.coldStart?.notes ?? []), ...(results.cost?.notes ?? []),
    ...Object.entries(results.skipped).map(([k, v]) => `${k}: ${v}`),
  ];
  if (notes.length) process.stdout.write(`\nNotes\n${notes.map((n) => `  - ${n}`).join('\n')}\n`);
  const file = join(ROOT, 'bench/results.json');
  writeFileSync(file, `${JSON.stringify({ mode: quick ? 'quick' : 'full', at: new Date().toISOString(), node: process.version, wallSeconds: wallS, machine: { ...load0, load1End: load1.load1, busyFraction: utilization }, installs, sectionSeconds, targets, results, notes }, null, 2)}\n`);
  log(`bench: wrote ${file} (${wallS.toFixed(0)} s)`);
  return 0;
}

main().then((code) => process.exit(code), async (err) => {
  if (isStopping()) return;
  process.stderr.write(`bench: failed: ${(err as Error)?.stack ?? String(err)}\n`);
  await stopAllOwned();
  process.exit(1);
});

/**
 * Measurement 6: detection latency in the local pipeline. The bench runs the real `vantage dev`
 * (cli/vantage.mjs, its own process: DynamoDB Local, the probe handler on its schedule, the stream
 * poller, the evaluator, the SNS emulator and the webhook deliverer) on a config with one HTTP check,
 * a 5 s interval, failureThreshold 2 and recoveryThreshold 2, one location. The target and the webhook
 * receiver live in the bench process, so both ends of each latency are read from one clock:
 *
 *   to DOWN      = the webhook receives DOWN      − the target starts answering 503
 *   to RESOLVED  = the webhook receives RESOLVED  − the target answers 200 again
 *
 * Each outage starts at a random point of the probe schedule. Probing alone then takes between
 * (threshold − 1) × interval (the outage began just before a probe) and threshold × interval (just
 * after one): the floor, interval × threshold, is that worst case, and the target allows 2 s
 * more for the pipeline. The pipeline's own share is measured too: from `vantage dev` reporting the
 * result that completed the threshold (its `result` event on stdout) to the webhook receiving the alert.
 */
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnOwned, stopOwned } from './proc.ts';

export interface DetectionSample {
  downMs: number;
  resolvedMs: number;
  /** From the result that crossed the threshold being written to the alert at the webhook. */
  downPipelineMs?: number;
  resolvedPipelineMs?: number;
}

export interface DetectionResult {
  intervalMs: number;
  threshold: number;
  /** interval × threshold. */
  floorMs: number;
  /** The target: floor + 2 s. */
  boundMs: number;
  samples: DetectionSample[];
  /** Set when it could not be measured (or not completely), with the reason. */
  notMeasured?: string;
}

export const INTERVAL_MS = 5_000;
export const THRESHOLD = 2;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

export async function measureDetection(opts: { root: string; dir: string; outages: number; log: (s: string) => void }): Promise<DetectionResult> {
  const base: DetectionResult = { intervalMs: INTERVAL_MS, threshold: THRESHOLD, floorMs: INTERVAL_MS * THRESHOLD, boundMs: INTERVAL_MS * THRESHOLD + 2_000, samples: [] };

  let failing = false;
  const target = createServer((req, res) => {
    req.resume();
    res.writeHead(failing ? 503 : 200, { 'content-type': 'text/plain', connection: 'close' }).end(failing ? 'down\n' : 'ok\n');
  });
  const waiters: Array<{ event: string; resolve: (t: number) => void }> = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(200).end();
      let event: string | undefined;
      try {
        event = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event?: string }).event;
      } catch { /* not ours */ }
      const i = waiters.findIndex((w) => w.event === event);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(at);
    });
  });
  const waitFor = (event: string, timeoutMs: number) => new Promise<number | undefined>((resolve) => {
    const w = { event, resolve: (t: number) => { clearTimeout(timer); resolve(t); } };
    const timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); resolve(undefined); }, timeoutMs);
    waiters.push(w);
  });

  const [targetPort, hookPort] = await Promise.all([listen(target), listen(hook)]);
  const config = join(opts.dir, 'detection.yaml');
  writeFileSync(config, [
    'defaults:',
    `  interval: ${INTERVAL_MS / 1000}s`,
    '  timeout: 2s',
    '  retries: 0',
    '  locations: [local]',
    `  alerting: { failureThreshold: ${THRESHOLD}, recoveryThreshold: ${THRESHOLD}, channels: [hook] }`,
    'channels:',
    `  hook: { webhook: ["http://127.0.0.1:${hookPort}/hook"] }`,
    'checks:',
    `  - { id: bench-detect, http: { url: "http://127.0.0.1:${targetPort}/health", validStatusCodes: [200] } }`,
    '',
  ].join('\n'));

  const dev = spawnOwned(process.execPath, [join(opts.root, 'cli/vantage.mjs'), 'dev', '--config', config, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.root });
  let stderr = '';
  dev.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-2000); });
  let results = 0;
  /** When each result was reported (bench clock), and whether it passed. */
  const seen: Array<{ at: number; ok: boolean }> = [];
  const ready = new Promise<boolean>((resolve) => {
    const rl = createInterface({ input: dev.stdout! });
    rl.on('line', (line) => {
      let e: { type?: string; ok?: boolean } = {};
      try { e = JSON.parse(line) as { type?: string; ok?: boolean }; } catch { return; }
      if (e.type === 'ready') resolve(true);
      if (e.type === 'result') {
        results++;
        seen.push({ at: performance.now(), ok: e.ok === true });
      }
    });
    dev.once('exit', () => resolve(false));
  });
  try {
    const up = await Promise.race([ready, sleep(90_000).then(() => false)]);
    if (!up) return { ...base, notMeasured: `vantage dev did not become ready: ${stderr.trim().split('\n').pop() ?? 'no output'}` };
    // One passing run first, so the check has a state and is UP.
    const deadline = Date.now() + 3 * INTERVAL_MS;
    while (results < 1 && Date.now() < deadline) await sleep(200);

    for (let i = 0; i < opts.outages; i++) {
      await sleep(Math.random() * INTERVAL_MS);
      const down = waitFor('DOWN', 60_000);
      failing = true;
      const t0 = performance.now();
      const tDown = await down;
      if (tDown === undefined) return { ...base, notMeasured: `no DOWN reached the webhook within 60 s (outage ${i + 1})` };
      await sleep(Math.random() * INTERVAL_MS);
      const resolved = waitFor('RESOLVED', 60_000);
      failing = false;
      const t1 = performance.now();
      const tResolved = await resolved;
      if (tResolved === undefined) return { ...base, notMeasured: `no RESOLVED reached the webhook within 60 s (outage ${i + 1})` };
      // The THRESHOLD-th failing (passing) result after the flip is the one that decided DOWN (RESOLVED).
      const decided = (from: number, ok: boolean) => seen.filter((r) => r.at > from && r.ok === ok)[THRESHOLD - 1]?.at;
      const dDown = decided(t0, false);
      const dUp = decided(t1, true);
      const sample: DetectionSample = { downMs: tDown - t0, resolvedMs: tResolved - t1 };
      if (dDown !== undefined && dDown <= tDown) sample.downPipelineMs = tDown - dDown;
      if (dUp !== undefined && dUp <= tResolved) sample.resolvedPipelineMs = tResolved - dUp;
      base.samples.push(sample);
      const pipe = (v: number | undefined) => (v === undefined ? '?' : `${(v / 1000).toFixed(2)} s`);
      opts.log(`  outage ${i + 1}: DOWN after ${(sample.downMs / 1000).toFixed(1)} s (pipeline ${pipe(sample.downPipelineMs)}), RESOLVED after ${(sample.resolvedMs / 1000).toFixed(1)} s (pipeline ${pipe(sample.resolvedPipelineMs)})`);
    }
    return base;
  } finally {
    // vantage dev stops DynamoDB Local itself on SIGTERM; give it the time to.
    await stopOwned(dev, 20_000);
    target.close();
    hook.close();
    target.closeAllConnections();
    hook.closeAllConnections();
  }
}

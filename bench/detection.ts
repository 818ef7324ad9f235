/**
 * Measurement 6: detection latency in the local pipeline, at the deployed schedule. The bench runs the
 * real `vantage dev` (cli/vantage.mjs, its own process: DynamoDB Local, each location's probe handler
 * invoked once a minute like EventBridge, staggered rounds, rechecks, confirmations routed between the
 * locations, the stream poller, the evaluator, the SNS emulator and the webhook deliverer) on checks at
 * a 60 s interval from three locations, failureThreshold 2, recoveryThreshold 2, quorum 2 of 3,
 * recheckInterval 10 s. The targets and the webhook receiver live in the bench process, so both ends of
 * each latency are read from one clock (the wall clock, which `vantage dev`'s result times share):
 *
 *   to DOWN               = the webhook receives DOWN − the target starts answering 503
 *   to DOWN, first seen   = the webhook receives DOWN − the first probe that saw the 503 started
 *   to RESOLVED           = the webhook receives RESOLVED − the target answers 200 again
 *   to RESOLVED, first    = the webhook receives RESOLVED − the first probe that saw the 200 started
 *
 * The goal (issue 11): DOWN within 30 s of the first probe that sees the outage and within
 * interval ÷ locations + 30 s of its start; RESOLVED within 30 s of the first probe that sees the
 * recovery; a failure seen from one location only never pages DOWN.
 *
 * A 60 s interval makes each outage take about a minute, so the outages run at once, each on a check of
 * its own with its own target, starting at different seconds (so at different phases of the stagger),
 * beside a fourth check whose target fails for one location only (told apart by the User-Agent, which
 * names the location) for two intervals.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnOwned, stopOwned } from './proc.ts';
import { median } from './stats.ts';
import { table, type Target } from './report.ts';

export interface DetectionSample {
  checkId: string;
  /** When the outage started, relative to the first outage's start. */
  startOffsetMs: number;
  downMs: number;
  downFromFirstMs?: number;
  resolvedMs: number;
  resolvedFromFirstMs?: number;
  /** DOWN notifications for this outage; exactly 1 is right. */
  downs: number;
}

export interface OneLocationOutage {
  location: string;
  durationMs: number;
  /** Failing results recorded from that location during it. */
  failingResults: number;
  /** Results recorded from the other locations during it (confirmations among them). */
  otherResults: number;
  downs: number;
  partials: number;
}

export interface DetectionResult {
  intervalMs: number;
  locations: number;
  threshold: number;
  quorum: number;
  recheckMs: number;
  /** 30 s: from the first probe that sees it. */
  goalMs: number;
  /** interval ÷ locations + 30 s: from the outage's start. */
  fromStartGoalMs: number;
  samples: DetectionSample[];
  oneLocation?: OneLocationOutage;
  /** Set when it could not be measured (or not completely), with the reason. */
  notMeasured?: string;
}

export const INTERVAL_MS = 60_000;
export const THRESHOLD = 2;
export const RECHECK_MS = 10_000;
export const GOAL_MS = 30_000;
const LOCATIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
const QUORUM = 2;
/** Seconds after the warm-up at which the global outages start: spread over the 20 s stagger. */
const STARTS_MS = [3_000, 10_000, 17_000, 31_000, 46_000];
const ONE_LOCATION = 'eu-west-1';
/** Two intervals, so it spans scheduled runs, rechecks and the confirmations they ask for. */
const ONE_LOCATION_MS = 2 * INTERVAL_MS;
const ALERT_WAIT_MS = 150_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

interface ResultSeen { checkId: string; location: string; ok: boolean; ts: number }
interface HookSeen { event: string; checkId: string; at: number }

/** The targets: `/<checkId>` answers 503 while that check is failing (for everyone or for one location). */
function startTargets() {
  const failing = new Map<string, 'all' | string>();
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    const mode = failing.get((req.url ?? '/').slice(1));
    const down = mode === 'all' || (mode !== undefined && String(req.headers['user-agent']).includes(`location=${mode}`));
    res.writeHead(down ? 503 : 200, { 'content-type': 'text/plain', connection: 'close' }).end(down ? 'down\n' : 'ok\n');
  });
  return { server, failing };
}

function writeConfig(dir: string, targetPort: number, hookPort: number, checkIds: string[]): string {
  const file = join(dir, 'detection.yaml');
  writeFileSync(file, [
    'defaults:',
    `  interval: ${INTERVAL_MS / 1000}s`,
    '  timeout: 2s',
    `  locations: [${LOCATIONS.join(', ')}]`,
    '  alerting:',
    `    failureThreshold: ${THRESHOLD}`,
    `    recoveryThreshold: ${THRESHOLD}`,
    `    quorum: ${QUORUM}`,
    `    recheckInterval: ${RECHECK_MS / 1000}s`,
    '    confirm: true',
    '    channels: [hook]',
    'channels:',
    `  hook: { webhook: ["http://127.0.0.1:${hookPort}/hook"] }`,
    'checks:',
    ...checkIds.map((id) => `  - { id: ${id}, http: { url: "http://127.0.0.1:${targetPort}/${id}", validStatusCodes: [200] } }`),
    '',
  ].join('\n'));
  return file;
}

async function until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await sleep(200);
  }
}

export async function measureDetection(opts: { root: string; dir: string; outages: number; log: (s: string) => void }): Promise<DetectionResult> {
  const base: DetectionResult = {
    intervalMs: INTERVAL_MS, locations: LOCATIONS.length, threshold: THRESHOLD, quorum: QUORUM, recheckMs: RECHECK_MS,
    goalMs: GOAL_MS, fromStartGoalMs: INTERVAL_MS / LOCATIONS.length + GOAL_MS, samples: [],
  };
  const outages = Math.min(opts.outages, STARTS_MS.length);
  const globalIds = Array.from({ length: outages }, (_, i) => `bench-outage-${i + 1}`);
  const oneId = 'bench-one-location';

  const targets = startTargets();
  const hooks: HookSeen[] = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      res.writeHead(200).end();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event?: string; checkId?: string };
        if (body.event && body.checkId) hooks.push({ event: body.event, checkId: body.checkId, at });
      } catch { /* not ours */ }
    });
  });
  const [targetPort, hookPort] = await Promise.all([listen(targets.server), listen(hook)]);
  const config = writeConfig(opts.dir, targetPort, hookPort, [...globalIds, oneId]);

  const dev = spawnOwned(process.execPath, [join(opts.root, 'cli/vantage.mjs'), 'dev', '--config', config, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.root });
  let stderr = '';
  dev.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-2000); });
  const results: ResultSeen[] = [];
  let ready = false;
  let exited = false;
  createInterface({ input: dev.stdout! }).on('line', (line) => {
    let e: { type?: string; ok?: boolean; checkId?: string; location?: string; ts?: string } = {};
    try { e = JSON.parse(line) as typeof e; } catch { return; }
    if (e.type === 'ready') ready = true;
    if (e.type === 'result' && e.checkId && e.location && e.ts) results.push({ checkId: e.checkId, location: e.location, ok: e.ok === true, ts: Date.parse(e.ts) });
  });
  dev.once('exit', () => { exited = true; });

  const hookOf = (event: string, checkId: string, since: number) => hooks.find((h) => h.event === event && h.checkId === checkId && h.at >= since);
  const firstResult = (checkId: string, ok: boolean, since: number) => {
    const seen = results.filter((r) => r.checkId === checkId && r.ok === ok && r.ts >= since).map((r) => r.ts);
    return seen.length ? Math.min(...seen) : undefined;
  };

  const runOutage = async (checkId: string, startAt: number): Promise<DetectionSample | string> => {
    await sleep(Math.max(0, startAt - Date.now()));
    targets.failing.set(checkId, 'all');
    const t0 = Date.now();
    const down = await until(() => hookOf('DOWN', checkId, t0), ALERT_WAIT_MS);
    if (!down) return `no DOWN for ${checkId} within ${ALERT_WAIT_MS / 1000} s`;
    // Up again a few seconds after DOWN, at no particular phase of the schedule.
    await sleep(2_000 + Math.random() * 8_000);
    targets.failing.delete(checkId);
    const t1 = Date.now();
    const resolved = await until(() => hookOf('RESOLVED', checkId, t1), ALERT_WAIT_MS);
    if (!resolved) return `no RESOLVED for ${checkId} within ${ALERT_WAIT_MS / 1000} s`;
    const firstDown = firstResult(checkId, false, t0);
    const firstUp = firstResult(checkId, true, t1);
    return {
      checkId, startOffsetMs: 0, downMs: down.at - t0, resolvedMs: resolved.at - t1, downs: hooks.filter((h) => h.event === 'DOWN' && h.checkId === checkId).length,
      ...(firstDown !== undefined && { downFromFirstMs: down.at - firstDown }),
      ...(firstUp !== undefined && { resolvedFromFirstMs: resolved.at - firstUp }),
    };
  };

  const runOneLocation = async (startAt: number): Promise<OneLocationOutage> => {
    await sleep(Math.max(0, startAt - Date.now()));
    targets.failing.set(oneId, ONE_LOCATION);
    const t0 = Date.now();
    await sleep(ONE_LOCATION_MS);
    targets.failing.delete(oneId);
    // Time for the evaluator to catch up with the last rechecks before counting.
    await sleep(RECHECK_MS + 5_000);
    const during = results.filter((r) => r.checkId === oneId && r.ts >= t0 && r.ts < t0 + ONE_LOCATION_MS);
    const count = (event: string) => hooks.filter((h) => h.event === event && h.checkId === oneId && h.at >= t0).length;
    return {
      location: ONE_LOCATION, durationMs: ONE_LOCATION_MS,
      failingResults: during.filter((r) => r.location === ONE_LOCATION && !r.ok).length,
      otherResults: during.filter((r) => r.location !== ONE_LOCATION).length,
      downs: count('DOWN'), partials: count('PARTIAL'),
    };
  };

  try {
    const up = await until(() => (ready ? true : exited ? false : undefined), 90_000);
    if (!up) return { ...base, notMeasured: `vantage dev did not become ready: ${stderr.trim().split('\n').pop() ?? 'no output'}` };
    // Every check heard from every location first, so each has a current, passing count everywhere.
    const allIds = [...globalIds, oneId];
    const warm = await until(() => (allIds.every((id) => LOCATIONS.every((l) => results.some((r) => r.checkId === id && r.location === l && r.ok))) ? true : undefined), INTERVAL_MS + 30_000);
    if (!warm) return { ...base, notMeasured: 'not every check passed from every location within an interval of starting' };
    opts.log(`  warm after ${results.length} results; ${outages} global outage(s) at +${STARTS_MS.slice(0, outages).map((s) => s / 1000).join(', +')} s and a ${ONE_LOCATION_MS / 1000} s outage seen from ${ONE_LOCATION} only`);

    const w = Date.now();
    const [samples, oneLocation] = await Promise.all([
      Promise.all(globalIds.map((id, i) => runOutage(id, w + STARTS_MS[i]!))),
      runOneLocation(w),
    ]);
    const failed = samples.filter((s): s is string => typeof s === 'string');
    base.samples = samples.filter((s): s is DetectionSample => typeof s !== 'string')
      .map((s) => ({ ...s, startOffsetMs: STARTS_MS[globalIds.indexOf(s.checkId)]! - STARTS_MS[0]! }));
    base.oneLocation = oneLocation;
    if (failed.length) base.notMeasured = failed.join('; ');
    const s1 = (v: number | undefined) => (v === undefined ? '?' : (v / 1000).toFixed(1));
    for (const s of base.samples) {
      opts.log(`  ${s.checkId} (+${s.startOffsetMs / 1000} s): DOWN after ${s1(s.downMs)} s (${s1(s.downFromFirstMs)} s from the first failing probe), RESOLVED after ${s1(s.resolvedMs)} s (${s1(s.resolvedFromFirstMs)} s from the first passing probe), ${s.downs} DOWN`);
    }
    opts.log(`  one location (${ONE_LOCATION}) failing for ${ONE_LOCATION_MS / 1000} s: ${oneLocation.failingResults} failing results, ${oneLocation.otherResults} from the others, ${oneLocation.downs} DOWN, ${oneLocation.partials} PARTIAL`);
    return base;
  } finally {
    // vantage dev stops DynamoDB Local itself on SIGTERM; give it the time to.
    await stopOwned(dev, 20_000);
    for (const s of [targets.server, hook]) {
      s.close();
      s.closeAllConnections();
    }
  }
}

const sec = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '-' : (v / 1000).toFixed(digits));
const defined = (vs: Array<number | undefined>) => vs.filter((v): v is number => v !== undefined);
const worstOf = (vs: number[]) => (vs.length ? Math.max(...vs) : undefined);

/** The targets: DOWN and RESOLVED from the first probe that saw the change, DOWN from the start, and no DOWN from one location. */
export function detectionTargets(d: DetectionResult | undefined, skipped: string | undefined): Target[] {
  const firstDown = worstOf(defined(d?.samples.map((s) => s.downFromFirstMs) ?? []));
  const firstUp = worstOf(defined(d?.samples.map((s) => s.resolvedFromFirstMs) ?? []));
  const fromStart = worstOf(d?.samples.map((s) => s.downMs) ?? []);
  const why = d?.notMeasured ?? skipped ?? '';
  const n = d?.samples.length ?? 0;
  const row = (name: string, goalMs: number | undefined, worst: number | undefined): Target => (worst === undefined || goalMs === undefined
    ? { name, goal: goalMs === undefined ? '-' : `≤ ${goalMs / 1000} s`, measured: '-', verdict: 'not measured', why }
    : { name: `${name} (worst of ${n})`, goal: `≤ ${goalMs / 1000} s`, measured: `${sec(worst)} s`, verdict: worst <= goalMs ? 'met' : 'not met', ...(d?.notMeasured && { why: d.notMeasured }) });
  const one = d?.oneLocation;
  return [
    row('Detection, first failing probe → DOWN at webhook (60 s interval)', d?.goalMs ?? GOAL_MS, firstDown),
    row('Detection, outage start → DOWN at webhook', d?.fromStartGoalMs, fromStart),
    row('Detection, first passing probe → RESOLVED at webhook', d?.goalMs ?? GOAL_MS, firstUp),
    one
      ? { name: `One-location outage (${one.durationMs / 1000} s from ${one.location}) → DOWN`, goal: '0 DOWN', measured: `${one.downs} DOWN (${one.partials} PARTIAL)`, verdict: one.downs === 0 ? 'met' : 'not met' }
      : { name: 'One-location outage → DOWN', goal: '0 DOWN', measured: '-', verdict: 'not measured', why },
  ];
}

/** Section 6 of the report: each outage, then medians, worst cases and their ratio to the goal. */
export function detectionSection(d: DetectionResult | undefined, skipped: string | undefined): string {
  if (!d || d.samples.length === 0) return `6. Detection latency: not measured: ${d?.notMeasured ?? skipped}`;
  const rows = d.samples.map((s) => [s.checkId, `+${s.startOffsetMs / 1000}`, sec(s.downMs), sec(s.downFromFirstMs), sec(s.resolvedMs), sec(s.resolvedFromFirstMs), String(s.downs)]);
  const summary = (label: string, values: number[], goalMs: number) => {
    const worst = worstOf(values);
    return [label, sec(median(values)), sec(worst), `${goalMs / 1000}`, worst === undefined ? '-' : `${(worst / goalMs).toFixed(2)}×`];
  };
  const one = d.oneLocation;
  return [
    `6. Detection latency (real \`vantage dev\`: ${d.locations} locations staggered, interval ${d.intervalMs / 1000} s, failure/recoveryThreshold ${d.threshold}, quorum ${d.quorum} of ${d.locations}, recheckInterval ${d.recheckMs / 1000} s, confirmations on; ${d.samples.length} outages at once on separate checks, at different phases)`,
    table(['check', 'start s', 'to DOWN s', 'from first fail s', 'to RESOLVED s', 'from first pass s', 'DOWNs'], rows),
    '',
    table(['latency', 'median s', 'worst s', 'goal s', 'worst/goal'], [
      summary('first failing probe → DOWN', defined(d.samples.map((s) => s.downFromFirstMs)), d.goalMs),
      summary('outage start → DOWN', d.samples.map((s) => s.downMs), d.fromStartGoalMs),
      summary('first passing probe → RESOLVED', defined(d.samples.map((s) => s.resolvedFromFirstMs)), d.goalMs),
      summary('target up → RESOLVED', d.samples.map((s) => s.resolvedMs), d.fromStartGoalMs),
    ]),
    one ? `   one location (${one.location}) failing for ${one.durationMs / 1000} s: ${one.failingResults} failing results from it, ${one.otherResults} from the others; ${one.downs} DOWN, ${one.partials} PARTIAL` : '   one-location outage: not run',
    '   times at the webhook, from the bench\'s clock; "first" = the start of the first probe (result `ts`) that saw the change',
  ].join('\n');
}

/**
 * Measurement 3: timing accuracy. The target injects known delays (time to first byte of 50 ms and
 * 200 ms, a body dripped over 100 ms); Vantage probes and `curl -w` run against it in turns, one
 * request at a time, and each Vantage phase is compared with curl's figure for the run beside it.
 *
 * Phase mapping (curl's timers all count from the start of its transfer; see `man curl`, --write-out):
 *   connect   ≈ time_connect − time_namelookup              (TCP handshake)
 *   tls       ≈ time_appconnect − time_connect              (https only)
 *   ttfb      ≈ time_starttransfer − time_appconnect        (https; request written → first byte)
 *               time_starttransfer − time_connect           (http)
 *   transfer  ≈ time_total − time_starttransfer             (first byte → last byte)
 *   total     ≈ time_total
 * curl's ttfb so includes writing the request, which Vantage's starts after; on loopback that is a few µs.
 *
 * curl is a new process per run, and its first TLS handshake pays OpenSSL's first-use set-up (about
 * 1.5 ms here, the same with -k, so not the CA file), which the long-running Vantage process paid once.
 * So each curl run makes two transfers, each on a new connection (`Connection: close`) with a full
 * handshake (`--no-sessionid`): a warm-up request to /ok, then the measured one, whose line is used.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ProbeResult } from '../shared/probe/types.ts';
import type { IpcChild } from './ipc.ts';
import { median, quantile } from './stats.ts';
import type { Pki, Targets } from './targets.ts';
import { vantageCheck, type Protocol } from './throughput.ts';

const run = promisify(execFile);

export const PHASES = ['connect', 'tls', 'ttfb', 'transfer', 'total'] as const;
export type Phase = (typeof PHASES)[number];
type Timings = Partial<Record<Phase, number>>;

export interface Scenario {
  name: string;
  protocol: Protocol;
  path: string;
  /** What the target injects, to compare both tools with the truth. */
  injected: { phase: Phase; ms: number };
}

export const SCENARIOS: Scenario[] = [
  { name: 'http ttfb 50ms', protocol: 'http', path: '/delay?ms=50', injected: { phase: 'ttfb', ms: 50 } },
  { name: 'http ttfb 200ms', protocol: 'http', path: '/delay?ms=200', injected: { phase: 'ttfb', ms: 200 } },
  { name: 'http body dripped 100ms', protocol: 'http', path: '/drip?ms=100&chunks=10', injected: { phase: 'transfer', ms: 100 } },
  { name: 'https ttfb 50ms', protocol: 'https', path: '/delay?ms=50', injected: { phase: 'ttfb', ms: 50 } },
];

export interface PhaseError {
  phase: Phase;
  samples: number;
  medianAbsMs: number;
  p95AbsMs: number;
}

export interface ScenarioResult {
  name: string;
  runs: number;
  /** Median of each tool's own figure per phase. */
  vantage: Timings;
  curl: Timings;
  errors: PhaseError[];
  injected: { phase: Phase; ms: number; vantageMedianMs: number; curlMedianMs: number };
}

export interface AccuracyResult {
  scenarios: ScenarioResult[];
  /** Every scenario's pairs together, per phase. */
  overall: PhaseError[];
  notes: string[];
}

async function curlOnce(curl: string, url: string, pki: Pki): Promise<Timings> {
  const fmt = '%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total} %{http_code} %{num_connects}\n';
  const warmUp = new URL('/ok', url).href;
  const { stdout } = await run(curl, [
    '-s', '--http1.1', '--no-sessionid', '-H', 'Connection: close', '--cacert', pki.caFile, '-w', fmt,
    '-o', '/dev/null', warmUp, '-o', '/dev/null', url,
  ]);
  const last = stdout.trim().split('\n').pop()!;
  const [lookup, connect, app, start, total, code, connects] = last.split(' ').map(Number) as [number, number, number, number, number, number, number];
  if (code !== 200) throw new Error(`curl got HTTP ${code} from ${url}`);
  if (connects !== 1) throw new Error(`curl reused a connection for ${url}; the comparison needs a new one`);
  const s = (v: number) => v * 1000;
  const https = url.startsWith('https:');
  return {
    connect: s(connect - lookup),
    ...(https && { tls: s(app - connect) }),
    ttfb: s(start - (https ? app : connect)),
    transfer: s(total - start),
    total: s(total),
  };
}

async function vantageOnce(vantage: IpcChild, url: string, protocol: Protocol, pki: Pki): Promise<Timings> {
  const { result } = await vantage.request<{ result: ProbeResult }>({ op: 'probe', check: vantageCheck(protocol, url, pki) });
  if (!result.ok) throw new Error(`Vantage probe of ${url} failed: ${result.failure?.reason} ${result.failure?.message}`);
  const p = result.phases;
  return { connect: p.connect, ...(protocol === 'https' && { tls: p.tls }), ttfb: p.ttfb, transfer: p.transfer, total: p.total };
}

function errorsOf(pairs: Array<[Timings, Timings]>): PhaseError[] {
  const out: PhaseError[] = [];
  for (const phase of PHASES) {
    const abs = pairs.filter(([v, c]) => v[phase] !== undefined && c[phase] !== undefined).map(([v, c]) => Math.abs(v[phase]! - c[phase]!));
    if (abs.length) out.push({ phase, samples: abs.length, medianAbsMs: median(abs), p95AbsMs: quantile(abs, 0.95) });
  }
  return out;
}

const medians = (xs: Timings[]): Timings => Object.fromEntries(PHASES.filter((p) => xs.some((x) => x[p] !== undefined)).map((p) => [p, median(xs.map((x) => x[p]!).filter((v) => v !== undefined))]));

export async function measureAccuracy(s: { vantage: IpcChild; curl: string; targets: Targets; pki: Pki; runs: number; log: (s: string) => void }): Promise<AccuracyResult> {
  const scenarios: ScenarioResult[] = [];
  const all: Array<[Timings, Timings]> = [];
  for (const sc of SCENARIOS) {
    const url = `${sc.protocol === 'http' ? s.targets.http : s.targets.https}${sc.path}`;
    // One of each first, not counted: the first TLS handshake in a process loads the CA and warms up.
    await vantageOnce(s.vantage, url, sc.protocol, s.pki);
    await curlOnce(s.curl, url, s.pki);
    const pairs: Array<[Timings, Timings]> = [];
    for (let i = 0; i < s.runs; i++) {
      // Taking turns: which tool goes first alternates, so neither always follows the other's socket teardown.
      if (i % 2 === 0) {
        const v = await vantageOnce(s.vantage, url, sc.protocol, s.pki);
        pairs.push([v, await curlOnce(s.curl, url, s.pki)]);
      } else {
        const c = await curlOnce(s.curl, url, s.pki);
        pairs.push([await vantageOnce(s.vantage, url, sc.protocol, s.pki), c]);
      }
    }
    all.push(...pairs);
    const vantage = medians(pairs.map(([v]) => v));
    const curl = medians(pairs.map(([, c]) => c));
    const errors = errorsOf(pairs);
    scenarios.push({
      name: sc.name, runs: pairs.length, vantage, curl, errors,
      injected: { phase: sc.injected.phase, ms: sc.injected.ms, vantageMedianMs: vantage[sc.injected.phase]!, curlMedianMs: curl[sc.injected.phase]! },
    });
    s.log(`  ${sc.name.padEnd(24)} ${errors.map((e) => `${e.phase} ${e.medianAbsMs.toFixed(2)}/${e.p95AbsMs.toFixed(2)}`).join('  ')} (median/p95 |Δ| ms)`);
  }
  return { scenarios, overall: errorsOf(all), notes: [] };
}

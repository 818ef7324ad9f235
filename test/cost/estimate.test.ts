import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile, loadConfigObject } from '../../shared/config/load.ts';
import { estimateMonthlyCost, representativeResult, type CostAssumptions, type CostEstimate } from '../../shared/usecases/cost/index.ts';
import { probeResultEmfLine } from '../../shared/metrics/emf.ts';
import { runCli } from '../support/cli.ts';

/**
 * Everything that is not under test switched off, so each figure below can be worked out by hand. The
 * deployment's fixed resources stay: $5.40 a month (alarms 4 × $0.10, dashboard $3, KMS keys 2 × $1).
 */
const BARE: Partial<CostAssumptions> = { failureRate: 0, incidentsPerCheckMonth: 0, includeMetrics: false, probeMemoryMb: 256, evaluatorMemoryMb: 256 };

function config(checks: unknown[], defaults: Record<string, unknown> = {}) {
  return loadConfigObject({ defaults: { retries: 0, locations: ['us-east-1'], ...defaults }, checks });
}

function usdOf(e: CostEstimate, item: string): number {
  const l = e.lines.find((x) => x.item.startsWith(item));
  if (!l) throw new Error(`no line "${item}" in ${e.lines.map((x) => x.item).join(', ')}`);
  return l.usd;
}

function qtyOf(e: CostEstimate, item: string): number {
  return e.lines.find((x) => x.item.startsWith(item))!.quantity;
}

describe('estimateMonthlyCost: one HTTP check, every minute, one location', () => {
  // Prepare: 730 h × 3600 s / 60 s = 43,800 runs and 43,800 probe invocations a month; a 560-byte EMF line.
  const cfg = config([{ id: 'api', http: { url: 'http://example.com/' } }], { interval: '1m' });
  // Act
  const e = estimateMonthlyCost(cfg, 400, { ...BARE, logBytesPerResult: 560 });

  // Assess
  it('counts 43,800 runs and invocations', () => {
    expect(e.checkRunsPerMonth).toBe(43_800);
    expect(qtyOf(e, 'probe requests')).toBe(43_800);
    expect(usdOf(e, 'probe requests')).toBeCloseTo(43_800 * 0.20 / 1e6, 10); // $0.00876
  });

  it('bills probe duration as overhead + one wave of one probe: 310 ms at 0.25 GB', () => {
    // 43,800 × 0.310 s × 0.25 GB = 3,394.5 GB-s; × $0.0000133334 = $0.0452602
    expect(qtyOf(e, 'probe duration')).toBeCloseTo(3_394.5, 6);
    expect(usdOf(e, 'probe duration')).toBeCloseTo(0.0452602, 6);
  });

  it('bills the evaluator once per batch: 48 ms at 0.25 GB', () => {
    // 43,800 × 0.048 s × 0.25 GB = 525.6 GB-s → $0.0070080; requests $0.00876
    expect(qtyOf(e, 'evaluator duration')).toBeCloseTo(525.6, 6);
    expect(usdOf(e, 'evaluator duration')).toBeCloseTo(0.0070080, 6);
    expect(usdOf(e, 'evaluator requests')).toBeCloseTo(0.00876, 8);
  });

  it('writes one WRU per 400-byte result and per heartbeat, reads one RRU of state per batch and half a one of memory per round', () => {
    expect(usdOf(e, 'result writes')).toBeCloseTo(43_800 * 0.625 / 1e6, 10); // $0.027375
    expect(usdOf(e, 'heartbeat writes')).toBeCloseTo(0.027375, 10);
    expect(usdOf(e, 'state reads')).toBeCloseTo(43_800 * 0.125 / 1e6, 10); // $0.005475
    // One round a minute, one eventually consistent GetItem of the memory each.
    expect(qtyOf(e, 'probe memory reads')).toBe(21_900);
    expect(usdOf(e, 'state and incident writes')).toBe(0);
    // No outage, no public instance: nothing rechecked, confirmed or retested elsewhere.
    for (const item of ['confirmation (outages only)', 'probe duration of rechecks', 'recheck and confirmation result writes', 'probe memory updates']) expect(qtyOf(e, item)).toBe(0);
    expect(e.lines.some((l) => l.item.startsWith('instance heartbeat'))).toBe(false);
  });

  it('sweeps every minute: 43,800 evaluator runs that read the state (1 RRU) and the heartbeat (0.5 RRU)', () => {
    expect(e.sweep).toEqual({ invocations: 43_800, itemsPerSweep: 2 });
    expect(qtyOf(e, 'sweep requests')).toBe(43_800);
    // 43,800 × (100 + 1 × 2) ms × 0.25 GB = 1,116.9 GB-s
    expect(qtyOf(e, 'sweep duration')).toBeCloseTo(1_116.9, 6);
    expect(qtyOf(e, 'sweep reads')).toBe(65_700);
  });

  it('queries the silences once per evaluator run, stream and sweep alike, at 0.5 RRU each', () => {
    expect(qtyOf(e, 'silence reads')).toBe((43_800 + 43_800) * 0.5);
  });

  it('stores 30 days of results with 100 bytes of overhead each, and backs them up continuously', () => {
    // 30 days of a 730-hour month = 43,200 items × 500 B = 21,600,000 B = 0.0201166 GiB → $0.0050291
    expect(qtyOf(e, 'result storage')).toBeCloseTo(21_600_000 / 1024 ** 3, 9);
    expect(usdOf(e, 'result storage')).toBeCloseTo(0.0050291, 6);
    // PITR bills the same table size at $0.20: $0.0040233
    expect(qtyOf(e, 'point-in-time recovery')).toBeCloseTo(21_600_000 / 1024 ** 3, 9);
    expect(usdOf(e, 'point-in-time recovery')).toBeCloseTo(0.0040233, 6);
  });

  it('meters log events at their size plus 26 bytes', () => {
    // results 43,800 × 586 + invocations 43,800 × (600 + 4 × 26) + evaluator 43,800 × (400 + 3 × 26) + sweeps 43,800 × (500 + 4 × 26)
    // = 25,666,800 + 30,835,200 + 20,936,400 + 26,455,200 = 103,893,600 B = 0.0967588 GiB → $0.0483794
    expect(qtyOf(e, 'ingestion')).toBeCloseTo(103_893_600 / 1024 ** 3, 9);
    expect(usdOf(e, 'ingestion')).toBeCloseTo(0.0483794, 6);
  });

  it('charges nothing for the scheduled rules: the probe\'s and the sweep\'s', () => {
    expect(qtyOf(e, 'scheduled rule invocations')).toBe(2 * 43_800);
    expect(usdOf(e, 'scheduled rule invocations')).toBe(0);
  });

  it('prices the same runs on CloudWatch Synthetics at $0.0012 each', () => {
    expect(e.synthetics.usd).toBeCloseTo(52.56, 8);
    expect(e.synthetics.perMillionRunsUsd).toBeCloseTo(1_200, 8);
  });

  it('bills the deployment\'s fixed resources by the month: 6 alarms, the notifier queue\'s polling, the dashboard and 2 KMS keys, nothing per location', () => {
    expect(qtyOf(e, 'evaluator alarms')).toBe(3);
    expect(qtyOf(e, 'sweep-not-running alarm')).toBe(1);
    expect(qtyOf(e, 'delivery alarms')).toBe(2);
    // 5 pollers × 3 long polls of 20 s a minute × 43,800 minutes, at the FIFO price.
    expect(qtyOf(e, 'delivery queue (FIFO): event source polling')).toBe(657_000);
    expect(usdOf(e, 'home dashboard')).toBe(3);
    expect(qtyOf(e, 'keys of the alert and ops topics')).toBe(2);
    // 0.30 + 0.10 + 0.20 + 657,000 × $0.50/M + 3 + 2
    expect(e.fixedUsd).toBeCloseTo(5.6 + 0.3285, 10);
    expect(e.lines.filter((l) => !l.perRun).map((l) => l.service)).toEqual(['CloudWatch alarms', 'CloudWatch alarms', 'CloudWatch alarms', 'SQS', 'CloudWatch dashboards', 'KMS']);
    expect(e.fixedPer.location.eachUsd).toBe(0);
    expect(e.lines.some((l) => /heartbeat alarm|key of each probe/.test(l.item))).toBe(false);
  });

  it('adds up, and divides by runs for the per-million figures: all-in and per-run lines only', () => {
    const sum = e.lines.reduce((s, l) => s + l.usd, 0);
    const perRun = e.lines.filter((l) => l.perRun).reduce((s, l) => s + l.usd, 0);
    expect(e.totalUsd).toBeCloseTo(sum, 12);
    expect(e.perRunUsd).toBeCloseTo(perRun, 12);
    expect(e.perRunUsd + e.fixedUsd).toBeCloseTo(e.totalUsd, 12);
    expect(e.perMillionRunsUsd).toBeCloseTo((sum / 43_800) * 1e6, 9);
    expect(e.perMillionRunsPerRunOnlyUsd).toBeCloseTo((perRun / 43_800) * 1e6, 9);
    expect(e.lines.filter((l) => l.perRun).map((l) => l.service)).not.toContain('CloudWatch metrics');
  });
});

describe('estimateMonthlyCost: shapes of workload', () => {
  it('bills a sub-minute interval for the whole span of its rounds', () => {
    // 15 s: 4 rounds a minute, each 250 ms. Each 14,750 ms gap goes to a continuation with DelaySeconds
    // floor(14.75) − 1 = 13, which then waits 1,750 ms: 4 × 60 overhead + 3 × 1,750 + 4 × 250 = 6,490 ms a minute.
    const e = estimateMonthlyCost(config([{ id: 'api', interval: '15s', http: { url: 'http://example.com/' } }]), 400, BARE);
    expect(e.checkRunsPerMonth).toBe(175_200);
    expect(qtyOf(e, 'probe duration')).toBeCloseTo(43_800 * 6.49 * 0.25, 6); // 71,065.5 GB-s (45.31 s a minute before continuations)
    expect(qtyOf(e, 'probe requests')).toBe(43_800 * 4);
    // Per continuation a SendMessage and a DeleteMessage, and the mapping's 15 polls a minute.
    expect(qtyOf(e, 'round queues')).toBe(43_800 * (2 * 3 + 15));
    expect(qtyOf(e, 'evaluator requests')).toBe(43_800 * 4);
  });

  it('runs 100 one-minute checks in ceil(100 / 32) = 4 waves', () => {
    const checks = Array.from({ length: 100 }, (_, i) => ({ id: `c${i}`, http: { url: 'http://example.com/' } }));
    const e = estimateMonthlyCost(config(checks, { interval: '1m' }), 400, BARE);
    expect(qtyOf(e, 'probe duration')).toBeCloseTo(43_800 * 1.06 * 0.25, 6); // 60 + 4 × 250 ms
    expect(qtyOf(e, 'state reads')).toBeCloseTo(43_800 * 100, 6);
  });

  it('charges a five-minute check one probe in a fifth of the invocations', () => {
    const e = estimateMonthlyCost(config([{ id: 'api', interval: '5m', http: { url: 'http://example.com/' } }]), 400, BARE);
    expect(e.checkRunsPerMonth).toBe(8_760);
    expect(qtyOf(e, 'probe duration')).toBeCloseTo(43_800 * 0.110 * 0.25, 6); // 60 + 0.2 × 250 ms
  });

  it('charges two WRU for an item over 1 KB', () => {
    const e = estimateMonthlyCost(config([{ id: 'api', http: { url: 'http://example.com/' } }], { interval: '1m' }), 1_100, BARE);
    expect(qtyOf(e, 'result writes')).toBe(87_600);
  });

  it('counts Success and Latency per check and location plus the one Sweep metric by default', () => {
    // 1 HTTPS check × 3 locations: 2 × 3 + 1 = 7 metrics → $2.10
    const e = estimateMonthlyCost(
      config([{ id: 'api', http: { url: 'https://example.com/' } }], { interval: '1m', locations: ['us-east-1', 'eu-west-1', 'ap-south-1'] }),
      400,
      { ...BARE, includeMetrics: true },
    );
    expect(e.phaseMetrics).toBe(false);
    expect(qtyOf(e, 'custom metrics: Success and Latency per check × location')).toBe(6);
    expect(qtyOf(e, 'custom metric: Sweep')).toBe(1);
    expect(e.customMetrics).toBe(7);
    // metrics $2.10 + alarms 6 × $0.10 + delivery queue polling $0.3285 + dashboard $3 + keys 2 × $1 = $8.0285
    expect(e.fixedUsd).toBeCloseTo(8.0285, 10);
    expect(e.fixedPer['check × location']).toEqual({ units: 3, eachUsd: expect.closeTo(0.6, 10) });
    expect(e.fixedPer.location).toEqual({ units: 3, eachUsd: 0 });
    expect(e.fixedPer.deployment).toEqual({ units: 1, eachUsd: expect.closeTo(0.3 + 0.6 + 0.3285 + 3 + 2, 10) });
    expect(e.perMillionRunsPerRunOnlyUsd).toBeCloseTo(((e.totalUsd - 8.0285) / 131_400) * 1e6, 9);
  });

  it('counts 2 + phases per check and location with deployment.metrics.phases, or the phaseMetrics override', () => {
    // HTTPS: Success, Latency and 5 phases = 7 per location; plain HTTP has no TLS phase: 6.
    // 3 locations → 21 + 18 + the sweep's 1 = 40 metrics
    const withPhases = loadConfigObject({
      deployment: { homeRegion: 'us-east-1', locations: ['us-east-1', 'eu-west-1', 'ap-south-1'], metrics: { phases: true } },
      defaults: { retries: 0, interval: '1m', locations: ['us-east-1', 'eu-west-1', 'ap-south-1'] },
      checks: [{ id: 'tls', http: { url: 'https://example.com/' } }, { id: 'plain', http: { url: 'http://example.com/' } }],
    });
    const on = estimateMonthlyCost(withPhases, 400, { ...BARE, includeMetrics: true });
    expect(on.phaseMetrics).toBe(true);
    expect(qtyOf(on, 'custom metrics: Success, Latency and phases per check × location')).toBe(39);
    expect(on.customMetrics).toBe(40);
    expect(usdOf(on, 'custom metrics: Success, Latency')).toBeCloseTo(11.7, 10);
    expect(on.fixedPer['check × location']).toEqual({ units: 6, eachUsd: expect.closeTo(1.95, 10) });
    // The override wins over the config, either way.
    expect(estimateMonthlyCost(withPhases, 400, { ...BARE, includeMetrics: true, phaseMetrics: false }).customMetrics).toBe(13);
    const noDeployment = config([{ id: 'tls', http: { url: 'https://example.com/' } }], { interval: '1m' });
    expect(estimateMonthlyCost(noDeployment, 400, { ...BARE, includeMetrics: true, phaseMetrics: true }).customMetrics).toBe(8);
  });

  it('counts 121 custom metrics for the reference config ($36.30), 421 with phases ($126.30)', () => {
    const reference = loadConfigFile('bench/reference-checks.yaml');
    const off = estimateMonthlyCost(reference);
    const on = estimateMonthlyCost(reference, undefined, { phaseMetrics: true });
    expect(off.customMetrics).toBe(20 * 3 * 2 + 1);
    expect(off.lines.filter((l) => l.service === 'CloudWatch metrics').reduce((s, l) => s + l.usd, 0)).toBeCloseTo(36.3, 10);
    expect(on.customMetrics).toBe(20 * 3 * 7 + 1);
    expect(on.lines.filter((l) => l.service === 'CloudWatch metrics').reduce((s, l) => s + l.usd, 0)).toBeCloseTo(126.3, 10);
    // Everything else fixed: 6 alarms $0.60, delivery queue polling $0.3285, dashboard $3, 2 keys $2.
    expect(off.fixedUsd).toBeCloseTo(36.3 + 0.6 + 0.3285 + 3 + 2, 10);
    // Metrics are per check × location a month: at 1 minute, $0.60 spread over 43,800 runs is $13.70 a million.
    expect(off.fixedAtIntervals).toEqual([{ intervalMs: 60_000, checkLocations: 60, runsPerCheckLocation: 43_800, perMillionRunsUsd: expect.closeTo(0.6 / 43_800 * 1e6, 9) }]);
  });

  it('spreads the fixed cost of a check × location over its own interval\'s runs', () => {
    const e = estimateMonthlyCost(
      config([{ id: 'fast', interval: '15s', http: { url: 'http://example.com/' } }, { id: 'slow', interval: '5m', http: { url: 'http://example.com/' } }]),
      400,
      { ...BARE, includeMetrics: true },
    );
    // $0.60 each: 175,200 runs at 15 s → $3.42 a million; 8,760 at 5 m → $68.49 a million.
    expect(e.fixedAtIntervals).toEqual([
      { intervalMs: 15_000, checkLocations: 1, runsPerCheckLocation: 175_200, perMillionRunsUsd: expect.closeTo(0.6 / 175_200 * 1e6, 9) },
      { intervalMs: 300_000, checkLocations: 1, runsPerCheckLocation: 8_760, perMillionRunsUsd: expect.closeTo(0.6 / 8_760 * 1e6, 9) },
    ]);
  });

  it('bills a declared location with no checks: its invocations, heartbeat and the sweep\'s read of it, and no alarm, metric or key', () => {
    const cfg = loadConfigObject({
      deployment: { homeRegion: 'us-east-1', locations: ['us-east-1', 'eu-west-1'] },
      defaults: { retries: 0, interval: '1m', locations: ['us-east-1'] },
      checks: [{ id: 'api', http: { url: 'http://example.com/' } }],
    });
    const e = estimateMonthlyCost(cfg, 400, { ...BARE, includeMetrics: true });
    expect(e.locations).toBe(2);
    expect(e.checkLocations).toBe(1);
    expect(qtyOf(e, 'probe requests')).toBe(2 * 43_800);
    expect(qtyOf(e, 'heartbeat writes')).toBe(2 * 43_800);
    // The idle location is billed its 60 ms of overhead a minute: (310 + 60) ms × 43,800 × 0.25 GB.
    expect(qtyOf(e, 'probe duration')).toBeCloseTo(43_800 * 0.37 * 0.25, 6);
    expect(qtyOf(e, 'evaluator requests')).toBe(43_800);
    expect(e.customMetrics).toBe(2 + 1);
    expect(e.sweep.itemsPerSweep).toBe(1 + 2);
    const idle = e.perLocation.find((l) => l.location === 'eu-west-1')!;
    expect(idle).toMatchObject({ functions: 1, waitMs: 0, billedMs: 60, waitUsd: 0 });
    // Its requests, 60 ms at 0.25 GB, a heartbeat WRU a minute, the sweep's half RRU a minute, its invocation log lines,
    // and its round queue's polling: 15 ReceiveMessage a minute at $0.40 per million.
    const logs = 43_800 * (600 + 4 * 26) * (0.5 + (30 / (730 / 24)) * 0.03) / 1024 ** 3;
    expect(idle.usd).toBeCloseTo(43_800 * 0.2e-6 + 43_800 * 0.06 * 0.25 * 0.0000133334 + 43_800 * 0.625e-6 + 43_800 * 0.5 * 0.125e-6 + logs + 43_800 * 15 * 0.4e-6, 9);
  });

  it('meters each run\'s EMF line as written, measured from a representative result: longer with phase metrics', () => {
    const cfg = config([{ id: 'api', http: { url: 'https://example.com/' } }], { interval: '1m' });
    const check = cfg.checks[0]!;
    const line = Buffer.byteLength(probeResultEmfLine(representativeResult(check, 'us-east-1'), 'us-east-1'));
    const withPhases = Buffer.byteLength(probeResultEmfLine(representativeResult(check, 'us-east-1'), 'us-east-1', { phaseMetrics: true }));
    const off = estimateMonthlyCost(cfg, 400, BARE);
    const on = estimateMonthlyCost(cfg, 400, { ...BARE, phaseMetrics: true });
    expect(off.emfLineBytes).toBe(line);
    expect(on.emfLineBytes).toBe(withPhases);
    // The directive names five more metrics, about 40 bytes each.
    expect(withPhases - line).toBeGreaterThan(150);
    // results 43,800 × (line + 26) + invocations 43,800 × (600 + 4 × 26) + evaluator 43,800 × (400 + 3 × 26) + sweeps 43,800 × (500 + 4 × 26)
    expect(qtyOf(off, 'ingestion')).toBeCloseTo(43_800 * (line + 26 + 704 + 478 + 604) / 1024 ** 3, 12);
    expect(usdOf(on, 'ingestion') - usdOf(off, 'ingestion')).toBeCloseTo(43_800 * (withPhases - line) / 1024 ** 3 * 0.5, 12);
  });

  it('counts a delivery per Slack, Teams and PagerDuty target too, and no notifier lines without such targets', () => {
    const cfg = (channels: Record<string, unknown>) => loadConfigObject({
      defaults: { retries: 0, locations: ['us-east-1'], interval: '1m', alerting: { channels: Object.keys(channels) } },
      channels,
      checks: [{ id: 'api', http: { url: 'http://example.com/' } }],
    });
    const all = estimateMonthlyCost(cfg({ a: { slack: { url: 'https://s.example.com' }, teams: { webhook: { ssm: '/t' } } }, b: { pagerduty: { routingKey: { ssm: '/p' } }, webhook: [{ url: 'https://h.example.com' }] } }), 400, { ...BARE, incidentsPerCheckMonth: 1 });
    expect(qtyOf(all, 'notifier requests')).toBe(8);
    expect(all.lines.some((l) => l.item.startsWith('webhook deliveries'))).toBe(false);
    const emailOnly = estimateMonthlyCost(cfg({ a: { email: ['a@example.com'] } }), 400, { ...BARE, incidentsPerCheckMonth: 1 });
    expect(emailOnly.lines.some((l) => l.item.startsWith('notifier'))).toBe(false);
  });

  it('sends DOWN and RESOLVED per outage to every address of the check\'s channels', () => {
    const cfg = loadConfigObject({
      defaults: { retries: 0, locations: ['us-east-1'], interval: '1m', alerting: { channels: ['ops'] } },
      channels: { ops: { email: ['a@example.com', 'b@example.com'], webhook: ['https://hooks.example.com/x'] } },
      checks: [{ id: 'api', http: { url: 'http://example.com/' } }],
    });
    const e = estimateMonthlyCost(cfg, 400, { ...BARE, incidentsPerCheckMonth: 3 });
    expect(qtyOf(e, 'publishes')).toBe(6);
    expect(qtyOf(e, 'email deliveries')).toBe(12);
    expect(usdOf(e, 'email deliveries')).toBeCloseTo(12 * 2 / 1e5, 12);
    // The webhook's DOWN and RESOLVED go through the notifier: one FIFO message (3 requests) and one invocation each.
    expect(qtyOf(e, 'notifier requests')).toBe(6);
    expect(qtyOf(e, 'delivery queue (FIFO)')).toBe(18);
    expect(usdOf(e, 'delivery queue (FIFO)')).toBeCloseTo(18 * 0.5 / 1e6, 12);
    expect(qtyOf(e, 'state and incident writes')).toBe(36); // 3 outages × 12 writes
  });

  it('sizes each location\'s probe memory with probeMemoryFor, and defaults to the 512 MB floor', () => {
    const cfg = config([{ id: 'api', http: { url: 'http://example.com/' } }], { interval: '1m' });
    const sized = estimateMonthlyCost(cfg, 400, { ...BARE, probeMemoryMb: undefined, probeMemoryFor: (checks) => 1024 * checks.length });
    expect(qtyOf(sized, 'probe duration')).toBeCloseTo(43_800 * 0.31 * 1, 6);
    const floor = estimateMonthlyCost(cfg, 400, { ...BARE, probeMemoryMb: undefined });
    expect(floor.probeMemoryMb).toEqual([512]);
    expect(qtyOf(floor, 'probe duration')).toBeCloseTo(43_800 * 0.31 * 0.5, 6);
  });

  it('leaves disabled checks out', () => {
    const e = estimateMonthlyCost(config([{ id: 'api', enabled: false, http: { url: 'http://example.com/' } }]), 400, BARE);
    expect(e.checkRunsPerMonth).toBe(0);
    expect(e.totalUsd).toBe(0);
    expect(e.perMillionRunsUsd).toBe(0);
  });

  it('sizes result items from the store codec when no measurement is given', () => {
    const e = estimateMonthlyCost(config([{ id: 'api', http: { url: 'https://example.com/' } }], { interval: '1m' }), undefined, BARE);
    expect(e.resultItemBytes).toBeGreaterThan(150);
    expect(e.resultItemBytes).toBeLessThan(1024);
  });
});

describe('vantage cost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-cost-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'checks.yaml');
  writeFileSync(file, 'defaults:\n  interval: 1m\n  locations: [us-east-1]\nchecks:\n  - id: api\n    http: { url: "https://example.com/" }\n');

  it('prints the monthly total, the per-million figure and the Synthetics price', async () => {
    const r = await runCli(['cost', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('probe duration (arm64, 512 MB; rounds over 5 s apart in continuations)');
    expect(r.stdout).toContain('43,800 check runs a month');
    expect(r.stdout).toContain('Per million check runs');
    expect(r.stdout).toContain('$52.56 a month for the same runs ($1,200.00 per million');
    expect(r.stdout).toContain('not re-verified online');
  });

  it('splits per-run from fixed monthly costs and gives the per-million figure both ways, with the interval it holds for', async () => {
    const r = await runCli(['cost', '--config', file]);
    const e = estimateMonthlyCost(loadConfigFile(file));
    const line = (start: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(start)) ?? '';
    expect(line('Per-run costs')).toMatch(/a month, growing with check runs: Lambda \$[\d.]+, SQS \$[\d.]+, DynamoDB \$[\d.]+, SNS \$[\d.]+, EventBridge \$0\.00, CloudWatch Logs \$[\d.]+$/);
    // 3 metrics $0.90, 6 alarms $0.60, delivery queue polling $0.33, the dashboard $3, 2 keys $2 = $6.83
    expect(line('Fixed costs')).toContain('$6.83 a month, whatever the interval: custom metrics $0.90 (3), alarms $0.60 (6), SQS $0.33 (657,000), dashboard $3.00 (1), KMS keys $2.00 (2)');
    expect(r.stdout).toContain('= $0.60 per check × location × 1 + $6.23 for the deployment');
    expect(line('per-run costs only')).toContain(`$${e.perMillionRunsPerRunOnlyUsd.toFixed(2)}`);
    expect(line('all-in')).toContain(`$${e.perMillionRunsUsd.toFixed(2)}`);
    expect(e.perMillionRunsUsd - e.perMillionRunsPerRunOnlyUsd).toBeCloseTo(6.8285 / 43_800 * 1e6, 6);
    expect(r.stdout).toContain('at 1m (1 check × location) each runs 43,800 times a month, so its $0.60 adds $13.70 per million of its runs');
  });

  it('counts the phases as metrics with --phase-metrics', async () => {
    const r = await runCli(['cost', '--config', file, '--json', '--phase-metrics']);
    const e = JSON.parse(r.stdout) as CostEstimate;
    expect(e.phaseMetrics).toBe(true);
    expect(e.customMetrics).toBe(7 + 1);
    expect(e.fixedPer['check × location'].eachUsd).toBeCloseTo(2.1, 10);
  });

  it('gives JSON with --json, honouring the overrides', async () => {
    const r = await runCli(['cost', '--config', file, '--json', '--probe-memory', '128', '--no-metrics']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as CostEstimate;
    expect(e.probeMemoryMb).toEqual([128]);
    expect(e.lines.some((l) => l.service === 'CloudWatch metrics')).toBe(false);
  });

  it('rejects a bad number and a missing config with exit 2', async () => {
    expect((await runCli(['cost', '--config', file, '--probe-ms', 'fast'])).code).toBe(2);
    expect((await runCli(['cost'])).code).toBe(2);
    expect((await runCli(['cost', '--config', join(dir, 'missing.yaml')])).code).toBe(2);
  });
});

describe('estimateMonthlyCost: what the deployment block changes', () => {
  const deployed = (deployment: Record<string, unknown>, checks: number) => loadConfigObject({
    defaults: { retries: 0, locations: ['us-east-1'] },
    deployment: { homeRegion: 'us-east-1', locations: ['us-east-1'], ...deployment },
    checks: Array.from({ length: checks }, (_, i) => ({ id: `c${i}`, http: { url: `https://example.com/${i}` } })),
  });

  it('prices Lambda duration at the x86_64 rate when deployment.architecture says so', () => {
    // Prepare: the same checks, on each architecture.
    const arm = estimateMonthlyCost(deployed({}, 1), 400, BARE);
    const x86 = estimateMonthlyCost(deployed({ architecture: 'x86_64' }, 1), 400, BARE);
    // Assess: same GB-seconds, the list-price ratio $0.0000166667 / $0.0000133334 = 1.25.
    expect(qtyOf(x86, 'probe duration')).toBe(qtyOf(arm, 'probe duration'));
    expect(usdOf(x86, 'probe duration (x86_64')).toBeCloseTo(usdOf(arm, 'probe duration (arm64') * 1.25, 6);
    expect(usdOf(x86, 'evaluator duration (x86_64')).toBeCloseTo(usdOf(arm, 'evaluator duration (arm64') * 1.25, 6);
  });

  it('bills one dashboard per page the CDK app splits the checks into', () => {
    // 3 widgets a check and 3 overview widgets: 165 checks fill the first 500-widget dashboard.
    expect(qtyOf(estimateMonthlyCost(deployed({}, 165), 400, BARE), 'home dashboards')).toBe(1);
    expect(qtyOf(estimateMonthlyCost(deployed({}, 166), 400, BARE), 'home dashboards')).toBe(2);
  });
});

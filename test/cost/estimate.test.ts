import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { estimateMonthlyCost, type CostAssumptions, type CostEstimate } from '../../shared/cost/index.ts';
import { runCli } from '../support/cli.ts';

/** Everything that is not under test switched off, so each figure below can be worked out by hand. */
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
  // Prepare: 730 h × 3600 s / 60 s = 43,800 runs and 43,800 probe invocations a month.
  const cfg = config([{ id: 'api', http: { url: 'http://example.com/' } }], { interval: '1m' });
  // Act
  const e = estimateMonthlyCost(cfg, 400, BARE);

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

  it('writes one WRU per 400-byte result and per heartbeat, reads one RRU of state per batch', () => {
    expect(usdOf(e, 'result writes')).toBeCloseTo(43_800 * 0.625 / 1e6, 10); // $0.027375
    expect(usdOf(e, 'heartbeat writes')).toBeCloseTo(0.027375, 10);
    expect(usdOf(e, 'state reads')).toBeCloseTo(43_800 * 0.125 / 1e6, 10); // $0.005475
    expect(usdOf(e, 'state and incident writes')).toBe(0);
  });

  it('stores 30 days of results with 100 bytes of overhead each', () => {
    // 30 days of a 730-hour month = 43,200 items × 500 B = 21,600,000 B = 0.0201166 GiB → $0.0050291
    expect(qtyOf(e, 'result storage')).toBeCloseTo(21_600_000 / 1024 ** 3, 9);
    expect(usdOf(e, 'result storage')).toBeCloseTo(0.0050291, 6);
  });

  it('meters log events at their size plus 26 bytes', () => {
    // results 43,800 × 586 + invocations 43,800 × (700 + 4 × 26) + evaluator 43,800 × (400 + 3 × 26)
    // = 25,666,800 + 35,215,200 + 20,936,400 = 81,818,400 B = 0.0761994 GiB → $0.0380997
    expect(qtyOf(e, 'ingestion')).toBeCloseTo(81_818_400 / 1024 ** 3, 9);
    expect(usdOf(e, 'ingestion')).toBeCloseTo(0.0380997, 6);
  });

  it('charges nothing for the scheduled rule', () => {
    expect(qtyOf(e, 'scheduled rule invocations')).toBe(43_800);
    expect(usdOf(e, 'scheduled rule invocations')).toBe(0);
  });

  it('prices the same runs on CloudWatch Synthetics at $0.0012 each', () => {
    expect(e.synthetics.usd).toBeCloseTo(52.56, 8);
    expect(e.synthetics.perMillionRunsUsd).toBeCloseTo(1_200, 8);
  });

  it('adds up, and divides by runs for the per-million figure', () => {
    const sum = e.lines.reduce((s, l) => s + l.usd, 0);
    expect(e.totalUsd).toBeCloseTo(sum, 12);
    expect(e.perMillionRunsUsd).toBeCloseTo((sum / 43_800) * 1e6, 9);
    expect(e.fixedUsd).toBe(0);
  });
});

describe('estimateMonthlyCost: shapes of workload', () => {
  it('bills a sub-minute interval for the whole span of its rounds', () => {
    // 15 s: 4 rounds a minute; the invocation lasts 60 + 3 × 15,000 + 250 = 45,310 ms.
    const e = estimateMonthlyCost(config([{ id: 'api', interval: '15s', http: { url: 'http://example.com/' } }]), 400, BARE);
    expect(e.checkRunsPerMonth).toBe(175_200);
    expect(qtyOf(e, 'probe duration')).toBeCloseTo(43_800 * 45.31 * 0.25, 6); // 496,144.5 GB-s
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

  it('counts 2 + phases custom metrics per check and location, plus a heartbeat per location', () => {
    // HTTPS: Success, Latency and 5 phases = 7 per location; 3 locations → 21 + 3 heartbeats = 24 → $7.20
    const e = estimateMonthlyCost(
      config([{ id: 'api', http: { url: 'https://example.com/' } }], { interval: '1m', locations: ['us-east-1', 'eu-west-1', 'ap-south-1'] }),
      400,
      { ...BARE, includeMetrics: true },
    );
    expect(qtyOf(e, 'custom metrics')).toBe(24);
    expect(e.fixedUsd).toBeCloseTo(7.2, 10);
    expect(e.perMillionRunsExcludingMetricsUsd).toBeCloseTo(((e.totalUsd - 7.2) / 131_400) * 1e6, 9);
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
    expect(qtyOf(e, 'webhook deliveries')).toBe(6);
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
    expect(r.stdout).toContain('probe duration (arm64, 512 MB)');
    expect(r.stdout).toContain('43,800 check runs a month');
    expect(r.stdout).toContain('Per million check runs');
    expect(r.stdout).toContain('$52.56 a month for the same runs ($1,200.00 per million');
    expect(r.stdout).toContain('not re-verified online');
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

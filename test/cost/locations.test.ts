/**
 * What issue 11 changed in the cost model, worked out by hand on small configs: staggered locations
 * are billed until their round, a private location runs N functions, and outages add rechecks,
 * confirmations and memory updates.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { estimateMonthlyCost, type CostAssumptions, type CostEstimate } from '../../shared/usecases/cost/index.ts';
import { billedWaitMs, planUsage } from '../../shared/usecases/cost/probe-usage.ts';
import { DEFER_AFTER_MS } from '../../shared/usecases/probe-cycle.ts';
import { runCli } from '../support/cli.ts';

const BARE: Partial<CostAssumptions> = { failureRate: 0, incidentsPerCheckMonth: 0, includeMetrics: false, probeMemoryMb: 256, evaluatorMemoryMb: 256, logBytesPerResult: 560 };
const ARM = 0.0000133334;
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];

const qtyOf = (e: CostEstimate, item: string) => {
  const l = e.lines.find((x) => x.item.startsWith(item));
  if (!l) throw new Error(`no line "${item}" in ${e.lines.map((x) => x.item).join(', ')}`);
  return l.quantity;
};

function threeRegions(check: Record<string, unknown> = {}) {
  return loadConfigObject({
    deployment: { homeRegion: 'us-east-1', locations: REGIONS },
    defaults: { retries: 0, interval: '1m', locations: REGIONS },
    checks: [{ id: 'api', http: { url: 'http://example.com/' }, ...check }],
  });
}

describe('staggered locations', () => {
  it('bill each location its work and 1–2 s of waiting: a round 20 or 40 s in goes to a continuation', () => {
    const e = estimateMonthlyCost(threeRegions(), 400, BARE);
    // us-east-1: 60 ms overhead + one 250 ms probe at :00. The others: the scheduled invocation hands
    // the round on at once (DelaySeconds 19 or 39), the continuation arrives 1 s early and waits it:
    // 2 × 60 ms + 1,000 ms + 250 ms = 1,370 ms a minute.
    expect(e.perLocation.map((l) => ({ location: l.location, invocationsPerMinute: l.invocationsPerMinute, waitMs: l.waitMs, billedMs: l.billedMs }))).toEqual([
      { location: 'us-east-1', invocationsPerMinute: 1, waitMs: 0, billedMs: 310 },
      { location: 'eu-west-1', invocationsPerMinute: 2, waitMs: 1_000, billedMs: 1_370 },
      { location: 'ap-south-1', invocationsPerMinute: 2, waitMs: 1_000, billedMs: 1_370 },
    ]);
    // 43,800 × (0.31 + 1.37 + 1.37) s × 0.25 GB = 33,397.5 GB-s (667,183.5 while the probe waited in-process).
    expect(qtyOf(e, 'probe duration (')).toBeCloseTo(33_397.5, 6);
    expect(qtyOf(e, 'probe requests')).toBe(43_800 * 5);
    // Two continuations a minute, each sent and deleted, and 3 mappings polling 15 times a minute.
    expect(qtyOf(e, 'round queues')).toBe(43_800 * (2 * 2 + 3 * 15));
    expect(e.perLocation[1]!.waitUsd).toBeCloseTo(43_800 * 1 * 0.25 * ARM, 9);
    expect(e.perLocation[0]!.waitUsd).toBe(0);
  });

  it('at the 512 MB floor, the third of three locations of a 60 s check costs about $0.73 a month by being there, not $11.76', () => {
    const e = estimateMonthlyCost(threeRegions(), 400, { ...BARE, probeMemoryMb: undefined });
    const third = e.perLocation[2]!;
    const invocations = 2 * 43_800;
    const logs = invocations * (600 + 4 * 26) * (0.5 + (30 / (730 / 24)) * 0.03) / 1024 ** 3;
    // Requests, 60 ms overhead each, the 1 s wait, its queue (2 per continuation + 15 polls a minute),
    // a heartbeat per invocation, a memory read per round, the sweep's read of its heartbeat, log lines.
    const byHand = invocations * 0.2e-6 + invocations * 0.06 * 0.5 * ARM + 43_800 * 1 * 0.5 * ARM + 43_800 * 17 * 0.4e-6
      + invocations * 0.625e-6 + 43_800 * 0.5 * 0.125e-6 + 43_800 * 0.5 * 0.125e-6 + logs;
    expect(third.waitUsd).toBeCloseTo(0.29, 2);
    expect(third.usd).toBeCloseTo(byHand, 9);
    expect(third.usd).toBeCloseTo(0.73, 2);
  });

  it('follow the plan the probe runs (shared/schedule.ts), not a copy of it: a 30 s check shifts by 10 s per location', () => {
    const usage = REGIONS.map((r) => planUsage(threeRegions({ interval: '30s' }).checks, r, { probeMs: 250, concurrency: 32, instances: 1 }));
    // Rounds at 0 and 30 s, 10 and 40 s, 20 and 50 s. A 29,750 ms gap after a round is handed on with
    // DelaySeconds 28 (1,750 ms waited); a first round at 10 or 20 s with 9 or 19 (1,000 ms).
    expect(usage.map((u) => [u.roundsPerInvocation, u.continuationsPerMinute, u.waitMs])).toEqual([[2, 1, 1_750], [2, 2, 2_750], [2, 2, 2_750]]);
    // A 5-minute check at one location: one minute in five has a round, at the start.
    const slow = planUsage(threeRegions({ interval: '5m', locations: ['us-east-1'] }).checks, 'us-east-1', { probeMs: 250, concurrency: 32, instances: 1 });
    expect(slow).toEqual({ minutes: 5, roundsPerInvocation: 0.2, probesPerMinute: 0.2, continuationsPerMinute: 0, waitMs: 0, probingMs: 50 });
  });

  it('wait in-process for a gap up to DEFER_AFTER_MS, and hand on a longer one keeping 1–2 s', () => {
    expect(billedWaitMs(0)).toEqual({ waitMs: 0, continuations: 0 });
    expect(billedWaitMs(DEFER_AFTER_MS)).toEqual({ waitMs: DEFER_AFTER_MS, continuations: 0 });
    expect(billedWaitMs(DEFER_AFTER_MS + 1)).toEqual({ waitMs: 1_001, continuations: 1 });
    expect(billedWaitMs(DEFER_AFTER_MS + 999)).toEqual({ waitMs: 1_999, continuations: 1 });
    expect(billedWaitMs(40_000)).toEqual({ waitMs: 1_000, continuations: 1 });
  });
});

describe('a private location with instances', () => {
  const cfg = (instances: number) => loadConfigObject({
    deployment: {
      homeRegion: 'eu-west-1',
      privateLocations: [{
        name: 'dc', region: 'eu-west-1', vpcId: 'vpc-0a1b2c3d4e5f60718', instances,
        availabilityZones: ['eu-west-1a', 'eu-west-1b'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
        egress: [{ cidr: '10.0.0.0/16', ports: [443] }],
      }],
    },
    defaults: { retries: 1, interval: '1m', locations: ['dc'] },
    checks: [{ id: 'db', tcp: { host: '10.0.0.5', port: 5432 } }],
  });

  it('runs N functions, each writing the location\'s heartbeat and its own, and the sweep reads them all', () => {
    const e = estimateMonthlyCost(cfg(2), 400, { ...BARE, failureRate: 0.01 });
    expect(qtyOf(e, 'probe requests')).toBe(2 * 43_800);
    expect(qtyOf(e, 'heartbeat writes')).toBe(2 * 43_800);
    expect(qtyOf(e, 'instance heartbeat writes')).toBe(2 * 43_800);
    expect(qtyOf(e, 'probe memory reads')).toBe(2 * 43_800 * 0.5);
    // 1 state + the location's heartbeat + 2 instance heartbeats; the state strongly consistent, heartbeats eventually.
    expect(e.sweep.itemsPerSweep).toBe(4);
    expect(qtyOf(e, 'sweep reads')).toBe(43_800 * (1 + 3 * 0.5));
    expect(e.perLocation).toMatchObject([{ location: 'dc', functions: 2, waitMs: 0 }]);
  });

  it('retests a failure on the other instance: one request and one short invocation there per retry', () => {
    const e = estimateMonthlyCost(cfg(2), 400, { ...BARE, failureRate: 0.01 });
    // 43,800 runs × 1% × 1 retry = 438 retests, each 250 + 60 ms at 0.25 GB.
    expect(qtyOf(e, 'confirmation (outages only) and instance-retest requests')).toBeCloseTo(438, 9);
    expect(qtyOf(e, 'probe duration of rechecks')).toBeCloseTo(438 * 0.31 * 0.25, 9);
    // Each instance: 60 ms + one wave of 250 ms + its share of waiting for retests (1% × 1 retry × 250 ms / 2 instances).
    expect(qtyOf(e, 'probe duration (')).toBeCloseTo(2 * 43_800 * (0.31 + 0.00125) * 0.25, 9);
    // One instance: nobody else to retest on, and no instance heartbeat.
    const single = estimateMonthlyCost(cfg(1), 400, { ...BARE, failureRate: 0.01 });
    expect(qtyOf(single, 'confirmation (outages only) and instance-retest requests')).toBe(0);
    expect(qtyOf(single, 'instance heartbeat writes')).toBe(43_800);
  });
});

describe('an outage', () => {
  const outage = { ...BARE, incidentsPerCheckMonth: 1 };

  it('rechecks at every location until the failure and the recovery are decided, and asks the others to confirm both ways', () => {
    const e = estimateMonthlyCost(threeRegions(), 400, outage);
    // failureThreshold 2 and recoveryThreshold 2: one recheck each way; 3 locations ask 2 others, twice.
    expect(e.perOutage).toMatchObject({ rechecksPerLocation: 2, confirmations: 12 });
    expect(qtyOf(e, 'confirmation (outages only)')).toBe(12);
    // Per location: 2 rechecks × (10 s recheck interval + 250 ms) + 4 confirmations × 310 ms, at 0.25 GB.
    expect(qtyOf(e, 'probe duration of rechecks')).toBeCloseTo(3 * (2 * 10.25 + 4 * 0.31) * 0.25, 9);
    // Each recorded run one WRU: (2 rechecks + 4 confirmations) × 3 locations; memory: set, 2 updates, remove.
    expect(qtyOf(e, 'recheck and confirmation result writes')).toBe(18);
    expect(qtyOf(e, 'probe memory updates')).toBe(12);
  });

  it('is priced as a figure of its own, from the same lines', () => {
    const e = estimateMonthlyCost(threeRegions(), 400, outage);
    const none = estimateMonthlyCost(threeRegions(), 400, BARE);
    const gbs = 3 * (2 * 10.25 + 4 * 0.31) * 0.25;
    // Each of the 18 evaluator invocations: a request, its duration, a state read and a silence Query (0.5 RRU).
    const evaluator = 18 * 0.2e-6 + 18 * 0.048 * 0.25 * ARM + 18 * 0.125e-6 + 18 * 0.5 * 0.125e-6;
    // 18 result lines of 560 + 26 bytes and 18 evaluator invocations of 478, ingested at $0.50 and kept 30 days at $0.03.
    const logs = 18 * (560 + 26 + 478) / 1024 ** 3 * (0.5 + (30 / (730 / 24)) * 0.03);
    const byHand = 12 * 0.2e-6 + gbs * ARM + (18 + 12) * 0.625e-6 + evaluator + logs + 12 * 0.625e-6 + 2 * 0.5e-6;
    expect(e.perOutage.usd).toBeCloseTo(byHand, 12);
    // The month's lines grow by exactly that, at one outage a month.
    expect(e.totalUsd - none.totalUsd).toBeCloseTo(byHand, 12);
  });

  it('sends no confirmation with confirm: false', () => {
    const e = estimateMonthlyCost(threeRegions({ alerting: { confirm: false } }), 400, outage);
    expect(e.perOutage.confirmations).toBe(0);
    expect(qtyOf(e, 'confirmation (outages only)')).toBe(0);
    expect(qtyOf(e, 'recheck and confirmation result writes')).toBe(6);
  });
});

describe('vantage cost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-cost-locations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the fixed cost per location, with its invocations and billed wait, and the cost of an outage', async () => {
    const file = join(dir, 'checks.yaml');
    writeFileSync(file, `deployment: { homeRegion: us-east-1, locations: [${REGIONS.join(', ')}] }\ndefaults: { interval: 1m, locations: [${REGIONS.join(', ')}] }\nchecks:\n  - id: api\n    http: { url: "https://example.com/" }\n`);
    const r = await runCli(['cost', '--config', file]);
    expect(r.code).toBe(0);
    const e = estimateMonthlyCost(threeRegions(), undefined, { probeMemoryFor: () => 512 });
    expect(r.stdout).toContain('Fixed cost per location');
    const rows = r.stdout.split('\n').filter((l) => /^ {2}(us-east-1|eu-west-1|ap-south-1) /.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^ {2}eu-west-1 +1 function +\$0\.\d\d +2\.0 invocation\(s\) a minute per function, billed +1\.4 s a minute of which +1\.0 s waiting \(\$0\.29\)$/);
    expect(rows[2]).toContain('1.0 s waiting');
    expect(rows[0]).toMatch(/1\.0 invocation\(s\) a minute per function, billed +0\.3 s a minute of which +0\.0 s waiting$/);
    expect(rows[1]).toContain(`$${e.perLocation[1]!.usd.toFixed(2)}`);
    expect(r.stdout).toMatch(/Per outage of a check +\$0\.\d{4}: 2 recheck\(s\) per location, 12 confirmation request\(s\)/);
  });
});

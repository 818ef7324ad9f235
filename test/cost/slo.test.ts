/**
 * `vantage cost`'s SLO accounting lines against figures worked out by hand from the formulas in
 * shared/usecases/cost/slo-usage.ts and the prices (on demand, us-east-1): $0.625 per million WRU,
 * $0.125 per million RRU, $0.25 + $0.20 (PITR) per GB-month.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { formatEstimate } from '../../cli/commands/cost.ts';
import { estimateMonthlyCost } from '../../shared/usecases/cost/index.ts';
import { representativeHour, sloUsage } from '../../shared/usecases/cost/slo-usage.ts';
import { dynamoItemBytes } from '../../shared/usecases/cost/item-size.ts';
import { rollupItemOf } from '../../shared/store/rollups.ts';

const config = loadConfigObject({
  defaults: { locations: ['eu-west-1', 'us-east-1', 'ap-southeast-2'], interval: '1m' },
  checks: [
    { id: 'api', http: { url: 'https://api.example.com/health' }, slo: { objective: 99.9 } },
    { id: 'web', http: { url: 'https://www.example.com/' } },
  ],
});
const [api] = config.checks;
const line = (e: ReturnType<typeof estimateMonthlyCost>, prefix: string) => e.lines.find((l) => l.item.startsWith(prefix));

describe('the SLO accounting in vantage cost', () => {
  it('sizes the full hour item of a 1-minute check in 3 locations at 730 bytes', () => {
    // By attribute, name + value (numbers: ceil(significant digits / 2) + 1):
    // pk 2+9, sk 2+31, type 4+6, schemaVersion 13+2, checkId 7+3, hour 4+4 (17937 00000000), ttl 3+4
    // (182826 0000), up 2+2 (3600), samples 7+2 (180), ok 2+2, fast 4+2, latSum 6+3 (22500), b2 2+2 (180),
    // and 60 minute codes of 3 + 7 ("u:3:3:3"): 130 + 600.
    expect(dynamoItemBytes(rollupItemOf(representativeHour(api!)))).toBe(730);
  });

  it('prices a check a month: one write and one sample Query per minute, burn reads every 5 minutes with an slo, 400 days kept', () => {
    const e = estimateMonthlyCost(config);
    const [a, w] = e.slo;
    // 730 h × 60 = 43,800 minutes; 730 B is 1 WRU; 3 results a minute are far under 4 KB: 0.5 RRU.
    expect(a).toMatchObject({ checkId: 'api', rollupItemBytes: 730, rollupWru: 43_800, sampleRru: 21_900 });
    // 43,800 / 5 = 8,760 readings of 3 d + 1 h = 73 items: 73 × 730 = 53,290 B, 14 × 4 KB, 7 RRU.
    expect(a!.burnRru).toBe(61_320);
    expect(w).toMatchObject({ checkId: 'web', burnRru: 0 });
    // 400 × 24 = 9,600 items of 730 + 100 B.
    expect(a!.storedBytes).toBe(7_968_000);

    expect(a!.usd.rollupWrite).toBeCloseTo(0.027375, 9);
    expect(a!.usd.sampleQuery).toBeCloseTo(0.0027375, 9);
    expect(a!.usd.burnReads).toBeCloseTo(0.007665, 9);
    expect(a!.usd.storage).toBeCloseTo(7_968_000 / 1024 ** 3 * 0.45, 9);
    expect(a!.usd.total).toBeCloseTo(0.027375 + 0.0027375 + 0.007665 + 0.0033394, 6);
    expect(w!.usd.total).toBeCloseTo(0.027375 + 0.0027375 + 0.0033394, 6);

    // Their own lines, over both checks (the burn line for the one with an slo).
    expect(line(e, 'SLO rollup writes')).toMatchObject({ service: 'DynamoDB', quantity: 87_600, unit: 'WRU', perRun: true });
    expect(line(e, 'SLO rollup writes')!.usd).toBeCloseTo(0.05475, 9);
    expect(line(e, 'SLO sample reads')).toMatchObject({ quantity: 43_800, unit: 'RRU' });
    expect(line(e, 'SLO burn-rate reads')).toMatchObject({ quantity: 61_320, unit: 'RRU', item: expect.stringContaining('1 check(s)') });
    expect(line(e, 'SLO rollup storage')!.quantity).toBeCloseTo(2 * 7_968_000 / 1024 ** 3, 12);
  });

  it('reads more than one Query unit when a minute\'s results pass 4 KB, and has no burn line without an slo', () => {
    const busy = loadConfigObject({ defaults: { locations: ['eu-west-1'], interval: '5s' }, checks: [{ id: 'fast', http: { url: 'https://example.com/' } }] });
    // 12 runs a minute of 400 B: 4,800 B, two 4 KB units: 1 RRU a minute.
    expect(sloUsage(busy.checks[0]!, () => 400).sampleRru).toBe(43_800);
    const e = estimateMonthlyCost(busy);
    expect(line(e, 'SLO burn-rate reads')).toBeUndefined();
    expect(line(e, 'SLO rollup writes')).toBeDefined();
  });
});

describe('vantage cost output', () => {
  it('prints the SLO lines and what one check costs with and without an slo', () => {
    const text = formatEstimate(estimateMonthlyCost(config), 'checks.yaml');
    expect(text).toMatch(/DynamoDB +SLO rollup writes \(one UpdateItem per check-minute\) +87,600 WRU +\$0\.05/);
    expect(text).toMatch(/DynamoDB +SLO burn-rate reads \(1 check\(s\) with an slo, longest window every 5 min\) +61,320 RRU +\$0\.0077/);
    expect(text).toContain('SLO accounting per check       $0.04 a month with an slo (rollup write $0.03, sample Query $0.0027, burn reads $0.0077, storage $0.0033); $0.03 a month without an slo (rollup write $0.03, sample Query $0.0027, burn reads $0.00, storage $0.0033); in the lines above');
  });
});

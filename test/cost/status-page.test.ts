/**
 * The status page's cost line (shared/usecases/cost/status-page.ts): its figures by hand for one
 * config, and what they grow with.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { statusPageCost, statusPageReadRru, statusPageRenders } from '../../shared/usecases/cost/status-page.ts';
import { dynamoItemBytes } from '../../shared/usecases/cost/item-size.ts';
import { representativeHour } from '../../shared/usecases/cost/slo-usage.ts';
import { rollupItemOf } from '../../shared/store/rollups.ts';

const config = loadConfigObject({
  defaults: { locations: ['us-east-1', 'eu-west-1', 'ap-southeast-1'], interval: '1m' },
  checks: [
    { id: 'api', http: { url: 'https://api.example.com/' } },
    { id: 'web', http: { url: 'https://www.example.com/' } },
    { id: 'old', enabled: false, http: { url: 'https://old.example.com/' } },
  ],
});

describe('statusPageCost', () => {
  it('bounds renders and PUTs by one per 5 minutes of a 730-hour month: 8,760, $0.0438', () => {
    expect(statusPageRenders()).toBe(8_760);
    expect(statusPageCost(config.checks).putUsd).toBeCloseTo(8_760 * 0.005 / 1000, 10);
    expect(statusPageRenders(60_000)).toBe(43_800);
  });

  it('reads each shown check\'s 90 days in a new execution environment (hourly) and its last 3 hours otherwise, in 4 KB units at half an RRU, plus two small reads', () => {
    const api = config.checks.find((c) => c.id === 'api')!;
    const itemBytes = dynamoItemBytes(rollupItemOf(representativeHour(api)));
    // 2,160 hour items of about 0.7 KB: a Query of about 1.5 MB; 3 of them fit in one 4 KB unit.
    expect(itemBytes).toBeGreaterThan(300);
    expect(statusPageReadRru(api, 'full')).toBe(0.5 * Math.ceil((2_160 * itemBytes) / 4096) + 1);
    expect(statusPageReadRru(api, 'recent')).toBe(1.5);

    const cost = statusPageCost(config.checks);
    // The disabled check is not on the page; 730 full reads and 8,030 recent ones a month.
    expect(cost.readRru).toBe(2 * (730 * statusPageReadRru(api, 'full') + 8_030 * 1.5));
    expect(cost.readUsd).toBeCloseTo(cost.readRru * 0.125 / 1e6, 10);
    expect(cost.usd).toBeCloseTo(cost.putUsd + cost.readUsd, 10);
    // Without the cache every render would be a full read: at least ten times this.
    expect(8_760 * 2 * statusPageReadRru(api, 'full')).toBeGreaterThan(10 * cost.readRru);
    console.info(cost.line);
  });

  it('says it in one line, naming CloudFront\'s free tier', () => {
    const { line } = statusPageCost(config.checks);
    expect(line).toMatch(/^status page: at most 8,760 renders and S3 PUTs a month \(\$0\.04\), render reads [\d,]+ RRU for 2 check\(s\) \(\$\d+\.\d\d\); CloudFront free up to 1 TB and 10M requests/);
    expect(line).not.toContain('\n');
  });
});

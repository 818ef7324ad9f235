/**
 * Agent locations in the cost model, worked out by hand: each instance writes its beat and Queries the
 * beats every 10 s, polls its inbox every second and reads DEFINITIONS every minute; results are
 * written as anywhere; there is no Lambda, SQS or EventBridge for the location.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { definitionsItem } from '../../shared/store/agents.ts';
import { representativeBeatBytes } from '../../shared/usecases/cost/agent-usage.ts';
import { dynamoItemBytes, estimateMonthlyCost, type CostAssumptions, type CostEstimate } from '../../shared/usecases/cost/index.ts';
import { runCli } from '../support/cli.ts';

const BARE: Partial<CostAssumptions> = { failureRate: 0, incidentsPerCheckMonth: 0, includeMetrics: false, probeMemoryMb: 256, evaluatorMemoryMb: 256, logBytesPerResult: 560 };
/** AWS's 730-hour month. */
const SECONDS = 730 * 3600;
const MINUTES = SECONDS / 60;
const WRU = 0.625 / 1e6;
const RRU = 0.125 / 1e6;

const qtyOf = (e: CostEstimate, item: string) => {
  const l = e.lines.find((x) => x.item.startsWith(item));
  if (!l) throw new Error(`no line "${item}" in ${e.lines.map((x) => x.item).join(', ')}`);
  return l.quantity;
};

function config(opts: { instances?: number; regions?: string[]; checks?: number } = {}) {
  const regions = opts.regions ?? [];
  return loadConfigObject({
    deployment: { homeRegion: 'us-east-1', locations: regions, agentLocations: [{ name: 'office', instances: opts.instances ?? 2 }] },
    // The regions first: a check's locations are staggered in this order (shared/schedule.ts), so a region keeps its own slot.
    defaults: { retries: 1, interval: '1m', locations: [...regions, 'office'] },
    checks: Array.from({ length: opts.checks ?? 1 }, (_, i) => ({ id: `api-${i}`, http: { url: `https://api.example.com/health/${i}` } })),
  });
}

describe('an agent location in the cost model', () => {
  it('counts beats, beat reads, inbox polls and DEFINITIONS reads per instance, and no Lambda, SQS or EventBridge rule', () => {
    const e = estimateMonthlyCost(config(), 400, BARE);

    expect(qtyOf(e, 'agent beat writes')).toBeCloseTo(2 * SECONDS / 10, 6);
    // Two ~300 B beats: one read unit per Query.
    expect(qtyOf(e, 'agent beat reads')).toBeCloseTo(2 * SECONDS / 10, 6);
    expect(qtyOf(e, 'agent inbox polls')).toBeCloseTo(2 * SECONDS, 6);
    expect(qtyOf(e, 'agent DEFINITIONS reads')).toBeCloseTo(2 * MINUTES, 6);
    expect(qtyOf(e, 'sweep reads of agent beats')).toBeCloseTo(MINUTES, 6);
    expect(qtyOf(e, 'probe requests')).toBe(0);
    expect(qtyOf(e, 'probe duration (')).toBe(0);
    expect(qtyOf(e, 'round queues')).toBe(0);
    // The sweep's rule only.
    expect(qtyOf(e, 'scheduled rule invocations')).toBeCloseTo(MINUTES, 6);
    // Results as anywhere; the location heartbeat once a minute per instance; the memory once a round per instance.
    expect(qtyOf(e, 'result writes')).toBeCloseTo(MINUTES, 6);
    expect(qtyOf(e, 'heartbeat writes')).toBeCloseTo(2 * MINUTES, 6);
    expect(qtyOf(e, 'probe memory reads')).toBeCloseTo(2 * MINUTES * 0.5, 6);
    expect(e.probeMemoryMb).toEqual([]);

    const requestsUsd = (2 * SECONDS / 10) * WRU + (2 * SECONDS / 10 + 2 * SECONDS + 2 * MINUTES + MINUTES) * RRU;
    expect(e.agents).toEqual([expect.objectContaining({ location: 'office', instances: 2, beatItemBytes: representativeBeatBytes('office') })]);
    expect(e.agents[0]!.usd).toBeCloseTo(requestsUsd, 9);
    expect(e.perLocation).toEqual([expect.objectContaining({ location: 'office', functions: 0, agentInstances: 2, invocationsPerMinute: 0, billedMs: 0 })]);
    // Plus the location heartbeats, the memory reads and the sweep's read of the location heartbeat.
    expect(e.perLocation[0]!.usd).toBeCloseTo(requestsUsd + 2 * MINUTES * WRU + MINUTES * RRU + MINUTES * 0.5 * RRU, 9);
    // About a third of a dollar a month per instance for the inbox alone (contracts' figure).
    expect((e.agents[0]!.inboxPollRru / 2) * RRU).toBeCloseTo(0.3285, 4);
  });

  it('sizes DEFINITIONS reads from the document the agents read: a bigger document, more read units per read', () => {
    const big = config({ checks: 40 });
    const bytes = dynamoItemBytes(definitionsItem('office', toDefinitions(big, 'office'), new Date(0)));
    expect(bytes).toBeGreaterThan(4096);

    const e = estimateMonthlyCost(big, 400, BARE);

    expect(e.agents[0]!.definitionsItemBytes).toBe(bytes);
    expect(qtyOf(e, 'agent DEFINITIONS reads')).toBeCloseTo(2 * MINUTES * Math.ceil(bytes / 4096), 6);
    expect(e.lines.find((l) => l.item.startsWith('agent DEFINITIONS reads'))?.item).toContain(`${bytes} B item`);
  });

  it('scales with instances and the beat, and retests a failure on a sibling through the inbox', () => {
    const three = estimateMonthlyCost(config({ instances: 3 }), 400, { ...BARE, agentBeatMs: 20_000 });
    expect(qtyOf(three, 'agent beat writes')).toBeCloseTo(3 * SECONDS / 20, 6);
    expect(qtyOf(three, 'agent inbox polls')).toBeCloseTo(3 * SECONDS, 6);

    // 1% of 43,800 runs retested once: request, claim, reply (1 WRU each at 400 B) and its removal; two reply polls (250 ms probe at 250 ms polls, and the one that finds it).
    const retesting = estimateMonthlyCost(config(), 400, { ...BARE, failureRate: 0.01 });
    expect(qtyOf(retesting, 'agent inbox: retests')).toBeCloseTo(MINUTES * 0.01 * 4, 6);
    expect(qtyOf(retesting, 'agent inbox: reply polls')).toBeCloseTo(MINUTES * 0.01 * 2, 6);
    expect(qtyOf(retesting, 'confirmation (outages only) and instance-retest requests')).toBe(0);
  });

  it('leaves a Lambda location beside it as it was, and creates no custom metrics for the agent\'s results', () => {
    const regionOnly = loadConfigObject({
      deployment: { homeRegion: 'us-east-1', locations: ['us-east-1'] },
      defaults: { retries: 1, interval: '1m', locations: ['us-east-1'] },
      checks: [{ id: 'api-0', http: { url: 'https://api.example.com/health/0' } }],
    });
    const mixed = estimateMonthlyCost(config({ regions: ['us-east-1'] }), 400, { ...BARE, includeMetrics: true });
    const alone = estimateMonthlyCost(regionOnly, 400, { ...BARE, includeMetrics: true });

    for (const item of ['probe requests', 'probe duration (', 'round queues', 'custom metrics: Success and Latency']) expect(qtyOf(mixed, item)).toBe(qtyOf(alone, item));
    expect(mixed.perLocation.map((l) => [l.location, l.functions, l.agentInstances])).toEqual([['us-east-1', 1, undefined], ['office', 0, 2]]);
    expect(mixed.customMetrics).toBe(alone.customMetrics);
  });
});

describe('vantage cost with an agent location', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-cost-agents-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the agent lines, the location as agents with no Lambda, and the agent assumptions', async () => {
    const file = join(dir, 'agents.json');
    writeFileSync(file, JSON.stringify({
      deployment: { homeRegion: 'us-east-1', agentLocations: [{ name: 'office', instances: 2 }] },
      defaults: { interval: '1m', locations: ['office'] },
      checks: [{ id: 'api', http: { url: 'https://api.example.com/health' } }],
    }));

    const run = await runCli(['cost', '--config', file]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/agent beat writes \(2 instance\(s\), each every 10 s\)\s+525,600 WRU\s+\$0\.33/);
    expect(run.stdout).toMatch(/agent inbox polls \(each instance, a consistent Query every 1 s\)\s+5,256,000 RRU\s+\$0\.66/);
    expect(run.stdout).toMatch(/ {2}office {2}2 agent\(s\) {3}\$\d\.\d\d {2}no Lambda/);
    expect(run.stdout).toContain('Agent locations: each instance writes a');
    const json = await runCli(['cost', '--config', file, '--json']);
    expect((JSON.parse(json.stdout) as CostEstimate).agents).toEqual([expect.objectContaining({ location: 'office', instances: 2 })]);
  });
});

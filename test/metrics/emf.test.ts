import type { Context } from 'aws-lambda';
import http from 'node:http';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { declaredMetrics, heartbeatEmf, heartbeatEmfLine, NAMESPACE, PHASE_METRICS, probeResultEmf, probeResultEmfLine } from '../../shared/metrics/emf.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { createProbeHandler } from '../../shared/usecases/probe-handler.ts';
import { specViolations } from '../support/emf-spec.ts';

const base: ProbeResult = {
  checkId: 'api',
  kind: 'http',
  target: 'https://api.example.com/health?token=abc123',
  location: 'eu-west-1',
  startedAt: '2026-11-21T10:00:00.000Z',
  ok: true,
  status: 'up',
  phases: { dns: 1.234567, connect: 10.04, tls: 20.5, ttfb: 30, transfer: 4, total: 65.77777 },
  http: { status: 200, version: 'HTTP/1.1', redirects: 0, bodyBytes: 10 },
  assertions: [],
};

/** What CloudWatch does with the line: every metric named in the directive must be a number at the root. */
function extracted(line: string) {
  const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } };
  const directive = doc._aws.CloudWatchMetrics[0]!;
  const metrics = Object.fromEntries(directive.Metrics.map((m) => [m.Name, { value: doc[m.Name], unit: m.Unit }]));
  const dimensions = directive.Dimensions.map((set) => Object.fromEntries(set.map((d) => [d, doc[d]])));
  return { doc, directive, metrics, dimensions };
}

describe('probeResultEmfLine', () => {
  it('is one JSON line with namespace Vantage, dimensions [[CheckId, Location]], and only Success and Latency as metrics', () => {
    const line = probeResultEmfLine(base);
    expect(line).not.toContain('\n');
    const { doc, directive, metrics, dimensions } = extracted(line);
    expect(doc._aws.Timestamp).toBe(Date.parse('2026-11-21T10:00:00.000Z'));
    expect(directive.Namespace).toBe(NAMESPACE);
    expect(NAMESPACE).toBe('Vantage');
    expect(directive.Dimensions).toEqual([['CheckId', 'Location']]);
    expect(dimensions).toEqual([{ CheckId: 'api', Location: 'eu-west-1' }]);
    expect(metrics).toEqual({
      Success: { value: 1, unit: 'Count' },
      Latency: { value: 65.8, unit: 'Milliseconds' },
    });
    expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
  });

  it('carries each phase in ms as a plain property, for Logs Insights, not as a metric', () => {
    const { doc, directive } = extracted(probeResultEmfLine(base));
    expect(doc).toMatchObject({ PhaseDns: 1.2, PhaseConnect: 10, PhaseTls: 20.5, PhaseTtfb: 30, PhaseTransfer: 4 });
    expect(directive.Metrics.map((m) => m.Name)).toEqual(['Success', 'Latency']);
    expect(JSON.stringify(doc._aws)).not.toContain('Phase');
  });

  it('declares the phases as metrics too when phaseMetrics is on, Success and Latency unchanged', () => {
    const line = probeResultEmfLine(base, undefined, { phaseMetrics: true });
    const { directive, metrics, dimensions } = extracted(line);
    expect(directive.Dimensions).toEqual([['CheckId', 'Location']]);
    expect(dimensions).toEqual([{ CheckId: 'api', Location: 'eu-west-1' }]);
    expect(metrics).toEqual({
      Success: { value: 1, unit: 'Count' },
      Latency: { value: 65.8, unit: 'Milliseconds' },
      PhaseDns: { value: 1.2, unit: 'Milliseconds' },
      PhaseConnect: { value: 10, unit: 'Milliseconds' },
      PhaseTls: { value: 20.5, unit: 'Milliseconds' },
      PhaseTtfb: { value: 30, unit: 'Milliseconds' },
      PhaseTransfer: { value: 4, unit: 'Milliseconds' },
    });
    // The same fields at the same place: only the directive differs.
    const { _aws: _withDirective, ...withMetrics } = JSON.parse(line) as Record<string, unknown>;
    const { _aws: _without, ...withProperties } = JSON.parse(probeResultEmfLine(base)) as Record<string, unknown>;
    expect(withMetrics).toEqual(withProperties);
  });

  it('reports a failure as Success 0 with its reason, and only the phases the probe reached', () => {
    const failed: ProbeResult = {
      ...base, ok: false, status: 'down', phases: { dns: 2, total: 5000 }, failure: { reason: 'connect_timeout', message: 'no SYN-ACK' }, retries: 1,
    };
    const { doc, metrics } = extracted(probeResultEmfLine(failed));
    expect(metrics).toEqual({
      Success: { value: 0, unit: 'Count' },
      Latency: { value: 5000, unit: 'Milliseconds' },
    });
    expect(doc).toMatchObject({ status: 'down', kind: 'http', failureReason: 'connect_timeout', retries: 1, PhaseDns: 2 });
    expect(doc).not.toHaveProperty(PHASE_METRICS.connect);
    expect(extracted(probeResultEmfLine(failed, undefined, { phaseMetrics: true })).metrics).toEqual({
      Success: { value: 0, unit: 'Count' },
      Latency: { value: 5000, unit: 'Milliseconds' },
      PhaseDns: { value: 2, unit: 'Milliseconds' },
    });
  });

  it('counts a degraded run as a success', () => {
    expect(extracted(probeResultEmfLine({ ...base, status: 'degraded' })).metrics['Success']!.value).toBe(1);
  });

  it('leaves out the target and the failure message, which can hold a token or echo a response', () => {
    const line = probeResultEmfLine({ ...base, ok: false, status: 'down', failure: { reason: 'body_mismatch', message: 'body was secret-ish' } });
    expect(line).not.toContain('abc123');
    expect(line).not.toContain('secret-ish');
  });

  it('uses the fallback location when the result has none', () => {
    const { location: _, ...noLocation } = base;
    expect(extracted(probeResultEmfLine(noLocation, 'office-dc')).dimensions).toEqual([{ CheckId: 'api', Location: 'office-dc' }]);
  });
});

describe('heartbeatEmfLine', () => {
  it('is Heartbeat = 1 with the single dimension Location', () => {
    const { doc, directive, metrics, dimensions } = extracted(heartbeatEmfLine('ap-southeast-1', 1_700_000_000_000));
    expect(doc._aws.Timestamp).toBe(1_700_000_000_000);
    expect(directive.Namespace).toBe('Vantage');
    expect(directive.Dimensions).toEqual([['Location']]);
    expect(dimensions).toEqual([{ Location: 'ap-southeast-1' }]);
    expect(metrics).toEqual({ Heartbeat: { value: 1, unit: 'Count' } });
  });
});

describe('declaredMetrics', () => {
  it('counts the custom metrics a line creates: 2 per result, 7 for HTTPS with phases, 1 per heartbeat', () => {
    expect(declaredMetrics(probeResultEmf(base))).toBe(2);
    expect(declaredMetrics(probeResultEmf(base, undefined, { phaseMetrics: true }))).toBe(7);
    const { tls: _, ...plainHttp } = base.phases;
    expect(declaredMetrics(probeResultEmf({ ...base, phases: plainHttp }, undefined, { phaseMetrics: true }))).toBe(6);
    expect(declaredMetrics(heartbeatEmf('eu-west-1', 0))).toBe(1);
  });
});

/** Results of every kind and outcome the probers produce, for the lines built from them. */
const VARIANTS: Record<string, ProbeResult> = {
  'https up': base,
  'http down at connect': { ...base, ok: false, status: 'down', phases: { dns: 2, total: 5000 }, failure: { reason: 'connect_timeout', message: 'x' }, retries: 1 },
  'degraded': { ...base, status: 'degraded' },
  'no location': (({ location: _, ...r }) => r)(base),
  'tcp': { ...base, kind: 'tcp', phases: { connect: 1, total: 2 } },
  'dns': { ...base, kind: 'dns', phases: { total: 3 } },
  'grpc not serving': { ...base, kind: 'grpc', ok: false, status: 'down', phases: { connect: 1, ttfb: 2, total: 4 }, failure: { reason: 'grpc_not_serving', message: 'x' } },
  'tls': { ...base, kind: 'tls', phases: { connect: 1, tls: 5, total: 7 } },
  'unparseable startedAt': { ...base, startedAt: 'not a date' },
  'long ids': { ...base, checkId: 'c'.repeat(1024), location: 'l'.repeat(1024) },
};

describe('every EMF line is valid against the EMF specification (test/support/emf-spec.ts)', () => {
  for (const [name, result] of Object.entries(VARIANTS)) {
    for (const phaseMetrics of [false, true]) {
      it(`${name}, phaseMetrics ${phaseMetrics}`, () => {
        expect(specViolations(probeResultEmfLine(result, 'office-dc', { phaseMetrics }))).toEqual([]);
      });
    }
  }

  it('heartbeat', () => {
    expect(specViolations(heartbeatEmfLine('eu-west-1', 1_700_000_000_000))).toEqual([]);
  });

  it('every line the probe handler writes that declares metrics, with and without phase metrics', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const { checks } = loadConfigObject({
        // One-minute checks: due every minute, in one round at the start of it.
        defaults: { timeout: '2s', retries: 0, interval: '1m', locations: ['eu-west-1'] },
        checks: [
          { id: 'web', http: { url: `http://127.0.0.1:${port}/` } },
          { id: 'closed', tcp: { host: '127.0.0.1', port: 1 } },
        ],
      });
      for (const phaseMetrics of [false, true]) {
        const lines: string[] = [];
        const store = { putResults: async (rs: readonly ProbeResult[]) => ({ written: rs.length, calls: 1 }), putHeartbeat: async () => {} };
        const handler = createProbeHandler({ checks, location: 'eu-west-1', store, write: (l) => lines.push(l), phaseMetrics, stopBeforeDeadlineMs: 0 });
        await handler({ time: '2026-11-21T10:00:00Z' }, { awsRequestId: 'emf-test' } as Context);
        const emf = lines.filter((l) => l.includes('"_aws"'));
        // Two results; the handler no longer writes a heartbeat metric (the sweep reads DynamoDB heartbeats).
        expect(emf).toHaveLength(2);
        for (const line of emf) expect(specViolations(line), line).toEqual([]);
      }
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});

/** An EMF document loosely typed, so that a test can break it in any way. */
interface LooseDoc {
  [member: string]: unknown;
  _aws: {
    Timestamp?: unknown;
    CloudWatchMetrics: Array<{ [member: string]: unknown; Dimensions: string[][]; Metrics: Array<Record<string, unknown>> }>;
  };
}

/** A valid line, changed by `plant`: the oracle must see each breach. */
function planted(plant: (doc: LooseDoc) => void): string {
  const doc = JSON.parse(probeResultEmfLine(base, undefined, { phaseMetrics: true })) as LooseDoc;
  plant(doc);
  return JSON.stringify(doc);
}

describe('the EMF oracle rejects planted bad lines', () => {
  const cases: Array<[string, (doc: LooseDoc) => void, RegExp]> = [
    ['a metric missing from the root', (d) => { delete d['Latency']; }, /metric Latency: not a member of the root/],
    ['a dimension value that is a number', (d) => { d['CheckId'] = 42; }, /dimension CheckId: value is number/],
    ['a dimension missing from the root', (d) => { delete d['Location']; }, /dimension Location: not a member of the root/],
    ['a dimension value over 1024 characters', (d) => { d['Location'] = 'x'.repeat(1025); }, /longer than 1024 characters/],
    ['a metric value that is a string', (d) => { d['Success'] = '1'; }, /metric Success: value is string/],
    ['a metric value that is null (NaN through JSON.stringify)', (d) => { d['Latency'] = null; }, /metric Latency: value is null/],
    ['a metric array with a non-number', (d) => { d['Latency'] = [1, '2']; }, /array holds a value that is not a number/],
    ['a metric array of 101 values', (d) => { d['Latency'] = Array.from({ length: 101 }, () => 1); }, /101 values, more than 100/],
    ['101 metrics in one directive', (d) => {
      const metrics = d._aws.CloudWatchMetrics[0]!.Metrics;
      for (let i = metrics.length; i < 101; i++) { metrics.push({ Name: `M${i}`, Unit: 'Count' }); d[`M${i}`] = 1; }
    }, /101 metrics, more than 100/],
    ['31 dimensions in a set', (d) => {
      d._aws.CloudWatchMetrics[0]!.Dimensions = [Array.from({ length: 31 }, (_, i) => { d[`D${i}`] = 'v'; return `D${i}`; })];
    }, /schema: \/_aws\/CloudWatchMetrics\/0\/Dimensions\/0 must NOT have more than 30 items/],
    ['no dimension set at all', (d) => { d._aws.CloudWatchMetrics[0]!.Dimensions = []; }, /must NOT have fewer than 1 items/],
    ['a metric name over 1024 characters', (d) => { d._aws.CloudWatchMetrics[0]!.Metrics[0]!['Name'] = 'n'.repeat(1025); }, /must NOT have more than 1024 characters/],
    ['a unit CloudWatch does not know', (d) => { d._aws.CloudWatchMetrics[0]!.Metrics[1]!['Unit'] = 'ms'; }, /Metrics\/1\/Unit must match pattern/],
    ['a fractional Timestamp', (d) => { d._aws.Timestamp = 1.5; }, /Timestamp must be integer/],
    ['a missing Timestamp', (d) => { delete d._aws.Timestamp; }, /must have required property 'Timestamp'/],
    ['a missing Namespace', (d) => { delete d._aws.CloudWatchMetrics[0]!['Namespace']; }, /must have required property 'Namespace'/],
    ['a StorageResolution of 5', (d) => { d._aws.CloudWatchMetrics[0]!.Metrics[0]!['StorageResolution'] = 5; }, /StorageResolution 5 is not 1 or 60/],
    ['an unknown member in a directive', (d) => { d._aws.CloudWatchMetrics[0]!['Dimension'] = []; }, /unknown member Dimension/],
  ];
  for (const [name, plant, message] of cases) {
    it(name, () => {
      const violations = specViolations(planted(plant));
      expect(violations.join('\n')).toMatch(message);
    });
  }

  it('a line that is not one JSON object, or is over 1 MB', () => {
    expect(specViolations(`START ${probeResultEmfLine(base)}`)).toEqual([expect.stringMatching(/^not JSON/)]);
    expect(specViolations('[]')).toEqual(['not a JSON object']);
    expect(specViolations(planted((d) => { d['pad'] = 'x'.repeat(1024 * 1024); }))).toEqual(['event larger than 1048576 bytes']);
  });
});

describe('Latency of an ICMP check', () => {
  it('is the average round trip, not the probe\'s total, which is mostly the gaps between echo requests', () => {
    const result: ProbeResult = {
      checkId: 'router', kind: 'icmp', target: '10.0.0.1', location: 'office', startedAt: '2026-11-03T10:00:00.000Z', ok: true, status: 'up', assertions: [],
      phases: { total: 412.3 }, icmp: { sent: 3, received: 3, errors: 0, lossPercent: 0, rtt: { min: 0.8, avg: 1.2, max: 1.9, mdev: 0.4 } },
    };
    const line = JSON.parse(probeResultEmfLine(result, 'office')) as Record<string, unknown>;
    expect(line.Latency).toBe(1.2);
    expect(line.Success).toBe(1);
  });
});

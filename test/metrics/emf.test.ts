import { describe, expect, it } from 'vitest';
import { declaredMetrics, heartbeatEmf, heartbeatEmfLine, NAMESPACE, PHASE_METRICS, probeResultEmf, probeResultEmfLine } from '../../shared/metrics/emf.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';

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

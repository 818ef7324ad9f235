/**
 * Maintenance on the dashboard: the sweep's `Maintenance` EMF line (shared/metrics/emf.ts) and the
 * graph that reads it (cdk/constructs/dashboard.ts) must name the same metric, or the shading never
 * appears. The line is checked against the EMF specification; the graph in the synthesized template.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { VantageDashboard } from '../../cdk/constructs/dashboard.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { maintenanceEmfLine, NAMESPACE } from '../../shared/metrics/emf.ts';
import { specViolations } from '../support/emf-spec.ts';

const T0 = Date.parse('2026-12-06T02:10:00.000Z');

const config = loadConfigObject({
  defaults: { locations: ['us-east-1', 'eu-west-1'] },
  checks: [
    { id: 'api', name: 'Public API', http: { url: 'https://api.example.com/health' } },
    { id: 'db', tcp: { host: 'db.internal', port: 5432 } },
  ],
});

interface Widget { properties: { title: string; metrics: unknown[][]; yAxis?: { right?: { min?: number; max?: number; label?: string } } } }

function dashboardBody(): { widgets: Widget[] } {
  const stack = new Stack(new App(), 'Home', { env: { region: 'us-east-1', account: '123456789012' } });
  new VantageDashboard(stack, 'Dashboards', { dashboardName: 'vantage', checks: config.checks, regionOf: new Map([['us-east-1', 'us-east-1'], ['eu-west-1', 'eu-west-1']]) });
  const [dashboard] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard!['Properties']['DashboardBody'] as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

describe('the Maintenance metric', () => {
  it('is one EMF document per check in maintenance, one per line, each valid by the specification', () => {
    const lines = maintenanceEmfLine(T0, ['api', 'db']).split('\n');

    expect(lines).toHaveLength(2);
    for (const line of lines) expect(specViolations(line)).toEqual([]);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual(['api', 'db'].map((id) => ({
      _aws: { Timestamp: T0, CloudWatchMetrics: [{ Namespace: 'Vantage', Dimensions: [['CheckId']], Metrics: [{ Name: 'Maintenance', Unit: 'Count' }] }] },
      CheckId: id,
      Maintenance: 1,
    })));
  });

  it('writes nothing when no check is in maintenance, so outside windows the metric does not exist', () => {
    expect(maintenanceEmfLine(T0, [])).toBe('');
  });

  it('is drawn on each check\'s availability graph, on the right axis, labelled "maintenance", from the home region, as the sweep writes it', () => {
    const { widgets } = dashboardBody();
    const written = JSON.parse(maintenanceEmfLine(T0, ['api'])) as { CheckId: string };

    for (const [check, title] of [['api', 'api (Public API): availability %'], ['db', 'db: availability %']] as const) {
      const widget = widgets.find((w) => w.properties.title === title)!;
      const maintenance = widget.properties.metrics.filter((m) => m[1] === 'Maintenance');
      expect(maintenance).toEqual([[NAMESPACE, 'Maintenance', 'CheckId', check, { label: 'maintenance', stat: 'Maximum', yAxis: 'right' }]]);
      expect(widget.properties.yAxis?.right).toEqual({ min: 0, max: 1, label: 'maintenance', showUnits: false });
    }
    // The same namespace, name and dimension the line carries: a rename on one side fails here.
    const apiWidget = widgets.find((w) => w.properties.title.startsWith('api '))!;
    expect(apiWidget.properties.metrics.find((m) => m[1] === 'Maintenance')!.slice(0, 4)).toEqual([NAMESPACE, 'Maintenance', 'CheckId', written.CheckId]);
    // Not drawn anywhere else: latency graphs have no maintenance line.
    expect(widgets.filter((w) => JSON.stringify(w).includes('Maintenance')).map((w) => w.properties.title)).toEqual(['api (Public API): availability %', 'db: availability %']);
  });
});

/** The `slo` block: defaults, the engine form, defaults.slo replaced whole, and the definitions round trip. */
import { describe, expect, it } from 'vitest';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { DEFAULT_BURN_RULES } from '../../shared/config/slo.ts';
import { policyFor } from '../../shared/evaluate/adapters.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const load = (yaml: string) => loadConfigText(yaml).checks;

describe('slo config', () => {
  it('fills the defaults: a 30-day availability SLO, PARTIAL not bad, the workbook rules', () => {
    const [check] = load('checks: [{ id: a, http: { url: "https://example.com" }, slo: { objective: 99.9 } }]');
    expect(check!.slo).toEqual({ objective: 99.9, windowMs: 30 * DAY, sli: 'availability', countPartial: false, burnRates: [...DEFAULT_BURN_RULES] });
    expect(DEFAULT_BURN_RULES.map((r) => [r.name, r.factor, r.longMs, r.shortMs])).toEqual([
      ['page-1h', 14.4, HOUR, 5 * 60_000], ['page-6h', 6, 6 * HOUR, 30 * 60_000], ['ticket-3d', 1, 3 * DAY, 6 * HOUR],
    ]);
  });

  it('leaves out the default rules longer than a short window', () => {
    const [check] = load('checks: [{ id: a, http: { url: "https://example.com" }, slo: { objective: 99, window: 1d } }]');
    expect(check!.slo!.burnRates.map((r) => r.name)).toEqual(['page-1h', 'page-6h']);
  });

  it('reads every field, names rules by severity and long window', () => {
    const [check] = load(`
checks:
  - id: a
    http: { url: "https://example.com" }
    slo:
      objective: 99.5
      window: 7d
      sli: latency
      latencyThreshold: 500ms
      countPartial: true
      burnRates: [{ severity: ticket, factor: 2.5, long: 90m, short: 10m }]
`);
    expect(check!.slo).toEqual({
      objective: 99.5, windowMs: 7 * DAY, sli: 'latency', latencyThresholdMs: 500, countPartial: true,
      burnRates: [{ name: 'ticket-90m', severity: 'ticket', factor: 2.5, longMs: 90 * 60_000, shortMs: 10 * 60_000 }],
    });
  });

  it("applies defaults.slo to checks without one, and a check's slo replaces it whole", () => {
    const checks = load(`
defaults: { slo: { objective: 99.9, countPartial: true, window: 7d } }
checks:
  - { id: a, http: { url: "https://example.com" } }
  - { id: b, http: { url: "https://example.com" }, slo: { objective: 95 } }
`);
    expect(checks[0]!.slo).toMatchObject({ objective: 99.9, countPartial: true, windowMs: 7 * DAY });
    // Not merged: b's countPartial and window are the built-in defaults, not defaults.slo's.
    expect(checks[1]!.slo).toMatchObject({ objective: 95, countPartial: false, windowMs: 30 * DAY });
  });

  it('gives no slo without one, and policyFor carries the slo', () => {
    const checks = load(`
checks:
  - { id: a, http: { url: "https://example.com" } }
  - { id: b, http: { url: "https://example.com" }, slo: { objective: 99 } }
`);
    expect(checks[0]!.slo).toBeUndefined();
    expect('slo' in policyFor(checks[0]!)).toBe(false);
    expect(policyFor(checks[1]!).slo).toEqual(checks[1]!.slo);
  });

  it('survives the definitions file: toDefinitions reads the checks back through the schema', () => {
    const config = loadConfigText(`
checks:
  - id: a
    http: { url: "https://example.com" }
    slo: { objective: 99.95, window: 14d, sli: latency, latencyThreshold: 1.5s, burnRates: [{ severity: page, factor: 10, long: 2h, short: 10m }] }
`);
    const doc = toDefinitions(config);
    expect(doc.checks[0]!.slo).toEqual(config.checks[0]!.slo);
  });
});

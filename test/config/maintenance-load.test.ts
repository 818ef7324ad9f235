/**
 * Issue 12's config through the loader and the definitions file: maintenance windows in the engine's
 * form, the new alerting fields merged from the defaults, and the file proving it survives unchanged.
 */
import { describe, expect, it } from 'vitest';
import { DefinitionsError, definitionsHash, parseDefinitions, readDefinitions, toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigText } from '../../shared/config/load.ts';

const YAML = `
channels:
  oncall: { email: [oncall@example.com] }
  manager: { email: [manager@example.com] }
  cto: { email: [cto@example.com] }
defaults:
  locations: [eu-west-1, us-east-1, ap-south-1]
  alerting: { window: 5, failureThreshold: 3, channels: [oncall], flapping: { changes: 4, within: 30m }, escalate: [{ after: 15m, channels: [manager] }] }
checks:
  - { id: api, tags: { team: payments }, http: { url: "https://api.example.com/health" } }
  - id: own
    http: { url: "https://own.example.com/" }
    alerting: { failureThreshold: 2, flapping: { changes: 6, within: 1h }, escalate: [{ after: 10m, channels: [manager] }, { after: 1h, channels: [cto, manager] }] }
  - { id: db, locations: [eu-west-1], tcp: { host: db.internal, port: 5432 }, alerting: { window: 10 } }
maintenance:
  - name: weekly-deploy
    checks: [api]
    cron: "0 2 * * 0"
    duration: 30m
    timezone: Europe/Amsterdam
  - { name: payments-nightly, tags: { team: payments }, cron: "30 1 * * MON-FRI", duration: 1h }
  - name: db-migration
    start: 2026-12-05T22:00:00Z
    end: 2026-12-06T02:00:00+01:00
`;

const config = loadConfigText(YAML);
const byId = (id: string) => {
  const check = config.checks.find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id}`);
  return check;
};

describe('loading maintenance windows', () => {
  it('gives each window in the engine form: ms, epoch ms, and UTC when a cron names no zone', () => {
    expect(config.maintenance).toEqual([
      { name: 'weekly-deploy', checks: ['api'], cron: '0 2 * * 0', durationMs: 1_800_000, timezone: 'Europe/Amsterdam' },
      { name: 'payments-nightly', tags: { team: 'payments' }, cron: '30 1 * * MON-FRI', durationMs: 3_600_000, timezone: 'UTC' },
      { name: 'db-migration', start: Date.UTC(2026, 11, 5, 22), end: Date.UTC(2026, 11, 6, 1) },
    ]);
  });

  it('is an empty list when the config has none', () => {
    expect(loadConfigText('checks: [{ id: a, http: { url: "https://example.com" } }]').maintenance).toEqual([]);
  });
});

describe('merging the new alerting fields', () => {
  it('takes window, flapping and escalate from the defaults, in ms', () => {
    expect(byId('api').alerting).toMatchObject({
      window: 5, failureThreshold: 3, flapping: { changes: 4, withinMs: 1_800_000 }, escalate: [{ afterMs: 900_000, channels: ['manager'] }],
    });
  });

  it("replaces the default's whole value with a check's own key (no merging inside flapping or escalate)", () => {
    const a = byId('own').alerting;
    expect(a.flapping).toEqual({ changes: 6, withinMs: 3_600_000 });
    expect(a.escalate).toEqual([{ afterMs: 600_000, channels: ['manager'] }, { afterMs: 3_600_000, channels: ['cto', 'manager'] }]);
    expect([a.window, a.failureThreshold]).toEqual([5, 2]);
    expect(byId('db').alerting).toMatchObject({ window: 10, failureThreshold: 3 });
  });

  it('leaves the fields out when nothing sets them', () => {
    const a = loadConfigText('checks: [{ id: a, http: { url: "https://example.com" } }]').checks[0]?.alerting;
    expect(a && ['window', 'flapping', 'escalate'].filter((k) => k in a)).toEqual([]);
  });
});

describe('the definitions file with maintenance and the new policy fields', () => {
  it('round-trips through JSON, zod and the cold-start check unchanged', () => {
    const text = JSON.stringify(toDefinitions(config));

    const back = parseDefinitions(text);
    const atColdStart = readDefinitions(text);

    expect(back.maintenance).toEqual(config.maintenance);
    expect(back.checks).toEqual(config.checks);
    expect(atColdStart).toEqual(back);
  });

  it("carries maintenance in the evaluator's file only", () => {
    expect(toDefinitions(config, 'eu-west-1').maintenance).toBeUndefined();
    expect(toDefinitions(loadConfigText('checks: [{ id: a, http: { url: "https://example.com" } }]')).maintenance).toEqual([]);
  });

  /** The evaluator's file with `edit` applied and the hash recomputed, as a careless hand edit would. */
  function edited(edit: (doc: Record<string, any>) => void): Record<string, unknown> {
    const doc = JSON.parse(JSON.stringify(toDefinitions(config))) as Record<string, any>;
    edit(doc);
    return { ...doc, sha256: definitionsHash(doc) };
  }

  const issuesOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof DefinitionsError) return err.issues.map((i) => `${i.path}: ${i.message}`);
      throw err;
    }
    return [];
  };

  it('refuses a window the engine cannot read, at cold start and in the full check alike', () => {
    const doc = edited((d) => {
      d.maintenance[0].cron = '0 25 * * 0';
      d.maintenance[1].timezone = 'Europe/Amsterdan';
      d.maintenance[2].end = d.maintenance[2].start;
      delete d.maintenance[1].durationMs;
    });
    const expected = [
      'maintenance[0].cron: field 2 (hour) "25" is out of range 0-23',
      'maintenance[1].durationMs: required with cron',
      'maintenance[1].timezone: unknown IANA time zone "Europe/Amsterdan"',
      'maintenance[2].end: is not after start',
    ];
    expect(issuesOf(() => readDefinitions(doc)).sort()).toEqual(expected);
    expect(issuesOf(() => parseDefinitions(doc))).toEqual(expect.arrayContaining(expected));
  });

  it('refuses new policy fields of the wrong shape at cold start', () => {
    const doc = edited((d) => {
      d.checks[0].alerting.window = '5';
      d.checks[0].alerting.flapping = { changes: 4 };
      d.checks[1].alerting.escalate[1] = { afterMs: 0, channels: ['cto'] };
    });
    expect(issuesOf(() => readDefinitions(doc)).sort()).toEqual([
      'checks[0].alerting.flapping.withinMs: required',
      'checks[0].alerting.window: expected a whole number',
      'checks[1].alerting.escalate[1].afterMs: expected a number of milliseconds above 0',
    ]);
  });

  it('names a window that the schema would make differently (a field zod drops or rewrites)', () => {
    const doc = edited((d) => {
      d.maintenance[0].colour = 'red';
      d.maintenance[1].durationMs += 0.5;
      d.maintenance[2].timezone = 'UTC';
    });
    expect(readDefinitions(doc).maintenance).toHaveLength(3);
    expect(issuesOf(() => parseDefinitions(doc)).sort()).toEqual([
      'maintenance[0].colour: unknown key',
      'maintenance[1].durationMs: differs from what the schema makes of it',
      'maintenance[2].timezone: only with cron; start and end carry their own zone',
    ]);
  });
});

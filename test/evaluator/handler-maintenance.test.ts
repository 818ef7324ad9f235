/** The deployed evaluator takes the maintenance windows from its bundled definitions, for every check's policy. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { depsFromEnvironment } from '../../functions/evaluator/handler.ts';
import { toDefinitions } from '../../shared/config/definitions.ts';
import { loadConfigObject } from '../../shared/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'vantage-evaluator-maintenance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function depsFor(name: string, maintenance?: unknown[]) {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(toDefinitions(loadConfigObject({
    defaults: { locations: ['eu-west-1'], alerting: { channels: ['oncall'] } },
    channels: { oncall: { email: ['oncall@example.com'] } },
    checks: [{ id: 'api', http: { url: 'https://api.example.com/health' } }],
    ...(maintenance && { maintenance }),
  }))));
  return depsFromEnvironment({ TABLE_NAME: 'vantage-results', TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:vantage-alerts', DEFINITIONS_PATH: path });
}

describe('the evaluator\'s maintenance windows', () => {
  it('are the definitions\' windows, in engine form', () => {
    const deps = depsFor('with', [
      { name: 'weekly-deploy', checks: ['api'], cron: '0 2 * * 0', duration: '30m', timezone: 'Europe/Amsterdam' },
      { name: 'db-migration', start: '2026-12-05T22:00:00Z', end: '2026-12-06T01:00:00Z' },
    ]);

    expect(deps.maintenance).toEqual([
      expect.objectContaining({ name: 'weekly-deploy', checks: ['api'], cron: '0 2 * * 0', durationMs: 30 * 60_000, timezone: 'Europe/Amsterdam' }),
      expect.objectContaining({ name: 'db-migration', start: Date.parse('2026-12-05T22:00:00Z'), end: Date.parse('2026-12-06T01:00:00Z') }),
    ]);
  });

  it('are none when the config has none', () => {
    expect(depsFor('without').maintenance).toEqual([]);
  });
});

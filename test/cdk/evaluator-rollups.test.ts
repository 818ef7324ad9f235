/**
 * The evaluator's table access for the SLO rollups as `cdk synth` writes it: the sweep Queries a
 * check's minute of results and its hours, and UpdateItems its hour's ROLLUP item, on check
 * partitions only (LeadingKeys CHECK#*). Bundling is skipped (`aws:cdk:bundling-stacks: []`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildVantage } from '../../cdk/vantage.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { actionsOf, cdkContext, policiesOf } from './template-walk.ts';

type Json = Record<string, unknown>;

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const CONFIG = `
deployment:
  homeRegion: us-east-1
  account: "123456789012"
  locations: [us-east-1]
defaults: { locations: [us-east-1] }
checks:
  - id: api
    http: { url: "https://example.com" }
    slo: { objective: 99.9 }
`;

function evaluatorStatements(): Json[] {
  const outdir = mkdtempSync(join(tmpdir(), 'vantage-cdk-rollups-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildVantage(app, loadConfigText(CONFIG));
  const raw = app.synth().getStackByName(stacks.home.stackName).template as { Resources: Record<string, Json> };
  const [roleId] = Object.keys(raw.Resources).filter((id) => id.startsWith('EvaluatorHandlerRole'));
  return policiesOf(raw)
    .filter((p) => p.type === 'AWS::IAM::Policy' && JSON.stringify(raw.Resources[p.where]!['Properties']).includes(`{"Ref":"${roleId}"}`))
    .flatMap((p) => p.statements);
}

describe('the evaluator\'s rollup access', () => {
  const statements = evaluatorStatements();

  it('may Query and UpdateItem check partitions, and only those', () => {
    expect(statements.filter((s) => s['Sid'] === 'SweepRollups')).toEqual([{
      Sid: 'SweepRollups',
      Effect: 'Allow',
      Action: ['dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ResultsTable/), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CHECK#*'] } },
    }]);
  });

  it('has no Query or UpdateItem without a LeadingKeys condition', () => {
    const scoped = statements.filter((s) => actionsOf(s).some((a) => a === 'dynamodb:Query' || a === 'dynamodb:UpdateItem'));
    expect(scoped.length).toBeGreaterThanOrEqual(3);
    for (const s of scoped) expect(JSON.stringify(s['Condition'] ?? {}), String(s['Sid'])).toContain('dynamodb:LeadingKeys');
  });
});

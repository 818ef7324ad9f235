import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigObject } from '../../../shared/config/load.ts';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Alert channels'), readme.indexOf('\n## ', readme.indexOf('## Alert channels') + 1));
/** `"arn:…"` is the README's shorthand for a full ARN. */
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:example-AbCdEf';

describe('the README "Alert channels" section', () => {
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('has a config example for every kind', () => {
    for (const kind of ['email:', 'webhook:', 'secret:', 'slack:', 'teams:', 'pagerduty:']) expect(blocks.some((b) => b.includes(kind)), kind).toBe(true);
  });

  it('shows only configs the schema accepts', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const block of blocks) {
      const doc = parse(block.replace(/"arn:…"/g, JSON.stringify(ARN))) as Record<string, unknown>;
      expect(() => loadConfigObject({ ...doc, defaults: { locations: ['eu-west-1'] }, checks: [{ id: 'a', tcp: { host: 'h', port: 1 } }] }), block).not.toThrow();
    }
  });
});

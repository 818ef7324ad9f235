/**
 * Hostile and malformed configs (issue 9): every failure is a ConfigError with a path or a line, never
 * another exception, and the documents that attack the loader (alias bombs, deep nesting) are refused
 * without expanding them. Fixed cases live as fixtures (invalid-yaml-*.yaml); these are the ones that
 * are generated or need more than an exact message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfigObject, loadConfigText } from '../../shared/config/load.ts';
import { MAX_NODES } from '../../shared/config/yaml.ts';
import { ConfigError } from '../../shared/errors.ts';
import { configIssues } from '../support/config-issues.ts';

const problems = configIssues;

/** `levels` anchors, each a list of `width` aliases of the one before: width^levels leaves. */
function laughs(levels: number, width: number): string {
  const lines = ['checks: []', 'x:', `  a0: &a0 [${Array(width).fill('lol').join(', ')}]`];
  for (let i = 1; i < levels; i++) lines.push(`  a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

describe('YAML aliases', () => {
  it('lets a real config reuse one anchor 150 times (the yaml package alone stops at 100)', () => {
    const checks = Array.from({ length: 150 }, (_, i) => `  - { id: c${i}, http: { url: "https://example.com/${i}", headers: *h } }`);
    const yaml = `checks:\n  - id: first\n    http: { url: "https://example.com/", headers: &h { Accept: application/json, X-Team: web } }\n${checks.join('\n')}\n`;
    const cfg = loadConfigText(yaml);
    expect(cfg.checks).toHaveLength(151);
    for (const c of cfg.checks) {
      if (c.kind !== 'http') throw new Error('kind');
      expect(c.http.headers).toEqual({ Accept: 'application/json', 'X-Team': 'web' });
    }
  });

  it('refuses a 10^30-leaf bomb at its first node past the limit: it could never finish if it expanded', () => {
    const found = problems(() => loadConfigText(laughs(30, 10)));
    // a0 is 11 nodes and a_k is 1 + 10 × a_(k-1): a4 is 111,111 and a5 (line 8) the first past 200,000.
    expect(found).toEqual([{ path: 'line 8:11', message: `expands to more than ${MAX_NODES} nodes through its aliases` }]);
  });

  it('accepts a document just under the limit, so the limit is on the size and not on alias use', () => {
    // 4 levels of width 10: a3 expands to 11,111 nodes, and 10 more uses of it make about 123,000 in all.
    const yaml = `${laughs(4, 10).replace('checks: []\nx:\n', 'checks: []\ntags:\n')}  uses: [${Array(10).fill('*a3').join(', ')}]\n`;
    // `tags` is not a top-level key, so the only problem is that one: the aliases were all expanded.
    expect(problems(() => loadConfigText(yaml))).toEqual([{ path: 'tags', message: 'unknown key' }]);
  });
});

describe('nesting', () => {
  it('refuses flow nesting deep enough to exhaust the parser itself, on its line', () => {
    const found = problems(() => loadConfigText(`checks: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`));
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toMatch(/^line 1:\d+$/);
    expect(found[0]!.message).toBe('nested deeper than 64 levels');
  });

  it('refuses a TypeScript config nested past the limit, and a cyclic one, without overflowing the stack', () => {
    const cyclic: Record<string, unknown> = { id: 'a', http: { url: 'https://example.com' } };
    cyclic.tags = cyclic;
    const found = problems(() => loadConfigObject({ checks: [cyclic] }));
    expect(found).toContainEqual({ path: expect.stringMatching(/^checks\[0\](\.tags)+\.\w+$/), message: 'nested deeper than 64 levels' });
  });
});

describe('prototype keys', () => {
  it('refuses "__proto__" as an own key from JSON, where JSON.parse makes it one', () => {
    const input = JSON.parse('{"channels": {"__proto__": {"email": ["a@example.com"]}}, "checks": []}');
    expect(problems(() => loadConfigObject(input))).toEqual([{ path: 'channels.__proto__', message: 'reserved key: "__proto__" cannot be a name here' }]);
  });

  it('accepts "constructor" as a declared channel name and delivers to it', () => {
    const cfg = loadConfigText('channels: { constructor: { email: [a@example.com] } }\nchecks: []\n');
    expect(Object.keys(cfg.channels)).toEqual(['constructor']);
    const ok = loadConfigText('channels: { constructor: { email: [a@example.com] } }\nchecks:\n  - { id: a, http: { url: "https://example.com" }, alerting: { channels: [constructor] } }\n');
    expect(ok.checks[0]!.alerting.channels).toEqual(['constructor']);
  });
});

describe('anything at all', () => {
  it('fails only with ConfigError on arbitrary text', () => {
    const fragments = fc.constantFrom('checks:', '- ', '&a ', '*a ', '[', ']', '{', '}', ': ', '\n', '  ', '"', "'", '#', '---\n', '<<: ', '!!binary ', '? ', 'id: x', '__proto__: ', '1e400', '${env:X}', 'http: ', 'url: https://u:p@h/');
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(fragments, { maxLength: 40 }).map((a) => a.join(''))), (text) => {
      try {
        loadConfigText(text);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        expect(err.issues.length).toBeGreaterThan(0);
        for (const i of err.issues) expect(i.path).not.toBe('');
      }
    }), { numRuns: 400, seed: 9 });
  });
});

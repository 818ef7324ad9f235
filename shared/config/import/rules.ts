/**
 * Alerting rules on `probe_success` as each check's `alerting.for`. The expressions imported are the
 * ones that mean "the probe failed": `probe_success == 0`, `< 1` or `!= 1`, with optional label
 * matchers, which are matched against each check's labels (job, instance and the target's own).
 * Without `for:` Prometheus fires at the first failed evaluation, which is `failureThreshold: 1`.
 */
import { parseGoDuration } from './go-duration.ts';
import type { Notes } from './notes.ts';
import type { Labels } from './relabel.ts';
import { translateRe2 } from './re2.ts';
import { list, obj, str } from './shape.ts';

export interface ProbeRule {
  /** Where the rule is: `groups[0].rules[1]`. */
  at: string;
  alert: string;
  /** undefined: no `for`, so fires at once. */
  forMs?: number;
  matches: (labels: Labels) => boolean;
}

const FAILED = /^\s*probe_success\s*(?:\{([^}]*)\})?\s*(?:==\s*0|<\s*1|!=\s*1)\s*$/;
const MATCHER = /\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

type Matcher = (labels: Labels) => boolean;

function matchers(body: string, path: string, notes: Notes): Matcher[] | undefined {
  const out: Matcher[] = [];
  MATCHER.lastIndex = 0;
  while (MATCHER.lastIndex < body.trim().length) {
    const start = MATCHER.lastIndex;
    const m = MATCHER.exec(body);
    if (!m || MATCHER.lastIndex === start) {
      notes.add(path, 'dropped', `cannot read the label matchers {${body}}`);
      return undefined;
    }
    const [, name, op, raw] = m as unknown as [string, string, string, string];
    const value = raw.replace(/\\(.)/g, '$1');
    if (op === '=' || op === '!=') {
      out.push((l) => ((l[name] ?? '') === value) === (op === '='));
      continue;
    }
    const t = translateRe2(value);
    if (!t.ok) {
      notes.add(path, 'dropped', `the matcher ${name}${op}"${value}" uses ${t.reason}`);
      return undefined;
    }
    const re = new RegExp(`^(?:${t.source})$`);
    out.push((l) => re.test(l[name] ?? '') === (op === '=~'));
  }
  return out;
}

export function probeRules(doc: unknown, notes: Notes): ProbeRule[] {
  const out: ProbeRule[] = [];
  let others = 0;
  list(obj(doc).groups).forEach((g, i) => list(obj(g).rules).forEach((r, j) => {
    const at = `groups[${i}].rules[${j}]`;
    const rule = obj(r);
    const expr = str(rule.expr) ?? '';
    if (str(rule.alert) === undefined || !expr.includes('probe_success')) {
      others++;
      return;
    }
    const m = FAILED.exec(expr);
    if (!m) return notes.add(`${at}.expr`, 'dropped', `${expr.trim()}: only probe_success == 0 (or < 1, != 1) with label matchers is imported`);
    const ms = matchers(m[1] ?? '', `${at}.expr`, notes);
    if (!ms) return;
    const forMs = rule.for === undefined ? undefined : parseGoDuration(rule.for);
    if (rule.for !== undefined && forMs === undefined) return notes.add(`${at}.for`, 'dropped', `cannot read the duration ${JSON.stringify(rule.for)}`);
    if (rule.keep_firing_for !== undefined) notes.add(`${at}.keep_firing_for`, 'approximated', 'Vantage resolves after recoveryThreshold passing runs (default 2) instead');
    out.push({ at, alert: str(rule.alert)!, ...(forMs !== undefined && forMs > 0 && { forMs }), matches: (l) => ms.every((f) => f(l)) });
  }));
  if (others > 0) notes.add('groups', 'dropped', `${others} rule(s) not on probe_success (recording rules, other metrics) are not about probes and were not imported`);
  return out;
}

/**
 * Prometheus relabelling (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config),
 * enough of it to find each target's `__param_target` and `__param_module`: `replace` (the default),
 * `keep`, `drop`, `labelmap`, `labeldrop`, `labelkeep`, `lowercase`, `uppercase`. Regexes are anchored
 * at both ends and written in RE2, as Prometheus compiles them.
 */
import type { Notes } from './notes.ts';
import { translateRe2 } from './re2.ts';
import { obj, str, strings } from './shape.ts';

export type Labels = Record<string, string>;

/** `$1`, `${1}`, `$name` and `${name}` from a match, as Go's Regexp.Expand does; unknown groups expand to "". */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(?:\{(\w+)\}|(\w+)|\$)/g, (all, braced?: string, bare?: string) => {
    if (all === '$$') return '$';
    const name = (braced ?? bare)!;
    return (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? '';
  });
}

function anchored(source: string | undefined, path: string, notes: Notes): RegExp | undefined {
  const t = translateRe2(source ?? '(.*)');
  if (!t.ok) {
    notes.add(path, 'dropped', `the RE2 pattern ${JSON.stringify(source)} uses ${t.reason}; the rule is skipped`);
    return undefined;
  }
  return new RegExp(`^(?:${t.source})$`);
}

/** Applies the rules in order; undefined when a keep or drop rule drops the target. */
export function relabel(labels: Labels, rules: unknown[], at: string, notes: Notes): Labels | undefined {
  let out: Labels = { ...labels };
  for (const [i, raw] of rules.entries()) {
    const path = `${at}[${i}]`;
    const rule = obj(raw);
    const action = (str(rule.action) ?? 'replace').toLowerCase();
    const re = anchored(str(rule.regex), `${path}.regex`, notes);
    if (!re) continue;
    const value = strings(rule.source_labels).map((l) => out[l] ?? '').join(str(rule.separator) ?? ';');
    const target = str(rule.target_label);
    switch (action) {
      case 'replace': {
        const m = re.exec(value);
        if (!m || target === undefined) break;
        const result = expand(str(rule.replacement) ?? '$1', m);
        if (result === '') delete out[expand(target, m)];
        else out[expand(target, m)] = result;
        break;
      }
      case 'lowercase':
      case 'uppercase':
        if (target !== undefined) out[target] = action === 'lowercase' ? value.toLowerCase() : value.toUpperCase();
        break;
      case 'keep':
      case 'drop':
        if (re.test(value) !== (action === 'keep')) return undefined;
        break;
      case 'labelmap':
        for (const [name, v] of Object.entries(out)) {
          const m = re.exec(name);
          if (m) out[expand(str(rule.replacement) ?? '$1', m)] = v;
        }
        break;
      case 'labeldrop':
      case 'labelkeep':
        out = Object.fromEntries(Object.entries(out).filter(([name]) => re.test(name) === (action === 'labelkeep')));
        break;
      default:
        notes.add(`${path}.action`, 'dropped', `${action} is not applied by the import; targets are read as if the rule were absent`);
    }
  }
  return out;
}

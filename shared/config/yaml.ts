/**
 * YAML text to a plain value, with every failure a ConfigError that names its line.
 *
 * Aliases: the `yaml` package refuses more than 100 alias expansions by default, which a real config
 * that reuses one anchor for 150 checks exceeds, and its limit is a count, not a size. Instead the
 * document is measured here before it is converted: the size of every node with its aliases expanded
 * (memoised, so one pass over the parsed document whatever the aliases multiply to), and the depth.
 * A billion-laughs document is refused at its first node that would expand past MAX_NODES, after
 * work and memory proportional to the text; whatever passes is then small enough to walk as a tree.
 */
import { isAlias, isCollection, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node, type YAMLError } from 'yaml';
import { ConfigError, VantageError, type ConfigIssue } from '../errors.ts';
import { MAX_DEPTH } from './raw.ts';

/**
 * Nodes (maps, lists, scalars) after alias expansion. A check is 10–40 nodes, so this allows several
 * thousand checks, and a tree this size converts and validates in well under a second.
 */
export const MAX_NODES = 200_000;

class Refused extends VantageError {
  readonly node: unknown;
  constructor(node: unknown, message: string) {
    super('CONFIG_INVALID', message);
    this.node = node;
  }
}

interface Measure {
  size: number;
  height: number;
}

/** Each alias's target, as the `yaml` package resolves it: the last node with its anchor before it, in document order. */
function aliasTargets(doc: Document): Map<Node, Node | undefined> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node | undefined>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

function measureDocument(doc: Document): void {
  const targets = aliasTargets(doc);
  const done = new Map<unknown, Measure>();
  const active = new Set<unknown>();

  const measure = (node: unknown, depth: number): Measure => {
    if (node === null || node === undefined) return { size: 0, height: 0 };
    if (isAlias(node)) {
      const target = targets.get(node);
      if (target === undefined) throw new Refused(node, `unknown alias *${node.source}: the anchor &${node.source} must be defined before it is used`);
      if (active.has(target)) throw new Refused(node, `alias *${node.source} is inside its own anchor`);
      return measure(target, depth);
    }
    const known = done.get(node);
    if (known) {
      if (depth + known.height > MAX_DEPTH) throw new Refused(node, `nested deeper than ${MAX_DEPTH} levels`);
      return known;
    }
    if (isScalar(node)) return { size: 1, height: 0 };
    if (depth >= MAX_DEPTH) throw new Refused(node, `nested deeper than ${MAX_DEPTH} levels`);
    active.add(node);
    // A pair is not a level of the value it becomes: a map's values sit one level below the map.
    const pair = isPair(node);
    let size = pair ? 0 : 1;
    let height = 0;
    const add = (child: unknown) => {
      const m = measure(child, pair ? depth : depth + 1);
      size += m.size;
      height = Math.max(height, pair ? m.height : m.height + 1);
      if (size > MAX_NODES) throw new Refused(node, `expands to more than ${MAX_NODES} nodes through its aliases`);
    };
    if (isPair(node)) {
      add(node.key);
      add(node.value);
    } else if (isCollection(node)) {
      for (const item of node.items) add(item);
    }
    active.delete(node);
    const m = { size, height };
    done.set(node, m);
    return m;
  };
  measure(doc.contents, 0);
}

/** Errors whose own words are about the parser's API or its stack rather than the document. */
const REWORDED: Partial<Record<YAMLError['code'], string>> = {
  RESOURCE_EXHAUSTION: `nested deeper than ${MAX_DEPTH} levels`,
  MULTIPLE_DOCS: 'a config is one YAML document: remove the second "---" and what follows, or merge them',
};

function where(lines: LineCounter, node: unknown): string {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  if (!range) return '(yaml)';
  const { line, col } = lines.linePos(range[0]);
  return `line ${line}:${col}`;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Parses YAML text to a plain value; throws ConfigError with every syntax error, or the first alias or size problem. */
export function parseYaml(text: string, source?: string): unknown {
  const lines = new LineCounter();
  const fail = (issues: ConfigIssue[]): never => {
    throw new ConfigError(issues, source);
  };
  let doc: Document;
  try {
    doc = parseDocument(text, { prettyErrors: true, lineCounter: lines });
  } catch (err) {
    // The parser reports its own failures in doc.errors; anything thrown is a bug in it, still the config's to fix.
    return fail([{ path: '(yaml)', message: firstLine(String((err as Error).message)) }]);
  }
  if (doc.errors.length > 0) {
    // The parser's stack ran out (RESOURCE_EXHAUSTION): once is enough, and its own words are about the stack.
    const exhausted = doc.errors.filter((e) => e.code === 'RESOURCE_EXHAUSTION').slice(0, 1);
    const errors = [...doc.errors.filter((e) => e.code !== 'RESOURCE_EXHAUSTION'), ...exhausted];
    fail(errors.map((e) => ({
      path: e.linePos ? `line ${e.linePos[0].line}:${e.linePos[0].col}` : '(yaml)',
      message: REWORDED[e.code] ?? firstLine(e.message),
    })));
  }
  try {
    measureDocument(doc);
  } catch (err) {
    if (err instanceof Refused) fail([{ path: where(lines, err.node), message: err.message }]);
    if (err instanceof RangeError) fail([{ path: '(yaml)', message: 'nested too deeply to read' }]);
    throw err;
  }
  try {
    // The measure above bounds what the aliases expand to, so the package's own count is not needed.
    return doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    return fail([{ path: '(yaml)', message: firstLine(String((err as Error).message)) }]);
  }
}

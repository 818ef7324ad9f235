/**
 * Go RE2 regexps (https://github.com/google/re2/wiki/Syntax), as the exporter compiles its
 * `fail_if_*` and `expect` patterns, rewritten as JavaScript regexps with the same meaning when
 * compiled with no flags (how Vantage compiles them, shared/probe/http-assertions.ts and dns.ts).
 *
 * The constructs that differ:
 * - flag groups `(?i)`, `(?s)`, `(?m)` and `(?i:…)`: JavaScript has no inline flags before Node 23,
 *   and Lambda may run Node 22, so they are spelled out: a letter under `i` becomes `[aA]`, `.` under
 *   `s` becomes `[\s\S]`, `^` and `$` under `m` become look-arounds for a newline.
 * - `.` without `s` is left as it is: RE2 matches anything but `\n`, JavaScript also refuses `\r`,
 *   U+2028 and U+2029, which matters only to a pattern that must match a `\r` with `.`; rewriting
 *   every `.` as `[^\n]` would make the common patterns (`^SSH-2.0-`) unreadable.
 * - `\A`, `\z` (start and end of text), `\Q…\E` (a literal), `(?P<name>…)`, `\x{41}`, `[[:alpha:]]`.
 * - `\pL`, `\p{Greek}` and `\C` need the `u` flag or have no equivalent, and `(?U)` (ungreedy) has
 *   none: such a pattern is refused, and the caller reports it.
 */
import { VantageError } from '../../errors.ts';

export type Translation = { ok: true; source: string } | { ok: false; reason: string };

interface Flags { i: boolean; m: boolean; s: boolean }

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

const isLetter = (c: string) => /^[A-Za-z]$/.test(c);
const swapCase = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
const escapeLiteral = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** Thrown inside the scanner only; translateRe2 turns it into a value. */
class Refused extends VantageError {
  readonly reason: string;
  constructor(reason: string) {
    super('IMPORT_REGEX_UNSUPPORTED', `unsupported RE2 construct: ${reason}`);
    this.reason = reason;
  }
}

class Scanner {
  private k = 0;
  private out = '';
  private readonly stack: Flags[] = [{ i: false, m: false, s: false }];
  private readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  private get flags(): Flags {
    return this.stack[this.stack.length - 1]!;
  }

  run(): string {
    while (this.k < this.src.length) this.step();
    return this.out;
  }

  private step(): void {
    const c = this.src[this.k]!;
    if (c === '\\') return this.escape(false);
    if (c === '[') return this.klass();
    if (c === '(') return this.open();
    this.k++;
    if (c === ')') {
      if (this.stack.length > 1) this.stack.pop();
      this.out += c;
    } else if (c === '.') this.out += this.flags.s ? '[\\s\\S]' : '.';
    else if (c === '^') this.out += this.flags.m ? '(?<=^|\\n)' : '^';
    else if (c === '$') this.out += this.flags.m ? '(?=\\n|$)' : '$';
    else if (this.flags.i && isLetter(c)) this.out += `[${c}${swapCase(c)}]`;
    else this.out += c;
  }

  /** One escape; returns nothing, appends its JavaScript form (inside a class when `inClass`). */
  private escape(inClass: boolean): void {
    const next = this.src[this.k + 1];
    if (next === undefined) throw new Refused('a trailing backslash');
    this.k += 2;
    if (next === 'A' && !inClass) this.out += '^';
    else if (next === 'z' && !inClass) this.out += '$';
    else if (next === 'Q') this.quoted();
    else if (next === 'p' || next === 'P') throw new Refused(`the Unicode class \\${next}, which JavaScript reads only with the u flag`);
    else if (next === 'C') throw new Refused('\\C (any byte), which JavaScript has no equivalent of');
    else if (next === 'x' && this.src[this.k] === '{') this.hexBraces();
    else if (next === 'a') this.out += '\\x07';
    else if (this.flags.i && !inClass && isLetter(next) && !/[bBdDsSwWfnrtv]/.test(next)) this.out += `[${next}${swapCase(next)}]`;
    else this.out += `\\${next}`;
  }

  private quoted(): void {
    const end = this.src.indexOf('\\E', this.k);
    const text = this.src.slice(this.k, end === -1 ? undefined : end);
    this.k = end === -1 ? this.src.length : end + 2;
    for (const ch of text) this.out += this.flags.i && isLetter(ch) ? `[${ch}${swapCase(ch)}]` : escapeLiteral(ch);
  }

  private hexBraces(): void {
    const end = this.src.indexOf('}', this.k);
    const code = end === -1 ? NaN : Number.parseInt(this.src.slice(this.k + 1, end), 16);
    if (!Number.isInteger(code) || code > 0xffff) throw new Refused('\\x{…} beyond U+FFFF, which needs the u flag');
    this.out += `\\u${code.toString(16).padStart(4, '0')}`;
    this.k = end + 1;
  }

  /** A bracket class; under `i` each letter and letter range gets its other case too. */
  private klass(): void {
    this.out += '[';
    this.k++;
    if (this.src[this.k] === '^') (this.out += '^', this.k++);
    let first = true;
    const extra: string[] = [];
    while (this.k < this.src.length && (this.src[this.k] !== ']' || first)) {
      first = false;
      const c = this.src[this.k]!;
      if (c === '[' && this.src[this.k + 1] === ':') {
        this.posix();
        continue;
      }
      if (c === '\\') {
        this.escape(true);
        continue;
      }
      if (c === '[') {
        this.out += '\\[';
        this.k++;
        continue;
      }
      const to = this.src[this.k + 2];
      if (this.src[this.k + 1] === '-' && to !== undefined && to !== ']') {
        this.out += `${c}-${to}`;
        if (this.flags.i && isLetter(c) && isLetter(to) && (c === c.toLowerCase()) === (to === to.toLowerCase())) extra.push(`${swapCase(c)}-${swapCase(to)}`);
        this.k += 3;
        continue;
      }
      this.out += c;
      if (this.flags.i && isLetter(c)) extra.push(swapCase(c));
      this.k++;
    }
    if (this.k >= this.src.length) throw new Refused('an unclosed [');
    this.out += `${extra.join('')}]`;
    this.k++;
  }

  private posix(): void {
    const end = this.src.indexOf(':]', this.k + 2);
    const name = end === -1 ? '' : this.src.slice(this.k + 2, end);
    if (name.startsWith('^')) throw new Refused(`the negated class [:${name}:]`);
    const body = POSIX[name];
    if (body === undefined) throw new Refused(`the class [:${name}:]`);
    this.out += body;
    this.k = end + 2;
  }

  private open(): void {
    const rest = this.src.slice(this.k);
    const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
    const flagged = /^\(\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
    if (rest.startsWith('(?') && !named && !flagged) throw new Refused(`the group ${rest.slice(0, 3)}…, which RE2 does not have`);
    if (named) {
      this.stack.push({ ...this.flags });
      this.out += `(?<${named[1]}>`;
      this.k += named[0].length;
      return;
    }
    if (!flagged) {
      this.stack.push({ ...this.flags });
      this.out += '(';
      this.k++;
      return;
    }
    const [all, on = '', off = '', close] = flagged;
    if (on.includes('U') || off.includes('U')) throw new Refused('(?U) (ungreedy), which JavaScript has no equivalent of');
    const next: Flags = { ...this.flags };
    for (const f of on) next[f as keyof Flags] = true;
    for (const f of off) next[f as keyof Flags] = false;
    this.k += all.length;
    if (close === ')') {
      this.stack[this.stack.length - 1] = next;
      return;
    }
    this.stack.push(next);
    this.out += '(?:';
  }
}

export function translateRe2(source: string): Translation {
  let out: string;
  try {
    out = new Scanner(source).run();
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.reason };
    throw err;
  }
  try {
    new RegExp(out);
  } catch (err) {
    return { ok: false, reason: `it does not compile in JavaScript (${(err as Error).message})` };
  }
  return { ok: true, source: out };
}

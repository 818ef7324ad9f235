/**
 * Secret values in checks: `${env:NAME}` references inside strings, and `{secretsManager}` / `{ssm}`
 * references resolved by the runtime. Resolved values only ever live in the request being sent.
 */
import type { SecretRef } from '../config/schema.ts';
import { VantageError } from '../errors.ts';
import { printable } from './printable.ts';
import type { ProbeContext } from './types.ts';

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class SecretError extends VantageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SECRET_UNRESOLVED', message, options);
  }
}

/** Replaces `${env:NAME}` references; an unset variable is an error, not an empty string. */
export function expandEnv(text: string, env: Record<string, string | undefined>): string {
  return text.replace(ENV_REF, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new SecretError(`environment variable ${name} is not set`);
    return value;
  });
}

export async function resolveSecretRef(ref: SecretRef, ctx: Pick<ProbeContext, 'resolveSecret' | 'env'>): Promise<string> {
  if (typeof ref === 'string') return expandEnv(ref, ctx.env ?? process.env);
  if (!ctx.resolveSecret) throw new SecretError(`no secret resolver for ${'ssm' in ref ? `ssm:${ref.ssm}` : `secretsManager:${ref.secretsManager}`}`);
  return ctx.resolveSecret(ref);
}

/** Whether a configured value carries a secret: a reference, or a string that expands one. */
export function isSecret(ref: SecretRef): boolean {
  return typeof ref !== 'string' || /\$\{env:/.test(ref);
}

/**
 * Resolved values shorter than this are not scrubbed: a 3-character value matches everywhere, and
 * hiding every "abc" in a message would hide the message. A clipped prefix shorter than this is kept.
 */
export const MIN_SECRET_CHARS = 4;

const MASK = '***';
/** What `shorten` (./http-assertions.ts) and `printableHead` (./printable.ts) put where they cut. */
const CLIP = '\u2026';

/**
 * The base64 text that a value's bytes produce wherever they sit in a longer input (`user:<token>`,
 * `<token>:x`). Each of the three byte alignments gives its own characters; only the characters made
 * entirely of the value's bits are the same whatever surrounds it (RFC 4648 §4: 6 bits a character).
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const whole = bytes.toString('base64');
  const forms = [whole, whole.replace(/=+$/, '')];
  for (let lead = 0; lead < 3; lead++) {
    const text = Buffer.concat([Buffer.alloc(lead), bytes]).toString('base64');
    const first = Math.ceil((8 * lead) / 6);
    const end = Math.floor((8 * (lead + bytes.length)) / 6);
    forms.push(text.slice(first, end));
  }
  return forms.flatMap((f) => [f, f.replace(/\+/g, '-').replace(/\//g, '_')]);
}

/** The WHATWG URL serializer's form of a value in a query string (it escapes less than encodeURIComponent). */
function queryForm(value: string): string | undefined {
  try {
    return new URL(`http://h/?${value.replace(/#/g, '%23')}`).search.slice(1);
  } catch {
    return undefined;
  }
}

/** Every way a response, a URL or a message can spell the value. */
function formsOf(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const uri = encodeURIComponent(value);
  return [
    value,
    json,
    JSON.stringify(json).slice(1, -1),
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    encodeURI(value),
    new URLSearchParams([['', value]]).toString().slice(1),
    queryForm(value) ?? value,
    printable(value),
    ...base64Forms(value),
  ];
}

/**
 * Hides secret values, in every form a probe result could carry them, from the text it is given.
 * Made once per probe from the values it resolved; the forms are computed once, longest first, so a
 * value that contains another is hidden whole.
 */
export class Scrubber {
  readonly #forms: readonly string[];
  readonly #mask: string;

  /** `mask` is what replaces a value: results use `***`, debug logs `[redacted]`. */
  constructor(secrets: Iterable<string>, mask: string = MASK) {
    this.#mask = mask;
    const forms = new Set<string>();
    for (const s of secrets) {
      if (s.length < MIN_SECRET_CHARS) continue;
      for (const f of formsOf(s)) if (f.length >= MIN_SECRET_CHARS) forms.add(f);
    }
    this.#forms = [...forms].sort((a, b) => b.length - a.length);
  }

  get active(): boolean {
    return this.#forms.length > 0;
  }

  scrub(text: string): string {
    if (this.#forms.length === 0 || text.length < MIN_SECRET_CHARS) return text;
    let out = text;
    for (const f of this.#forms) if (out.includes(f)) out = out.split(f).join(this.#mask);
    return out.includes(CLIP) ? this.#clipped(out) : out;
  }

  /** A copy of a result-shaped value with every string in it scrubbed. */
  deep<T>(value: T): T {
    if (this.#forms.length === 0) return value;
    return this.#walk(value) as T;
  }

  #walk(value: unknown): unknown {
    if (typeof value === 'string') return this.scrub(value);
    if (Array.isArray(value)) return value.map((v) => this.#walk(v));
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = this.#walk((value as Record<string, unknown>)[key]);
    return out;
  }

  /**
   * A clip can cut a value short, so its full form is no longer there to find: the start of a value
   * right before the clip mark (a clipped head) or the end of one right after it (a clipped tail).
   */
  #clipped(text: string): string {
    let out = '';
    let rest = text;
    for (let i = rest.indexOf(CLIP); i >= 0; i = rest.indexOf(CLIP)) {
      const before = rest.slice(0, i);
      const cut = this.#longestEdge(before, (f, k) => before.endsWith(f.slice(0, k)));
      out += `${before.slice(0, before.length - cut)}${cut > 0 ? this.#mask : ''}${CLIP}`;
      rest = rest.slice(i + CLIP.length);
      const head = this.#longestEdge(rest, (f, k) => rest.startsWith(f.slice(f.length - k)));
      if (head > 0) {
        out += this.#mask;
        rest = rest.slice(head);
      }
    }
    return out + rest;
  }

  /** The longest k (at least MIN_SECRET_CHARS) for which some form's k-character edge matches. */
  #longestEdge(text: string, matches: (form: string, k: number) => boolean): number {
    let best = 0;
    for (const f of this.#forms) {
      for (let k = Math.min(f.length - 1, text.length); k >= Math.max(MIN_SECRET_CHARS, best + 1); k--) {
        if (matches(f, k)) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}

/**
 * A function's environment variables, checked at cold start by hand rather than with zod: a handful of
 * strings does not need the schema library on the Lambda init path. Like the zod version it replaced,
 * it names every problem at once, and never echoes a value: only which variable is wrong and why.
 */
import { VantageError, type ConfigIssue } from '../errors.ts';

/** A function's environment is wrong: every problem, by variable name, values never echoed. */
export class EnvironmentError extends VantageError {
  readonly issues: ConfigIssue[];
  constructor(what: string, issues: ConfigIssue[]) {
    super('ENV_INVALID', `${what} environment: ${issues.length} problem(s)\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

/** What a reader returns for text it refuses: the message says what was expected, not what was found. */
export class Refused {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

export type Reader<T> = (text: string) => T | Refused;

type Presence = 'required' | 'optional' | 'defaulted';
export interface Var<T, P extends Presence> {
  readonly presence: P;
  readonly read: Reader<T>;
  readonly fallback?: T;
}

export const required = <T>(read: Reader<T>): Var<T, 'required'> => ({ presence: 'required', read });
export const optional = <T>(read: Reader<T>): Var<T, 'optional'> => ({ presence: 'optional', read });
/** Absent means `fallback`; present but refused is still a problem. */
export const defaulted = <T>(read: Reader<T>, fallback: T): Var<T, 'defaulted'> => ({ presence: 'defaulted', read, fallback });

export const nonEmpty: Reader<string> = (text) => (text === '' ? new Refused('must not be empty') : text);
export const matching = (pattern: RegExp, expected: string): Reader<string> => (text) => (pattern.test(text) ? text : new Refused(expected));
export const wholeNumber = (min: number, max: number): Reader<number> => (text) => {
  const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  return n >= min && n <= max ? n : new Refused(`expected a whole number from ${min} to ${max}`);
};
export const oneOf = <T>(values: Record<string, T>): Reader<T> => (text) => (Object.hasOwn(values, text) ? values[text]! : new Refused(`expected ${Object.keys(values).join(' or ')}`));

type Spec = Record<string, Var<unknown, Presence>>;
type ValueOf<V> = V extends Var<infer T, Presence> ? T : never;
/** The parsed environment: optional variables may be absent, the others are always there. */
export type EnvOf<S extends Spec> = {
  [K in keyof S as S[K]['presence'] extends 'optional' ? never : K]: ValueOf<S[K]>;
} & {
  [K in keyof S as S[K]['presence'] extends 'optional' ? K : never]?: ValueOf<S[K]>;
};

/** Reads every variable of `spec`; the issues are in the spec's order, empty when all is well. */
export function readEnv<S extends Spec>(env: Record<string, string | undefined>, spec: S): { env: EnvOf<S>; issues: ConfigIssue[] } {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, v] of Object.entries(spec)) {
    const text = env[name];
    if (text === undefined) {
      if (v.presence === 'required') issues.push({ path: name, message: 'required' });
      else if (v.presence === 'defaulted') out[name] = v.fallback;
      continue;
    }
    const value = v.read(text);
    if (value instanceof Refused) issues.push({ path: name, message: value.message });
    else out[name] = value;
  }
  return { env: out as EnvOf<S>, issues };
}

/**
 * The types a TypeScript config is written in, taken from the zod schema (./schema.ts) so an editor
 * completes every field and flags a typo or a wrong type before `vantage validate` runs.
 */
import type { z } from 'zod';
import type { CheckKind, makeSchemas } from './schema.ts';

type Schemas = ReturnType<typeof makeSchemas>;
type RawCheckInput = z.input<Schemas['RawCheck']>;

/**
 * One check as written: its protocol key (`http`, `tcp`, …) says its kind. The schema reads that key
 * in a preprocess step, whose input type is `unknown`, so the check type is built here from the
 * schema behind it: each kind's fields, `kind` left out, and every other protocol key forbidden (a
 * plain union would let `{ http, tcp }` through, as TypeScript checks excess keys against any member).
 */
export type VantageCheck = {
  [K in CheckKind]: Omit<Extract<RawCheckInput, { kind: K }>, 'kind'> & { kind?: never } & { [O in Exclude<CheckKind, K>]?: never };
}[CheckKind];

/** A whole config as a user writes it: `z.input` of the config schema, with `checks` typed as above. */
export type VantageConfig = Omit<z.input<Schemas['Config']>, 'checks'> & { checks: VantageCheck[] };

/** Typing only: `export default defineConfig({...})` gets the editor's completion and checks. */
export function defineConfig(config: VantageConfig): VantageConfig {
  return config;
}

import { readFileSync } from 'node:fs';

/** Set by the package build (scripts/build-dist.ts), whose chunks sit in no fixed place relative to package.json. */
declare const VANTAGE_VERSION: string | undefined;

/** The package's version: the build's, or in the checkout the one in package.json. */
export function packageVersion(): string | undefined {
  if (typeof VANTAGE_VERSION === 'string') return VANTAGE_VERSION;
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * A config written as a module (.ts, .mts, .js, .mjs): imported, and its default export taken as the
 * config object, which then goes through exactly the validation a YAML file does (./load.ts). Node
 * runs .ts by stripping the types (https://nodejs.org/api/typescript.html#type-stripping), so no
 * loader or build step is involved; a config under node_modules would not be stripped, and none is.
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.ts';

/** The package a config imports `defineConfig` from (package.json's name; test/package checks they match). */
export const PACKAGE_NAME = 'vantage-monitoring';

/**
 * This running CLI's own library entry: dist/index.mjs beside the bundle's chunks in the installed
 * package, lib/index.ts in a checkout.
 */
function ownLibrary(): string | undefined {
  for (const relative of ['../index.mjs', './index.mjs', '../../lib/index.ts']) {
    const url = new URL(relative, import.meta.url);
    if (existsSync(url)) return url.href;
  }
  return undefined;
}

let hooked = false;

/**
 * A config that imports the package where the package cannot be found from the config's directory
 * (the CLI installed globally, the config in a directory with no node_modules) gets this CLI's own
 * library instead of an import error. Only then: a project that installed the package resolves its
 * own copy. https://nodejs.org/api/module.html#registerhooksoptions
 */
function resolveOwnPackage(): void {
  if (hooked) return;
  hooked = true;
  const library = ownLibrary();
  if (!library) return;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (err) {
        if (specifier !== PACKAGE_NAME || (err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
        return { url: library, shortCircuit: true };
      }
    },
  });
}

export const MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

export const isModulePath = (path: string): boolean => MODULE_EXTENSIONS.some((ext) => path.endsWith(ext));

const fail = (path: string, message: string): ConfigError => new ConfigError([{ path: '(file)', message }], path);

/**
 * Where in the config file the error points, when its stack says: a syntax error's stack starts
 * with `path:line`, a throw's first frame in the file is `url:line:col`. Only decoration for the
 * message; nothing is decided on it.
 */
function locationIn(err: unknown, file: string): string {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  const url = pathToFileURL(file).href;
  for (const prefix of [url, file]) {
    const at = stack.indexOf(`${prefix}:`);
    if (at < 0) continue;
    const match = /^:(\d+)(?::(\d+))?/.exec(stack.slice(at + prefix.length));
    if (match) return ` (line ${match[1]}${match[2] ? `:${match[2]}` : ''})`;
  }
  return '';
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return `${err.name}${code ? ` [${code}]` : ''}: ${err.message}`;
}

/** The module's default export (a function's is called and awaited), or a ConfigError naming the file. */
export async function importConfigModule(path: string): Promise<unknown> {
  const file = resolve(path);
  // As a YAML file says it: an import of a missing file would name this module as the importer.
  if (!existsSync(file)) throw fail(path, `cannot read ${path}: ENOENT`);
  resolveOwnPackage();
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw fail(path, `cannot import ${path}: ${describe(err)}${locationIn(err, file)}`);
  }
  if (!Object.hasOwn(mod, 'default') || mod.default === undefined) {
    throw fail(path, `${path} has no default export: write \`export default defineConfig({ checks: [...] })\``);
  }
  if (typeof mod.default !== 'function') return mod.default;
  try {
    return await (mod.default as () => unknown)();
  } catch (err) {
    throw fail(path, `the default export of ${path} threw: ${describe(err)}${locationIn(err, file)}`);
  }
}

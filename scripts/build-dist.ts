/**
 * `npm pack`'s build (the `prepack` script): the published package runs compiled JavaScript, because
 * Node does not strip types under node_modules.
 * https://nodejs.org/api/typescript.html#type-stripping-in-dependencies
 *
 * - dist/vantage.mjs and dist/chunks/: the whole CLI (cli/entry.ts) as ESM with every dependency
 *   inside, so the package installs with no dependencies at all. `vantage dev` is left out (its DynamoDB Local
 *   is a Java jar in a 65 MB package) and says it needs the checkout (cli/commands/dev-unavailable.ts).
 * - dist/index.mjs: the library entry (lib/index.ts: defineConfig).
 * - dist/index.d.ts: its types, written by ./dts.ts with zod's input types spelled out, so an editor
 *   completes a config with no zod installed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../shared/deploy/lambda-build.ts';
import { writeDeclarations } from './dts.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };

/** The oldest Node the package supports (package.json engines), so esbuild lowers nothing it runs. */
const TARGET = 'node22';

/** `vantage dev` in the bundle: the stub in place of cli/commands/dev.ts. */
const devLeftOut: Plugin = {
  name: 'dev-left-out',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/dev\.ts$/ }, (args) =>
      args.importer === `${root}cli/main.ts` ? { path: `${root}cli/commands/dev-unavailable.ts` } : undefined,
    );
  },
};

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: TARGET,
  mainFields: ['module', 'main'],
  // Whitespace and syntax only: names stay, so a stack trace a user pastes still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

export async function buildDist(): Promise<Record<string, number>> {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  await build({
    ...common,
    // Started by cli/vantage.mjs once it has checked the Node version.
    entryPoints: { vantage: `${root}cli/entry.ts` },
    // Each command's modules in chunks of their own, loaded when the command runs (cli/main.ts loads
    // commands lazily): `vantage --version` or `validate` then reads a fraction of the code.
    splitting: true,
    outdir: dist,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: ESM_REQUIRE_BANNER },
    plugins: [devLeftOut],
    define: { VANTAGE_VERSION: JSON.stringify(version) },
  });
  await build({ ...common, entryPoints: [`${root}lib/index.ts`], outfile: `${dist}/index.mjs` });
  writeDeclarations(`${root}lib/index.ts`, `${dist}/index.d.ts`);
  const sizes: Record<string, number> = {};
  for (const f of ['vantage.mjs', 'index.mjs', 'index.d.ts']) sizes[f] = statSync(`${dist}/${f}`).size;
  sizes['chunks/'] = readdirSync(`${dist}/chunks`).reduce((sum, f) => sum + statSync(`${dist}/chunks/${f}`).size, 0);
  return sizes;
}

if (import.meta.main) {
  const sizes = await buildDist();
  for (const [f, bytes] of Object.entries(sizes)) process.stdout.write(`dist/${f}  ${(bytes / 1024).toFixed(0)} KiB\n`);
}

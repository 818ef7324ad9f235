#!/usr/bin/env node
// The `vantage` bin, in the checkout and in the published package alike. Plain JS so it can check the
// Node version before loading anything else. In the checkout it runs the TypeScript sources, which
// Node >= 22.18 runs natively by stripping types (no build step, no loader); `npx vantage` and
// `npm run` there put the pinned Node 24 from node_modules/.bin first on PATH. Installed from the
// package, the sources are not there (Node does not strip types under node_modules) and it runs the
// bundle that `npm pack` built (scripts/build-dist.ts).
import { existsSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`vantage needs Node >= 22.18 (found ${process.versions.node}). Inside the checkout, run it as \`npx vantage\` to use the pinned Node 24.\n`);
  process.exit(2);
}
// The checkout's import is a literal so tools that follow imports (esbuild in test/agent/container.test.ts)
// see the CLI's sources behind this file; the bundle's is not, as a checkout need not have built it.
const { start } = existsSync(new URL('./entry.ts', import.meta.url))
  ? await import('./entry.ts')
  : await import(new URL('../dist/vantage.mjs', import.meta.url).href);
await start(process.argv.slice(2));

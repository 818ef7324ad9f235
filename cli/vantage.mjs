#!/usr/bin/env node
// The `vantage` bin. Plain JS so it can check the Node version before loading TypeScript, which
// Node >= 22.18 runs natively by stripping types (no build step, no loader). Inside the checkout,
// `npx vantage` and `npm run` put the pinned Node 24 from node_modules/.bin first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`vantage needs Node >= 22.18 (found ${process.versions.node}). Run it as \`npx vantage\` inside the checkout to use the pinned Node 24.\n`);
  process.exit(2);
}
// An error a prober raises where no caller sees it ends that probe, not the run (shared/probe/containment.ts).
const { installProbeContainment } = await import('../shared/probe/containment.ts');
installProbeContainment();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
// Every command is done once main returns. A handle Vantage cannot reach (grpc-js's own TCP connect to
// an address that never answers SYN) would otherwise hold the process for the kernel's ~2 minutes;
// unref'd, this timer never delays a process that ends by itself, and leaves time to flush stdout.
setTimeout(() => process.exit(), 1000).unref();

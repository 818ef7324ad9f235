/**
 * The start of the `vantage` process, the same for both ways it runs: from the TypeScript sources in
 * the checkout (cli/vantage.mjs imports this file) and from the published bundle (dist/vantage.mjs,
 * built from this file by scripts/build-dist.ts).
 */
import { installProbeContainment } from '../shared/probe/containment.ts';
import { main } from './main.ts';

export async function start(argv: string[]): Promise<void> {
  // An error a prober raises where no caller sees it ends that probe, not the run (shared/probe/containment.ts).
  installProbeContainment();
  process.exitCode = await main(argv);
  // Every command is done once main returns. A handle Vantage cannot reach (grpc-js's own TCP connect to
  // an address that never answers SYN) would otherwise hold the process for the kernel's ~2 minutes;
  // unref'd, this timer never delays a process that ends by itself, and leaves time to flush stdout.
  setTimeout(() => process.exit(), 1000).unref();
}

/**
 * The Vantage prober under test, alone in its process: it runs what the bench asks over IPC through
 * the real engine (`runChecks` / `runProbe` from shared/probe) and nothing else, so /proc's CPU and RSS
 * for this pid are the prober's.
 *
 * Like the probe function, it runs checks already loaded: a request may carry one (`loaded`, from
 * `loadConfigObject` in the bench process), and then the config loader (zod, yaml) is never evaluated
 * here, as it never is in Lambda. A check in the YAML shape (`check`) is loaded here, on first use.
 */
import { dirname } from 'node:path';
import type { Check } from '../shared/config/schema.ts';
import { runChecks, runProbe } from '../shared/probe/index.ts';

interface Msg {
  id: number;
  op: 'ping' | 'batch' | 'probe' | 'gc' | 'mem';
  /** A check as a user writes it (YAML shape), e.g. `{ id, http: { url } }`. */
  check?: Record<string, unknown>;
  /** A check as the loader produced it (what a definitions file holds); used instead of `check`. */
  loaded?: Check;
  /** For a CA file path in the check. */
  baseDir?: string;
  n?: number;
  concurrency?: number;
}

const built = new Map<string, Check>();
async function build(m: Msg): Promise<Check> {
  if (m.loaded) return m.loaded;
  const key = JSON.stringify(m.check);
  let check = built.get(key);
  if (!check) {
    const { loadConfigObject } = await import('../shared/config/load.ts');
    check = loadConfigObject({ defaults: { retries: 0 }, checks: [m.check] }, { baseDir: m.baseDir ?? dirname(process.cwd()) }).checks[0]!;
    built.set(key, check);
  }
  return check;
}

process.on('message', async (m: Msg) => {
  try {
    switch (m.op) {
      case 'ping':
        process.send!({ id: m.id });
        return;
      case 'mem':
        // Answered while a batch is in flight too: where the memory sits (V8 heap or outside it).
        process.send!({ id: m.id, ...process.memoryUsage() });
        return;
      case 'gc':
        (globalThis as { gc?: () => void }).gc?.();
        process.send!({ id: m.id });
        return;
      case 'probe': {
        const result = await runProbe(await build(m));
        process.send!({ id: m.id, result });
        return;
      }
      case 'batch': {
        const check = await build(m);
        const checks = new Array<Check>(m.n!).fill(check);
        const reasons: Record<string, number> = {};
        let ok = 0;
        const t0 = performance.now();
        await runChecks(checks, {
          concurrency: m.concurrency!,
          onResult: (r) => {
            if (r.ok) ok++;
            else reasons[r.failure?.reason ?? 'unknown'] = (reasons[r.failure?.reason ?? 'unknown'] ?? 0) + 1;
          },
        });
        const wallMs = performance.now() - t0;
        process.send!({ id: m.id, ok, failed: m.n! - ok, wallMs, reasons });
        return;
      }
    }
  } catch (err) {
    process.send!({ id: m.id, error: (err as Error).stack ?? String(err) });
  }
});
process.on('disconnect', () => process.exit(0));

/**
 * Measurement 6: detection latency in the local pipeline (`vantage dev`): with a 5 s interval and
 * failureThreshold 2, the time from the start of an outage to DOWN at the webhook, and from recovery
 * to RESOLVED, over several outages, beside the floor of interval × threshold.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface DetectionSample {
  downMs: number;
  resolvedMs: number;
}

export interface DetectionResult {
  intervalMs: number;
  threshold: number;
  /** interval × threshold: no detector that needs `threshold` failed runs can be faster on average. */
  floorMs: number;
  /** The target: floor + 2 s. */
  boundMs: number;
  samples: DetectionSample[];
  /** Set when it could not be measured, with the reason. */
  notMeasured?: string;
}

export const INTERVAL_MS = 5_000;
export const THRESHOLD = 2;

export async function measureDetection(opts: { root: string }): Promise<DetectionResult> {
  const base = { intervalMs: INTERVAL_MS, threshold: THRESHOLD, floorMs: INTERVAL_MS * THRESHOLD, boundMs: INTERVAL_MS * THRESHOLD + 2_000, samples: [] };
  if (!existsSync(join(opts.root, 'cli/commands/dev.ts'))) return { ...base, notMeasured: 'vantage dev not available (cli/commands/dev.ts does not exist yet)' };
  return { ...base, notMeasured: 'vantage dev exists, but the bench does not drive it yet' };
}

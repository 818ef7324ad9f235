import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../shared/config/load.ts';
import { CONCURRENCY, MAX_MEMORY_MB, MAX_TIMEOUT_S, MIN_MEMORY_MB, MIN_TIMEOUT_S, sizeProbe } from '../../shared/usecases/cost/sizing.ts';

function checks(n: number, fields = 'interval: 60s\n    timeout: 5s\n    retries: 1') {
  const yaml = `checks:\n${Array.from({ length: n }, (_, i) => `  - id: c${i}\n    ${fields}\n    http: { url: "https://example.com/${i}" }\n`).join('')}`;
  return loadConfigText(yaml).checks;
}

describe('sizeProbe', () => {
  it('gives a small location the memory floor and the whole minute: 512 MB, 80 s', () => {
    // A staggered round or a recheck can start just before 60 s: 60 s + 5 s × (1 + 1 retry) + 10 s headroom.
    expect(sizeProbe(checks(3))).toEqual({ memoryMb: MIN_MEMORY_MB, timeoutS: 80, busiestRound: 3 });
  });

  it('covers the minute whatever the intervals: 15 s and 1 h checks alike', () => {
    // 60 s + 10 s × 2 + 10 s headroom
    expect(sizeProbe(checks(2, 'interval: 15s\n    timeout: 10s\n    retries: 1')).timeoutS).toBe(90);
    expect(sizeProbe(checks(2, 'interval: 1h\n    timeout: 10s\n    retries: 1')).timeoutS).toBe(90);
  });

  it('keeps the 30 s floor for a location with nothing to run', () => {
    expect(sizeProbe([])).toEqual({ memoryMb: MIN_MEMORY_MB, timeoutS: MIN_TIMEOUT_S, busiestRound: 0 });
  });

  it('adds a wave of attempts per CONCURRENCY checks and memory per concurrent probe', () => {
    const sized = sizeProbe(checks(CONCURRENCY + 1));
    // 60 s + two waves of 5 s × 2 + 10 s
    expect(sized.timeoutS).toBe(90);
    // 256 + 64 × (2 + 2 × 1 MiB body cap) = 512 → rounded to 64 MB steps
    expect(sized.memoryMb).toBe(512);
    const slow = sizeProbe(checks(CONCURRENCY * 3, 'interval: 60s\n    timeout: 20s\n    retries: 3'));
    expect(slow.timeoutS).toBe(60 + 3 * 80 + 10);
  });

  it('follows the body cap into memory, and stops at one vCPU', () => {
    const big = sizeProbe(loadConfigText(`checks:\n${Array.from({ length: 40 }, (_, i) => `  - id: c${i}\n    http: { url: "https://example.com/", maxBodyBytes: 8388608 }\n`).join('')}`).checks);
    // 256 + 40 × (2 + 16) = 976 → 1024
    expect(big.memoryMb).toBe(1024);
    const huge = sizeProbe(loadConfigText(`checks:\n${Array.from({ length: 64 }, (_, i) => `  - id: c${i}\n    http: { url: "https://example.com/", maxBodyBytes: 33554432 }\n`).join('')}`).checks);
    expect(huge.memoryMb).toBe(MAX_MEMORY_MB);
  });

  it('never passes the Lambda maximum', () => {
    expect(sizeProbe(checks(CONCURRENCY * 20, 'interval: 60s\n    timeout: 30s\n    retries: 3')).timeoutS).toBe(MAX_TIMEOUT_S);
  });

  it('ignores disabled checks', () => {
    expect(sizeProbe(checks(2, 'enabled: false')).busiestRound).toBe(0);
  });
});

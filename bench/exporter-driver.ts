/**
 * Drives Blackbox Exporter's `/probe` endpoint from a process of its own (so its CPU is not the
 * exporter's): N requests, `concurrency` at a time, over keep-alive connections to the exporter. The
 * exporter itself opens a new connection to the target for every probe. A probe counts as passed only
 * when the exporter answered 200 with `probe_success 1`.
 */
import { Pool } from 'undici';

interface Msg {
  id: number;
  op: 'ping' | 'batch';
  exporter?: string;
  target?: string;
  module?: string;
  n?: number;
  concurrency?: number;
}

async function batch(m: Msg) {
  const pool = new Pool(m.exporter!, { connections: m.concurrency!, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const path = `/probe?module=${encodeURIComponent(m.module!)}&target=${encodeURIComponent(m.target!)}`;
  let next = 0;
  let ok = 0;
  let sample: string | undefined;
  const durations: number[] = [];
  const t0 = performance.now();
  async function worker() {
    while (next < m.n!) {
      next++;
      try {
        const res = await pool.request({ path, method: 'GET' });
        const text = await res.body.text();
        const success = /^probe_success (\S+)$/m.exec(text)?.[1];
        const dur = /^probe_duration_seconds (\S+)$/m.exec(text)?.[1];
        if (dur) durations.push(Number(dur) * 1000);
        if (res.statusCode === 200 && success === '1') ok++;
        else sample ??= `HTTP ${res.statusCode}: ${text.split('\n').filter((l) => l.startsWith('probe_')).slice(0, 6).join('; ')}`;
      } catch (err) {
        sample ??= (err as Error).message;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(m.concurrency!, m.n!) }, worker));
  const wallMs = performance.now() - t0;
  await pool.close();
  durations.sort((a, b) => a - b);
  return { ok, failed: m.n! - ok, wallMs, sample, medianProbeMs: durations[Math.floor(durations.length / 2)] };
}

process.on('message', async (m: Msg) => {
  try {
    if (m.op === 'ping') process.send!({ id: m.id });
    else process.send!({ id: m.id, ...(await batch(m)) });
  } catch (err) {
    process.send!({ id: m.id, error: (err as Error).stack ?? String(err) });
  }
});
process.on('disconnect', () => process.exit(0));

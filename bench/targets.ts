/**
 * Starts the target servers (./target-server.ts) in their own process, with a CA generated for this
 * run, and hands out their URLs. Only 127.0.0.1; stopped with the bench.
 */
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { makeCert } from '../testkit/certs.ts';
import { spawnOwned, stopOwned } from './proc.ts';

export interface Pki {
  /** PEM file of the CA that signed the server certificate. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A CA and a server certificate for 127.0.0.1 and localhost (ECDSA P-256), written into `dir`. */
export async function writePki(dir: string): Promise<Pki> {
  const ca = await makeCert({ commonName: 'Vantage Bench CA', isCa: true, notAfterDays: 30 });
  const server = await makeCert({ commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], issuer: ca, notAfterDays: 30 });
  const pki = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem') };
  writeFileSync(pki.caFile, ca.cert);
  writeFileSync(pki.certFile, server.cert);
  writeFileSync(pki.keyFile, server.key);
  return pki;
}

export interface TargetStats {
  requests: number;
  inFlight: number;
  maxInFlight: number;
}

export interface Targets {
  pid: number;
  /** `http://127.0.0.1:<port>` */
  http: string;
  /** `https://127.0.0.1:<port>` */
  https: string;
  stats(): Promise<TargetStats>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTargets(pki: Pki): Promise<Targets> {
  const child: ChildProcess = spawnOwned(process.execPath, [join(import.meta.dirname, 'target-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_TLS_CERT: pki.certFile, BENCH_TLS_KEY: pki.keyFile },
  });
  const ports = await new Promise<{ http: number; https: number }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => { rl.close(); resolve(JSON.parse(line)); });
    child.once('exit', (code) => reject(new Error(`target server exited with ${code} before listening`)));
  });
  const http = `http://127.0.0.1:${ports.http}`;
  return {
    pid: child.pid!,
    http,
    https: `https://127.0.0.1:${ports.https}`,
    stats: async () => (await (await fetch(`${http}/stats`)).json()) as TargetStats,
    resetStats: async () => { await (await fetch(`${http}/stats/reset`)).arrayBuffer(); },
    stop: () => stopOwned(child),
  };
}

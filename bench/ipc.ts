/**
 * A Node child process the bench talks to over IPC, one request at a time: the Vantage prober
 * (./vantage-worker.ts) and the exporter's driver (./exporter-driver.ts). Measuring a child's CPU from
 * /proc between a request and its answer is only clean if nothing else runs in it, hence one process
 * per role and one request in flight.
 */
import type { ChildProcess } from 'node:child_process';
import { isAbsolute, join } from 'node:path';
import { spawnOwned, stopOwned } from './proc.ts';

export interface IpcChild {
  pid: number;
  request<T>(message: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

export async function startIpcChild(script: string, args: string[] = [], execArgv: string[] = []): Promise<IpcChild> {
  const child: ChildProcess = spawnOwned(process.execPath, [...execArgv, isAbsolute(script) ? script : join(import.meta.dirname, script), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: { id: number; error?: string } & Record<string, unknown>) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`${script}: ${m.error}`));
    else p.resolve(m);
  });
  child.once('exit', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited (${signal ?? code})`));
    pending.clear();
  });
  const ipc: IpcChild = {
    pid: child.pid!,
    request<T>(message: Record<string, unknown>) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ ...message, id });
      });
    },
    async stop() {
      // Disconnecting lets the child exit by itself (and write a --cpu-prof profile); a signal follows only if it does not.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        if (child.connected) child.disconnect();
        await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 3000))]);
      }
      await stopOwned(child);
    },
  };
  await ipc.request({ op: 'ping' });
  return ipc;
}

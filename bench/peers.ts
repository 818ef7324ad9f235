/**
 * The peers the bench compares against: Prometheus Blackbox Exporter and curl, from Debian's packages.
 * When one is missing the bench installs it with apt-get and says so; when it cannot, the
 * measurements that need it are reported as not measured.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnOwned, stopOwned } from './proc.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function which(names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

function aptInstall(pkg: string, log: (s: string) => void): boolean {
  const isRoot = process.getuid?.() === 0;
  const prefix = isRoot ? [] : ['sudo', '-n'];
  const run = (args: string[]) => {
    // dpkg's lock may be held by another engineer's install for a while; apt waits up to 120 s for it.
    const cmd = [...prefix, 'apt-get', '-o', 'DPkg::Lock::Timeout=120', ...args];
    return spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  log(`bench: ${pkg} is missing; installing it with apt-get (Debian package "${pkg}")`);
  let r = run(['install', '-y', '-qq', pkg]);
  if (r.status !== 0) {
    log(`bench: apt-get install failed (${(r.stderr ?? '').trim().split('\n').pop()}); running apt-get update once and retrying`);
    run(['update', '-qq']);
    r = run(['install', '-y', '-qq', pkg]);
  }
  if (r.status !== 0) log(`bench: could not install ${pkg}: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  return r.status === 0;
}

export interface Tool {
  path?: string;
  version?: string;
  /** Set when the bench installed it during this run. */
  installed: boolean;
  /** Why it is not available. */
  missing?: string;
}

export function ensureExporter(log: (s: string) => void): Tool {
  const names = ['prometheus-blackbox-exporter', 'blackbox_exporter'];
  let path = which(names);
  let installed = false;
  if (!path) {
    installed = aptInstall('prometheus-blackbox-exporter', log);
    path = which(names);
  }
  if (!path) return { installed, missing: 'prometheus-blackbox-exporter is not installed and apt-get could not install it' };
  const out = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const version = /version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1];
  return { path, installed, ...(version && { version }) };
}

export function ensureCurl(log: (s: string) => void): Tool {
  let path = which(['curl']);
  let installed = false;
  if (!path) {
    installed = aptInstall('curl', log);
    path = which(['curl']);
  }
  if (!path) return { installed, missing: 'curl is not installed and apt-get could not install it' };
  const version = /^curl (\S+)/.exec(execFileSync(path, ['--version'], { encoding: 'utf8' }))?.[1];
  return { path, installed, ...(version && { version }) };
}

/**
 * A blackbox.yml whose modules match the Vantage checks the bench runs: GET, 200 only, IPv4, a new
 * connection per probe (the exporter disables keep-alives), and for HTTPS the bench's CA.
 */
export function writeBlackboxConfig(dir: string, caFile: string): string {
  const http = (timeout: string, tls: boolean) => [
    '    prober: http',
    `    timeout: ${timeout}`,
    '    http:',
    '      method: GET',
    '      valid_status_codes: [200]',
    '      preferred_ip_protocol: ip4',
    '      ip_protocol_fallback: false',
    ...(tls ? ['      fail_if_not_ssl: true', '      tls_config:', `        ca_file: ${caFile}`] : []),
  ];
  const yml = ['modules:', '  http_2xx:', ...http('5s', false), '  https_2xx:', ...http('5s', true), '  http_slow:', ...http('15s', false), ''].join('\n');
  const path = join(dir, 'blackbox.yml');
  writeFileSync(path, yml);
  return path;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Exporter {
  pid: number;
  origin: string;
  stop(): Promise<void>;
}

/** Starts the exporter on 127.0.0.1 only and waits until it answers. */
export async function startExporter(bin: string, configFile: string): Promise<Exporter> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const child = spawnOwned(bin, [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const origin = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${origin}/-/healthy`);
        await res.arrayBuffer();
        if (res.ok) return { pid: child.pid!, origin, stop: () => stopOwned(child) };
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    await stopOwned(child);
  }
  throw new Error('blackbox exporter did not start');
}

/**
 * What the `vantage dev` end-to-end tests share: a one-check config alerting a webhook receiver, and
 * the dev pipeline started on it as a child process with `--json` events on stdout.
 */
import { createInterface } from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The repository's Node (the devDependency), as `npm run` would use. */
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const DEV_LOCATIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];

export interface DevConfig {
  checkId: string;
  /** Port of the loopback target; the check probes `/health` on it. */
  targetPort: number;
  /** Port of the webhook receiver (channel `receiver`); unused when `channels` is given. */
  receiverPort?: number;
  /** Channels by name, each as a YAML flow mapping; every check alerts all of them. @default `receiver`, a webhook to receiverPort */
  channels?: Record<string, string>;
  intervalSeconds: number;
  timeout: string;
}

/** Writes `checks.yaml` in `dir`: three locations, thresholds 2/2, quorum 2, no retries. Returns its path. */
export function writeDevConfig(dir: string, c: DevConfig): string {
  const file = join(dir, 'checks.yaml');
  const channels = c.channels ?? { receiver: `{ webhook: ["http://127.0.0.1:${c.receiverPort}/hook"] }` };
  writeFileSync(file, [
    'defaults:',
    `  interval: ${c.intervalSeconds}s`,
    `  timeout: ${c.timeout}`,
    `  locations: [${DEV_LOCATIONS.join(', ')}]`,
    '  retries: 0',
    `  alerting: { failureThreshold: 2, recoveryThreshold: 2, quorum: 2, channels: [${Object.keys(channels).join(', ')}] }`,
    'channels:',
    ...Object.entries(channels).map(([name, yaml]) => `  ${name}: ${yaml}`),
    'checks:',
    `  - id: ${c.checkId}`,
    `    http: { url: "http://127.0.0.1:${c.targetPort}/health" }`,
    '',
  ].join('\n'));
  return file;
}

/** `vantage dev --config FILE --json`, from the repository root; `env` is added to this process's. */
export function spawnDev(config: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(NODE, ['cli/vantage.mjs', 'dev', '--config', config, '--json'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Collects a `vantage dev --json` child's events (one JSON object per stdout line, each stamped with
 * `at`, when it was read) into `events`, and everything else it says (stderr, and stdout lines that
 * are not JSON) through `onText`. Resolves when the child exits.
 */
export function collectDev<E>(child: ChildProcess, events: E[], onText: (text: string) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push({ ...(JSON.parse(line) as object), at: Date.now() } as E);
    } catch {
      onText(`(stdout, not JSON) ${line}\n`);
    }
  });
  child.stderr!.on('data', (c: Buffer) => onText(c.toString('utf8')));
  return exit;
}

/** After the tests: SIGTERM, up to 10 s to stop cleanly, then SIGKILL; nothing is left running. */
export async function stopDev(child: ChildProcess | undefined, exit: Promise<unknown> | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([exit, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exit;
  }
}

/**
 * DynamoDB Local (with streams and TTL) for tests and the local pipeline (`vantage dev`).
 *
 * It runs the jar that ships inside the npm package `amplify-dynamodb-simulator`, the same way that
 * package launches it (`java -Djava.library.path=<dir>/DynamoDBLocal_lib -jar DynamoDBLocal.jar
 * -inMemory -port N`), but on a port we pick, in its own process group so `stop()` leaves no Java
 * behind, and with a death that is reported instead of a client that hangs. The JVM also dies when
 * this process dies without stopping it, even by SIGKILL (death-guard.ts).
 *
 * DynamoDB Local has no bind-address option: it listens on every interface. Clients always use
 * 127.0.0.1. `-sharedDb` gives one database regardless of the caller's credentials and region, so a
 * streams client or a second client built elsewhere sees the same tables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { VantageError } from '../errors.ts';
import { findSetpriv, guardedCommand, startWatchdog, type DeathGuardKind } from './death-guard.ts';
import { findExecutable } from './executable.ts';

export class DynamoDbLocalError extends VantageError {}

/** Java is not installed; the message says how to install it. */
export class JavaMissingError extends DynamoDbLocalError {
  constructor(java: string, options?: { cause?: unknown }) {
    super(
      'JAVA_MISSING',
      `DynamoDB Local needs Java 17 or newer, and "${java}" was not found. Install it with ` +
        '`sudo apt-get install default-jre-headless` (Debian/Ubuntu) or `brew install openjdk` (macOS), ' +
        'or point JAVA_HOME at an existing installation.',
      options,
    );
  }
}

/** How to reach the emulator from any AWS SDK client (DynamoDB, DynamoDB Streams). */
export interface LocalClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** The JVM's pid, which is also its process group id. */
  pid: number;
  /** What kills the JVM if this process dies without `stop()` (see death-guard.ts). */
  guard: DeathGuardKind;
  client: DynamoDBClient;
  /** For building other clients (e.g. `new DynamoDBStreamsClient(clientConfig)`). */
  clientConfig: LocalClientConfig;
  /**
   * Resolves with an error if the process dies before `stop()` was called; never settles otherwise.
   * Race it against work that would otherwise wait on a dead emulator.
   */
  died: Promise<DynamoDbLocalError>;
  /** Kills the whole process group (SIGTERM, then SIGKILL) and waits for the exit. Idempotent. */
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Path to DynamoDBLocal.jar. @default the jar inside amplify-dynamodb-simulator */
  jarPath?: string;
  /** Java executable. @default $JAVA_HOME/bin/java, else `java` on PATH */
  java?: string;
  /** How long to wait for the first answer. @default 60_000 (the JVM is slow on a busy 2-core box) */
  startTimeoutMs?: number;
  /** @default 'us-east-1' */
  region?: string;
  /** Extra JVM options. @default a small heap and the serial GC, which start fastest */
  javaOpts?: string[];
  /**
   * util-linux `setpriv`, which makes the kernel kill the JVM when this process dies; `false` uses
   * the pipe watchdog instead. @default `setpriv` on PATH if it supports `--pdeathsig`, else false
   */
  setpriv?: string | false;
}

const PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL = 4_000;

function defaultJarPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator', 'DynamoDBLocal.jar');
}

function defaultJava(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** A port that was free a moment ago. Another process can still take it; start() retries then. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new DynamoDbLocalError('DYNAMODB_LOCAL_PORT', 'could not find a free port');
  return address.port;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the whole group, so a JVM helper process cannot outlive the JVM.
    process.kill(-child.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Launch {
  child: ChildProcess;
  kind: DeathGuardKind;
  output: () => string;
  /** Settles when the process exits, with a description of how. */
  exit: Promise<string>;
  /** Set if the process could not be spawned at all (ENOENT: no Java). */
  spawnError: () => Error | undefined;
  /** Settles on exit or on a failed spawn, whichever happens. */
  gone: Promise<unknown>;
}

function launch(java: string, jarPath: string, port: number, javaOpts: string[], setpriv: string | undefined): Launch {
  const dir = dirname(jarPath);
  const { command, args, kind } = guardedCommand(
    java,
    [...javaOpts, `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-jar', jarPath, '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)],
    setpriv,
  );
  const child = spawn(command, args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
  });
  let spawnError: Error | undefined;
  const failed = new Promise<void>((resolve) => child.once('error', (err) => {
    spawnError = err;
    resolve();
  }));
  if (kind === 'watchdog' && child.pid !== undefined) {
    const watchdog = startWatchdog(child.pid);
    void exit.then(() => watchdog.dismiss());
  }
  return { child, kind, output: () => tail, exit, spawnError: () => spawnError, gone: Promise.race([exit, failed]) };
}

async function waitUntilAnswering(client: DynamoDBClient, timeoutMs: number, gone: Promise<unknown>): Promise<'ready' | 'gone' | 'timeout'> {
  let stopped = false;
  const poll = (async () => {
    const deadline = Date.now() + timeoutMs;
    while (!stopped && Date.now() < deadline) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return 'ready' as const;
      } catch {
        await sleep(100);
      }
    }
    return 'timeout' as const;
  })();
  try {
    return await Promise.race([poll, gone.then(() => 'gone' as const)]);
  } finally {
    stopped = true;
  }
}

export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const javaName = opts.java ?? defaultJava();
  // Resolved here, not by spawn: under setpriv a missing java would be setpriv's exit code 127.
  const java = findExecutable(javaName);
  if (!java) throw new JavaMissingError(javaName);
  const setpriv = opts.setpriv === false ? undefined : (opts.setpriv ?? findSetpriv());
  const jarPath = opts.jarPath ?? defaultJarPath();
  const region = opts.region ?? 'us-east-1';
  const javaOpts = opts.javaOpts ?? ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC'];
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;

  let lastFailure = '';
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const clientConfig: LocalClientConfig = { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const run = launch(java, jarPath, port, javaOpts, setpriv);
    // If this Node process exits without stop() (a crashed test worker), take the JVM with it.
    const onParentExit = () => killGroup(run.child, 'SIGKILL');
    process.once('exit', onParentExit);

    const client = new DynamoDBClient(clientConfig);
    const state = await waitUntilAnswering(client, startTimeoutMs, run.gone);
    const spawnFailure = run.spawnError();
    if (spawnFailure) {
      client.destroy();
      process.removeListener('exit', onParentExit);
      if ((spawnFailure as NodeJS.ErrnoException).code === 'ENOENT') throw new JavaMissingError(javaName, { cause: spawnFailure });
      throw new DynamoDbLocalError('DYNAMODB_LOCAL_SPAWN', `could not start ${java}: ${spawnFailure.message}`, { cause: spawnFailure });
    }
    if (state === 'ready') {
      let stopping = false;
      const died = run.exit.then((how) => {
        if (stopping) return new Promise<never>(() => {});
        return new DynamoDbLocalError('DYNAMODB_LOCAL_DIED', `DynamoDB Local on port ${port} ${how} unexpectedly:\n${run.output()}`);
      });
      let stopped: Promise<void> | undefined;
      const stop = () => {
        stopped ??= (async () => {
          stopping = true;
          client.destroy();
          killGroup(run.child, 'SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const exited = await Promise.race([
            run.exit.then(() => true),
            new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), STOP_GRACE_MS); }),
          ]);
          clearTimeout(timer);
          if (!exited) {
            killGroup(run.child, 'SIGKILL');
            await run.exit;
          }
          process.removeListener('exit', onParentExit);
        })();
        return stopped;
      };
      return { endpoint, port, pid: run.child.pid!, guard: run.kind, client, clientConfig, died, stop };
    }

    client.destroy();
    killGroup(run.child, 'SIGKILL');
    await run.exit;
    process.removeListener('exit', onParentExit);
    if (state === 'timeout') {
      throw new DynamoDbLocalError('DYNAMODB_LOCAL_START_TIMEOUT', `DynamoDB Local did not answer within ${startTimeoutMs}ms:\n${run.output()}`);
    }
    // Exited during start: most often another process took the port between our probe and Java's bind.
    lastFailure = run.output();
    if (/java\.lang\.UnsupportedClassVersionError|Unable to access jarfile/.test(lastFailure)) break;
  }
  throw new DynamoDbLocalError('DYNAMODB_LOCAL_EXITED', `DynamoDB Local exited during start:\n${lastFailure}`);
}

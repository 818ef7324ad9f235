/**
 * Crash containment for probes. A prober returns failures as values and the runner catches what it
 * throws, but some errors reach no caller: an 'error' event on a socket with no listener, a
 * rejected promise nobody awaits, a throw in a timer callback. Node turns each into a process-level
 * `uncaughtException` (an unhandled rejection becomes one too) and, by default, exits: one broken
 * target then costs every other check of the run.
 *
 * Each probe runs inside an AsyncLocalStorage scope (`withinProbe`). The scope follows every
 * callback, timer, socket event and promise the prober starts, and the process-level handlers
 * (`installProbeContainment`, called once by each composition root: the CLI, the local pipeline,
 * the probe function) read it: an error raised inside a probe's scope ends that probe, and only
 * that probe, as an `internal` failure; the runner then aborts the prober's signal so it stops.
 *
 * What is not contained:
 * - an error outside every probe's scope is not the probes' to judge: it goes to the handlers the
 *   host had installed before (or, with none, ends the process as Node would have);
 * - an error in the scope of a probe that has already ended (a socket emitting after its probe
 *   gave up) has no result left to attribute it to: it is logged and the process goes on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ProbeScope {
  /** For logs: which check's prober raised it. */
  readonly checkId: string | undefined;
  /** Ends the probe with this error; false once the probe has ended (the error is then only logged). */
  crash(err: unknown): boolean;
}

const scopes = new AsyncLocalStorage<ProbeScope>();

/** Runs `fn` (a prober call) so that any error it raises asynchronously is attributed to `scope`. */
export function withinProbe<T>(scope: ProbeScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

export type Escape = 'uncaughtException' | 'unhandledRejection';

export interface ContainmentOptions {
  /** One line for errors contained late (after their probe ended). @default a line on stderr */
  log?: (line: string) => void;
}

function describe(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? ` (${e.code})` : '';
  return `${typeof e?.name === 'string' ? `${e.name}: ` : ''}${text}${code}`.replace(/\s*[\r\n]+\s*/g, ' ');
}

type Listener = (...args: unknown[]) => void;

let installed: (() => void) | undefined;

/**
 * Installs the process-level handlers and returns a function that removes them again (installing
 * twice installs once). The handlers take the place of those already installed, which still get
 * every error raised outside a probe, so a host's own policy (the Lambda runtime's, which fails the
 * invocation and exits; a test runner's) holds for everything that is not a probe's. With no earlier
 * handler, such an error is printed and the process exits 1, as Node does. Handlers added after
 * this call see every error, contained or not.
 */
export function installProbeContainment(opts: ContainmentOptions = {}): () => void {
  if (installed) return installed;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const previous = {
    uncaughtException: process.listeners('uncaughtException') as Listener[],
    unhandledRejection: process.listeners('unhandledRejection') as Listener[],
  };
  process.removeAllListeners('uncaughtException');
  process.removeAllListeners('unhandledRejection');

  const passOn = (kind: Escape, err: unknown, promise: unknown) => {
    if (kind === 'unhandledRejection' && previous.unhandledRejection.length > 0) {
      for (const l of previous.unhandledRejection) l.call(process, err, promise);
      return;
    }
    // Node raises an unhandled rejection nobody listens for as an uncaught exception.
    if (previous.uncaughtException.length > 0) {
      for (const l of previous.uncaughtException) l.call(process, err, kind);
      return;
    }
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  };
  const handle = (kind: Escape) => (err: unknown, promise?: unknown) => {
    const scope = scopes.getStore();
    if (scope === undefined) return passOn(kind, err, promise);
    if (!scope.crash(err)) log(`vantage: ignored an error from the prober of ${scope.checkId ?? 'a check'} after its probe ended: ${describe(err)}`);
  };
  const onException = handle('uncaughtException');
  const onRejection = handle('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  installed = () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    for (const l of previous.uncaughtException) process.on('uncaughtException', l);
    for (const l of previous.unhandledRejection) process.on('unhandledRejection', l);
    installed = undefined;
  };
  return installed;
}

/** The message of a probe ended by an escaped error; `describe` keeps it on one line. */
export function crashMessage(err: unknown): string {
  return `prober crashed asynchronously: ${describe(err)}`;
}

/**
 * When a long-running command (`vantage dev`) must stop on its own: a signal, or the process that
 * started it going away.
 *
 * Signals alone are not enough. `npm start` and `npx vantage dev` run node under `sh -c`; on SIGTERM
 * (what `docker stop` and systemd send to the top process) npm kills only that shell and exits, and
 * node is reparented to PID 1 (or the nearest subreaper) without being told. The only trace is a new
 * parent pid, so it is polled. stdin is no use: `docker run` without `-i` hands us /dev/null, which
 * ends at once. A closed stdout (the reader of `npm start | tee log` has gone) counts too: the view
 * would otherwise crash on EPIPE halfway through stopping.
 */

export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'parent exited' | 'output closed';

export interface LifetimeOptions {
  /** How often the parent pid is compared with the one at start. @default 500 */
  parentPollMs?: number;
}

export interface Lifetime {
  /** Aborts, with the {@link StopReason} as its reason, at the first cause to stop. */
  signal: AbortSignal;
  /**
   * Removes the signal listeners and the poll. Until then, further signals are swallowed, so a second
   * Ctrl-C while stopping cannot kill node before DynamoDB Local (in its own process group, out of
   * the terminal's reach) is stopped. The output listeners stay: an EPIPE can still arrive after the
   * last write, and unheard it would crash the exit.
   */
  release(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function watchLifetime(opts: LifetimeOptions = {}): Lifetime {
  const controller = new AbortController();
  const stop = (reason: StopReason) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };

  const onSignal = (signal: NodeJS.Signals) => stop(signal as StopReason);
  for (const s of SIGNALS) process.on(s, onSignal);

  const parent = process.ppid;
  const poll = setInterval(() => {
    if (process.ppid !== parent) stop('parent exited');
  }, opts.parentPollMs ?? 500);
  poll.unref();

  const onOutputError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') stop('output closed');
  };
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);

  return {
    signal: controller.signal,
    release() {
      for (const s of SIGNALS) process.removeListener(s, onSignal);
      clearInterval(poll);
    },
  };
}

/**
 * Exits the process `afterMs` from now unless it has ended by then. Once stopping has begun, nothing
 * may keep it alive headless: a stop that hangs (a probe that never settles) or a handle leaked past
 * the end of the command. Unref'd, so a clean exit does not wait for it.
 */
export function exitNoLaterThan(afterMs: number, onOverdue: () => void, code: number): void {
  setTimeout(() => {
    onOverdue();
    process.exit(code);
  }, afterMs).unref();
}

/**
 * The agent's invocations of its probe handler (scheduled minutes, and the inbox's confirmations and
 * retests), each tracked until it has ended or parked, so that stopping can wait until nothing more
 * will be written and then return.
 *
 * Parking (../minute-ticks.ts `stoppableSleep`) is how a cycle is stopped from outside: middy's own
 * deadline signal cannot be fired. A parked wait never returns, so the parked invocation never writes
 * again; which invocation parked is known from AsyncLocalStorage, which follows each invocation through
 * its awaits (the sleep is shared by every invocation of a handler).
 * https://nodejs.org/api/async_context.html#class-asynclocalstorage
 * Once any part of an invocation has parked (say one probe's retest, while other probes of its round
 * still run), the round waits for that part forever, so the whole invocation writes nothing more.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { stoppableSleep } from '../minute-ticks.ts';
import { AgentError } from './agent-error.ts';

type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface Invocations {
  /** Runs `work` as one invocation; when it parks, the promise rejects with AGENT_STOPPED (the work itself stays parked). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** A wait for the handler: returns early on the signal it is given, and parks the invocation calling it once `stopped` has fired. */
  parkingSleep(stopped: AbortSignal, sleep: Sleep): Sleep;
  /** Resolves once every invocation started so far has ended or parked. */
  drained(): Promise<void>;
}

const ignore = () => {};

export function createInvocations(): Invocations {
  const current = new AsyncLocalStorage<() => void>();
  const open = new Set<Promise<void>>();
  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      let park: () => void = ignore;
      const parked = new Promise<void>((resolve) => { park = resolve; });
      const running = current.run(park, work);
      const settled = Promise.race([running.then(ignore, ignore), parked]);
      open.add(settled);
      void settled.then(() => open.delete(settled));
      return Promise.race([running, parked.then((): never => { throw new AgentError('AGENT_STOPPED', 'the agent stopped while this request ran'); })]);
    },
    parkingSleep: (stopped, sleep) => stoppableSleep(stopped, () => current.getStore()?.(), sleep),
    async drained() {
      while (open.size > 0) await Promise.all([...open]);
    },
  };
}

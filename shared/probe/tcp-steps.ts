/**
 * TCP query/response steps (Blackbox Exporter's `query_response`), run in order on a connected socket.
 *
 * `send` writes its string exactly, as UTF-8. Nothing is appended: write the line ending you need.
 * In YAML, double-quoted strings give the escapes (`"PING\r\n"`, `"\t"`, `"\x00"`, `"\u00e9"`); single-
 * quoted and plain strings are taken literally. (Blackbox appends "\n" to every send; Vantage does not.)
 *
 * `expect` waits until the data received so far and not yet consumed matches the regex, then consumes
 * it up to the end of the match, so the next `expect` only sees what came after (as Tcl's `expect`
 * does). The regex runs with the `m` flag, so `^` and `$` match at line starts and ends, close to
 * Blackbox's line-by-line matching; a CR before the LF is data, so write `\r?$` for CR LF protocols.
 * Data is decoded as UTF-8 (invalid bytes become U+FFFD).
 *
 * When the deadline passes during an `expect`, the failure is `expect_mismatch` if the peer sent
 * anything that did not match, and `timeout` only if it sent nothing new.
 *
 * Unconsumed data is capped at MAX_PENDING_BYTES. A peer that sends more than that without a match
 * fails with `expect_mismatch`: the expectation did not hold within what the probe is willing to read,
 * which is what the operator needs to know, while `body_too_large` is reserved for HTTP's maxBodyBytes.
 */
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { failureFrom } from './classify.ts';
import { printable, printableHead } from './printable.ts';
import { abortFailure } from './timed-socket.ts';
import type { Assertion, Failure, ProbeContext } from './types.ts';

export type TcpStep = { send: string } | { expect: string };

export const MAX_PENDING_BYTES = 64 * 1024;
/** How much of the received data a result reports (`tcp.received`): the last this many characters. */
export const RECEIVED_TAIL_CHARS = 200;
/** How much of a step's data a debug log quotes. */
const DEBUG_STEP_CHARS = 4096;
/** Raw, as the log's formatter makes it printable. */
const clipped = (text: string) => (text.length <= DEBUG_STEP_CHARS ? text : `${text.slice(0, DEBUG_STEP_CHARS)}\u2026`);
/** How much unmatched data a mismatch message quotes. */
const QUOTE_CHARS = 200;

type Wait =
  | { kind: 'match'; text: string }
  | { kind: 'closed' }
  | { kind: 'overflow' }
  | { kind: 'error'; error: Error }
  | { kind: 'aborted' };

/** Collects everything the peer sends, from connect until detached, and answers `expect` from it. */
class Receiver {
  /** Received, decoded and not yet consumed by a match. */
  private pending = '';
  /** UTF-8 size of `pending`; bounded by MAX_PENDING_BYTES plus one chunk. */
  private pendingBytes = 0;
  /** The last RECEIVED_TAIL_CHARS characters received, consumed or not. */
  tail = '';
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly socket: Socket;
  private readonly onData = (chunk: Buffer) => this.add(this.decoder.write(chunk));
  private readonly onEnd = () => {
    this.add(this.decoder.end());
    this.ended = true;
    this.wake?.();
  };
  private readonly onError = (err: Error) => {
    this.error ??= err;
    this.wake?.();
  };

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** Whether the peer has finished sending (FIN, reset or error): nothing more will arrive. */
  get closed(): boolean {
    return this.ended || this.error !== undefined;
  }

  get unmatched(): string {
    return this.pending;
  }

  private add(text: string) {
    if (text === '') return;
    this.pending += text;
    this.pendingBytes += Buffer.byteLength(text);
    this.tail = (this.tail + text).slice(-RECEIVED_TAIL_CHARS);
    this.wake?.();
  }

  async expect(re: RegExp, signal: AbortSignal): Promise<Wait> {
    for (;;) {
      const m = re.exec(this.pending);
      if (m) {
        this.pending = this.pending.slice(m.index + m[0].length);
        this.pendingBytes = Buffer.byteLength(this.pending);
        return { kind: 'match', text: m[0] };
      }
      if (this.pendingBytes > MAX_PENDING_BYTES) return { kind: 'overflow' };
      // An error (a reset) is worth more than the close that follows it.
      if (this.error) return { kind: 'error', error: this.error };
      if (this.ended) return { kind: 'closed' };
      if (signal.aborted) return { kind: 'aborted' };
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done);
      });
    }
  }

  detach() {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
  }
}

export interface StepsOutcome {
  assertions: Assertion[];
  failure?: Failure;
  /** The last RECEIVED_TAIL_CHARS characters received, printable. */
  received: string;
}

function quoted(text: string): string {
  return `"${printableHead(text, QUOTE_CHARS)}"`;
}

/** Runs the steps in order and stops at the first that fails. Never throws for anything the peer does. */
export async function runSteps(socket: Socket, steps: readonly TcpStep[], ctx: Pick<ProbeContext, 'signal' | 'timeoutMs' | 'debug'>): Promise<StepsOutcome> {
  const rx = new Receiver(socket);
  const assertions: Assertion[] = [];
  // A send after the peer finished cannot be delivered. A later expect reports that as the peer's
  // answer (what it sent, then closed); only when no expect follows does the send itself fail.
  let undelivered: number | undefined;
  const done = (failure?: Failure): StepsOutcome => ({ assertions, ...(failure && { failure }), received: printable(rx.tail) });
  try {
    for (const [i, step] of steps.entries()) {
      if ('send' in step) {
        const delivered = !(rx.closed || !socket.writable);
        if (!delivered) undelivered ??= i;
        else socket.write(step.send);
        ctx.debug?.add({ phase: 'request', message: `step ${i + 1}: send`, fields: { data: clipped(step.send), bytes: Buffer.byteLength(step.send), written: delivered } });
        continue;
      }
      const name = `received matches /${step.expect}/`;
      const r = await rx.expect(new RegExp(step.expect, 'm'), ctx.signal);
      ctx.debug?.add({
        phase: 'response',
        message: `step ${i + 1}: expect /${step.expect}/ ${r.kind === 'match' ? 'matched' : `did not match (${r.kind})`}`,
        fields: r.kind === 'match' ? { matched: clipped(r.text) } : { unmatched: clipped(rx.unmatched) },
      });
      if (r.kind === 'match') {
        assertions.push({ name, ok: true, detail: quoted(r.text) });
        continue;
      }
      const seen = quoted(rx.unmatched);
      assertions.push({ name, ok: false, detail: r.kind === 'overflow' ? `no match in ${MAX_PENDING_BYTES} bytes` : `received ${seen}` });
      switch (r.kind) {
        case 'closed':
          return done({ reason: 'expect_mismatch', message: `connection closed before /${step.expect}/ matched; received ${seen}` });
        case 'overflow':
          return done({ reason: 'expect_mismatch', message: `no match for /${step.expect}/ in the ${MAX_PENDING_BYTES} bytes received; starts ${seen}` });
        case 'error': {
          const f = failureFrom(r.error, 'response');
          return done({ reason: f.reason, message: `${f.message} while waiting for /${step.expect}/; received ${seen}` });
        }
        case 'aborted':
          // A peer that spoke, but not what was expected, is a mismatch even though only the deadline
          // proves it; a silent peer is a timeout.
          return done({
            reason: rx.unmatched === '' ? abortFailure('response', ctx.timeoutMs).reason : 'expect_mismatch',
            message: `no match for /${step.expect}/ within ${ctx.timeoutMs}ms; received ${seen}`,
          });
      }
    }
    if (undelivered !== undefined) {
      return done({ reason: 'connection_reset', message: `connection closed by the peer before step ${undelivered + 1} (send) could be written` });
    }
    return done();
  } finally {
    rx.detach();
  }
}

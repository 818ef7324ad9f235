/**
 * The debug log of one probe (Blackbox Exporter's `/probe?debug=true`): what each phase saw, in
 * order, with its time since the probe started. Probers add entries only when handed a trace, so a
 * probe without one does no extra work. A trace holds what was on the wire (headers, the body's
 * head), so it is shown to the person who asked and never stored, sent or put in a ProbeResult.
 */
import { Scrubber } from './secrets.ts';

export interface DebugEntry {
  /** ms since the trace was created (the probe's start). */
  at: number;
  phase: 'dns' | 'connect' | 'tls' | 'request' | 'response' | 'body' | 'assertion' | 'grpc' | 'icmp' | 'note';
  message: string;
  fields?: Record<string, string | number | boolean | string[]>;
}

export interface DebugTrace {
  add(e: Omit<DebugEntry, 'at'>): void;
  readonly entries: readonly DebugEntry[];
}

export function createDebugTrace(now: () => number = () => performance.now()): DebugTrace {
  const t0 = now();
  const entries: DebugEntry[] = [];
  return {
    add: (e) => { entries.push({ at: now() - t0, ...e }); },
    entries,
  };
}

/** What a debug log shows in place of a secret value or a credential header. */
export const REDACTED = '[redacted]';

/** How much of a response body a debug log shows (Blackbox's debug output shows none; curl -v shows all). */
export const DEBUG_BODY_BYTES = 4096;

/**
 * A trace that scrubs every entry before keeping it: a prober that resolved secrets wraps the trace
 * it was given, so no secret value reaches the trace whoever formats it later.
 */
export function scrubbingTrace(trace: DebugTrace, secrets: Iterable<string>): DebugTrace {
  const scrubber = new Scrubber(secrets, REDACTED);
  if (!scrubber.active) return trace;
  return {
    add: (e) => trace.add(scrubber.deep(e)),
    get entries() { return trace.entries; },
  };
}

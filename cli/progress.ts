/**
 * `vantage run` on a terminal: each check's line as it finishes, and below them one progress line
 * (`3/12 done, 2 failing, 4.1s`) redrawn in place. Redrawing is a carriage return and "erase in line"
 * (ECMA-48 EL, `CSI 2 K`), which only clears the line the cursor is on: a progress line that wrapped
 * would leave its first half behind, so every line is cut to the terminal's width.
 * https://ecma-international.org/publications-and-standards/standards/ecma-48/
 * Only for a terminal: piped output and --json get plain lines and no control codes (run.ts decides).
 */
import type { ProbeResult } from '../shared/probe/types.ts';

/** Back to column 0, then erase the whole line. */
export const CLEAR_LINE = '\r\x1b[2K';

/** When the terminal does not say how wide it is. */
export const DEFAULT_COLUMNS = 80;

export interface ProgressOptions {
  /** How many checks will finish. */
  total: number;
  /** The terminal's width in columns. */
  columns: number;
  /** The width of the check column, so finished lines align (the longest check id). */
  idWidth: number;
  now: () => number;
  write: (text: string) => void;
  /** ANSI colour for the status. @default true */
  color?: boolean;
}

export interface Progress {
  /** A check finished: its line goes above the progress line, then `below` (a debug log), then the redrawn progress line. */
  finished(result: ProbeResult, below?: string): void;
  /** Redraws the progress line (the elapsed time moves on). */
  tick(): void;
  /** Erases the progress line, so what is printed next starts on a clean line. */
  end(): void;
}

const STATUS_WIDTH = 'DEGRADED'.length;
const COLOUR = { up: 32, degraded: 33, down: 31 } as const;

/** Cut to `columns - 1`: a line exactly as wide as the terminal wraps the cursor on some terminals. */
function fit(text: string, columns: number): string {
  const max = Math.max(1, columns - 1);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `DOWN      web   eu-west-1   41 ms  status_code: status 503`, cut to the width (the colour codes added after the cut, so they are never cut). */
export function finishedLine(r: ProbeResult, opts: Pick<ProgressOptions, 'columns' | 'idWidth' | 'color'>): string {
  const status = r.status.toUpperCase().padEnd(STATUS_WIDTH);
  const rest = [
    (r.checkId ?? r.target).padEnd(opts.idWidth),
    ...(r.location !== undefined ? [r.location] : []),
    `${r.phases.total >= 100 ? r.phases.total.toFixed(0) : r.phases.total.toFixed(1)} ms`,
    ...(r.failure ? [`${r.failure.reason}: ${r.failure.message}`] : []),
    ...(r.retries ? [`after ${r.retries} retest${r.retries === 1 ? '' : 's'}`] : []),
  ].join('  ');
  const line = fit(`${status}  ${rest}`, opts.columns);
  if (opts.color === false) return line;
  return `\x1b[${COLOUR[r.status]}m${line.slice(0, STATUS_WIDTH)}\x1b[0m${line.slice(STATUS_WIDTH)}`;
}

export function progressLine(done: number, total: number, failing: number, elapsedMs: number): string {
  return `${done}/${total} done, ${failing} failing, ${(elapsedMs / 1000).toFixed(1)}s`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const started = opts.now();
  let done = 0;
  let failing = 0;
  let ended = false;
  const current = () => fit(progressLine(done, opts.total, failing, opts.now() - started), opts.columns);
  return {
    finished(result, below) {
      if (ended) return;
      done++;
      if (result.status === 'down') failing++;
      opts.write(`${CLEAR_LINE}${finishedLine(result, opts)}\n${below ?? ''}${current()}`);
    },
    tick() {
      if (!ended) opts.write(`${CLEAR_LINE}${current()}`);
    },
    end() {
      if (ended) return;
      ended = true;
      opts.write(CLEAR_LINE);
    },
  };
}

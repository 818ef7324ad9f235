/**
 * `--debug`: the log of one probe as Blackbox Exporter's `/probe?debug=true` gives it, for a person
 * at a terminal: each entry of the trace with its time, then the phases and the verdict.
 *
 * Redaction happens here a second time, whatever the prober already did: every resolved secret (in
 * every spelling the Scrubber knows, including one cut short by the body's clip) and the value of
 * every credential header, request or response, becomes `[redacted]` wherever it appears.
 */
import type { Check } from '../shared/config/schema.ts';
import { isCredentialHeaderName } from '../shared/config/credentials.ts';
import { DEBUG_BODY_BYTES, REDACTED, type DebugEntry, type DebugTrace } from '../shared/probe/debug.ts';
import { printable } from '../shared/probe/printable.ts';
import { Scrubber } from '../shared/probe/secrets.ts';
import type { ProbeResult } from '../shared/probe/types.ts';

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'] as const;
/** The Scrubber's clip mark (./../shared/probe/secrets.ts): a secret cut right before it is still hidden. */
const CLIP = '\u2026';
const INDENT = ' '.repeat(24);

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** Header-shaped entries carry the header values as fields. */
const HEADER_PHASES = new Set<DebugEntry['phase']>(['request', 'response']);

/** Credential headers hidden by name, and their values remembered so an echo of them is hidden too. */
function hideCredentials(entries: readonly DebugEntry[], secrets: string[]): DebugEntry[] {
  return entries.map((e) => {
    if (!HEADER_PHASES.has(e.phase) || !e.fields) return e;
    const fields: NonNullable<DebugEntry['fields']> = {};
    for (const [name, value] of Object.entries(e.fields)) {
      if (!isCredentialHeaderName(name) || value === REDACTED) {
        fields[name] = value;
        continue;
      }
      for (const v of Array.isArray(value) ? value : [String(value)]) {
        secrets.push(v);
        const space = v.indexOf(' ');
        if (space > 0) secrets.push(v.slice(space + 1));
      }
      fields[name] = REDACTED;
    }
    return { ...e, fields };
  });
}

function bodyLines(e: DebugEntry, scrubber: Scrubber): string[] {
  const bytes = Number(e.fields?.bytes ?? 0);
  if (bytes === 0) return ['empty'];
  const cut = e.fields?.cut === true;
  const shown = Number(e.fields?.shown ?? bytes);
  // Scrubbed before it is split into lines, with the clip mark where it was cut (see CLIP).
  const text = scrubber.scrub(cut ? `${e.message}${CLIP}` : e.message);
  const lines = text.replace(/\r?\n$/, '').split('\n').map((l) => `| ${printable(l.replace(/\r$/, ''))}`);
  const what = cut ? `first ${shown} of ${bytes} bytes (cut at ${DEBUG_BODY_BYTES})` : `${bytes} bytes`;
  return [what, ...lines];
}

/**
 * Messages are Vantage's own words around names and regexes, where a doubled backslash would
 * misquote the regex; only what could break the line is escaped. Data (fields, the body) goes
 * through `printable`, where `\\` and `\r` must stay distinguishable.
 */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => printable(c));
}

function fieldLines(fields: NonNullable<DebugEntry['fields']>): string[] {
  return Object.entries(fields).flatMap(([k, v]) => (Array.isArray(v) ? (v.length ? v.map((x) => `${k}: ${printable(x)}`) : [`${k}: (none)`]) : [`${k}: ${printable(String(v))}`]));
}

function entryLines(e: DebugEntry, scrubber: Scrubber): string[] {
  const head = `${ms(e.at).padStart(9)}ms  ${e.phase.padEnd(11)}`;
  if (e.phase === 'body') {
    const [first, ...rest] = bodyLines(e, scrubber);
    return [`${head}${first}`, ...rest.map((l) => INDENT + l)];
  }
  const fields = e.fields ? fieldLines(scrubber.deep(e.fields)) : [];
  return [`${head}${oneLine(scrubber.scrub(e.message))}`, ...fields.map((l) => INDENT + l)];
}

/** What gRPC and ICMP probes report in their result, which is all a trace could add for them. */
function resultLines(result: ProbeResult): string[] {
  const out: string[] = [];
  if (result.remoteAddress) out.push(`remote address: ${result.remoteAddress}`);
  if (result.grpc) out.push(`grpc health status: ${result.grpc.status}`);
  if (result.icmp) {
    const i = result.icmp;
    out.push(`icmp: ${i.sent} sent, ${i.received} received, ${i.errors} errors, ${i.lossPercent}% loss${i.rtt ? `, rtt min/avg/max/mdev ${i.rtt.min}/${i.rtt.avg}/${i.rtt.max}/${i.rtt.mdev} ms` : ''}`);
  }
  if (result.tcp?.received) out.push(`tcp received (last ${result.tcp.received.length} chars): ${result.tcp.received}`);
  return out;
}

export function formatDebug(check: Check, result: ProbeResult, trace: DebugTrace, opts: { secrets: readonly string[] }): string {
  const secrets = [...opts.secrets];
  const entries = hideCredentials(trace.entries, secrets);
  const scrubber = new Scrubber(secrets, REDACTED);
  const phases = PHASES.filter((p) => result.phases[p] !== undefined).map((p) => `${p} ${ms(result.phases[p]!)}`);
  const verdict = result.failure ? `${result.status.toUpperCase()}: ${result.failure.reason}: ${result.failure.message}` : result.status.toUpperCase();
  const lines = [
    `debug log of ${check.id} (${check.kind} ${result.target}):`,
    ...entries.flatMap((e) => entryLines(e, scrubber)),
    ...resultLines(result).map((l) => `  ${l}`),
    `phases (ms): ${phases.join('  ')}`,
    `result: ${verdict}${result.retries ? ` (after ${result.retries} retest${result.retries === 1 ? '' : 's'}; this log is of the last attempt)` : ''}`,
  ];
  // Once more over the whole text: a value split across two entries' fields is not a worry, but a
  // message assembled above from several is.
  return `${scrubber.scrub(lines.join('\n'))}\n`;
}

/** How much of the body's first line a result line shows. */
const FIRST_LINE_CHARS = 200;

/**
 * The first non-blank line of the last response body in the trace, redacted as formatDebug
 * redacts and made printable; undefined when there was no body.
 */
export function firstBodyLine(trace: DebugTrace, opts: { secrets: readonly string[] }): string | undefined {
  const secrets = [...opts.secrets];
  const entries = hideCredentials(trace.entries, secrets);
  const body = entries.findLast((e) => e.phase === 'body' && Number(e.fields?.bytes ?? 0) > 0);
  if (!body) return undefined;
  const line = body.message.split('\n').map((l) => l.trim()).find((l) => l !== '');
  if (line === undefined) return undefined;
  const clipped = line.length > FIRST_LINE_CHARS ? `${line.slice(0, FIRST_LINE_CHARS)}${CLIP}` : line;
  return printable(new Scrubber(secrets, REDACTED).scrub(clipped));
}

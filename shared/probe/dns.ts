/**
 * The DNS prober: one query to one server, sent by Vantage itself (not the system resolver, which
 * caches and retries), over UDP or TCP. Blackbox Exporter's `prober/dns.go` is the model: rcode and
 * answer assertions over records rendered as zone-file text.
 */
import { randomInt } from 'node:crypto';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { parseServer } from '../config/host-port.ts';
import type { DnsCheck } from '../config/schema.ts';

export { parseServer };
import { failureFrom } from './classify.ts';
import { encodeQuery, exchangeTcp, exchangeUdp, type DnsQuestion, type DnsServer, type Exchange } from './dns-exchange.ts';
import { fqdn, renderRecord } from './dns-render.ts';
import type { DebugTrace } from './debug.ts';
import { addressText, traceLookup } from './debug-entries.ts';
import { lookupAddress } from './lookup.ts';
import type { Assertion, Failure, Phases, ProbeFn, ProbeOutcome } from './types.ts';


export interface DnsProberDeps {
  /** The system's resolvers, used when a check names no server. @default dns.getServers() */
  systemServers?: () => string[];
}

function answerAssertions(spec: DnsCheck['dns'], rcode: string, answers: string[]): { assertions: Assertion[]; failure?: Failure } {
  const assertions: Assertion[] = [];
  let failure: Failure | undefined;
  const record = (a: Assertion, reason: Failure['reason']) => {
    assertions.push(a);
    if (!a.ok && !failure) failure = { reason, message: `${a.name} failed${a.detail ? `: ${a.detail}` : ''}` };
  };
  record({ name: `rcode in [${spec.validRcodes.join(', ')}]`, ok: (spec.validRcodes as readonly string[]).includes(rcode), detail: rcode }, 'dns_rcode');
  for (const src of spec.assert.answerMatches) {
    const re = new RegExp(src);
    const hit = answers.find((line) => re.test(line));
    record({ name: `answer matches /${src}/`, ok: hit !== undefined, detail: hit ?? `none of ${answers.length} answer(s) matched` }, 'dns_answer');
  }
  for (const src of spec.assert.answerNotMatches) {
    const re = new RegExp(src);
    const hit = answers.find((line) => re.test(line));
    record({ name: `no answer matches /${src}/`, ok: hit === undefined, detail: hit ?? `${answers.length} answer(s), none matched` }, 'dns_answer');
  }
  if (spec.assert.minAnswers !== undefined) {
    record({ name: `answers >= ${spec.assert.minAnswers}`, ok: answers.length >= spec.assert.minAnswers, detail: `${answers.length} answer(s)` }, 'dns_answer');
  }
  return failure ? { assertions, failure } : { assertions };
}

/** The response as dig shows it: rcode, flags and each section's records (zone-file text, with their TTLs). */
function traceAnswer(trace: DebugTrace, response: Extract<Exchange, { ok: true }>['response'], rcode: string, answers: string[]): void {
  const flags = (['flag_aa', 'flag_tc', 'flag_rd', 'flag_ra', 'flag_ad', 'flag_cd'] as const).filter((f) => response[f]).map((f) => f.slice(5));
  trace.add({
    phase: 'response',
    message: `${rcode}, ${answers.length} answer(s)`,
    fields: {
      flags: flags.join(' ') || 'none',
      answer: answers,
      authority: (response.authorities ?? []).map(renderRecord),
      additional: (response.additionals ?? []).map(renderRecord),
    },
  });
}

export function createDnsProber(deps: DnsProberDeps = {}): ProbeFn<DnsCheck> {
  const systemServers = deps.systemServers ?? (() => dns.getServers());
  return async (check, ctx) => {
    const t0 = performance.now();
    const spec = check.dns;
    const serverText = spec.server ?? systemServers()[0];
    const target = `${spec.name} ${spec.type} @${serverText ?? '(none)'}`;
    const phases: Omit<Phases, 'total'> = {};
    const assertions: Assertion[] = [];
    let remoteAddress: string | undefined;
    const outcome = (rest: Partial<ProbeOutcome> & { ok: boolean }): ProbeOutcome => ({
      target,
      assertions,
      ...(remoteAddress !== undefined && { remoteAddress }),
      ...rest,
      phases: { ...phases, total: performance.now() - t0 },
    });
    const fail = (failure: Failure) => outcome({ ok: false, failure });

    if (serverText === undefined) return fail({ reason: 'dns', message: 'no server given and the system has no resolver configured' });
    const parsed = parseServer(serverText);
    if (!parsed) return fail({ reason: 'dns', message: `cannot use server "${serverText}": expected host, host:port or [v6]:port` });

    let server: DnsServer;
    const lookupStart = performance.now();
    try {
      server = { address: await lookupAddress(parsed.host, undefined, ctx.signal), port: parsed.port };
      if (!isIP(parsed.host)) {
        phases.dns = performance.now() - lookupStart;
        if (ctx.debug) traceLookup(ctx.debug, parsed.host, null, server.address, undefined);
      }
    } catch (err) {
      phases.dns = performance.now() - lookupStart;
      if (ctx.debug) traceLookup(ctx.debug, parsed.host, err as Error, undefined, undefined);
      return fail(failureFrom(err, 'dns'));
    }
    remoteAddress = server.address;

    // A random id is half of the defence against off-path spoofing (RFC 5452 §4); the source port is the other.
    const question: DnsQuestion = { id: randomInt(0x10000), name: spec.name, type: spec.type };
    const query = encodeQuery(question, spec.recursionDesired);
    const trace = ctx.debug;
    const sent = (transport: string) => trace?.add({
      phase: 'request',
      message: `query ${fqdn(spec.name)} IN ${spec.type}`,
      fields: { server: addressText(server.address, server.port), transport, id: question.id, 'recursion desired': spec.recursionDesired },
    });
    let exchange: Exchange;
    sent(spec.transport);
    if (spec.transport === 'tcp') {
      exchange = await exchangeTcp(server, question, query, ctx.signal);
    } else {
      exchange = await exchangeUdp(server, question, query, ctx.signal);
      if (exchange.ok && exchange.response.flag_tc) {
        // RFC 7766 §5: a truncated UDP answer is incomplete; the full one is only available over TCP.
        assertions.push({ name: 'complete answer', ok: true, detail: `UDP answer was truncated (TC) after ${exchange.ttfbMs.toFixed(1)}ms; retried over TCP` });
        trace?.add({ phase: 'note', message: 'the UDP answer was truncated (TC); asking again over TCP' });
        sent('tcp');
        exchange = await exchangeTcp(server, question, query, ctx.signal);
      }
    }
    if (exchange.connectMs !== undefined) phases.connect = exchange.connectMs;
    if (!exchange.ok) return fail(exchange.failure);
    phases.ttfb = exchange.ttfbMs;

    const rcode = exchange.response.rcode ?? 'NOERROR';
    const answers = (exchange.response.answers ?? []).map(renderRecord);
    if (trace) traceAnswer(trace, exchange.response, rcode, answers);
    const checked = answerAssertions(spec, rcode, answers);
    assertions.push(...checked.assertions);
    const dnsInfo = { rcode, answers };
    return checked.failure ? outcome({ ok: false, dns: dnsInfo, failure: checked.failure }) : outcome({ ok: true, dns: dnsInfo });
  };
}

export const probeDns: ProbeFn<DnsCheck> = createDnsProber();

import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject, loadConfigText } from '../../shared/config/load.ts';
import type { DnsCheck } from '../../shared/config/schema.ts';
import { createDnsProber, parseServer, probeDns } from '../../shared/probe/dns.ts';
import { renderRecord } from '../../shared/probe/dns-render.ts';
import type { ProbeOutcome } from '../../shared/probe/types.ts';
import { SPECIAL, SPOOFED_ADDRESS, startDnsStub, type DnsStub } from '../support/dns-server.ts';
import { hangBound } from '../support/timing.ts';

let stub: DnsStub;

beforeAll(async () => {
  stub = await startDnsStub();
});

afterAll(async () => {
  await stub.close();
});

/** Through the real loader, so defaults and validation are the ones users get. */
function dnsCheck(dns: Record<string, unknown>, common: Record<string, unknown> = {}): DnsCheck {
  const cfg = loadConfigObject({ checks: [{ id: 'dns-test', dns: { server: stub.server, ...dns }, ...common }] });
  return cfg.checks[0] as DnsCheck;
}

/** The context runProbe builds: a signal that fires at the check's timeout. */
function probe(check: DnsCheck, prober = probeDns): Promise<ProbeOutcome> {
  return prober(check, { signal: AbortSignal.timeout(check.timeout), timeoutMs: check.timeout });
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('record types are parsed and rendered as zone-file lines', () => {
  const cases: Array<[string, string, string[]]> = [
    ['A', 'api.example.com', ['api.example.com.\t300\tIN\tA\t10.0.0.1', 'api.example.com.\t300\tIN\tA\t10.0.0.2']],
    ['AAAA', 'api.example.com', ['api.example.com.\t300\tIN\tAAAA\t2001:db8::1']],
    ['CNAME', 'www.example.com', ['www.example.com.\t300\tIN\tCNAME\tapi.example.com.']],
    ['MX', 'example.com', ['example.com.\t300\tIN\tMX\t10 mail.example.com.', 'example.com.\t300\tIN\tMX\t20 backup.example.com.']],
    ['TXT', 'example.com', ['example.com.\t300\tIN\tTXT\t"v=spf1 include:_spf.example.com ~all"', 'example.com.\t300\tIN\tTXT\t"say \\"hi\\"" "part two"']],
    ['NS', 'example.com', ['example.com.\t300\tIN\tNS\tns1.example.com.', 'example.com.\t300\tIN\tNS\tns2.example.com.']],
    ['SOA', 'example.com', ['example.com.\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300']],
    ['SRV', '_sip._tcp.example.com', ['_sip._tcp.example.com.\t300\tIN\tSRV\t10 60 5060 sip.example.com.']],
    ['PTR', '1.0.0.10.in-addr.arpa', ['1.0.0.10.in-addr.arpa.\t300\tIN\tPTR\tapi.example.com.']],
  ];
  it.each(cases)('%s %s', async (type, name, lines) => {
    const r = await probe(dnsCheck({ name, type }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.dns).toEqual({ rcode: 'NOERROR', answers: lines });
    expect(r.assertions).toEqual([{ name: 'rcode in [NOERROR]', ok: true, detail: 'NOERROR' }]);
  });

  it('follows a CNAME chain the way a resolver returns it', async () => {
    const r = await probe(dnsCheck({ name: 'www.example.com', type: 'A' }));
    expect(r.dns?.answers).toEqual([
      'www.example.com.\t300\tIN\tCNAME\tapi.example.com.',
      'api.example.com.\t300\tIN\tA\t10.0.0.1',
      'api.example.com.\t300\tIN\tA\t10.0.0.2',
    ]);
  });

  it('renders types it does not know as RFC 3597 generic data', () => {
    expect(renderRecord({ name: 'x.example', type: 'NULL', ttl: 5, class: 'IN', data: Buffer.from([0xab, 0x01]) })).toBe('x.example.\t5\tIN\tNULL\t\\# 2 ab01');
    expect(renderRecord({ name: 'x.example', type: 'TXT', ttl: 5, class: 'IN', data: [Buffer.from([0x07, 0x41])] })).toBe('x.example.\t5\tIN\tTXT\t"\\007A"');
  });
});

describe('rcode', () => {
  it('fails NXDOMAIN with dns_rcode by default', async () => {
    const r = await probe(dnsCheck({ name: 'nope.example.com' }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('dns_rcode');
    expect(r.dns).toEqual({ rcode: 'NXDOMAIN', answers: [] });
    expect(r.assertions[0]).toEqual({ name: 'rcode in [NOERROR]', ok: false, detail: 'NXDOMAIN' });
  });

  it('passes NXDOMAIN when it is a valid rcode', async () => {
    const r = await probe(dnsCheck({ name: 'nope.example.com', validRcodes: ['NXDOMAIN'] }));
    expect(r.ok).toBe(true);
    expect(r.dns?.rcode).toBe('NXDOMAIN');
  });

  it('fails SERVFAIL', async () => {
    const r = await probe(dnsCheck({ name: SPECIAL.servfail, validRcodes: ['NOERROR', 'NXDOMAIN'] }));
    expect(r.failure).toMatchObject({ reason: 'dns_rcode' });
    expect(r.assertions[0]).toEqual({ name: 'rcode in [NOERROR, NXDOMAIN]', ok: false, detail: 'SERVFAIL' });
  });
});

describe('answer assertions', () => {
  it('passes when every answerMatches regex matches some line and no answerNotMatches does', async () => {
    const r = await probe(dnsCheck({
      name: 'api.example.com',
      assert: { answerMatches: ['\\tIN\\tA\\t10\\.0\\.0\\.1$', '\\sA\\s+10\\.0\\.0\\.2$'], answerNotMatches: ['192\\.168\\.'], minAnswers: 2 },
    }));
    expect(r.ok).toBe(true);
    expect(r.assertions.map((a) => [a.name, a.ok])).toEqual([
      ['rcode in [NOERROR]', true],
      ['answer matches /\\tIN\\tA\\t10\\.0\\.0\\.1$/', true],
      ['answer matches /\\sA\\s+10\\.0\\.0\\.2$/', true],
      ['no answer matches /192\\.168\\./', true],
      ['answers >= 2', true],
    ]);
  });

  it('fails answerMatches with dns_answer when no line matches', async () => {
    const r = await probe(dnsCheck({ name: 'api.example.com', assert: { answerMatches: ['10\\.0\\.0\\.1$', '10\\.9\\.9\\.9'] } }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('dns_answer');
    expect(r.failure?.message).toContain('10\\.9\\.9\\.9');
    expect(r.assertions.filter((a) => !a.ok)).toEqual([{ name: 'answer matches /10\\.9\\.9\\.9/', ok: false, detail: 'none of 2 answer(s) matched' }]);
  });

  it('fails answerNotMatches and names the offending line', async () => {
    const r = await probe(dnsCheck({ name: 'example.com', type: 'MX', assert: { answerNotMatches: ['backup'] } }));
    expect(r.failure?.reason).toBe('dns_answer');
    expect(r.assertions[1]).toEqual({ name: 'no answer matches /backup/', ok: false, detail: 'example.com.\t300\tIN\tMX\t20 backup.example.com.' });
  });

  // Blackbox Exporter matches `validate_answer_rrs` regexes against miekg/dns's rendering, and its own
  // example config spells them with YAML tab escapes; such a regex must behave the same here.
  it('matches regexes written for Blackbox Exporter, tabs and all, from YAML', async () => {
    const yaml = [
      'checks:',
      '  - id: bbe-parity',
      '    dns:',
      `      server: "${stub.server}"`,
      '      name: api.example.com',
      '      type: A',
      '      assert:',
      '        answerMatches: ["api.example.com.\\t300\\tIN\\tA\\t10.0.0.1"]',
      '        answerNotMatches: ["api.example.com.\\t300\\tIN\\tA\\t10.0.0.2"]',
    ].join('\n');
    const check = loadConfigText(yaml).checks[0] as DnsCheck;
    const r = await probe(check);
    expect(r.assertions.map((a) => [a.ok, a.detail])).toEqual([
      [true, 'NOERROR'],
      [true, 'api.example.com.\t300\tIN\tA\t10.0.0.1'],
      // The exporter's fail_if_matches_regexp fires on the present record; so does answerNotMatches.
      [false, 'api.example.com.\t300\tIN\tA\t10.0.0.2'],
    ]);
    expect(r.failure?.reason).toBe('dns_answer');
  });

  it('fails minAnswers with the count seen', async () => {
    const r = await probe(dnsCheck({ name: 'api.example.com', type: 'AAAA', assert: { minAnswers: 2 } }));
    expect(r.failure?.reason).toBe('dns_answer');
    expect(r.assertions[1]).toEqual({ name: 'answers >= 2', ok: false, detail: '1 answer(s)' });
  });

  it('reports the rcode failure first when both fail', async () => {
    const r = await probe(dnsCheck({ name: 'nope.example.com', assert: { minAnswers: 1 } }));
    expect(r.failure?.reason).toBe('dns_rcode');
    expect(r.assertions.map((a) => a.ok)).toEqual([false, false]);
  });
});

describe('transport', () => {
  it('queries over TCP when asked, with a connect phase', async () => {
    const before = { udp: stub.queries.udp.length, tcp: stub.queries.tcp.length };
    const r = await probe(dnsCheck({ name: 'api.example.com', transport: 'tcp' }));
    expect(r.ok).toBe(true);
    expect(r.dns?.answers).toHaveLength(2);
    expect(stub.queries.tcp.slice(before.tcp)).toEqual(['api.example.com A']);
    expect(stub.queries.udp.length).toBe(before.udp);
    expect(r.phases.connect).toBeGreaterThan(0);
    expect(r.phases.ttfb).toBeGreaterThan(0);
    expect(r.phases.dns).toBeUndefined();
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.connect! + r.phases.ttfb!);
    expect(r.remoteAddress).toBe('127.0.0.1');
  });

  it('UDP has no connect phase', async () => {
    const r = await probe(dnsCheck({ name: 'api.example.com' }));
    expect(r.phases.connect).toBeUndefined();
    expect(r.phases.ttfb).toBeGreaterThan(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.ttfb!);
  });

  it('retries a truncated UDP answer over TCP and says so', async () => {
    const before = { udp: stub.queries.udp.length, tcp: stub.queries.tcp.length };
    const r = await probe(dnsCheck({ name: SPECIAL.truncated, assert: { minAnswers: 20 } }));
    expect(r.ok).toBe(true);
    expect(r.dns?.answers).toHaveLength(20);
    expect(stub.queries.udp.slice(before.udp)).toEqual([`${SPECIAL.truncated} A`]);
    expect(stub.queries.tcp.slice(before.tcp)).toEqual([`${SPECIAL.truncated} A`]);
    const note = r.assertions.find((a) => a.name === 'complete answer');
    expect(note?.ok).toBe(true);
    expect(note?.detail).toMatch(/truncated \(TC\).*retried over TCP/);
    expect(r.phases.connect).toBeGreaterThan(0);
  });

  it('uses the first system resolver when no server is given', async () => {
    const prober = createDnsProber({ systemServers: () => [stub.server, '192.0.2.1'] });
    const cfg = loadConfigObject({ checks: [{ id: 'sys', dns: { name: 'api.example.com' } }] });
    const r = await probe(cfg.checks[0] as DnsCheck, prober);
    expect(r.ok).toBe(true);
    expect(r.target).toBe(`api.example.com A @${stub.server}`);
  });

  it('fails with dns when there is no server at all', async () => {
    const prober = createDnsProber({ systemServers: () => [] });
    const cfg = loadConfigObject({ checks: [{ id: 'sys', dns: { name: 'api.example.com' } }] });
    const r = await probe(cfg.checks[0] as DnsCheck, prober);
    expect(r.failure?.reason).toBe('dns');
  });
});

describe('misbehaving servers', () => {
  // The silent server never answers, so a probe that ignored its timeout would not return at all.
  it('times out on a silent UDP server', async () => {
    const check = dnsCheck({ name: SPECIAL.silent }, { timeout: '400ms' });
    const t0 = performance.now();
    const r = await probe(check);
    const elapsed = performance.now() - t0;
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('timeout');
    expect(elapsed).toBeLessThan(hangBound(400));
  });

  it('times out on a silent TCP server', async () => {
    const check = dnsCheck({ name: SPECIAL.silent, transport: 'tcp' }, { timeout: '400ms' });
    const t0 = performance.now();
    const r = await probe(check);
    expect(performance.now() - t0).toBeLessThan(hangBound(400));
    expect(r.failure?.reason).toBe('timeout');
    expect(r.phases.connect).toBeGreaterThan(0);
  });

  it('reports a garbage response with our id as protocol_error', async () => {
    const r = await probe(dnsCheck({ name: SPECIAL.garbage }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('protocol_error');
  });

  it('reports garbage over TCP as protocol_error', async () => {
    const r = await probe(dnsCheck({ name: SPECIAL.garbage, transport: 'tcp' }));
    expect(r.failure?.reason).toBe('protocol_error');
  });

  it('ignores UDP answers with the wrong id or the wrong question', async () => {
    const r = await probe(dnsCheck({ name: SPECIAL.spoofed }));
    expect(r.ok).toBe(true);
    expect(r.dns?.answers).toEqual([`${SPECIAL.spoofed}.\t300\tIN\tA\t10.0.0.9`]);
    expect(r.dns?.answers.join('\n')).not.toContain(SPOOFED_ADDRESS);
  });

  it('reports ICMP port unreachable on UDP as connect_refused', async () => {
    const port = await freeUdpPort();
    const r = await probe(dnsCheck({ name: 'api.example.com', server: `127.0.0.1:${port}` }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('connect_refused');
  });

  it('reports a refused TCP connection as connect_refused', async () => {
    const port = await freeTcpPort();
    const r = await probe(dnsCheck({ name: 'api.example.com', server: `127.0.0.1:${port}`, transport: 'tcp' }));
    expect(r.failure?.reason).toBe('connect_refused');
    expect(r.phases.connect).toBeUndefined();
  });

  it('stops at once when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await probeDns(dnsCheck({ name: 'api.example.com' }), { signal: controller.signal, timeoutMs: 5000 });
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('timeout');
  });
});

describe('parseServer', () => {
  it.each([
    ['10.0.0.2', { host: '10.0.0.2', port: 53 }],
    ['10.0.0.2:5353', { host: '10.0.0.2', port: 5353 }],
    ['ns1.example.com', { host: 'ns1.example.com', port: 53 }],
    ['ns1.example.com:54', { host: 'ns1.example.com', port: 54 }],
    ['[2001:db8::1]:5353', { host: '2001:db8::1', port: 5353 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: 53 }],
    ['2001:db8::1', { host: '2001:db8::1', port: 53 }],
  ])('%s', (text, expected) => {
    expect(parseServer(text)).toEqual(expected);
  });

  it.each(['10.0.0.2:0', '10.0.0.2:70000', 'a:b:c', 'host:'])('rejects %s', (text) => {
    expect(parseServer(text)).toBeUndefined();
  });
});

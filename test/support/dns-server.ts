/**
 * A DNS stub server for tests: UDP and TCP on the same 127.0.0.1 port, a small zone with every record
 * type Vantage queries, and names that misbehave on purpose (truncation, silence, garbage, spoofing).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';

const TTL = 300;

/** Names whose behaviour is the point of a test. */
export const SPECIAL = {
  /** Over UDP: TC set and no answers. Over TCP: 20 A records. */
  truncated: 'big.example.com',
  /** Never answered, on either transport. */
  silent: 'silent.example.com',
  /** Answered with this query's id followed by bytes that are not a DNS message. */
  garbage: 'garbage.example.com',
  /** UDP: first a wrong-id answer (6.6.6.6), then one with the right id but another question, then the real one. */
  spoofed: 'spoofed.example.com',
  /** Answered with SERVFAIL. */
  servfail: 'broken.example.com',
} as const;

export const SPOOFED_ADDRESS = '6.6.6.6';

type Rec = packet.Answer;

function zone(): Rec[] {
  const r = <T extends Rec>(rec: T): T => ({ ttl: TTL, class: 'IN', ...rec });
  return [
    r({ name: 'api.example.com', type: 'A', data: '10.0.0.1' }),
    r({ name: 'api.example.com', type: 'A', data: '10.0.0.2' }),
    r({ name: 'api.example.com', type: 'AAAA', data: '2001:db8::1' }),
    r({ name: 'www.example.com', type: 'CNAME', data: 'api.example.com' }),
    r({ name: 'example.com', type: 'MX', data: { preference: 10, exchange: 'mail.example.com' } }),
    r({ name: 'example.com', type: 'MX', data: { preference: 20, exchange: 'backup.example.com' } }),
    r({ name: 'example.com', type: 'TXT', data: ['v=spf1 include:_spf.example.com ~all'] }),
    r({ name: 'example.com', type: 'TXT', data: ['say "hi"', 'part two'] }),
    r({ name: 'example.com', type: 'NS', data: 'ns1.example.com' }),
    r({ name: 'example.com', type: 'NS', data: 'ns2.example.com' }),
    r({ name: 'example.com', type: 'SOA', data: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300 } }),
    r({ name: '_sip._tcp.example.com', type: 'SRV', data: { priority: 10, weight: 60, port: 5060, target: 'sip.example.com' } }),
    r({ name: '1.0.0.10.in-addr.arpa', type: 'PTR', data: 'api.example.com' }),
  ];
}

const SOA = zone().find((r) => r.type === 'SOA')!;

export interface DnsStub {
  port: number;
  /** `127.0.0.1:port`, as a check's `server`. */
  server: string;
  /** Queries received, by transport, as `NAME TYPE`. */
  queries: { udp: string[]; tcp: string[] };
  close(): Promise<void>;
}

type Transport = 'udp' | 'tcp';

function response(query: packet.DecodedPacket, extra: { rcode?: number; answers?: Rec[]; authorities?: Rec[]; truncated?: boolean; id?: number; questions?: packet.Question[] }): Buffer {
  let flags = packet.AUTHORITATIVE_ANSWER | (query.flag_rd ? packet.RECURSION_DESIRED : 0) | (extra.rcode ?? 0);
  if (extra.truncated) flags |= packet.TRUNCATED_RESPONSE;
  return packet.encode({
    type: 'response',
    id: extra.id ?? query.id ?? 0,
    flags,
    questions: extra.questions ?? query.questions ?? [],
    answers: extra.answers ?? [],
    authorities: extra.authorities ?? [],
  });
}

/** What a recursive resolver would return: the records of the type asked for, following CNAMEs. */
function lookup(name: string, type: string): Rec[] | undefined {
  const records = zone();
  const lower = name.toLowerCase();
  const atName = records.filter((r) => r.name === lower);
  if (atName.length === 0) return undefined;
  const cname = atName.find((r) => r.type === 'CNAME');
  if (cname && type !== 'CNAME') return [cname, ...(lookup((cname as { data: string }).data, type) ?? [])];
  return atName.filter((r) => r.type === type);
}

/** The replies (possibly none, possibly several) to one query. */
function answer(msg: Buffer, transport: Transport, log: DnsStub['queries']): Buffer[] {
  const query = packet.decode(msg);
  const q = query.questions?.[0];
  if (!q) return [response(query, { rcode: 1 })];
  log[transport].push(`${q.name} ${q.type}`);
  const name = q.name.toLowerCase();
  switch (name) {
    case SPECIAL.silent:
      return [];
    case SPECIAL.garbage: {
      const junk = Buffer.from([0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      junk.writeUInt16BE(query.id ?? 0, 0);
      return [junk];
    }
    case SPECIAL.servfail:
      return [response(query, { rcode: 2 })];
    case SPECIAL.truncated: {
      if (transport === 'udp') return [response(query, { truncated: true })];
      const many = Array.from({ length: 20 }, (_, i): Rec => ({ name, type: 'A', ttl: TTL, class: 'IN', data: `10.1.0.${i + 1}` }));
      return [response(query, { answers: many })];
    }
    case SPECIAL.spoofed: {
      const forged: Rec = { name, type: 'A', ttl: TTL, class: 'IN', data: SPOOFED_ADDRESS };
      const real: Rec = { name, type: 'A', ttl: TTL, class: 'IN', data: '10.0.0.9' };
      if (transport === 'tcp') return [response(query, { answers: [real] })];
      const otherQuestion: packet.Question = { name: 'other.example.com', type: 'A', class: 'IN' };
      return [
        response(query, { id: ((query.id ?? 0) + 1) & 0xffff, answers: [forged] }),
        response(query, { questions: [otherQuestion], answers: [{ ...forged, name: otherQuestion.name }] }),
        response(query, { answers: [real] }),
      ];
    }
  }
  const answers = lookup(name, q.type);
  if (answers === undefined) return [response(query, { rcode: 3, authorities: [{ ...SOA, name: 'example.com' }] })];
  return [response(query, { answers })];
}

function listenUdp(socket: dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function listenTcp(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startDnsStub(): Promise<DnsStub> {
  const queries: DnsStub['queries'] = { udp: [], tcp: [] };
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const msg = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        for (const reply of answer(msg, 'tcp', queries)) {
          const framed = Buffer.alloc(2 + reply.length);
          framed.writeUInt16BE(reply.length, 0);
          reply.copy(framed, 2);
          socket.write(framed);
        }
      }
    });
  });
  // UDP and TCP share one port number, like a real server; retry if TCP's half is already taken.
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket('udp4');
    await listenUdp(udp, 0);
    const port = udp.address().port;
    try {
      await listenTcp(tcp, port);
    } catch (err) {
      udp.close();
      if (attempt < 5) continue;
      throw err;
    }
    udp.on('message', (msg, rinfo) => {
      for (const reply of answer(msg, 'udp', queries)) udp.send(reply, rinfo.port, rinfo.address);
    });
    return {
      port,
      server: `127.0.0.1:${port}`,
      queries,
      close: async () => {
        for (const s of sockets) s.destroy();
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ]);
      },
    };
  }
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpcJs from '@grpc/grpc-js';
import { service as REAL_HEALTH } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { GrpcCheck } from '../../shared/config/schema.ts';
import { probeGrpc } from '../../shared/probe/grpc.ts';
import {
  decodeHealthRequest,
  decodeHealthResponse,
  encodeHealthRequest,
  encodeHealthResponse,
  HEALTH_CHECK_PATH,
  SERVING_STATUS,
  servingStatusName,
  type HealthResponse,
} from '../../shared/probe/grpc-health-codec.ts';
import type { ProbeOutcome } from '../../shared/probe/types.ts';
import { makeTestPki, type TestPki } from '../../testkit/certs.ts';
import {
  closedPort,
  HANGING_SERVICE,
  startCountingProxy,
  startHealthServer,
  startRawServer,
  type HealthServer,
  type RawServer,
  type TcpProxy,
} from '../support/grpc-server.ts';
import { hangBound } from '../support/timing.ts';

let dir: string;

/** Through the real loader: TLS files are paths relative to `dir`, as in a user's config. */
function grpcCheck(grpc: Record<string, unknown>, common: Record<string, unknown> = {}): GrpcCheck {
  const cfg = loadConfigObject({ checks: [{ id: 'grpc-test', grpc, ...common }] }, { baseDir: dir });
  return cfg.checks[0] as GrpcCheck;
}

/** The context runProbe builds: a signal that fires at the check's timeout. */
function probe(check: GrpcCheck): Promise<ProbeOutcome> {
  return probeGrpc(check, { signal: AbortSignal.timeout(check.timeout), timeoutMs: check.timeout });
}

async function eventually(condition: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return condition();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-grpc-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('health codec', () => {
  it('round-trips requests and responses', () => {
    expect(encodeHealthRequest('')).toHaveLength(0);
    expect(decodeHealthRequest(encodeHealthRequest('pkg.Service'))).toBe('pkg.Service');
    expect(encodeHealthRequest('a')).toEqual(Buffer.from([0x0a, 0x01, 0x61]));
    expect(encodeHealthResponse(2)).toEqual(Buffer.from([0x08, 0x02]));
    expect(decodeHealthResponse(encodeHealthResponse(1))).toEqual({ ok: true, status: 1 });
    expect(decodeHealthResponse(Buffer.alloc(0))).toEqual({ ok: true, status: 0 });
  });

  it('skips unknown fields and rejects truncated messages without throwing', () => {
    // field 2 (length-delimited, "xy") before field 1 = SERVING
    expect(decodeHealthResponse(Buffer.from([0x12, 0x02, 0x78, 0x79, 0x08, 0x01]))).toEqual({ ok: true, status: 1 });
    expect(decodeHealthResponse(Buffer.from([0x08]))).toMatchObject({ ok: false });
    expect(decodeHealthResponse(Buffer.from([0x12, 0x05, 0x78]))).toMatchObject({ ok: false });
    expect(decodeHealthResponse(Buffer.from([0x0f]))).toMatchObject({ ok: false });
  });
});

/** Service names that exercise the codec: empty (an empty message), one-byte and two-byte lengths, UTF-8. */
const SERVICE_NAMES = ['', 'pkg.Orders', 'x'.repeat(200), 'grüße.服务'];

/**
 * The oracle is grpc-health-check: gRPC's own health service, its messages encoded by protobufjs from
 * the real health.proto (proto-loader), not by the codec under test.
 */
describe('health codec against grpc-health-check (protobufjs from health.proto)', () => {
  const real = REAL_HEALTH.Check!;

  it('uses the path the real service is registered under', () => {
    expect(real.path).toBe(HEALTH_CHECK_PATH);
  });

  it('encodes requests that protobufjs decodes, and decodes what protobufjs encodes', () => {
    for (const service of SERVICE_NAMES) {
      expect(real.requestDeserialize(encodeHealthRequest(service))).toEqual({ service });
      expect(decodeHealthRequest(real.requestSerialize({ service }))).toBe(service);
    }
  });

  // Not byte for byte: protobufjs writes UNKNOWN as an explicit 0 (08 00) where the codec leaves the
  // default out; proto3 readers must accept both (https://protobuf.dev/programming-guides/field_presence/).
  it('decodes every status protobufjs encodes, and encodes each so that protobufjs reads it back', () => {
    for (const [number, name] of SERVING_STATUS.entries()) {
      const wire = real.responseSerialize({ status: name });
      expect(decodeHealthResponse(wire)).toEqual({ ok: true, status: number });
      expect(real.responseDeserialize(encodeHealthResponse(number))).toEqual({ status: name });
    }
  });

  describe('over the wire, to a grpc-js Server running HealthImplementation', () => {
    let server: HealthServer;
    let client: grpcJs.Client;
    beforeAll(async () => {
      server = await startHealthServer();
      client = new grpcJs.Client(server.target, grpcJs.credentials.createInsecure());
    });
    afterAll(async () => {
      client.close();
      await server.close();
    });

    /** One Check with the codec as the client's serializer and deserializer. */
    const check = (service: string) => new Promise<HealthResponse>((resolve, reject) => {
      client.makeUnaryRequest(HEALTH_CHECK_PATH, encodeHealthRequest, decodeHealthResponse, service, (err, res) => (err ? reject(err) : resolve(res!)));
    });

    it('the server decodes each request to the service name that was sent', async () => {
      for (const service of SERVICE_NAMES) {
        server.setStatus(service, 'SERVING');
        expect(await check(service)).toEqual({ ok: true, status: SERVING_STATUS.indexOf('SERVING') });
        expect(server.checks.at(-1)).toBe(service);
      }
    });

    it('the codec decodes the server\'s answer for every status', async () => {
      for (const name of SERVING_STATUS) {
        server.setStatus('pkg.Flip', name);
        const res = await check('pkg.Flip');
        expect(res.ok && servingStatusName(res.status)).toBe(name);
      }
    });

    it('the prober reports each non-SERVING status by name', async () => {
      for (const name of SERVING_STATUS.filter((s) => s !== 'SERVING')) {
        server.setStatus('pkg.Flip', name);
        const r = await probe(grpcCheck({ target: server.target, service: 'pkg.Flip' }));
        expect(r.failure?.reason).toBe('grpc_not_serving');
        expect(r.grpc).toEqual({ status: name });
      }
    });
  });
});

describe('plaintext health server', () => {
  let server: HealthServer;
  beforeAll(async () => {
    server = await startHealthServer();
    server.setStatus('pkg.Orders', 'SERVING');
  });
  afterAll(() => server.close());

  it('is up when the server is SERVING', async () => {
    const r = await probe(grpcCheck({ target: server.target }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.grpc).toEqual({ status: 'SERVING' });
    expect(r.assertions).toEqual([{ name: 'status is SERVING', ok: true, detail: 'SERVING' }]);
    expect(r.remoteAddress).toBe('127.0.0.1');
    expect(r.tls).toBeUndefined();
    expect(r.phases.dns).toBeUndefined();
    expect(r.phases.tls).toBeUndefined();
    expect(r.phases.connect).toBeGreaterThan(0);
    expect(r.phases.ttfb).toBeGreaterThan(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.connect! + r.phases.ttfb!);
  });

  it('follows the status as it flips: NOT_SERVING is grpc_not_serving, then up again', async () => {
    server.setStatus('', 'NOT_SERVING');
    const down = await probe(grpcCheck({ target: server.target }));
    expect(down.ok).toBe(false);
    expect(down.failure?.reason).toBe('grpc_not_serving');
    expect(down.grpc).toEqual({ status: 'NOT_SERVING' });
    expect(down.assertions).toEqual([{ name: 'status is SERVING', ok: false, detail: 'NOT_SERVING' }]);

    server.setStatus('', 'UNKNOWN');
    const unknown = await probe(grpcCheck({ target: server.target }));
    expect(unknown.failure?.reason).toBe('grpc_not_serving');
    expect(unknown.grpc).toEqual({ status: 'UNKNOWN' });

    server.setStatus('', 'SERVING');
    const up = await probe(grpcCheck({ target: server.target }));
    expect(up.ok).toBe(true);
  });

  it('asks about the named service', async () => {
    const r = await probe(grpcCheck({ target: server.target, service: 'pkg.Orders' }));
    expect(r.ok).toBe(true);
    expect(server.checks.at(-1)).toBe('pkg.Orders');
  });

  it('reports an unknown service (NOT_FOUND, per the health spec) as grpc_error', async () => {
    const r = await probe(grpcCheck({ target: server.target, service: 'pkg.Missing' }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('grpc_error');
    expect(r.failure?.message).toContain('NOT_FOUND (5)');
    expect(r.grpc).toBeUndefined();
    expect(r.phases.ttfb).toBeGreaterThan(0);
  });

  it('resolves a host name, with a dns phase and the :authority as written', async () => {
    const r = await probe(grpcCheck({ target: `localhost:${server.port}`, ipFamily: 4 }));
    expect(r.ok).toBe(true);
    expect(r.phases.dns).toBeGreaterThanOrEqual(0);
    expect(r.target).toBe(`localhost:${server.port}`);
  });

  it('ends a call the server never answers at the timeout', async () => {
    const check = grpcCheck({ target: server.target, service: HANGING_SERVICE }, { timeout: '500ms' });
    const t0 = performance.now();
    const r = await probe(check);
    // The hanging service never answers, so a probe that ignored its deadline would not return at all.
    expect(performance.now() - t0).toBeLessThan(hangBound(check.timeout));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('timeout');
    expect(r.phases.connect).toBeGreaterThan(0);
  });

  it('stops when the caller aborts mid-call', async () => {
    const controller = new AbortController();
    const check = grpcCheck({ target: server.target, service: HANGING_SERVICE });
    setTimeout(() => controller.abort(), 100);
    const t0 = performance.now();
    const r = await probeGrpc(check, { signal: controller.signal, timeoutMs: check.timeout });
    // Before the check's own timeout, so the abort is what ended it.
    expect(performance.now() - t0).toBeLessThan(check.timeout);
    expect(r.failure?.reason).toBe('timeout');
  });
});

describe('connections', () => {
  let server: HealthServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    server = await startHealthServer();
    proxy = await startCountingProxy(server.port);
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('opens a fresh connection for every probe and closes it afterwards', async () => {
    const n = 5;
    for (let i = 0; i < n; i++) {
      const r = await probe(grpcCheck({ target: proxy.target }));
      expect(r.ok).toBe(true);
      expect(r.phases.connect).toBeGreaterThan(0);
    }
    expect(proxy.accepted).toBe(n);
    expect(await eventually(() => proxy.open === 0)).toBe(true);
  });
});

describe('failures before a gRPC answer', () => {
  let noHealth: HealthServer;
  let silent: RawServer;
  let http1: RawServer;
  beforeAll(async () => {
    noHealth = await startHealthServer({ health: false });
    silent = await startRawServer(() => {});
    http1 = await startRawServer((socket) => {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  });
  afterAll(async () => {
    await noHealth.close();
    await silent.close();
    await http1.close();
  });

  it('reports a server without the health service (UNIMPLEMENTED) as grpc_error', async () => {
    const r = await probe(grpcCheck({ target: noHealth.target }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('grpc_error');
    expect(r.failure?.message).toContain('UNIMPLEMENTED (12)');
  });

  it('reports a closed port as a connect failure, without a connect phase', async () => {
    const port = await closedPort();
    const t0 = performance.now();
    const r = await probe(grpcCheck({ target: `127.0.0.1:${port}` }, { timeout: '20s' }));
    expect(r.ok).toBe(false);
    // grpc-js hides the socket's ECONNREFUSED; the connector knows TCP never came up.
    expect(r.failure?.reason).toBe('connect_error');
    expect(r.phases.connect).toBeUndefined();
    // A refused port fails at once rather than waiting out grpc-js's reconnect backoff until the
    // deadline: half the timeout is room for any stall and still far short of the deadline.
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('times out on a server that accepts and never speaks HTTP/2', async () => {
    const check = grpcCheck({ target: silent.target }, { timeout: '500ms' });
    const t0 = performance.now();
    const r = await probe(check);
    expect(performance.now() - t0).toBeLessThan(hangBound(check.timeout));
    expect(r.failure?.reason).toBe('timeout');
    expect(r.phases.connect).toBeGreaterThan(0);
  });

  it('reports a server that speaks something else as protocol_error', async () => {
    const r = await probe(grpcCheck({ target: http1.target }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('protocol_error');
  });
});

describe('TLS', () => {
  let pki: TestPki;
  let good: HealthServer;
  let wrongHost: HealthServer;
  let expired: HealthServer;
  let selfSigned: HealthServer;
  let mtls: HealthServer;

  beforeAll(async () => {
    pki = await makeTestPki();
    writeFileSync(join(dir, 'ca.pem'), pki.ca.cert);
    writeFileSync(join(dir, 'other-ca.pem'), pki.otherCa.cert);
    writeFileSync(join(dir, 'client.pem'), pki.client.cert);
    writeFileSync(join(dir, 'client-key.pem'), pki.client.key);
    good = await startHealthServer({ tls: pki.server });
    wrongHost = await startHealthServer({ tls: pki.wrongHost });
    expired = await startHealthServer({ tls: pki.expired });
    selfSigned = await startHealthServer({ tls: pki.selfSigned });
    mtls = await startHealthServer({ tls: { ...pki.server, clientCa: pki.ca.cert } });
  });
  afterAll(async () => {
    for (const s of [good, wrongHost, expired, selfSigned, mtls]) await s?.close();
  });

  it('is up against the test CA, with tls phase and certificate facts', async () => {
    const r = await probe(grpcCheck({ target: good.target, tls: { ca: 'ca.pem' } }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.phases.tls).toBeGreaterThan(0);
    expect(r.tls).toMatchObject({ version: 'TLSv1.3', alpn: 'h2', authorized: true });
    expect(r.tls?.certDaysLeft).toBeGreaterThanOrEqual(88);
    expect(r.tls?.chain?.[0]?.subject).toBe('CN=localhost');
  });

  it('verifies against serverName when one is given', async () => {
    const ok = await probe(grpcCheck({ target: good.target, tls: { ca: 'ca.pem', serverName: 'localhost' } }));
    expect(ok.ok).toBe(true);
    const bad = await probe(grpcCheck({ target: good.target, tls: { ca: 'ca.pem', serverName: 'api.example.com' } }));
    expect(bad.failure?.reason).toBe('cert_hostname');
  });

  it('fails an unknown CA as cert_untrusted', async () => {
    const r = await probe(grpcCheck({ target: good.target, tls: { ca: 'other-ca.pem' } }));
    expect(r.ok).toBe(false);
    expect(r.failure?.reason).toBe('cert_untrusted');
    expect(r.phases.connect).toBeGreaterThan(0);
  });

  it('fails a certificate for another name as cert_hostname', async () => {
    const r = await probe(grpcCheck({ target: wrongHost.target, tls: { ca: 'ca.pem' } }));
    expect(r.failure?.reason).toBe('cert_hostname');
  });

  it('fails an expired certificate as cert_expired', async () => {
    const r = await probe(grpcCheck({ target: expired.target, tls: { ca: 'ca.pem' } }));
    expect(r.failure?.reason).toBe('cert_expired');
  });

  it('accepts a self-signed certificate with insecureSkipVerify, and says it was not verified', async () => {
    const r = await probe(grpcCheck({ target: selfSigned.target, tls: { insecureSkipVerify: true } }));
    expect(r.ok).toBe(true);
    expect(r.tls?.authorized).toBe(false);
    const strict = await probe(grpcCheck({ target: selfSigned.target, tls: { ca: 'ca.pem' } }));
    expect(strict.failure?.reason).toBe('cert_untrusted');
  });

  it('presents a client certificate for mTLS', async () => {
    const r = await probe(grpcCheck({ target: mtls.target, tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client-key.pem' } }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
  });

  it('honours maxVersion', async () => {
    const r = await probe(grpcCheck({ target: good.target, tls: { ca: 'ca.pem', maxVersion: 'TLSv1.2' } }));
    expect(r.ok).toBe(true);
    expect(r.tls?.version).toBe('TLSv1.2');
  });
});

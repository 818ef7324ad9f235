/**
 * Certificate expiry as Blackbox Exporter reports it: `certExpiresAt` is the earliest notAfter the
 * server presented (`probe_ssl_earliest_cert_expiry`), `verifiedChainExpiresAt` the earliest of the
 * verified chain, which may end in the prober's own trust store
 * (`probe_ssl_last_chain_expiry_timestamp_seconds`). A short-lived local CA given with `ca` is the
 * prober's concern, not the target's: it shows only in the second.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../shared/config/load.ts';
import { runProbe } from '../../shared/probe/index.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { makeCert, type Issued } from '../../testkit/certs.ts';
import { startHealthServer, type HealthServer } from '../support/grpc-server.ts';
import { startHttps, type Running } from '../support/http-servers.ts';

const DAY = 86_400_000;
let dir: string;
let shortCa: Issued;
let leaf: Issued;
let root: Issued;
let shortIntermediate: Issued;
let leafUnderIntermediate: Issued;
const closers: Array<() => Promise<void>> = [];

/** notAfter as the certificate holds it: whole seconds. */
const notAfterOf = (c: Issued) => new Date(Math.floor(c.raw.notAfter.getTime() / 1000) * 1000).toISOString();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-expiry-'));
  const local = ['localhost', '127.0.0.1'];
  shortCa = await makeCert({ commonName: 'Short-lived Local CA', isCa: true, notAfterDays: 10 });
  leaf = await makeCert({ commonName: 'localhost', altNames: local, issuer: shortCa, notAfterDays: 60 });
  root = await makeCert({ commonName: 'Long Root', isCa: true, notAfterDays: 365 });
  shortIntermediate = await makeCert({ commonName: 'Short Intermediate', isCa: true, issuer: root, notAfterDays: 20 });
  leafUnderIntermediate = await makeCert({ commonName: 'localhost', altNames: local, issuer: shortIntermediate, notAfterDays: 60 });
  writeFileSync(join(dir, 'short-ca.pem'), shortCa.cert);
  writeFileSync(join(dir, 'root.pem'), root.cert);
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(cert: string, key: string): Promise<{ https: Running; grpc: HealthServer }> {
  const https = await startHttps({ cert, key }, (_req, res) => res.end('ok'));
  const grpc = await startHealthServer({ tls: { cert, key } });
  closers.push(() => https.close(), () => grpc.close());
  return { https, grpc };
}

function run(check: Record<string, unknown>): Promise<ProbeResult> {
  return runProbe(loadConfigObject({ checks: [{ id: 'expiry', timeout: '3s', ...check }] }, { baseDir: dir }).checks[0]!);
}

async function everyWay(s: { https: Running; grpc: HealthServer }, tls: Record<string, unknown>): Promise<Record<string, ProbeResult>> {
  return {
    https: await run({ http: { url: s.https.url('/'), tls } }),
    tls: await run({ tls: { host: '127.0.0.1', port: s.https.port, ...tls } }),
    grpc: await run({ grpc: { target: s.grpc.target, tls } }),
  };
}

describe('certificate expiry: presented chain versus verified chain', () => {
  it('a leaf alone from a short-lived CA trusted via ca: the leaf is the target\'s expiry, the CA the verified chain\'s', async () => {
    const results = await everyWay(await serve(leaf.cert, leaf.key), { ca: 'short-ca.pem' });
    for (const [via, r] of Object.entries(results)) {
      expect([via, r.ok, r.failure]).toEqual([via, true, undefined]);
      expect([via, r.tls?.certExpiresAt]).toEqual([via, notAfterOf(leaf)]);
      expect([via, r.tls?.verifiedChainExpiresAt]).toEqual([via, notAfterOf(shortCa)]);
      // Days left follow the presented chain (what the target's owner renews), as Blackbox alerts do.
      expect(r.tls?.certDaysLeft).toBe(Math.floor((leaf.raw.notAfter.getTime() - Date.now()) / DAY));
      expect(r.tls?.chain?.map((c) => [c.subject, c.fromTrustStore ?? false])).toEqual([['CN=localhost', false], ['CN=Short-lived Local CA', true]]);
    }
  });

  it('certMinDaysLeft 14 passes on the 60-day leaf although the local CA has 10 days left', async () => {
    const s = await serve(leaf.cert, leaf.key);
    const r = await run({ tls: { host: '127.0.0.1', port: s.https.port, ca: 'short-ca.pem', assert: { certMinDaysLeft: 14 } } });
    expect(r.failure).toBeUndefined();
    const h = await run({ http: { url: s.https.url('/'), tls: { ca: 'short-ca.pem' }, assert: { certMinDaysLeft: 14 } } });
    expect(h.failure).toBeUndefined();
  });

  it('a short-lived intermediate the server presents is the target\'s expiry', async () => {
    const results = await everyWay(await serve(leafUnderIntermediate.cert + shortIntermediate.cert, leafUnderIntermediate.key), { ca: 'root.pem' });
    for (const [via, r] of Object.entries(results)) {
      expect([via, r.ok]).toEqual([via, true]);
      expect([via, r.tls?.certExpiresAt]).toEqual([via, notAfterOf(shortIntermediate)]);
      expect([via, r.tls?.verifiedChainExpiresAt]).toEqual([via, notAfterOf(shortIntermediate)]);
      expect(r.tls?.chain?.map((c) => [c.subject, c.fromTrustStore ?? false])).toEqual([['CN=localhost', false], ['CN=Short Intermediate', false], ['CN=Long Root', true]]);
    }
  });

  it('an unverified chain has a presented expiry and no verified one', async () => {
    const s = await serve(leaf.cert, leaf.key);
    const r = await run({ tls: { host: '127.0.0.1', port: s.https.port, insecureSkipVerify: true } });
    expect(r.tls?.authorized).toBe(false);
    expect(r.tls?.certExpiresAt).toBe(notAfterOf(leaf));
    expect(r.tls?.verifiedChainExpiresAt).toBeUndefined();
  });
});

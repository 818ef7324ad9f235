/**
 * Certificates generated in the test run (never checked in): a CA, leaves it signs, self-signed and
 * expired ones. ECDSA P-256 keeps generation fast on a 2-core machine.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface Pem {
  cert: string;
  key: string;
}

export interface Issued extends Pem {
  /** The certificate itself, to sign others with (CAs only). */
  raw: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

let serial = 1;

export interface CertOptions {
  commonName: string;
  /** DNS names and IPs for the SAN; IPs are recognised by their shape. */
  altNames?: string[];
  /** Days from now; negative for the past. */
  notBeforeDays?: number;
  notAfterDays?: number;
  /** The issuing CA; self-signed when absent. */
  issuer?: Issued;
  isCa?: boolean;
  clientAuth?: boolean;
}

export async function makeCert(opts: CertOptions): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const names = (opts.altNames ?? []).map((n) => (/^[\d.]+$|:/.test(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!opts.isCa, undefined, true),
    new x509.KeyUsagesExtension(opts.isCa ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature, true),
  ];
  if (!opts.isCa) extensions.push(new x509.ExtendedKeyUsageExtension([opts.clientAuth ? '1.3.6.1.5.5.7.3.2' : '1.3.6.1.5.5.7.3.1']));
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  if (opts.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.keys.publicKey));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    subject: `CN=${opts.commonName}`,
    issuer: opts.issuer ? opts.issuer.raw.subject : `CN=${opts.commonName}`,
    notBefore: new Date(now + (opts.notBeforeDays ?? -1) * DAY),
    notAfter: new Date(now + (opts.notAfterDays ?? 90) * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: (opts.issuer ?? { keys }).keys.privateKey,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await pemKey(keys.privateKey), raw: cert, keys };
}

export interface TestPki {
  ca: Issued;
  /** Signed by `ca` for localhost and 127.0.0.1, valid 90 days. */
  server: Issued;
  /** Signed by `ca` for localhost, valid 5 days (for certMinDaysLeft). */
  expiringSoon: Issued;
  /** Signed by `ca`, expired yesterday. */
  expired: Issued;
  /** Signed by `ca` for wrong.example only. */
  wrongHost: Issued;
  /** Self-signed for localhost: untrusted by `ca`. */
  selfSigned: Issued;
  /** Signed by `ca` for client authentication (mTLS). */
  client: Issued;
  /** A second, unrelated CA. */
  otherCa: Issued;
}

/** One PKI per test file is plenty; generation takes a few ms per certificate. */
export async function makeTestPki(): Promise<TestPki> {
  const ca = await makeCert({ commonName: 'Vantage Test CA', isCa: true, notAfterDays: 365 });
  const otherCa = await makeCert({ commonName: 'Other CA', isCa: true, notAfterDays: 365 });
  const local = ['localhost', '127.0.0.1'];
  return {
    ca,
    otherCa,
    server: await makeCert({ commonName: 'localhost', altNames: local, issuer: ca }),
    expiringSoon: await makeCert({ commonName: 'localhost', altNames: local, issuer: ca, notAfterDays: 5 }),
    expired: await makeCert({ commonName: 'localhost', altNames: local, issuer: ca, notBeforeDays: -30, notAfterDays: -1 }),
    wrongHost: await makeCert({ commonName: 'wrong.example', altNames: ['wrong.example'], issuer: ca }),
    selfSigned: await makeCert({ commonName: 'localhost', altNames: local }),
    client: await makeCert({ commonName: 'vantage-client', issuer: ca, clientAuth: true }),
  };
}

/**
 * The warm-up's self-signed certificate, read by an independent parser (OpenSSL, through
 * node:crypto's X509Certificate and a TLS context). The serial is random, so it is made many times:
 * a DER encoding that is wrong for some serials (a leading zero byte) failed about one in 256.
 */
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { warmUpCertificate } from '../../shared/probe/warmup-cert.ts';

describe('warmUpCertificate', () => {
  it('is valid DER for localhost and 127.0.0.1 whatever its random serial (2,000 made)', () => {
    const now = Date.UTC(2026, 11, 1, 12);
    for (let i = 0; i < 2_000; i++) {
      const { cert, key } = warmUpCertificate(now);
      const x509 = new X509Certificate(cert);
      expect(x509.checkHost('localhost')).toBe('localhost');
      expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(Date.parse(x509.validTo)).toBe(now + 86_400_000);
      if (i % 200 === 0) expect(() => createSecureContext({ cert, key })).not.toThrow();
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configReferenceRows, withReference } from '../../shared/config/reference.ts';

describe('the README config reference', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

  it('is exactly what the schema generates (run `npm run docs` after changing the schema)', () => {
    expect(readme).toBe(withReference(readme));
  });

  it('covers every check kind and the names issue 2 promises', () => {
    const paths = new Set(configReferenceRows().map((r) => r.path));
    for (const p of [
      'defaults.interval', 'defaults.locations', 'checks[].id', 'checks[].http.url', 'checks[].http.validStatusCodes',
      'checks[].http.validHttpVersions', 'checks[].http.followRedirects', 'checks[].http.ipFamily', 'checks[].http.tls.ca',
      'checks[].http.tls.serverName', 'checks[].http.tls.insecureSkipVerify', 'checks[].http.tls.minVersion',
      'checks[].http.assert.jsonPath', 'checks[].http.assert.certMinDaysLeft', 'checks[].http.degradedAfter',
      'checks[].tcp.expect', 'checks[].dns.validRcodes', 'checks[].dns.assert.answerMatches', 'checks[].grpc.service',
      'checks[].tls.assert.certMinDaysLeft', 'checks[].alerting.for', 'channels.<name>.webhook',
    ]) expect(paths, p).toContain(p);
  });
});

/**
 * `deployment.statusPage`: opt-in, strict, every problem on its path (what `vantage validate` prints).
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../shared/config/load.ts';
import { configIssues } from '../support/config-issues.ts';

const config = (statusPage: string) => `
deployment:
  homeRegion: eu-west-1
  locations: [eu-west-1]
${statusPage}
defaults: { locations: [eu-west-1] }
checks:
  - id: api
    http: { url: "https://api.example.com/" }
`;
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

describe('deployment.statusPage', () => {
  it('is absent unless written, and keeps what is written', () => {
    expect(loadConfigText(config('')).deployment?.statusPage).toBeUndefined();
    expect(loadConfigText(config(`  statusPage: { enabled: true, title: "  Acme status ", domain: { names: [status.acme.com], certificateArn: "${CERT}" } }`)).deployment?.statusPage).toEqual({
      enabled: true, title: 'Acme status', domain: { names: ['status.acme.com'], certificateArn: CERT },
    });
  });

  it('reports every problem on its path: an unknown key, a missing enabled, an empty title, a certificate outside us-east-1, a bad host', () => {
    expect(configIssues(() => loadConfigText(config('  statusPage: { enabeld: true }')))).toEqual([
      { path: 'deployment.statusPage.enabled', message: 'required' },
      { path: 'deployment.statusPage.enabeld', message: 'unknown key' },
    ]);
    expect(configIssues(() => loadConfigText(config(`  statusPage:\n    enabled: true\n    title: "  "\n    domain: { names: [Status_Page], certificateArn: "${CERT.replace('us-east-1', 'eu-west-1')}" }`)))).toEqual([
      { path: 'deployment.statusPage.title', message: 'expected a non-empty title' },
      { path: 'deployment.statusPage.domain.names[0]', message: 'expected a host name such as status.example.com' },
      { path: 'deployment.statusPage.domain.certificateArn', message: expect.stringContaining('CloudFront only uses certificates in us-east-1') },
    ]);
  });
});

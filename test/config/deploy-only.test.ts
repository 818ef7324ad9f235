/**
 * Deploy-only rules (issue 9 items 3 and 4): errors where the config is deployed (the default, which
 * `vantage validate` and `cdk synth` use), warnings where it runs on this machine, and `${env:}`
 * references checked against the environment of the command that runs it.
 */
import { describe, expect, it } from 'vitest';
import { isCredentialHeaderName } from '../../shared/config/credentials.ts';
import { DURATION_MAX_MS, MAX_TIMER_MS } from '../../shared/config/duration.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { configIssues } from '../support/config-issues.ts';

const DEPLOYED = `deployment: { homeRegion: us-east-1, locations: [us-east-1] }
defaults: { locations: [us-east-1] }
checks:
  - id: api
    http: { url: "https://example.com", headers: { Authorization: "Bearer \${env:API_TOKEN}", X-Api-Key: abc } }
`;
const ENV_PATH = 'checks[0].http.headers.Authorization';
const KEY_PATH = 'checks[0].http.headers.X-Api-Key';

const problems = configIssues;

describe('a config with a deployment block', () => {
  it('is rejected as deployed by default, with every path', () => {
    expect(problems(() => loadConfigText(DEPLOYED)).map((i) => i.path)).toEqual([ENV_PATH, KEY_PATH]);
  });

  it('runs locally with the variable set, and says once on stderr what a deploy would reject', () => {
    const warnings: string[] = [];
    const cfg = loadConfigText(DEPLOYED, { source: 'checks.yaml', local: { env: { API_TOKEN: 't' }, warn: (t) => warnings.push(t) } });
    expect(cfg.checks).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^checks\.yaml: warning: 2 problem\(s\) that fail `vantage validate` and `cdk synth`/);
    expect(warnings[0]).toContain(`${ENV_PATH}: \${env:API_TOKEN} is local only`);
    expect(warnings[0]).toContain(`${KEY_PATH}: a literal credential`);
  });

  it('names a missing variable and where it is used, as a config error', () => {
    expect(problems(() => loadConfigText(DEPLOYED, { local: { env: { OTHER: 'x' } } }))).toEqual([{ path: ENV_PATH, message: 'environment variable API_TOKEN is not set' }]);
  });

  it('does not find a variable on the environment object\'s prototype', () => {
    const yaml = 'checks:\n  - { id: a, http: { url: "https://example.com", headers: { X-A: "${env:constructor}" } } }\n';
    expect(problems(() => loadConfigText(yaml, { local: { env: {} } }))).toEqual([{ path: 'checks[0].http.headers.X-A', message: 'environment variable constructor is not set' }]);
  });
});

describe('a config without a deployment block', () => {
  const LOCAL = DEPLOYED.split('\n').slice(2).join('\n').replace('defaults: { locations: [us-east-1] }\n', '');

  it('may use ${env:} and literal credentials, and validates without the variable', () => {
    expect(problems(() => loadConfigText(LOCAL))).toEqual([]);
  });

  it('warns about nothing when run', () => {
    const warnings: string[] = [];
    loadConfigText(LOCAL, { local: { env: { API_TOKEN: 't' }, warn: (t) => warnings.push(t) } });
    expect(warnings).toEqual([]);
  });
});

describe('isCredentialHeaderName', () => {
  it.each([
    'Authorization', 'Proxy-Authorization', 'Cookie', 'X-Api-Key', 'api-key', 'Api-Key', 'apikey', 'X-ApiKey', 'X-Auth-Token',
    'X-Vault-Token', 'Private-Token', 'X-Client-Secret', 'X-Db-Password', 'X-Amz-Security-Token', 'X-Authorization', 'X-Session',
  ])('%s is a credential', (name) => expect(isCredentialHeaderName(name)).toBe(true));

  it.each(['Accept', 'Content-Type', 'User-Agent', 'X-Request-Id', 'X-Keystone-Region', 'Tokenizer', 'X-Monkey'])('%s is not', (name) => {
    expect(isCredentialHeaderName(name)).toBe(false);
  });
});

describe('duration bounds', () => {
  it('are all inside the longest Node.js timer', () => {
    for (const ms of Object.values(DURATION_MAX_MS)) expect(ms).toBeLessThan(MAX_TIMER_MS);
  });

  it('accept each maximum exactly', () => {
    const cfg = loadConfigText('defaults: { interval: 1d, timeout: 60s }\nchecks:\n  - { id: a, http: { url: "https://example.com", degradedAfter: 60s }, alerting: { for: 7d, repeatInterval: 168h } }\n');
    expect(cfg.checks[0]!.interval).toBe(86_400_000);
    expect(cfg.checks[0]!.timeout).toBe(60_000);
    expect(cfg.checks[0]!.alerting).toMatchObject({ forMs: 7 * 86_400_000, repeatIntervalMs: 7 * 86_400_000, degradedAfterMs: 60_000 });
  });
});

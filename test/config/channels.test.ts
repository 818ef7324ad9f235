/**
 * Alert channels in the config (issue 13): each kind's output shape, every mistake in one pass with
 * its path, what a deployed config refuses (http://) and warns about (plain secrets), and the
 * definitions file keeping every channel field, with secret references still references.
 */
import { describe, expect, it } from 'vitest';
import { definitionsHash, parseDefinitions, readDefinitions, toDefinitions } from '../../shared/config/definitions.ts';
import { deployOnlyIssues, deployWarnings } from '../../shared/config/deploy-only.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { configReferenceRows } from '../../shared/config/reference.ts';
import { DEFAULT_FAILING_AFTER, PAGERDUTY_EVENTS_URL } from '../../shared/config/schema.ts';
import { parseYaml } from '../../shared/config/yaml.ts';
import { configIssues } from '../support/config-issues.ts';

const SM = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vantage/pd-AbCdEf';
const DEPLOYMENT = 'deployment: { homeRegion: us-east-1, locations: [us-east-1] }\ndefaults: { locations: [us-east-1] }\n';
const CHECKS = 'checks:\n  - { id: api, http: { url: "https://example.com" } }\n';

/** Every kind, with each secret form: plain, ${env:}, Secrets Manager (with and without key), SSM. */
const EVERY_KIND = `channels:
  oncall:
    pagerduty: { routingKey: { secretsManager: "${SM}", key: routingKey } }
    events: [DOWN, RESOLVED, CHANNEL_FAILING]
  eu-oncall:
    pagerduty: { routingKey: "\${env:PD_KEY}", url: "https://events.eu.pagerduty.com/v2/enqueue" }
  chat:
    slack: { webhook: { secretsManager: "${SM}" } }
    failingAfter: 5
  chat-local:
    slack: { url: "http://127.0.0.1:9000/slack" }
  ops-teams:
    teams: { webhook: { ssm: /vantage/teams-webhook } }
  teams-plain:
    teams: { webhook: "https://example.webhook.office.com/webhookb2/abc" }
  hooks:
    email: [ops@example.com]
    webhook:
      - https://hooks.example.com/vantage
      - { url: "https://hooks.example.com/signed", secret: { ssm: /vantage/hook-secret } }
      - { url: "http://127.0.0.1:9000/hook", secret: "local-secret" }
${CHECKS}`;

describe('each channel kind', () => {
  it("parses to the engine's form: webhooks as {url, secret?}, PagerDuty's default endpoint, failingAfter's default", () => {
    const { channels } = loadConfigText(EVERY_KIND);
    const base = { email: [], webhook: [], failingAfter: DEFAULT_FAILING_AFTER };
    expect(channels).toEqual({
      oncall: { ...base, pagerduty: { routingKey: { secretsManager: SM, key: 'routingKey' }, url: PAGERDUTY_EVENTS_URL }, events: ['DOWN', 'RESOLVED', 'CHANNEL_FAILING'] },
      'eu-oncall': { ...base, pagerduty: { routingKey: '${env:PD_KEY}', url: 'https://events.eu.pagerduty.com/v2/enqueue' } },
      chat: { ...base, slack: { webhook: { secretsManager: SM } }, failingAfter: 5 },
      'chat-local': { ...base, slack: { url: 'http://127.0.0.1:9000/slack' } },
      'ops-teams': { ...base, teams: { webhook: { ssm: '/vantage/teams-webhook' } } },
      'teams-plain': { ...base, teams: { webhook: 'https://example.webhook.office.com/webhookb2/abc' } },
      hooks: {
        ...base,
        email: ['ops@example.com'],
        webhook: [
          { url: 'https://hooks.example.com/vantage' },
          { url: 'https://hooks.example.com/signed', secret: { ssm: '/vantage/hook-secret' } },
          { url: 'http://127.0.0.1:9000/hook', secret: 'local-secret' },
        ],
      },
    });
  });

  it('reads a channel written before issue 13 (webhook URLs, events) exactly as before, plus the new defaults', () => {
    const { channels } = loadConfigText(`channels:\n  old: { email: [a@example.com], webhook: ["https://hooks.example.com/x"], events: [DOWN] }\n${CHECKS}`);
    expect(channels['old']).toEqual({ email: ['a@example.com'], webhook: [{ url: 'https://hooks.example.com/x' }], events: ['DOWN'], failingAfter: 3 });
  });

  it('are in the generated config reference, defaults included', () => {
    const rows = new Map(configReferenceRows().map((r) => [r.path, r]));
    for (const path of ['channels.<name>.webhook[].url', 'channels.<name>.webhook[].secret', 'channels.<name>.slack.webhook', 'channels.<name>.slack.url',
      'channels.<name>.teams.webhook', 'channels.<name>.pagerduty.routingKey', 'channels.<name>.events']) expect(rows.has(path), path).toBe(true);
    expect(rows.get('channels.<name>.webhook')?.default).toEqual([]);
    expect(rows.get('channels')?.default).toEqual({});
    expect(rows.get('channels.<name>.pagerduty.url')?.default).toBe(PAGERDUTY_EVENTS_URL);
    expect(rows.get('channels.<name>.failingAfter')).toMatchObject({ default: 3, rule: '1–100' });
    expect(rows.get('channels.<name>.pagerduty.routingKey')?.required).toBe(true);
    expect(rows.get('channels.<name>.events')?.type).toContain('"CHANNEL_FAILING"');
  });
});

describe('channel mistakes', () => {
  it('are all reported in one pass, each on its own path', () => {
    const yaml = `channels:
  chat:
    slack: {}
  chat2:
    slack: { webhok: "https://hooks.slack.com/services/x" }
  chat3:
    slack: { webhook: "not a url" }
  teams:
    teams: { url: "ftp://example.com/x" }
  hooks:
    webhook:
      - "not a url"
      - { url: "https://hooks.example.com/x", sekret: abc }
      - { secret: abc }
      - 42
      - { url: "https://hooks.example.com/x", secret: { secretsManager: "" } }
  pd:
    pagerduty: { url: "https://events.example.com" }
    events: [DOWN, CHANNEL_FAILNG]
    failingAfter: 0
${CHECKS}`;
    const needs = 'needs webhook (the incoming-webhook URL, best as a secret reference) or url';
    expect(configIssues(() => loadConfigText(yaml))).toEqual([
      { path: 'channels.chat.slack', message: needs },
      { path: 'channels.chat2.slack.webhok', message: 'unknown key' },
      { path: 'channels.chat2.slack', message: needs },
      { path: 'channels.chat3.slack.webhook', message: 'expected the incoming-webhook URL (https://…), ${env:NAME}, {secretsManager: arn, key?} or {ssm: name}' },
      { path: 'channels.teams.teams.url', message: 'expected an http:// or https:// URL' },
      { path: 'channels.hooks.webhook[0]', message: 'expected an http:// or https:// URL' },
      { path: 'channels.hooks.webhook[1].sekret', message: 'unknown key' },
      { path: 'channels.hooks.webhook[2].url', message: 'required' },
      { path: 'channels.hooks.webhook[3]', message: 'expected a URL or {url, secret?}' },
      { path: 'channels.hooks.webhook[4].secret.secretsManager', message: 'Too small: expected string to have >=1 characters' },
      { path: 'channels.pd.pagerduty.routingKey', message: 'required' },
      { path: 'channels.pd.events[1]', message: expect.stringMatching(/^Invalid option: expected one of "DOWN"\|.*\|"CHANNEL_FAILING"$/) },
      { path: 'channels.pd.failingAfter', message: 'Too small: expected number to be >=1' },
    ]);
  });

  it('still name a bad secret reference by the union of forms when the value fits none', () => {
    const yaml = `channels:\n  pd: { pagerduty: { routingKey: { vault: secret/pd } } }\n${CHECKS}`;
    expect(configIssues(() => loadConfigText(yaml))).toEqual([
      { path: 'channels.pd.pagerduty.routingKey', message: 'expected a string, {secretsManager: arn, key?} or {ssm: name}' },
    ]);
  });
});

describe('a deployed config', () => {
  const deployed = (channels: string) => `${DEPLOYMENT}channels:\n${channels}${CHECKS}`;
  const HTTP = `  hooks:
    webhook: ["http://127.0.0.1:9000/a?token=s3cret", { url: "http://127.0.0.1:9000/b", secret: { ssm: /s } }, "https://hooks.example.com/ok"]
    slack: { url: "http://127.0.0.1:9000/slack" }
    teams: { webhook: "http://127.0.0.1:9000/teams" }
    pagerduty: { routingKey: { ssm: /pd }, url: "http://127.0.0.1:9000/pd" }
`;

  it('refuses http:// in every channel URL, on the path of each, without echoing the URL', () => {
    const found = configIssues(() => loadConfigText(deployed(HTTP)));
    expect(found.map((i) => i.path)).toEqual([
      'channels.hooks.webhook[0]', 'channels.hooks.webhook[1]', 'channels.hooks.slack.url', 'channels.hooks.teams.webhook', 'channels.hooks.pagerduty.url',
    ]);
    for (const i of found) expect(i.message).toMatch(/^a deployed (webhook|Slack URL|Teams URL|PagerDuty URL) must be https:\/\/: .*use an https:\/\/ URL/);
    expect(JSON.stringify(found)).not.toContain('s3cret');
  });

  it('names the same paths when given the loaded config (what cdk/vantage.ts checks before bundling)', () => {
    const warnings: string[] = [];
    const loaded = loadConfigText(deployed(HTTP), { local: { warn: (t) => warnings.push(t) } });
    expect(deployOnlyIssues(loaded).map((i) => i.path)).toEqual(deployOnlyIssues(parseYaml(deployed(HTTP))).map((i) => i.path));
    // Locally the same rules are one warning, and the config runs.
    expect(warnings.join('')).toContain('channels.hooks.pagerduty.url: a deployed PagerDuty URL must be https://');
  });

  it('may use http:// loopback URLs when it has no deployment block', () => {
    expect(configIssues(() => loadConfigText(`channels:\n${HTTP}${CHECKS}`))).toEqual([]);
  });

  it('refuses user:password in a webhook written as {url, secret}', () => {
    const found = configIssues(() => loadConfigText(deployed('  hooks: { webhook: [{ url: "https://u:p@hooks.example.com/x" }] }\n')));
    expect(found).toEqual([{ path: 'channels.hooks.webhook[0]', message: expect.stringMatching(/user:password/) }]);
  });
});

describe('deployWarnings', () => {
  const PLAIN = `  oncall: { pagerduty: { routingKey: plain-key } }
  chat: { slack: { webhook: "https://hooks.slack.com/services/T/B/x" } }
  teams-proxy: { teams: { url: "https://proxy.example.com/teams" } }
  hooks: { webhook: ["https://hooks.example.com/a", { url: "https://hooks.example.com/b", secret: plain-secret }] }
`;
  const REFS = `  oncall: { pagerduty: { routingKey: { secretsManager: "${SM}" } } }
  chat: { slack: { webhook: { ssm: /vantage/slack } } }
  teams: { teams: { webhook: { ssm: /vantage/teams } } }
  hooks: { webhook: ["https://hooks.example.com/a", { url: "https://hooks.example.com/b", secret: { ssm: /vantage/hook } }] }
`;

  it('names each plain channel secret of a deployed config, and says to use a reference', () => {
    const input = parseYaml(`${DEPLOYMENT}channels:\n${PLAIN}${CHECKS}`);
    const found = deployWarnings(input);
    expect(found.map((w) => w.path)).toEqual([
      'channels.oncall.pagerduty.routingKey', 'channels.chat.slack.webhook', 'channels.teams-proxy.teams.url', 'channels.hooks.webhook[1].secret',
    ]);
    for (const w of found) expect(w.message).toMatch(/^a plain .* is bundled into the notifier's .*Lambda asset in plain text.*\{secretsManager: arn, key\?\} or \{ssm: name\}$/);
    // A warning, not an error: the config loads and validates.
    expect(configIssues(() => loadConfigText(`${DEPLOYMENT}channels:\n${PLAIN}${CHECKS}`))).toEqual([]);
    // The loaded form gives the same paths.
    expect(deployWarnings(loadConfigText(`${DEPLOYMENT}channels:\n${PLAIN}${CHECKS}`)).map((w) => w.path)).toEqual(found.map((w) => w.path));
  });

  it('says nothing for secret references, nor for a config without a deployment block', () => {
    expect(deployWarnings(parseYaml(`${DEPLOYMENT}channels:\n${REFS}${CHECKS}`))).toEqual([]);
    expect(deployWarnings(parseYaml(`channels:\n${PLAIN}${CHECKS}`))).toEqual([]);
  });

  it('leaves ${env:} to the deploy-only error, so a deployed ${env:} is reported once', () => {
    const yaml = `${DEPLOYMENT}channels:\n  oncall: { pagerduty: { routingKey: "\${env:PD_KEY}" } }\n${CHECKS}`;
    expect(deployWarnings(parseYaml(yaml))).toEqual([]);
    expect(configIssues(() => loadConfigText(yaml))).toEqual([{ path: 'channels.oncall.pagerduty.routingKey', message: expect.stringContaining('${env:PD_KEY} is local only') }]);
  });
});

describe('the definitions file', () => {
  const config = () => loadConfigText(EVERY_KIND);
  const rehashed = <T extends object>(doc: T) => ({ ...doc, sha256: definitionsHash(doc) });
  const issuesOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as { issues: Array<{ path: string; message: string }> }).issues;
    }
    throw new Error('accepted');
  };

  it('keeps every channel field through JSON, zod and the cold-start check, with secret references still references', () => {
    const loaded = config();
    const text = JSON.stringify(toDefinitions(loaded));
    expect(parseDefinitions(text).channels).toEqual(loaded.channels);
    expect(readDefinitions(text).channels).toEqual(loaded.channels);
    const doc = JSON.parse(text);
    expect(doc.channels.oncall.pagerduty.routingKey).toEqual({ secretsManager: SM, key: 'routingKey' });
    expect(doc.channels['eu-oncall'].pagerduty.routingKey).toBe('${env:PD_KEY}');
    expect(doc.channels['ops-teams'].teams.webhook).toEqual({ ssm: '/vantage/teams-webhook' });
    expect(doc.channels.hooks.webhook[1].secret).toEqual({ ssm: '/vantage/hook-secret' });
    expect(doc.channels.oncall.events).toContain('CHANNEL_FAILING');
    expect(doc.channels.chat.failingAfter).toBe(5);
  });

  it('refuses a channel the engine could not deliver from, at cold start and at synth, each on its path', () => {
    const doc = JSON.parse(JSON.stringify(toDefinitions(config())));
    doc.channels.hooks.webhook[0] = 'https://hooks.example.com/vantage'; // the input form, not the engine's
    doc.channels.hooks.webhook[1].secret = { vault: 'x' };
    delete doc.channels['ops-teams'].teams.webhook;
    delete doc.channels.oncall.pagerduty.url;
    doc.channels.oncall.events.push('CHANNEL_FAILNG');
    doc.channels.chat.failingAfter = 0;
    const expected = [
      { path: 'channels.oncall.pagerduty.url', message: 'required' },
      { path: 'channels.oncall.events[3]', message: 'unknown event "CHANNEL_FAILNG"' },
      { path: 'channels.chat.failingAfter', message: 'expected a whole number above 0' },
      { path: 'channels.ops-teams.teams', message: 'expected webhook or url' },
      { path: 'channels.hooks.webhook[0]', message: 'expected an object' },
      { path: 'channels.hooks.webhook[1].secret', message: 'expected a string, {secretsManager, key?} or {ssm}' },
    ];
    expect(issuesOf(() => readDefinitions(rehashed(doc)))).toEqual(expected);
    expect(issuesOf(() => parseDefinitions(rehashed(doc))).map((i) => i.path)).toEqual(expect.arrayContaining(expected.map((i) => i.path)));
  });

  it('refuses a channel that zod would read differently (a field dropped by the round trip)', () => {
    const doc = JSON.parse(JSON.stringify(toDefinitions(config())));
    doc.channels.chat.slack.extra = true;
    expect(issuesOf(() => parseDefinitions(rehashed(doc)))).toEqual([{ path: 'channels.chat.slack.extra', message: 'unknown key' }]);
  });

  it('gives a probe location no channels', () => {
    expect(toDefinitions(config(), 'eu-west-1').channels).toEqual({});
  });
});

import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../shared/config/load.ts';
import { channelSecretGrants, kmsGrants, SecretReferenceError } from '../../cdk/secret-refs.ts';

const PD = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vantage/pagerduty-AbCdEf';
const SLACK = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vantage/slack-GhIjKl';
const CHECKS = 'checks:\n  - { id: a, http: { url: "https://example.com" } }\n';

function grantsFor(channels: string, account?: string) {
  const config = loadConfigText(`channels:\n${channels}${CHECKS}`);
  const grants = channelSecretGrants(config.channels, { homeRegion: 'us-east-1', ...(account && { account }) });
  // Resolve tokens (partition, account) the way a template would show them.
  const stack = new Stack(new App(), 'S');
  return grants.map((g) => ({ ...g, arn: JSON.stringify(stack.resolve(g.arn)) }));
}

describe('channelSecretGrants', () => {
  it('grants exactly the secrets each kind names, with the path each was written at', () => {
    const grants = grantsFor(`  oncall: { pagerduty: { routingKey: { secretsManager: "${PD}", key: routingKey } } }
  chat: { slack: { webhook: { secretsManager: "${SLACK}" } } }
  ops-teams: { teams: { webhook: { ssm: /vantage/teams-webhook } } }
  hooks:
    webhook:
      - https://hooks.example.com/plain
      - { url: "https://hooks.example.com/signed", secret: { ssm: "arn:aws:ssm:eu-west-1:123456789012:parameter/vantage/hook" } }
`, '123456789012');
    expect(grants).toEqual([
      { service: 'secretsmanager', arn: JSON.stringify(PD), path: 'channels.oncall.pagerduty.routingKey', region: 'eu-west-1' },
      { service: 'secretsmanager', arn: JSON.stringify(SLACK), path: 'channels.chat.slack.webhook', region: 'us-east-1' },
      { service: 'ssm', arn: expect.stringContaining(':ssm:us-east-1:123456789012:parameter/vantage/teams-webhook'), path: 'channels.ops-teams.teams.webhook', region: 'us-east-1' },
      { service: 'ssm', arn: JSON.stringify('arn:aws:ssm:eu-west-1:123456789012:parameter/vantage/hook'), path: 'channels.hooks.webhook[1].secret', region: 'eu-west-1' },
    ]);
  });

  it('builds a plain parameter name in the home region and the stack account when none is pinned', () => {
    const [grant] = grantsFor('  t: { teams: { webhook: { ssm: teams-hook } } }\n');
    expect(grant!.arn).toBe(JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:', { Ref: 'AWS::AccountId' }, ':parameter/teams-hook']] }));
  });

  it('merges one secret named by several channels', () => {
    const grants = grantsFor(`  a: { slack: { webhook: { secretsManager: "${SLACK}" } } }\n  b: { slack: { webhook: { secretsManager: "${SLACK}" } } }\n`);
    expect(grants.map((g) => g.path)).toEqual(['channels.a.slack.webhook']);
  });

  it('does not grant a Slack or Teams webhook that a url overrides, since the notifier never reads it', () => {
    expect(grantsFor(`  chat: { slack: { webhook: { secretsManager: "${SLACK}" }, url: "https://proxy.example.com/slack" } }
  t: { teams: { webhook: { ssm: /vantage/teams }, url: "https://proxy.example.com/teams" } }
`)).toEqual([]);
  });

  it('finds nothing in plain strings and ${env:} references', () => {
    expect(grantsFor(`  oncall: { pagerduty: { routingKey: "\${env:PD_KEY}" } }
  chat: { slack: { webhook: "https://hooks.slack.com/services/T/B/x" } }
  hooks: { webhook: [{ url: "https://hooks.example.com/x", secret: plain }] }
`)).toEqual([]);
  });

  it('refuses a secret name or partial ARN, on the path it was written at', () => {
    const run = () => grantsFor('  hooks: { webhook: [https://a.example.com, { url: "https://b.example.com", secret: { secretsManager: vantage/hook } }] }\n');
    expect(run).toThrow(SecretReferenceError);
    expect(run).toThrow(/^channels\.hooks\.webhook\[1\]\.secret: "vantage\/hook" is not a complete secret ARN/);
  });

  it("gives kmsGrants what it needs: each secret's region and service", () => {
    const config = loadConfigText(`channels:\n  oncall: { pagerduty: { routingKey: { secretsManager: "${PD}" } } }\n  t: { teams: { webhook: { ssm: /vantage/teams } } }\n${CHECKS}`);
    const euKey = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ac';
    const usKey = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(kmsGrants(channelSecretGrants(config.channels, { homeRegion: 'us-east-1' }), [euKey, usKey])).toEqual([
      { region: 'eu-west-1', keyArns: [euKey], viaServices: ['secretsmanager.eu-west-1.amazonaws.com'] },
      { region: 'us-east-1', keyArns: [usKey], viaServices: ['ssm.us-east-1.amazonaws.com'] },
    ]);
  });
});

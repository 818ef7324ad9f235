// The TypeScript twin of part of ./checks.yaml (the same deployment, defaults and channels, six of
// its checks): `npx vantage validate --config examples/checks.ts`, or
// `npx cdk synth --all --context config=examples/checks.ts`. In your own repo, import defineConfig
// from the package instead of this relative path.
import { defineConfig } from '../lib/index.ts';

const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];

export default defineConfig({
  deployment: {
    homeRegion: 'us-east-1',
    locations: regions,
    opsEmail: ['platform@example.com'],
    privateLocations: [{
      name: 'office-dc',
      region: 'eu-west-1',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
      egress: [
        { cidr: '10.20.0.0/16', ports: [443, 5432, 50051] },
        { cidr: '10.20.0.2/32', ports: [53], protocol: 'udp' },
      ],
    }],
  },
  defaults: {
    interval: '60s',
    timeout: '5s',
    locations: regions,
    retries: 1,
    // 99.9% of each minute up over 30 days; BUDGET_BURN pages when the budget goes too fast.
    slo: { objective: 99.9, window: '30d' },
    alerting: { failureThreshold: 2, recoveryThreshold: 2, channels: ['oncall'] },
  },
  channels: {
    oncall: { email: ['oncall@example.com'], webhook: ['https://hooks.example.com/vantage/alerts'] },
    team: { email: ['team@example.com'], events: ['DOWN', 'RESOLVED'] },
  },
  checks: [
    {
      id: 'api-health',
      name: 'Public API health',
      http: {
        url: 'https://api.example.com/health',
        headers: { Accept: 'application/json' },
        validStatusCodes: [200],
        assert: { jsonPath: { '$.status': 'ok' }, maxResponseTime: '2s', certMinDaysLeft: 14 },
        degradedAfter: '800ms',
      },
      alerting: { channels: ['oncall', 'team'] },
    },
    {
      id: 'checkout',
      name: 'Checkout, with a token from Secrets Manager',
      interval: '30s',
      http: {
        url: 'https://shop.example.com/api/checkout/ping',
        method: 'POST',
        body: JSON.stringify({ dryRun: true }),
        headers: {
          'Content-Type': 'application/json',
          // Resolved by the probe at run time and cached per container; never in the bundle or env.
          Authorization: { secretsManager: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vantage/checkout-token-AbCdEf', key: 'bearer' },
        },
        validStatusCodes: ['2xx'],
      },
    },
    { id: 'orders-db', name: 'Orders Postgres (private)', locations: ['office-dc'], tcp: { host: '10.20.4.5', port: 5432 } },
    { id: 'mail-submission', name: 'Mail submission banner', tcp: { host: 'mail.example.com', port: 465, tls: true, expect: '^220 ' } },
    { id: 'dns-api', name: 'api.example.com resolves publicly', dns: { name: 'api.example.com', type: 'A', server: '1.1.1.1', assert: { minAnswers: 1 } } },
    { id: 'cert-api', name: 'API certificate expiry', interval: '1h', tls: { host: 'api.example.com', assert: { certMinDaysLeft: 21 } } },
  ],
});

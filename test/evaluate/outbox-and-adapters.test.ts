/** The outbox helper, and the conversions from config and probe results into the evaluator's terms. */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../shared/config/load.ts';
import { clearPublished, policyFor, toResultRecord, UnevaluableResultError } from '../../shared/evaluate/index.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { Feed, policy } from './support.ts';

describe('the outbox', () => {
  function downWithOutbox() {
    const feed = new Feed(policy({ locations: ['eu'], quorum: 1, repeatIntervalMs: 60_000 }));
    feed.round(0, { eu: 'fail' });
    feed.round(1, { eu: 'fail' });
    feed.round(2, { eu: 'fail' });
    return feed;
  }

  it('holds every decision until it is cleared, in the order decided', () => {
    const feed = downWithOutbox();
    expect(feed.state?.outbox.map((n) => n.event)).toEqual(['DOWN', 'REMINDER']);
    expect(feed.state?.outbox).toEqual(feed.sent);
  });

  it('clears only the published keys, ignores unknown ones, and returns the same state when nothing was cleared', () => {
    const feed = downWithOutbox();
    const state = feed.state!;
    const [down, reminder] = state.outbox;
    const cleared = clearPublished(state, [down!.dedupeKey, 'api:unknown:DOWN:9']);
    expect(cleared.outbox).toEqual([reminder]);
    expect(state.outbox).toHaveLength(2);
    expect(clearPublished(cleared, [down!.dedupeKey])).toBe(cleared);
  });

  it('keeps an unpublished notification through later evaluations, which add to it without repeating it', () => {
    const feed = downWithOutbox();
    const keys = feed.state!.outbox.map((n) => n.dedupeKey);
    const ev = feed.send({ checkId: 'api', location: 'eu', ts: feed.state!.locations.eu!.lastTs + 60_000, ok: true, status: 'up' });
    expect(ev.notifications.map((n) => n.event)).toEqual(['REMINDER']);
    expect(feed.state?.outbox.map((n) => n.dedupeKey)).toEqual([...keys, ev.notifications[0]!.dedupeKey]);
    expect(new Set(feed.state?.outbox.map((n) => n.dedupeKey)).size).toBe(3);
  });
});

describe('policyFor', () => {
  it('takes the merged alerting policy, the locations and the id of a loaded check', () => {
    const cfg = loadConfigText(`
defaults:
  interval: 30s
  locations: [eu-west-1, us-east-1, ap-southeast-1, private-dc]
  alerting: { recoveryThreshold: 3, channels: [ops] }
channels:
  ops: { email: [ops@example.com] }
checks:
  - id: api
    http: { url: https://api.example.com/health, degradedAfter: 800ms }
    alerting: { for: 2m, repeatInterval: 1h, certExpiringDays: 10 }
`);
    expect(policyFor(cfg.checks[0]!)).toEqual({
      checkId: 'api', locations: ['eu-west-1', 'us-east-1', 'ap-southeast-1', 'private-dc'],
      failureThreshold: 2, forMs: 120_000, recoveryThreshold: 3, quorum: 3, repeatIntervalMs: 3_600_000,
      degradedAfterMs: 800, intervalMs: 30_000, channels: ['ops'], certExpiringDays: 10, recheckIntervalMs: 10_000, confirm: true,
    });
  });
});

describe('toResultRecord', () => {
  const probe: ProbeResult = {
    checkId: 'api', kind: 'http', target: 'https://api.example.com/health', location: 'eu-west-1', startedAt: '2026-11-03T12:00:00.250Z',
    ok: false, status: 'down', phases: { dns: 2, connect: 5000, total: 5003 }, assertions: [],
    failure: { reason: 'connect_timeout', message: 'no SYN-ACK within 5000 ms' },
  };

  it('keeps what the policy and the alerts need', () => {
    expect(toResultRecord(probe)).toEqual({
      checkId: 'api', location: 'eu-west-1', ts: Date.UTC(2026, 10, 3, 12, 0, 0, 250), ok: false, status: 'down',
      failure: { reason: 'connect_timeout', message: 'no SYN-ACK within 5000 ms' },
      latencyMs: 5003, phases: { dns: 2, connect: 5000, total: 5003 }, target: 'https://api.example.com/health',
    });
  });

  it('carries the earliest presented certificate expiry as epoch ms, for CERT_EXPIRING', () => {
    const tls = { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', certExpiresAt: '2026-11-20T23:59:59.000Z', certDaysLeft: 17, verifiedChainExpiresAt: '2026-11-10T00:00:00.000Z' };
    expect(toResultRecord({ ...probe, tls }).certExpiresAt).toBe(Date.UTC(2026, 10, 20, 23, 59, 59));
    expect(toResultRecord({ ...probe, tls: { version: 'TLSv1.3', cipher: 'x' } })).not.toHaveProperty('certExpiresAt');
  });

  it('refuses a result it could not place', () => {
    const { location: _location, ...nowhere } = probe;
    expect(() => toResultRecord(nowhere)).toThrow(UnevaluableResultError);
    expect(() => toResultRecord({ ...probe, startedAt: 'yesterday' })).toThrow(/not an ISO 8601 time/);
  });
});

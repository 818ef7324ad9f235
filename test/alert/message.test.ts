import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildAlertMessage, buildInstanceSilentMessage, buildSubject, channelsFor, type AlertFacts } from '../../shared/alert/message.ts';
import { factsOf } from '../../shared/alert/facts.ts';
import { formatDuration } from '../../shared/alert/text.ts';
import { evaluate, policyFor } from '../../shared/evaluate/index.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { EVENTS } from '../../shared/config/schema.ts';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const SECRET = 'Bearer s3cr3t-token-value';

const config = loadConfigObject({
  defaults: { locations: ['eu-west-1', 'us-east-1', 'ap-southeast-2'], alerting: { channels: ['oncall', 'chat', 'certs'] } },
  channels: {
    oncall: { email: ['oncall@example.com'], events: ['DOWN', 'RESOLVED'] },
    chat: { webhook: ['https://hooks.example.com/x'] },
    certs: { email: ['pki@example.com'], events: ['CERT_EXPIRING'] },
  },
  checks: [
    {
      id: 'api',
      name: 'Public API',
      http: { url: 'https://user:pw@api.example.com/health?token=abc123&x=1', headers: { Authorization: SECRET } },
    },
    { id: 'db', tcp: { host: 'db.internal', port: 5432 }, alerting: { channels: ['chat'] } },
  ],
});
const api = config.checks[0] as Check;
const db = config.checks[1] as Check;

function downFacts(overrides: Partial<AlertFacts> = {}): AlertFacts {
  return {
    event: 'DOWN',
    checkId: 'api',
    incidentId: 'api#1763632800000',
    dedupeKey: 'api#1763632800000#DOWN',
    at: T0 + 4 * 60_000 + 12_000,
    since: T0,
    locationCount: 3,
    locations: [
      { location: 'eu-west-1', reason: 'connect_timeout', message: 'connect ETIMEDOUT after 5000ms', phases: { dns: 3, connect: 5000, total: 5003 }, since: T0 },
      { location: 'us-east-1', reason: 'status_code', message: 'status 503 not in [2xx]', phases: { dns: 2, connect: 10, tls: 20, ttfb: 40, transfer: 1, total: 73 }, since: T0 + 60_000 },
    ],
    ...overrides,
  };
}

const Payload = z.strictObject({
  schemaVersion: z.literal(1),
  event: z.enum(EVENTS),
  severity: z.enum(['critical', 'warning', 'info']),
  checkId: z.string(),
  checkName: z.string(),
  kind: z.enum(['http', 'tcp', 'dns', 'grpc', 'tls']),
  target: z.string(),
  incidentId: z.string(),
  dedupeKey: z.string(),
  at: z.iso.datetime(),
  since: z.iso.datetime().optional(),
  durationMs: z.number().int().nonnegative().optional(),
  locations: z.array(z.strictObject({
    location: z.string(),
    reason: z.string().optional(),
    message: z.string().optional(),
    phases: z.record(z.string(), z.number()).optional(),
    since: z.iso.datetime().optional(),
    lastResultAt: z.iso.datetime().optional(),
  })),
  locationCount: z.number().int().positive(),
  certDaysLeft: z.number().optional(),
  certExpiresAt: z.iso.datetime().optional(),
  channels: z.array(z.string()),
});

describe('subject', () => {
  it('names the event, the check and how many locations fail', () => {
    expect(buildSubject(downFacts(), api)).toBe('[DOWN] Public API: 2/3 locations failing');
    expect(buildSubject(downFacts({ event: 'RESOLVED', durationMs: 6 * 60_000 }), api)).toBe('[RESOLVED] Public API: up again after 6m');
    expect(buildSubject(downFacts({ event: 'PARTIAL', locations: downFacts().locations.slice(0, 1) }), db)).toBe('[PARTIAL] db: 1/3 locations failing');
  });

  it('shortens a long name but keeps the facts', () => {
    const long = { ...api, name: 'A very long check name '.repeat(10) } as Check;
    const subject = buildSubject(downFacts(), long);
    expect(subject.length).toBeLessThan(100);
    expect(subject.startsWith('[DOWN] A very long')).toBe(true);
    expect(subject.endsWith('...: 2/3 locations failing')).toBe(true);
  });

  it('is always under 100 printable ASCII characters, whatever the name and event', () => {
    fc.assert(fc.property(
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.constantFrom(...EVENTS),
      fc.integer({ min: 0, max: 400 * 86_400_000 }),
      (name, event, duration) => {
        const subject = buildSubject(downFacts({ event, durationMs: duration, since: T0 - duration }), { ...api, name } as Check);
        expect(subject.length).toBeLessThan(100);
        expect(subject).toMatch(/^\[[A-Z_]+\] [\x20-\x7e]*$/);
        expect(subject).not.toMatch(/[\r\n]/);
      },
    ), { numRuns: 500 });
  });

  it('folds accents rather than dropping the name', () => {
    expect(buildSubject(downFacts(), { ...api, name: 'Café — prod' } as Check)).toBe('[DOWN] Cafe ? prod: 2/3 locations failing');
  });
});

describe('text for default and email', () => {
  it('says check, target, state, failing locations with reasons and phases, since when and for how long', () => {
    const { text } = buildAlertMessage(downFacts(), api, config.channels);
    expect(text).toContain('DOWN: Public API (api)');
    expect(text).toContain('Target:  https://api.example.com/health?token=***&x=***');
    expect(text).toContain('State:   DOWN, 2 of 3 locations failing');
    expect(text).toContain('Since:   2026-11-20T10:00:00.000Z (for 4m 12s)');
    expect(text).toContain('  - eu-west-1: connect_timeout: connect ETIMEDOUT after 5000ms (since 2026-11-20T10:00:00.000Z)');
    expect(text).toContain('      phases: dns 3ms, connect 5000ms, total 5003ms');
    expect(text).toContain('  - us-east-1: status_code: status 503 not in [2xx] (since 2026-11-20T10:01:00.000Z)');
    expect(text).toContain('      phases: dns 2ms, connect 10ms, tls 20ms, ttfb 40ms, transfer 1ms, total 73ms');
    expect(text).toContain('Incident: api#1763632800000');
  });

  it('gives RESOLVED the outage window and its duration', () => {
    const { text, subject } = buildAlertMessage(downFacts({ event: 'RESOLVED', at: T0 + 3_725_000, durationMs: 3_725_000 }), api, config.channels);
    expect(subject).toBe('[RESOLVED] Public API: up again after 1h 2m');
    expect(text).toContain('State:   UP');
    expect(text).toContain('Outage:  2026-11-20T10:00:00.000Z to 2026-11-20T11:02:05.000Z');
    expect(text).toContain('Lasted:  1h 2m');
    expect(text).not.toContain('Since:');
  });

  it('never carries request headers or URL credentials', () => {
    const msg = buildAlertMessage(downFacts(), api, config.channels);
    const everything = JSON.stringify(msg);
    expect(everything).not.toContain('s3cr3t');
    expect(everything).not.toContain('Authorization');
    expect(everything).not.toContain('user:pw');
    expect(everything).not.toContain('abc123');
  });

  it('clips a long multi-line failure message to its first line', () => {
    const facts = downFacts({ locations: [{ location: 'eu-west-1', reason: 'body_mismatch', message: `${'x'.repeat(1000)}\nsecond line` }] });
    const { text, payload } = buildAlertMessage(facts, api, config.channels);
    expect(text).not.toContain('second line');
    expect(payload.locations[0]?.message?.length).toBe(300);
  });
});

describe('MessageStructure json and payload', () => {
  it('has text for default and email, and the same versioned JSON for https, sqs and lambda', () => {
    const msg = buildAlertMessage(downFacts(), api, config.channels);
    const doc = JSON.parse(msg.message) as Record<string, string>;
    expect(Object.keys(doc).sort()).toEqual(['default', 'email', 'https', 'lambda', 'sqs']);
    expect(doc.default).toBe(msg.text);
    expect(doc.email).toBe(msg.text);
    expect(doc.https).toBe(doc.sqs);
    expect(doc.lambda).toBe(doc.sqs);
    const payload = Payload.parse(JSON.parse(doc.sqs!));
    expect(payload).toMatchObject({
      schemaVersion: 1,
      event: 'DOWN',
      severity: 'critical',
      checkId: 'api',
      checkName: 'Public API',
      kind: 'http',
      target: 'https://api.example.com/health?token=***&x=***',
      incidentId: 'api#1763632800000',
      dedupeKey: 'api#1763632800000#DOWN',
      at: '2026-11-20T10:04:12.000Z',
      since: '2026-11-20T10:00:00.000Z',
      locationCount: 3,
      channels: ['oncall', 'chat'],
    });
    expect(payload.locations.map((l) => [l.location, l.reason])).toEqual([['eu-west-1', 'connect_timeout'], ['us-east-1', 'status_code']]);
    expect(payload.locations[0]?.phases).toEqual({ dns: 3, connect: 5000, total: 5003 });
  });

  it('validates against the payload schema for every event', () => {
    for (const event of EVENTS) {
      const msg = buildAlertMessage(downFacts({ event, durationMs: 1000, certDaysLeft: 7, certExpiresAt: T0 + 7 * 86_400_000 }), db, config.channels);
      expect(() => Payload.parse(JSON.parse((JSON.parse(msg.message) as { sqs: string }).sqs))).not.toThrow();
    }
  });
});

describe('message attributes', () => {
  it('carries checkId, event, severity and the routed channels', () => {
    const msg = buildAlertMessage(downFacts(), api, config.channels);
    expect(msg.messageAttributes).toEqual({
      checkId: { DataType: 'String', StringValue: 'api' },
      event: { DataType: 'String', StringValue: 'DOWN' },
      severity: { DataType: 'String', StringValue: 'critical' },
      channels: { DataType: 'String.Array', StringValue: '["oncall","chat"]' },
    });
  });

  it('maps severity by event', () => {
    const severity = (event: AlertFacts['event']) => buildAlertMessage(downFacts({ event }), api, config.channels).messageAttributes.severity.StringValue;
    expect(severity('DOWN')).toBe('critical');
    expect(severity('REMINDER')).toBe('critical');
    expect(severity('PARTIAL')).toBe('warning');
    expect(severity('RESOLVED')).toBe('info');
  });
});

describe('CERT_EXPIRING', () => {
  const DAY = 86_400_000;
  const notAfter = Date.parse('2026-12-09T23:59:59.000Z');
  /** What the evaluator decides for a passing run from us-east-1 that saw the certificate, as the handler publishes it. */
  function decided() {
    const result = { checkId: 'api', location: 'us-east-1', ts: T0, ok: true, status: 'up' as const, latencyMs: 80, certExpiresAt: notAfter };
    const [n, ...rest] = evaluate(undefined, [result], policyFor(api), T0).notifications;
    expect(rest).toEqual([]);
    return buildAlertMessage(factsOf(n!, api), api, config.channels);
  }

  it('says when the certificate expires and where it was seen, as a warning for the channels that want it', () => {
    const msg = decided();
    expect(msg.subject).toBe('[CERT_EXPIRING] Public API: certificate expires in 19 days');
    expect(msg.text).toContain('State:   certificate expires in 19 days');
    expect(msg.text).toContain('Expires: 2026-12-09T23:59:59.000Z');
    expect(msg.text).toContain('Seen from:\n  - us-east-1');
    expect(msg.text).not.toContain('Since:');
    expect(msg.messageAttributes.severity.StringValue).toBe('warning');
    expect(msg.messageAttributes.channels.StringValue).toBe('["chat","certs"]');
    expect(Payload.parse(msg.payload)).toMatchObject({
      event: 'CERT_EXPIRING', severity: 'warning', certDaysLeft: 19, certExpiresAt: '2026-12-09T23:59:59.000Z',
      incidentId: 'api:cert:2026-12-09T23:59:59.000Z', dedupeKey: 'api:cert:2026-12-09T23:59:59.000Z:CERT_EXPIRING:1',
      locations: [{ location: 'us-east-1' }], locationCount: 3,
    });
  });

  it.each([[2, 'expires in 2 days'], [1, 'expires in 1 day'], [0, 'expires within a day'], [-1, 'expired 1 day ago'], [-3, 'expired 3 days ago']])('%i days left reads "%s"', (days, words) => {
    const facts = downFacts({ event: 'CERT_EXPIRING', certDaysLeft: days, certExpiresAt: T0 + days * DAY, locations: [] });
    expect(buildSubject(facts, api)).toBe(`[CERT_EXPIRING] Public API: certificate ${words}`);
  });
});

describe('channel routing by events', () => {
  it('keeps a channel that lists the event or lists none, and drops the rest', () => {
    const names = ['oncall', 'chat', 'certs'];
    expect(channelsFor('DOWN', names, config.channels)).toEqual(['oncall', 'chat']);
    expect(channelsFor('RESOLVED', names, config.channels)).toEqual(['oncall', 'chat']);
    expect(channelsFor('PARTIAL', names, config.channels)).toEqual(['chat']);
    expect(channelsFor('CERT_EXPIRING', names, config.channels)).toEqual(['chat', 'certs']);
    expect(channelsFor('DOWN', ['gone'], config.channels)).toEqual([]);
  });

  it('uses the check\'s own channel list', () => {
    const msg = buildAlertMessage(downFacts({ checkId: 'db' }), db, config.channels);
    expect(msg.messageAttributes.channels.StringValue).toBe('["chat"]');
    expect(msg.payload.channels).toEqual(['chat']);
  });
});

describe('formatDuration', () => {
  it.each([[0, '0s'], [45_000, '45s'], [60_000, '1m'], [252_000, '4m 12s'], [7_500_000, '2h 5m'], [3 * 86_400_000 + 4 * 3_600_000, '3d 4h']])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('INSTANCE_SILENT, the ops topic\'s message', () => {
  const lastSeen = T0 + 3000;
  const facts = {
    event: 'INSTANCE_SILENT', location: 'office-dc', instance: '2', instanceCount: 2, lastSeen, at: T0 + 3 * 60_000 + 30_000,
    dedupeKey: `office-dc:2:silent:${new Date(lastSeen).toISOString()}:INSTANCE_SILENT:1`,
  } as const;

  it('says which instance of which location went quiet and since when, as a warning, with no check or channels', () => {
    const msg = buildInstanceSilentMessage(facts);
    expect(msg.subject).toBe('[INSTANCE_SILENT] office-dc instance 2 of 2 silent for 3m 27s');
    expect(msg.messageAttributes).toEqual({
      event: { DataType: 'String', StringValue: 'INSTANCE_SILENT' },
      severity: { DataType: 'String', StringValue: 'warning' },
      location: { DataType: 'String', StringValue: 'office-dc' },
    });
    expect(msg.payload).toEqual({
      schemaVersion: 1, event: 'INSTANCE_SILENT', severity: 'warning', location: 'office-dc', instance: '2', instanceCount: 2,
      lastSeen: new Date(lastSeen).toISOString(), at: new Date(facts.at).toISOString(), dedupeKey: facts.dedupeKey,
    });
    expect(msg.text).toContain(`Last seen: ${new Date(lastSeen).toISOString()} (silent for 3m 27s)`);
    expect(msg.text).toContain('only when every instance is');
    const structure = JSON.parse(msg.message) as Record<string, string>;
    expect(structure.email).toBe(msg.text);
    expect(JSON.parse(structure.https!)).toEqual(msg.payload);
  });

  it('measures an instance never heard from from when the sweep first missed it', () => {
    const { lastSeen: _omit, ...rest } = facts;
    const msg = buildInstanceSilentMessage({ ...rest, noticedAt: T0 + 30_000, dedupeKey: 'office-dc:2:silent:x:INSTANCE_SILENT:1' });
    expect(msg.subject).toBe('[INSTANCE_SILENT] office-dc instance 2 of 2 silent for 3m');
    expect(msg.payload).not.toHaveProperty('lastSeen');
    expect(msg.payload.noticedAt).toBe(new Date(T0 + 30_000).toISOString());
    expect(msg.text).toContain('Never seen: no heartbeat since');
  });

  it('is an ops event, so a channel cannot subscribe to it (it never goes through a check\'s channels)', () => {
    expect(EVENTS).not.toContain('INSTANCE_SILENT');
    expect(() => loadConfigObject({ channels: { ops: { email: ['ops@example.com'], events: ['INSTANCE_SILENT'] } }, checks: [{ id: 'a', http: { url: 'https://example.com' } }] }))
      .toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: 'channels.ops.events[0]' })] }));
  });
});

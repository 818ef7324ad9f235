/**
 * ESCALATION and FLAPPING as alerts: what they say, and where they go. An escalation goes to its
 * level's channels (the notification's `channels`), never to the check's own, which had the DOWN;
 * every other event keeps the check's channels whatever the notification carries. The routing is
 * checked on the SNS emulator's filter policies too, the way channel subscriptions match it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { factsOf } from '../../shared/alert/facts.ts';
import { buildAlertMessage } from '../../shared/alert/message.ts';
import { snsPublisher } from '../../shared/alert/publish.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import type { Notification } from '../../shared/evaluate/index.ts';
import { SEVERITY } from '../../shared/events.ts';
import { startTestSnsEmulator, type TestSnsEmulator } from '../support/sns-emulator.ts';

const T0 = Date.parse('2026-12-06T02:00:00.000Z');
const MIN = 60_000;

const config = loadConfigObject({
  defaults: { locations: ['eu-west-1', 'us-east-1', 'ap-southeast-2'], alerting: { channels: ['oncall', 'chat'] } },
  channels: {
    oncall: { email: ['oncall@example.com'] },
    chat: { webhook: ['https://hooks.example.com/x'] },
    manager: { email: ['manager@example.com'] },
    director: { email: ['director@example.com'], events: ['ESCALATION'] },
    quiet: { email: ['quiet@example.com'], events: ['DOWN', 'RESOLVED'] },
  },
  checks: [{ id: 'api', name: 'Public API', http: { url: 'https://api.example.com/health' } }],
});
const base = config.checks[0] as Check;
// Built by hand so the test does not depend on the config schema's spelling of the policy: the engine form.
const api = {
  ...base,
  alerting: {
    ...base.alerting,
    escalate: [{ afterMs: 15 * MIN, channels: ['manager'] }, { afterMs: 30 * MIN, channels: ['director', 'quiet'] }],
    flapping: { changes: 4, withinMs: 30 * MIN },
  },
} as Check;

function notification(overrides: Partial<Notification>): Notification {
  const event = overrides.event ?? 'DOWN';
  return {
    event,
    checkId: 'api',
    at: T0 + 32 * MIN,
    incidentId: `api:${new Date(T0).toISOString()}`,
    dedupeKey: `api:${new Date(T0).toISOString()}:${event}:1`,
    severity: SEVERITY[event],
    since: T0,
    locations: [
      { location: 'eu-west-1', failing: true, reason: 'status_code', message: 'status 503', since: T0 },
      { location: 'us-east-1', failing: true, reason: 'status_code', message: 'status 503', since: T0 },
      { location: 'ap-southeast-2', failing: false },
    ],
    overall: 'DOWN',
    previous: 'DOWN',
    channels: [...base.alerting.channels],
    ...overrides,
  };
}

const escalation = (level: number, channels: string[]) => notification({ event: 'ESCALATION', level, channels, dedupeKey: `api:${new Date(T0).toISOString()}:ESCALATION:${level}` });
const flapping = () => notification({
  event: 'FLAPPING', overall: 'PARTIAL', previous: 'UP', at: T0 + 20 * MIN, since: T0 + 20 * MIN,
  incidentId: `api:flapping:${new Date(T0 + 20 * MIN).toISOString()}`,
  locations: [{ location: 'eu-west-1', failing: true, reason: 'connect_timeout', message: 'no answer' }, { location: 'us-east-1', failing: false }, { location: 'ap-southeast-2', failing: false }],
});

/** The fields this issue adds to the payload; everything else is schemaVersion 1 as before. */
const Added = z.object({
  level: z.number().int().positive().optional(),
  flapping: z.strictObject({ changes: z.number().int(), withinMs: z.number().int() }).optional(),
  overall: z.enum(['UP', 'DEGRADED', 'PARTIAL', 'DOWN']).optional(),
});

describe('ESCALATION', () => {
  it('says the level and how long the check has been down, in the subject, the text and the payload', () => {
    const msg = buildAlertMessage(factsOf(escalation(2, ['director', 'quiet']), api), api, config.channels);

    expect(msg.subject).toBe('[ESCALATION] Public API: level 2, DOWN for 32m');
    expect(msg.text.split('\n')[0]).toBe('ESCALATION level 2: Public API (api) is DOWN for 32m');
    expect(msg.text).toContain('State:   still DOWN, 2 of 3 locations failing');
    expect(msg.text).toContain('Escalated: level 2 of 2, to director, quiet, 30m after the DOWN and still unresolved');
    expect(msg.text).toContain('Failing locations:\n  - eu-west-1: status_code: status 503');
    expect(msg.payload).toMatchObject({ schemaVersion: 1, event: 'ESCALATION', severity: 'critical', level: 2, since: '2026-12-06T02:00:00.000Z' });
    expect(Added.parse(msg.payload).level).toBe(2);
    expect(msg.messageAttributes.event.StringValue).toBe('ESCALATION');
    expect(msg.messageAttributes.severity.StringValue).toBe('critical');
  });

  it('goes to its level\'s channels only, each still filtered by its events, never the check\'s own', () => {
    const first = buildAlertMessage(factsOf(escalation(1, ['manager']), api), api, config.channels);
    // `quiet` hears only DOWN and RESOLVED, so level 2 reaches `director` alone.
    const second = buildAlertMessage(factsOf(escalation(2, ['director', 'quiet']), api), api, config.channels);

    expect(first.messageAttributes.channels.StringValue).toBe('["manager"]');
    expect(first.payload.channels).toEqual(['manager']);
    expect(second.payload.channels).toEqual(['director']);
  });

  it('leaves every other event on the check\'s channels, whatever channels the notification carries', () => {
    for (const event of ['DOWN', 'REMINDER', 'RESOLVED', 'FLAPPING'] as const) {
      const msg = buildAlertMessage(factsOf(notification({ event, channels: ['manager', 'director'] }), api), api, config.channels);
      expect(msg.payload.channels).toEqual(['oncall', 'chat']);
      expect(msg.payload).not.toHaveProperty('level');
    }
  });

  it('still reads when the level is gone from the config (an outbox written before a config change)', () => {
    const msg = buildAlertMessage(factsOf(escalation(3, ['manager']), api), api, config.channels);

    expect(msg.text).toContain('Escalated: level 3, to manager\n');
    expect(msg.payload.level).toBe(3);
  });
});

describe('FLAPPING', () => {
  it('says what flapping means here, how many changes in what span, and that notifications are held until it is stable', () => {
    const msg = buildAlertMessage(factsOf(flapping(), api), api, config.channels);

    expect(msg.subject).toBe('[FLAPPING] Public API: 4 state changes within 30m');
    expect(msg.text.split('\n')[0]).toBe('FLAPPING: Public API (api)');
    expect(msg.text).toContain('State:   FLAPPING (now PARTIAL), 1 of 3 locations failing');
    expect(msg.text).toContain('changed back and forth, 4 state changes within 30m');
    expect(msg.text).toContain('Notifications for this check are held until it is stable for 30m; then one notification says its real state.');
    expect(msg.text).toContain('Failing locations now:\n  - eu-west-1: connect_timeout: no answer');
    expect(msg.text).toContain('Incident: api:flapping:2026-12-06T02:20:00.000Z');
    expect(msg.messageAttributes.severity.StringValue).toBe('warning');
    expect(Added.parse(msg.payload)).toEqual({ flapping: { changes: 4, withinMs: 30 * MIN }, overall: 'PARTIAL' });
  });

  it('still reads when the check no longer has the rule', () => {
    const msg = buildAlertMessage(factsOf(flapping(), base), base, config.channels);

    expect(msg.subject).toBe('[FLAPPING] Public API: changing state too often');
    expect(msg.text).toContain('held until it is stable for the flapping span');
    expect(msg.payload).not.toHaveProperty('flapping');
  });
});

describe('routing, as delivered by the SNS emulator', () => {
  let emu: TestSnsEmulator;

  beforeAll(async () => {
    emu = await startTestSnsEmulator();
  });
  afterAll(async () => {
    await emu?.stop();
  });

  // fauxqs compares a String.Array filter as JSON text (see publish.test.ts), so the channels
  // attribute as delivered is what is asserted; on AWS, each channel's subscription filters on it.
  it('carries the check\'s channels on a DOWN and the level\'s on its escalation', async () => {
    const publisher = snsPublisher(emu.sns, emu.topicArn);
    await publisher.publish(buildAlertMessage(factsOf(notification({ event: 'DOWN', at: T0 + MIN }), api), api, config.channels));
    await publisher.publish(buildAlertMessage(factsOf(escalation(1, ['manager']), api), api, config.channels));

    const delivered = await emu.received();
    expect(delivered.map((d) => [d.envelope?.Subject, d.attributes.channels])).toEqual([
      ['[DOWN] Public API: 2/3 locations failing', ['oncall', 'chat']],
      ['[ESCALATION] Public API: level 1, DOWN for 32m', ['manager']],
    ]);
    expect(JSON.parse(delivered[1]!.message)).toMatchObject({ event: 'ESCALATION', level: 1, channels: ['manager'] });
  });
});

/**
 * BUDGET_BURN as an alert, in every payload: the SNS message (email text, subject, the versioned JSON
 * webhooks and queues parse), Slack, Teams, PagerDuty and a signed webhook. Each says the rule, both
 * windows' burn rates, the budget left and the objective, with the rule's own severity (page →
 * critical, ticket → warning) rather than the event's default.
 */
import { describe, expect, it } from 'vitest';
import { renderPagerDuty } from '../../shared/alert/channels/pagerduty.ts';
import { renderDelivery } from '../../shared/alert/channels/render.ts';
import { renderSlack } from '../../shared/alert/channels/slack.ts';
import { renderTeams } from '../../shared/alert/channels/teams.ts';
import { factsOf } from '../../shared/alert/facts.ts';
import { buildAlertMessage, channelsFor } from '../../shared/alert/message.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { DEFAULT_BURN_RULES } from '../../shared/config/slo.ts';
import type { Notification } from '../../shared/evaluate/index.ts';
import { api, BURN, BURN_INCIDENT, burning, config, T0, toDelivery } from './channels/fixtures.ts';

const DAY = 86_400_000;
/** The fixture check with an SLO, so the alert can say what the rate means for its 30-day window. */
const withSlo = { ...api, slo: { objective: 99.9, windowMs: 30 * DAY, sli: 'availability', countPartial: false, burnRates: [...DEFAULT_BURN_RULES] } } as Check;
const AT = T0 + 4 * 60_000 + 12_000;

function notification(over: Partial<Notification> = {}): Notification {
  return {
    event: 'BUDGET_BURN', checkId: 'api', at: AT, since: AT, incidentId: BURN_INCIDENT, dedupeKey: `${BURN_INCIDENT}:BUDGET_BURN:1`,
    severity: 'critical', burn: { ...BURN },
    locations: [{ location: 'eu-west-1', failing: true, reason: 'status_code', message: 'status 503', since: T0 }, { location: 'us-east-1', failing: false }, { location: 'ap-southeast-2', failing: false }],
    overall: 'PARTIAL', previous: 'PARTIAL', channels: ['oncall'],
    ...over,
  };
}

const ticket = () => notification({
  severity: 'warning', incidentId: 'api:burn:ticket-3d:x', dedupeKey: 'api:burn:ticket-3d:x:BUDGET_BURN:1',
  burn: { rule: 'ticket-3d', severity: 'ticket', factor: 1, longWindowMs: 3 * DAY, shortWindowMs: 6 * 3_600_000, longRate: 1.25, shortRate: 2, objective: 99.9, budgetRemaining: 0.9 },
});

describe('the SNS message (email text, subject, JSON payload)', () => {
  it('says the rule, both rates, the budget left and the objective, and what the rate means for the window', () => {
    const msg = buildAlertMessage(factsOf(notification(), withSlo), withSlo, config.channels);

    expect(msg.subject).toBe('[BUDGET_BURN] Public API: burning 16.0x over 1h and 48.0x over 5m');
    expect(msg.text.split('\n')).toEqual(expect.arrayContaining([
      'BUDGET_BURN: Public API (api)',
      'State:   error budget burning 16.0× over 1h and 48.0× over 5m',
      'Rule:    page-1h: page at 14.4× over both 1h and 5m',
      'Budget:  62.5% of the error budget left, objective 99.9%',
      // 30 days / 16 = 1.875 days; 16 × 1 h / 720 h = 2.2 % of the budget in the last hour.
      'At 16.0× the 30d error budget lasts 1d 21h; the last 1h spent 2.2% of it.',
      `Incident: ${BURN_INCIDENT}`,
    ]));
    expect(msg.text).toContain('Failing locations now:\n  - eu-west-1: status_code: status 503');
    // Sent when the episode starts, `since` is `at`, and "since … (for 0s)" would say nothing.
    expect(msg.text).not.toContain('Since:');
    expect(JSON.parse(msg.message).email).toBe(msg.text);
    expect(msg.payload).toMatchObject({ schemaVersion: 1, event: 'BUDGET_BURN', severity: 'critical', incidentId: BURN_INCIDENT, burn: BURN });
    expect(msg.payload).not.toHaveProperty('since');
    expect(JSON.parse(JSON.parse(msg.message).https)).toEqual(msg.payload);
    expect(msg.messageAttributes.event.StringValue).toBe('BUDGET_BURN');
    expect(msg.messageAttributes.severity.StringValue).toBe('critical');
  });

  it('takes the severity from the rule: a ticket is a warning, though the event defaults to critical', () => {
    const msg = buildAlertMessage(factsOf(ticket(), withSlo), withSlo, config.channels);

    expect(msg.messageAttributes.severity.StringValue).toBe('warning');
    expect(msg.payload.severity).toBe('warning');
    expect(msg.subject).toBe('[BUDGET_BURN] Public API: burning 1.3x over 3d and 2.0x over 6h');
    expect(msg.text).toContain('Rule:    ticket-3d: ticket at 1.0× over both 3d and 6h');
  });

  it('says a spent budget plainly, and leaves out what it does not know', () => {
    const spent = buildAlertMessage(factsOf(notification({ burn: { ...BURN, budgetRemaining: -0.5 } }), withSlo), withSlo, config.channels);
    const { budgetRemaining: _b, ...unknownBudget } = BURN;
    const unknown = buildAlertMessage(factsOf(notification({ burn: unknownBudget }), api), api, config.channels);

    expect(spent.text).toContain('Budget:  error budget spent (-50.0% left), objective 99.9%');
    expect(unknown.text).toContain('Budget:  objective 99.9%');
    // Without the check's SLO (an outbox written before it was removed) the window is unknown.
    expect(unknown.text).not.toContain('lasts');
    expect(unknown.payload.burn).not.toHaveProperty('budgetRemaining');
  });

  it('keeps the start of an episode held back by a mute and sent after it', () => {
    const held = buildAlertMessage(factsOf(notification({ since: AT - 10 * 60_000 }), withSlo), withSlo, config.channels);
    expect(held.text).toContain('Since:   2026-11-20T09:54:12.000Z (for 10m)');
    expect(held.payload.since).toBe('2026-11-20T09:54:12.000Z');
  });

  it('goes to channels that listen for it, and not to those that list other events only', () => {
    const channels = loadConfigObject({
      defaults: { locations: ['eu-west-1'] },
      channels: { slo: { email: ['slo@example.com'], events: ['BUDGET_BURN'] }, pages: { email: ['p@example.com'], events: ['DOWN', 'RESOLVED'] }, all: { email: ['a@example.com'] } },
      checks: [{ id: 'a', tcp: { host: 'h', port: 1 } }],
    }).channels;
    expect(channelsFor('BUDGET_BURN', ['slo', 'pages', 'all'], channels)).toEqual(['slo', 'all']);
  });
});

describe('the chat and paging payloads', () => {
  it('Slack: red for a page, amber for a ticket, with the rule and the budget as facts', () => {
    const page = renderSlack(burning('slack'), {});
    const tick = renderSlack(toDelivery(buildAlertMessage(factsOf(ticket(), withSlo), withSlo, config.channels)), {});
    const fields = (m: typeof page) => (m.attachments[0]!.blocks[0] as { fields: Array<{ text: string }> }).fields.map((f) => f.text);

    expect(page.attachments[0]!.color).toBe('#D0021B');
    expect(tick.attachments[0]!.color).toBe('#F5A623');
    expect(page.blocks[0]).toMatchObject({ type: 'header', text: { text: 'BUDGET_BURN: Public API' } });
    expect(fields(page)).toEqual(expect.arrayContaining([
      '*State*\nerror budget burning 16.0× over 1h and 48.0× over 5m',
      '*Rule*\npage-1h: page at 14.4× over both 1h and 5m',
      '*Budget*\n62.5% of the error budget left, objective 99.9%',
    ]));
    expect(page.text).toContain('burning 16.0× over 1h and 48.0× over 5m');
  });

  it('Teams: Attention for a page, Warning for a ticket, with the same facts', () => {
    const card = (m: ReturnType<typeof renderTeams>) => m.attachments[0].content.body;
    const page = card(renderTeams(burning('teams'), {}));
    const tick = card(renderTeams(toDelivery(buildAlertMessage(factsOf(ticket(), withSlo), withSlo, config.channels), 'teams'), {}));

    expect(page[0]).toMatchObject({ type: 'TextBlock', text: 'BUDGET_BURN: Public API', color: 'Attention' });
    expect(tick[0]).toMatchObject({ color: 'Warning' });
    const facts = (page[1] as { facts: Array<{ title: string; value: string }> }).facts;
    expect(facts).toEqual(expect.arrayContaining([
      { title: 'State', value: 'error budget burning 16.0× over 1h and 48.0× over 5m' },
      { title: 'Rule', value: 'page-1h: page at 14.4× over both 1h and 5m' },
      { title: 'Budget', value: '62.5% of the error budget left, objective 99.9%' },
    ]));
  });

  it('PagerDuty: one trigger (never a resolve), keyed by the burn episode, critical for a page and warning for a ticket', () => {
    const page = renderPagerDuty(burning('pagerduty'), 'rk', {});
    const tick = renderPagerDuty(toDelivery(buildAlertMessage(factsOf(ticket(), withSlo), withSlo, config.channels), 'pagerduty'), 'rk', {});

    expect(page).toHaveLength(1);
    expect(page[0]).toMatchObject({
      event_action: 'trigger', dedup_key: BURN_INCIDENT,
      payload: { severity: 'critical', class: 'BUDGET_BURN', component: 'api', custom_details: { event: 'BUDGET_BURN', burn: BURN } },
    });
    expect(page[0]!.event_action === 'trigger' && page[0]!.payload.summary).toContain('[BUDGET_BURN] Public API: burning 16.0x over 1h and 48.0x over 5m');
    expect(tick).toEqual([expect.objectContaining({ event_action: 'trigger', dedup_key: 'api:burn:ticket-3d:x', payload: expect.objectContaining({ severity: 'warning' }) })]);
  });

  it('a webhook: the versioned payload with its burn, and the event and dedupe key in the headers', () => {
    const [req] = renderDelivery(burning('webhook', {}), { kind: 'webhook', url: 'https://hooks.example.com/x', secret: 's' }, { now: AT, links: {}, attempt: 1 });
    const body = JSON.parse(req!.body) as Record<string, unknown>;

    expect(body).toMatchObject({ schemaVersion: 1, event: 'BUDGET_BURN', severity: 'critical', dedupeKey: `${BURN_INCIDENT}:BUDGET_BURN:1`, burn: BURN });
    expect(req!.headers).toMatchObject({ 'vantage-event': 'BUDGET_BURN', 'vantage-dedupe-key': `${BURN_INCIDENT}:BUDGET_BURN:1` });
    expect(req!.headers['vantage-signature']).toBeDefined();
  });
});

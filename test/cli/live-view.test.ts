/**
 * The live view's model and rendering, fed events the way the pipeline emits them. Pure: time and
 * terminal width are passed in.
 */
import { describe, expect, it } from 'vitest';
import { applyEvent, createModel, describe as describeEvent, keyAction, plainView, renderScreen, shownOverall, type ViewEvent } from '../../cli/live-view.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import type { Mute } from '../../shared/evaluate/index.ts';

const config = loadConfigObject({
  defaults: { locations: ['us-east-1', 'eu-west-1', 'ap-southeast-1'], interval: '5s', timeout: '2s' },
  checks: [{ id: 'demo-api', http: { url: 'http://127.0.0.1:47801/health' } }, { id: 'demo-tcp', tcp: { host: '127.0.0.1', port: 47802 } }],
});
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const result = (checkId: string, location: string, ok: boolean, extra: Partial<Extract<ViewEvent, { type: 'result' }>> = {}): ViewEvent => ({
  type: 'result', checkId, location, ts: new Date(T0).toISOString(), ok, status: ok ? 'up' : 'down', latencyMs: 4.2, retries: 0,
  ...(!ok && { reason: 'status_code', httpStatus: 503 }), ...extra,
});
const failingState = (failing: string[]): ViewEvent => ({
  type: 'state', checkId: 'demo-api', overall: failing.length >= 2 ? 'DOWN' : 'PARTIAL', version: 3,
  locations: Object.fromEntries(['us-east-1', 'eu-west-1', 'ap-southeast-1'].map((l) => [l, {
    failing: failing.includes(l), consecutiveFailures: failing.includes(l) ? 2 : 0, consecutiveSuccesses: 0, degraded: false, silent: false,
  }])),
});

describe('live view', () => {
  it('shows one row per check with each location\'s state, latency and failure reason', () => {
    const model = createModel(config.checks, T0);
    for (const l of ['us-east-1', 'eu-west-1', 'ap-southeast-1']) {
      applyEvent(model, result('demo-api', l, l === 'us-east-1'), T0);
      applyEvent(model, result('demo-tcp', l, true), T0);
    }
    applyEvent(model, failingState(['eu-west-1', 'ap-southeast-1']), T0);

    const lines = renderScreen(model, { now: T0 + 65_000, width: 120, color: false });

    expect(lines[0]).toMatch(/^Vantage dev · up 1m05s · starting/);
    const api = lines.find((l) => l.startsWith('demo-api'))!;
    expect(api).toMatch(/^demo-api\s+DOWN\s+up 4\.2ms\s+FAILING 503\s+FAILING 503$/);
    expect(lines.find((l) => l.startsWith('demo-tcp'))).toMatch(/UP\s+up 4\.2ms\s+up 4\.2ms\s+up 4\.2ms/);
    expect(lines).toContain('  (none yet)');
  });

  it('counts failures below the threshold as pending, and shows UP only once every location passed', () => {
    const model = createModel(config.checks, T0);
    applyEvent(model, result('demo-api', 'us-east-1', true), T0);
    expect(shownOverall(model.rows[0]!)).toBe('PENDING');
    applyEvent(model, result('demo-api', 'eu-west-1', false, { reason: 'connect_refused', httpStatus: undefined }), T0);
    applyEvent(model, result('demo-api', 'ap-southeast-1', true), T0);

    const api = renderScreen(model, { now: T0, width: 120, color: false }).find((l) => l.startsWith('demo-api'))!;

    expect(api).toMatch(/PENDING\s+up 4\.2ms\s+fail 1\/2 connect_refused\s+up 4\.2ms/);
  });

  it('shows a failing location that passes again as recovering until the evaluator clears it', () => {
    const model = createModel(config.checks, T0);
    for (const l of ['us-east-1', 'eu-west-1', 'ap-southeast-1']) applyEvent(model, result('demo-api', l, false), T0);
    applyEvent(model, failingState(['us-east-1', 'eu-west-1', 'ap-southeast-1']), T0);
    applyEvent(model, result('demo-api', 'us-east-1', true, { latencyMs: 2 }), T0 + 5_000);

    const api = renderScreen(model, { now: T0, width: 120, color: false }).find((l) => l.startsWith('demo-api'))!;

    expect(api).toMatch(/DOWN\s+recovering 1\/2 2\.0ms\s+FAILING 503\s+FAILING 503/);
  });

  it('lists notifications newest first and shows the last email, cut to the terminal height', () => {
    const model = createModel(config.checks, T0);
    applyEvent(model, { type: 'notification', messageId: 'm1', event: 'DOWN', checkId: 'demo-api', subject: '[DOWN] demo-api: 3/3 locations failing', channels: ['hooks'] }, T0);
    applyEvent(model, { type: 'notification', messageId: 'm2', event: 'RESOLVED', checkId: 'demo-api', subject: '[RESOLVED] demo-api: up again after 40s', channels: ['hooks'] }, T0 + 40_000);
    applyEvent(model, { type: 'email', messageId: 'm2', channel: 'console', to: ['oncall@example.com'], subject: '[RESOLVED] demo-api', text: Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') }, T0 + 40_000);

    const lines = renderScreen(model, { now: T0 + 41_000, width: 100, color: false, height: 30 });

    const i = lines.indexOf('Recent notifications');
    expect(lines.slice(i + 1, i + 3)).toEqual(['  10:00:40  [RESOLVED] demo-api: up again after 40s', '  10:00:00  [DOWN] demo-api: 3/3 locations failing']);
    expect(lines.some((l) => l.startsWith('Last email (10:00:40) to oncall@example.com'))).toBe(true);
    expect(lines.some((l) => /… \d+ more line\(s\)/.test(l))).toBe(true);
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines.every((l) => l.length <= 100)).toBe(true);
  });

  it('in plain mode, writes one line per check and round, and a line when the state changes', () => {
    let out = '';
    const view = plainView({ checks: config.checks, terminal: { write: (t) => { out += t; } }, now: () => T0 });
    for (const l of ['us-east-1', 'eu-west-1', 'ap-southeast-1']) view.event(result('demo-api', l, l === 'us-east-1'));
    view.event(failingState(['eu-west-1', 'ap-southeast-1']));
    view.event(failingState(['eu-west-1', 'ap-southeast-1']));
    view.close();

    expect(out.split('\n').filter(Boolean)).toEqual([
      '10:00:00 probe  demo-api       PENDING  us-east-1 up 4.2ms · eu-west-1 fail 1/2 503 · ap-southeast-1 fail 1/2 503',
      '10:00:00 state  demo-api is now DOWN',
    ]);
  });
});

describe('live view: stopping locations', () => {
  const ready: ViewEvent = {
    type: 'ready', dynamodb: 'http://127.0.0.1:8000', sns: 'http://127.0.0.1:8001', tableName: 't', topicArn: 'arn:t', region: 'us-east-1',
    checks: ['demo-api', 'demo-tcp'], locations: ['us-east-1', 'eu-west-1', 'ap-southeast-1'], schedules: [], sweepEveryMs: 5_000,
  };

  it('maps the digits to the locations in column order, Ctrl-C to an interrupt, and ignores other keys', () => {
    const locations = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
    expect(keyAction('1', locations)).toEqual({ type: 'toggle', location: 'us-east-1' });
    expect(keyAction('3', locations)).toEqual({ type: 'toggle', location: 'ap-southeast-1' });
    expect(keyAction('4', locations)).toBeUndefined();
    expect(keyAction('0', locations)).toBeUndefined();
    expect(keyAction('q', locations)).toBeUndefined();
    expect(keyAction('\x03', locations)).toEqual({ type: 'interrupt' });
  });

  it('numbers the location columns, marks a stopped one until it starts again, and offers the keys in the footer', () => {
    const model = createModel(config.checks, T0);
    applyEvent(model, ready, T0);
    applyEvent(model, { type: 'control', url: 'http://127.0.0.1:4567' }, T0);
    applyEvent(model, { type: 'location_stopped', location: 'eu-west-1' }, T0);

    const lines = renderScreen(model, { now: T0, width: 140, color: false, keys: true });
    expect(lines.find((l) => l.startsWith('CHECK'))).toMatch(/1:us-east-1\s+2:eu-west-1 STOPPED\s+3:ap-southeast-1/);
    expect(lines).toContainEqual(expect.stringMatching(/^keys 1-3 stop\/start a location · Ctrl-C stops everything/));
    expect(lines).toContainEqual('control: http://127.0.0.1:4567 (POST /locations/<name>/stop or /start)');
    expect(lines).toContainEqual(expect.stringMatching(/location eu-west-1 stopped: it writes nothing/));

    applyEvent(model, { type: 'location_started', location: 'eu-west-1' }, T0);
    const after = renderScreen(model, { now: T0, width: 140, color: false });
    expect(after.find((l) => l.startsWith('CHECK'))).not.toMatch(/STOPPED/);
    expect(after.some((l) => l.startsWith('keys'))).toBe(false);
  });

  it('in plain mode, prints the control URL as a line of its own', () => {
    let out = '';
    const view = plainView({ checks: config.checks, terminal: { write: (t) => { out += t; } }, now: () => T0 });
    view.event({ type: 'control', url: 'http://127.0.0.1:4567' });
    view.close();
    expect(out.split('\n')).toContain('control: http://127.0.0.1:4567');
  });
});

describe('live view: agent locations', () => {
  const COMMAND = '/opt/node/bin/node /src/vantage/cli/vantage.mjs agent --location us-east-1 --endpoint http://127.0.0.1:8000 --table t';
  const agentReady: ViewEvent = {
    type: 'ready', dynamodb: 'http://127.0.0.1:8000', sns: 'http://127.0.0.1:8001', tableName: 't', topicArn: 'arn:t', region: 'us-east-1',
    checks: ['demo-api'], locations: ['eu-west-1', 'ap-southeast-1'], agentLocations: ['us-east-1'], schedules: [], sweepEveryMs: 5_000,
  };

  it('in plain mode, prints `agent: <command>` as a line of its own, and names the agent locations when ready', () => {
    let out = '';
    const view = plainView({ checks: config.checks, terminal: { write: (t) => { out += t; } }, now: () => T0 });
    view.event(agentReady);
    view.event({ type: 'agent', location: 'us-east-1', command: COMMAND });
    view.close();
    const lines = out.split('\n');
    expect(lines).toContain(`agent: ${COMMAND}`);
    expect(lines.find((l) => l.includes('ready:'))).toMatch(/from eu-west-1, ap-southeast-1, us-east-1 \(agents\)$/);
  });

  it('on the live screen, keeps a column for the agent location (no key), fed by its results, and the whole command in the footer', () => {
    const model = createModel(config.checks, T0);
    applyEvent(model, agentReady, T0);
    applyEvent(model, { type: 'agent', location: 'us-east-1', command: COMMAND }, T0);
    applyEvent(model, result('demo-api', 'us-east-1', true, { instance: 'a1' }), T0);
    const lines = renderScreen(model, { now: T0, width: 100, color: false, keys: true });
    expect(lines.find((l) => l.startsWith('CHECK'))).toMatch(/1:eu-west-1\s+2:ap-southeast-1\s+us-east-1$/);
    expect(lines.find((l) => l.startsWith('demo-api'))).toMatch(/up 4\.2ms$/);
    // Longer than the screen is wide, and whole: a clipped command would not run when pasted.
    expect(lines).toContain(`agent: ${COMMAND}`);
    expect(model.activity.some((a) => a.text.startsWith('agent:'))).toBe(false);
  });
});

describe('live view: maintenance', () => {
  const WINDOW = { kind: 'maintenance' as const, name: 'weekly-deploy', start: T0, end: T0 + 30 * 60_000 };
  const muted = (failing: string[], mute: Mute = WINDOW): ViewEvent => ({ ...(failingState(failing) as Extract<ViewEvent, { type: 'state' }>), mute });

  it('shows a check in a window as MAINTENANCE with its counted state, and which window until when, while the window lasts', () => {
    const model = createModel(config.checks, T0);
    for (const l of ['us-east-1', 'eu-west-1', 'ap-southeast-1']) applyEvent(model, result('demo-api', l, false), T0);
    applyEvent(model, muted(['us-east-1', 'eu-west-1', 'ap-southeast-1']), T0);

    const lines = renderScreen(model, { now: T0 + 60_000, width: 140, color: false });
    expect(lines.find((l) => l.startsWith('demo-api'))).toMatch(/^demo-api\s+MAINTENANCE \(DOWN\)\s+FAILING 503\s+FAILING 503\s+FAILING 503$/);
    expect(lines.find((l) => l.startsWith('CHECK'))).toMatch(/^CHECK\s+STATE {14}/);
    expect(lines).toContain('  demo-api: window weekly-deploy until 10:30:00Z');

    // Past its end, before the sweep has written the state again, the window no longer holds.
    const after = renderScreen(model, { now: T0 + 30 * 60_000, width: 140, color: false });
    expect(after.find((l) => l.startsWith('demo-api'))).toMatch(/^demo-api\s+DOWN\s+FAILING/);
    expect(after.some((l) => l.includes('weekly-deploy'))).toBe(false);
  });

  it('forgets the mute when a state arrives without one', () => {
    const model = createModel(config.checks, T0);
    applyEvent(model, muted(['us-east-1']), T0);
    applyEvent(model, failingState(['us-east-1']), T0 + 1000);
    expect(model.rows[0]!.mute).toBeUndefined();
  });

  it('in plain mode, says when a window starts and ends, with the counted state, and shows MAINTENANCE in the round line', () => {
    let out = '';
    let clock = T0;
    const view = plainView({ checks: config.checks, terminal: { write: (t) => { out += t; } }, now: () => clock });
    view.event(muted(['eu-west-1', 'ap-southeast-1']));
    for (const l of ['us-east-1', 'eu-west-1', 'ap-southeast-1']) view.event(result('demo-api', l, l === 'us-east-1'));
    clock = T0 + 30 * 60_000;
    view.event(failingState(['eu-west-1', 'ap-southeast-1']));
    view.close();

    expect(out.split('\n').filter(Boolean)).toEqual([
      '10:00:00 state  demo-api is in MAINTENANCE (window weekly-deploy until 10:30:00Z): results counted, nothing sent; counted DOWN',
      '10:00:00 state  demo-api is now MAINTENANCE (DOWN)',
      '10:00:00 probe  demo-api       MAINTENANCE (DOWN) us-east-1 up 4.2ms · eu-west-1 FAILING 503 · ap-southeast-1 FAILING 503',
      '10:30:00 state  demo-api maintenance ended (window weekly-deploy); counted DOWN',
    ]);
  });

  it('shows a silence by its id, and an ESCALATION notification as a page', () => {
    const model = createModel(config.checks, T0);
    applyEvent(model, muted(['us-east-1'], { kind: 'silence', name: 's-0a1b2c3d', start: T0, end: T0 + 2 * 86_400_000 }), T0);
    applyEvent(model, { type: 'notification', messageId: 'm1', event: 'ESCALATION', checkId: 'demo-tcp', subject: '[ESCALATION] demo-tcp: level 1, DOWN for 15m', channels: ['manager'] }, T0);

    const lines = renderScreen(model, { now: T0, width: 140, color: true });
    expect(lines).toContain('\x1b[2m  demo-api: silence s-0a1b2c3d until 2026-11-22T10:00:00Z\x1b[0m');
    expect(lines).toContain('\x1b[31m  10:00:00  [ESCALATION] demo-tcp: level 1, DOWN for 15m\x1b[0m');
  });

  it('in plain mode, gives one line per notifier event, by channel and target key, never a URL', () => {
    let out = '';
    const view = plainView({ checks: config.checks, terminal: { write: (t) => { out += t; } }, now: () => T0 });
    const d = { channel: 'oncall', kind: 'pagerduty', event: 'DOWN', dedupeKey: 'demo-api:1:DOWN:1', checkId: 'demo-api' } as const;
    const events: ViewEvent[] = [
      { type: 'delivery_failed', ...d, target: 'pagerduty', attempt: 1, status: 500, error: 'HTTP 500', retryInMs: 1_000 },
      { type: 'delivered', ...d, target: 'pagerduty', status: 202, attempt: 2, ms: 35 },
      { type: 'dead_lettered', ...d, kind: 'webhook', target: 'webhook[1]', attempt: 1, status: 410, error: 'HTTP 410', permanent: true },
      { type: 'duplicate_skipped', channel: 'oncall', target: 'slack', dedupeKey: 'demo-api:1:DOWN:1' },
      { type: 'channel_failing', channel: 'oncall', target: 'pagerduty', failures: 3, notified: ['ops', 'chat'] },
      { type: 'channel_recovered', channel: 'oncall', target: 'pagerduty' },
      // Its warnings repeat the events above; its errors say what no event says.
      { type: 'log', source: 'notifier', level: 'WARN', message: 'delivery failed' },
      { type: 'log', source: 'notifier', level: 'ERROR', message: 'delivery not handled', fields: { error: 'STORE_UNAVAILABLE' } },
    ];
    for (const e of events) view.event(e);
    view.close();

    expect(out.split('\n').filter(Boolean)).toEqual([
      '10:00:00 delivery failed DOWN of demo-api → oncall/pagerduty: HTTP 500 (attempt 1); retrying in 1s',
      '10:00:00 delivered DOWN of demo-api → oncall/pagerduty: 202 in 35 ms (attempt 2)',
      '10:00:00 dead-lettered DOWN of demo-api → oncall/webhook[1] (webhook): HTTP 410 (permanent, attempt 1); it waits in the dead-letter queue',
      '10:00:00 already delivered to oncall/slack: demo-api:1:DOWN:1 skipped',
      '10:00:00 channel oncall/pagerduty is failing (3 failed attempts in a row); CHANNEL_FAILING sent to ops, chat',
      '10:00:00 channel oncall/pagerduty delivers again',
      '10:00:00 notifier ERROR: delivery not handled {"error":"STORE_UNAVAILABLE"}',
    ]);
  });
});

describe('live view: what the demo receiver got', () => {
  const line = (body: unknown) => describeEvent({ type: 'receiver', path: '/x', attempt: 2, body })?.text;
  it('names each kind of delivery by the shape of its body, never printing more than its first line', () => {
    expect(line({ event: 'DOWN', checkId: 'api' })).toBe('demo webhook receiver got DOWN for api (attempt 2)');
    expect(line({ routing_key: 'k', event_action: 'resolve', dedup_key: 'api#1' })).toBe('demo webhook receiver got a PagerDuty resolve of api#1 (attempt 2)');
    expect(line({ text: 'DOWN: Public API (api)\n\nCheck: api', blocks: [] })).toBe('demo webhook receiver got a Slack message: DOWN: Public API (api) (attempt 2)');
    expect(line({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: {} }] })).toBe('demo webhook receiver got a Teams Adaptive Card (attempt 2)');
    expect(line('not json')).toBe('demo webhook receiver got a request (attempt 2)');
  });
});

describe('live view: sub-millisecond latencies', () => {
  it('shows an ICMP round trip on loopback in hundredths, not as 0.0ms', () => {
    let out = '';
    const view = plainView({ checks: config.checks, terminal: { write: (t) => { out += t; } }, now: () => T0 });
    for (const l of ['us-east-1', 'eu-west-1', 'ap-southeast-1']) view.event(result('demo-api', l, true, { latencyMs: l === 'us-east-1' ? 0.04 : 12.34 }));
    view.close();
    expect(out).toContain('us-east-1 up 0.04ms · eu-west-1 up 12.3ms');
  });
});

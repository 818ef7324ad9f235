/**
 * One attempt (`deliverOnce`) against real receivers on 127.0.0.1: how each answer is classified, how
 * Retry-After and the per-attempt timeout apply, and how little of a response is kept. Plus the
 * backoff schedule and the secret resolver's rules.
 */
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { deliveriesOf } from '../../shared/alert/delivery-queue.ts';
import { buildAlertMessage } from '../../shared/alert/message.ts';
import { SecretResolveError } from '../../shared/aws/secrets.ts';
import { loadConfigObject } from '../../shared/config/load.ts';
import { deliverOnce, RESPONSE_HEAD_BYTES, retryAfterMs, fetchPost, type DeliverDeps } from '../../shared/usecases/notify/deliver.ts';
import { AWS_NOTIFIER_RETRY, backoffMs, LOCAL_NOTIFIER_RETRY } from '../../shared/usecases/notify/notifier-handler.ts';
import { channelSecretResolver } from '../../shared/usecases/notify/secrets.ts';
import { closedPort, closeServer, listenLoopback } from '../support/http-servers.ts';
import { scriptedReceiver, type Receiver } from './harness.ts';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => { await Promise.all(closers.map((c) => c())); });

async function receiver(...args: Parameters<typeof scriptedReceiver>): Promise<Receiver> {
  const r = await scriptedReceiver(...args);
  closers.push(() => r.close());
  return r;
}

const NOW = Date.parse('2026-11-20T10:02:00.000Z');

function oneDelivery(url: string, extra: Record<string, unknown> = {}) {
  const config = loadConfigObject({
    defaults: { locations: ['eu-west-1'] },
    channels: { hooks: { webhook: [url], ...extra } },
    checks: [{ id: 'api', http: { url: 'https://api.example.com/' }, alerting: { channels: ['hooks'] } }],
  });
  const alert = buildAlertMessage({ event: 'DOWN', checkId: 'api', incidentId: 'api#1', dedupeKey: 'api#1#DOWN', at: NOW, locations: [], locationCount: 1 }, config.checks[0]!, config.channels);
  const [message] = deliveriesOf(alert, config.channels, NOW);
  const deps: DeliverDeps = { channels: config.channels, resolveSecret: channelSecretResolver({ env: {} }), clock: () => NOW, attemptTimeoutMs: 2_000 };
  return { message: message!, deps };
}

describe('deliverOnce classifies', () => {
  it.each([
    [204, 'delivered'], [200, 'delivered'],
    [408, 'retry'], [425, 'retry'], [429, 'retry'], [500, 'retry'], [503, 'retry'],
    [301, 'permanent'], [400, 'permanent'], [401, 'permanent'], [404, 'permanent'], [410, 'permanent'],
  ])('HTTP %i as %s', async (status, result) => {
    const r = await receiver(() => ({ status, ...(status === 301 && { headers: { location: '/elsewhere' } }) }));
    const { message, deps } = oneDelivery(r.url());
    const outcome = await deliverOnce(message, deps);
    expect(outcome.result).toBe(result);
    if (outcome.result !== 'delivered') expect(outcome.error).toBe(`HTTP ${status}`);
  });

  it('a message the renderer cannot read as permanent, without posting anything', async () => {
    const r = await receiver();
    const config = loadConfigObject({ defaults: { locations: ['eu-west-1'] }, channels: { chat: { slack: { url: r.url('/slack') } } }, checks: [{ id: 'api', http: { url: 'https://api.example.com/' }, alerting: { channels: ['chat'] } }] });
    const alert = buildAlertMessage({ event: 'DOWN', checkId: 'api', incidentId: 'api#1', dedupeKey: 'api#1#DOWN', at: NOW, locations: [], locationCount: 1 }, config.checks[0]!, config.channels);
    const [good] = deliveriesOf(alert, config.channels, NOW);
    // A hand-written (or damaged) queue body: it parses as a delivery, but its payload has no locations.
    const damaged = { ...good!, payload: { schemaVersion: 1, event: 'DOWN' } as unknown as NonNullable<typeof good>['payload'] };
    const deps: DeliverDeps = { channels: config.channels, resolveSecret: channelSecretResolver({ env: {} }), clock: () => NOW };
    expect(await deliverOnce(damaged, deps)).toMatchObject({ result: 'permanent', error: 'DELIVERY_MESSAGE_INVALID' });
    expect(r.hits).toHaveLength(0);
  });

  it('a refused connection as a retry with the system error code', async () => {
    const { message, deps } = oneDelivery(`http://127.0.0.1:${await closedPort()}/hook`);
    expect(await deliverOnce(message, deps)).toMatchObject({ result: 'retry', error: 'ECONNREFUSED' });
  });

  it('a receiver that never answers as TIMEOUT after the attempt timeout', async () => {
    const server = http.createServer(() => { /* never answers */ });
    const port = await listenLoopback(server);
    closers.push(() => closeServer(server));
    const { message, deps } = oneDelivery(`http://127.0.0.1:${port}/hook`);
    expect(await deliverOnce(message, { ...deps, attemptTimeoutMs: 200 })).toMatchObject({ result: 'retry', error: 'TIMEOUT' });
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    const r = await receiver((_, i) => ({ status: 429, headers: { 'retry-after': i === 0 ? '7' : new Date(NOW + 42_000).toUTCString() } }));
    const { message, deps } = oneDelivery(r.url());
    expect(await deliverOnce(message, deps)).toMatchObject({ result: 'retry', retryAfterMs: 7_000 });
    expect(await deliverOnce(message, deps)).toMatchObject({ result: 'retry', retryAfterMs: 42_000 });
    expect(retryAfterMs('soon', NOW)).toBeUndefined();
  });

  it('a channel or target the definitions no longer have as permanent', async () => {
    const { message, deps } = oneDelivery('http://127.0.0.1:9/hook');
    expect(await deliverOnce({ ...message, target: 'webhook[3]' }, deps)).toMatchObject({ result: 'permanent', error: 'DELIVERY_TARGET_UNKNOWN' });
    expect(await deliverOnce({ ...message, channel: 'gone' }, deps)).toMatchObject({ result: 'permanent', error: 'DELIVERY_TARGET_UNKNOWN' });
    expect(await deliverOnce({ ...message, target: 'slack', kind: 'slack' }, deps)).toMatchObject({ result: 'permanent', error: 'DELIVERY_TARGET_UNKNOWN' });
  });

  it('a secret AWS cannot give now as a retry, one that does not exist as permanent', async () => {
    const r = await receiver();
    const { message, deps } = oneDelivery(r.url(), {});
    const secretHook = loadConfigObject({
      defaults: { locations: ['eu-west-1'] },
      channels: { hooks: { webhook: [{ url: r.url(), secret: { secretsManager: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hook' } }] } },
      checks: [{ id: 'api', http: { url: 'https://api.example.com/' }, alerting: { channels: ['hooks'] } }],
    }).channels;
    const failWith = (reason: 'unavailable' | 'not_found') => channelSecretResolver({ env: {}, aws: () => Promise.reject(new SecretResolveError(reason, 'cannot read')) });
    expect(await deliverOnce(message, { ...deps, channels: secretHook, resolveSecret: failWith('unavailable') })).toMatchObject({ result: 'retry', error: 'SECRET_UNRESOLVED' });
    expect(await deliverOnce(message, { ...deps, channels: secretHook, resolveSecret: failWith('not_found') })).toMatchObject({ result: 'permanent', error: 'SECRET_UNRESOLVED' });
    // Without an AWS resolver (vantage dev with no AWS access) a reference cannot be read at all.
    expect(await deliverOnce(message, { ...deps, channels: secretHook })).toMatchObject({ result: 'permanent', error: 'SECRET_UNRESOLVED' });
    expect(r.hits).toHaveLength(0);
  });
});

describe('fetchPost', () => {
  it('keeps at most 4 KiB of a large response', async () => {
    const r = await receiver(() => ({ status: 500, body: 'x'.repeat(1 << 20) }));
    const res = await fetchPost({ url: r.url(), body: '{}', headers: { 'content-type': 'application/json' } }, { timeoutMs: 5_000 });
    expect(res.status).toBe(500);
    expect(res.body.length).toBe(RESPONSE_HEAD_BYTES);
  });
  it('does not follow a redirect: the 3xx is the answer, and nothing reaches the new location', async () => {
    const elsewhere = await receiver(() => ({ status: 200, body: 'ok' }));
    const moved = await receiver(() => ({ status: 308, headers: { location: elsewhere.url() }, body: '' }));
    const res = await fetchPost({ url: moved.url(), body: '{}', headers: { 'content-type': 'application/json' } }, { timeoutMs: 5_000 });
    expect(res.status).toBe(308);
    expect(elsewhere.hits).toHaveLength(0);
  });
});

describe('backoffMs', () => {
  const none = () => 0.5;
  it('doubles from the base, in whole seconds, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => backoffMs(a, AWS_NOTIFIER_RETRY, none))).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000]);
    expect(backoffMs(1, LOCAL_NOTIFIER_RETRY, none)).toBe(1_000);
  });
  it('jitters by at most 20% either way', () => {
    expect(backoffMs(2, AWS_NOTIFIER_RETRY, () => 0)).toBe(16_000);
    expect(backoffMs(2, AWS_NOTIFIER_RETRY, () => 0.999_999)).toBe(24_000);
  });
  it('waits at least Retry-After, never past the cap, never under a second', () => {
    expect(backoffMs(1, AWS_NOTIFIER_RETRY, none, 60_000)).toBe(60_000);
    expect(backoffMs(1, AWS_NOTIFIER_RETRY, none, 3_600_000)).toBe(300_000);
    expect(backoffMs(1, { ...AWS_NOTIFIER_RETRY, baseDelayMs: 200 }, none)).toBe(1_000);
  });
});

describe('channelSecretResolver', () => {
  it('expands ${env:} in plain strings and refuses an unset variable', async () => {
    const resolve = channelSecretResolver({ env: { TOKEN: 'abc123' } });
    expect(await resolve('Bearer ${env:TOKEN}')).toBe('Bearer abc123');
    expect(await resolve('plain')).toBe('plain');
    await expect(resolve('${env:NOPE}')).rejects.toMatchObject({ code: 'SECRET_UNRESOLVED' });
  });
  it('hands references to the AWS resolver when there is one', async () => {
    const resolve = channelSecretResolver({ env: {}, aws: (ref) => Promise.resolve('ssm' in ref ? `from ${ref.ssm}` : 'sm') });
    expect(await resolve({ ssm: '/vantage/teams' })).toBe('from /vantage/teams');
  });
});

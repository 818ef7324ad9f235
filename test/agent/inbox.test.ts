/**
 * Agent inbox traffic on DynamoDB Local: two instances serving one location's inbox, a retest sender
 * asking a sibling, confirmations to any instance, stale and orphaned requests, and stopping.
 * Polls are a few ms apart so the loops turn quickly; no assertion bounds wall-clock time.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProbeResult } from '../../shared/probe/types.ts';
import type { ConfirmRequest, RetestRequest } from '../../shared/requests.ts';
import { ANY_INSTANCE, createAgentStore, type AgentRequest, type AgentStore, type InboxItem } from '../../shared/store/agents.ts';
import { inboxConfirmSender, inboxRetestSender, routeConfirms, serveInbox, type InboxOutcome } from '../../shared/usecases/agent/inbox.ts';
import { confirmRequests, sendConfirmations } from '../../shared/usecases/confirm.ts';
import type { Check } from '../../shared/config/schema.ts';
import { NOT_SENT } from '../../shared/usecases/probe-requests.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';

let db: TestDynamoDb;
beforeAll(async () => {
  db = await startTestDynamoDb();
});
afterAll(async () => {
  await db?.stop();
});

const LOC = 'factory';
const POLL_MS = 10;
const iso = (ms: number) => new Date(ms).toISOString();
const WAIT = { timeout: 15_000, interval: 10 };

function probeResult(checkId: string, over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    checkId, kind: 'http', target: 'http://127.0.0.1:8080/', location: LOC, startedAt: iso(Date.now()), ok: true, status: 'up',
    phases: { total: 1 }, assertions: [], ...over,
  };
}

const retest = (checkId: string, from = 'a-1'): RetestRequest => ({ type: 'vantage.retest', checkId, from, requestedAt: iso(Date.now()) });
const confirm = (checkIds: string[]): ConfirmRequest => ({ type: 'vantage.confirm', checkIds, from: 'eu-west-1', requestedAt: iso(Date.now()) });

interface Served {
  instance: string;
  request: AgentRequest;
}

/** One serving instance: what it ran, what it reported, and how to stop it. */
function server(store: AgentStore, self: string, log: Served[], opts: { handle?: (r: AgentRequest, s: AbortSignal) => Promise<unknown> } = {}) {
  const stop = new AbortController();
  const outcomes: Array<[string, InboxOutcome]> = [];
  const errors: unknown[] = [];
  let reads = 0;
  const counted: AgentStore = { ...store, readInbox: (l) => { reads++; return store.readInbox(l); } };
  const done = serveInbox({
    store: counted, location: LOC, self, pollMs: POLL_MS, signal: stop.signal,
    handle: async (request, signal) => {
      log.push({ instance: self, request });
      if (opts.handle) return opts.handle(request, signal);
      return probeResult(request.type === 'vantage.retest' ? request.checkId : request.checkIds[0]!);
    },
    onRequest: (item: InboxItem, outcome) => outcomes.push([item.id, outcome]),
    onError: (err) => errors.push(err),
  });
  return { done, outcomes, errors, reads: () => reads, stop: () => { stop.abort(); return done; } };
}

async function freshStore() {
  const { tableName } = await db.newTable();
  return createAgentStore({ client: db.client, tableName });
}

describe('retests on a sibling', () => {
  it('are served by the other instance, never the asker, and come back stamped with its id', async () => {
    // Prepare
    const store = await freshStore();
    const log: Served[] = [];
    const a = server(store, 'a-1', log);
    const b = server(store, 'b-2', log);
    const send = inboxRetestSender({ store, location: LOC, self: 'a-1', livePeers: () => ['a-1', 'b-2'], pollMs: POLL_MS, timeoutOf: () => 10_000 });

    // Act
    const results = await Promise.all(['api', 'web', 'dns', 'db'].map((id) => send(retest(id))));
    await Promise.all([a.stop(), b.stop()]);

    // Assess
    expect(results.map((r) => [r.checkId, r.instance])).toEqual([['api', 'b-2'], ['web', 'b-2'], ['dns', 'b-2'], ['db', 'b-2']]);
    expect(log.map((s) => s.instance)).toEqual(['b-2', 'b-2', 'b-2', 'b-2']);
    expect(b.outcomes.map(([, o]) => o)).toEqual(['served', 'served', 'served', 'served']);
    expect(a.outcomes).toEqual([]);
    expect([...a.errors, ...b.errors]).toEqual([]);
    expect(await store.readInbox(LOC)).toEqual([]);
  });

  it('with no live peer but itself, throws RETEST_NO_LIVE_PEER and writes nothing', async () => {
    const store = await freshStore();
    const send = inboxRetestSender({ store, location: LOC, self: 'a-1', livePeers: () => ['a-1'], timeoutOf: () => 1_000 });

    await expect(send(retest('api'))).rejects.toMatchObject({ code: 'RETEST_NO_LIVE_PEER' });
    expect(await store.readInbox(LOC)).toEqual([]);
  });

  it('when the deadline passes without a reply, throws RETEST_TIMEOUT and withdraws the request', async () => {
    // Prepare: a clock that moves only when the sender sleeps, so the deadline passes after exactly 4 polls.
    const store = await freshStore();
    let t = Date.now();
    const sleeps: number[] = [];
    const send = inboxRetestSender({
      store, location: LOC, self: 'a-1', livePeers: () => ['b-2'], pollMs: 250, timeoutOf: () => 1_000,
      clock: () => t, sleep: async (ms) => { sleeps.push(ms); t += ms; },
    });

    // Act
    const outcome = send(retest('api'));

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'RETEST_TIMEOUT' });
    expect(sleeps).toEqual([250, 250, 250, 250]);
    expect(await store.readInbox(LOC)).toEqual([]);
  });

  it('stops waiting when its signal fires', async () => {
    const store = await freshStore();
    const cancel = new AbortController();
    const send = inboxRetestSender({ store, location: LOC, self: 'a-1', livePeers: () => ['b-2'], pollMs: POLL_MS, timeoutOf: () => 600_000 });

    const outcome = send(retest('api'), cancel.signal);
    await vi.waitFor(async () => expect(await store.readInbox(LOC)).toHaveLength(1), WAIT);
    cancel.abort();

    await expect(outcome).rejects.toMatchObject({ code: 'RETEST_TIMEOUT' });
  });
});

describe('confirmations to any instance', () => {
  it('each is served exactly once across two servers', async () => {
    // Prepare
    const store = await freshStore();
    const log: Served[] = [];
    const a = server(store, 'a-1', log);
    const b = server(store, 'b-2', log);
    const sendConfirm = inboxConfirmSender(store);
    const ids = Array.from({ length: 12 }, (_, i) => `check-${i}`);

    // Act
    await Promise.all(ids.map((id) => sendConfirm(LOC, confirm([id]))));
    await vi.waitFor(() => expect(log).toHaveLength(ids.length), WAIT);
    // More polls by both, after which a repeat would have shown.
    await morePolls([a, b], 3);
    await Promise.all([a.stop(), b.stop()]);

    // Assess
    expect(log.map((s) => (s.request as ConfirmRequest).checkIds[0]).sort()).toEqual([...ids].sort());
    const served = [...a.outcomes, ...b.outcomes].filter(([, o]) => o === 'served');
    expect(new Set(served.map(([id]) => id)).size).toBe(ids.length);
    expect(served).toHaveLength(ids.length);
    expect(await store.readInbox(LOC)).toEqual([]);
  });

  it('inboxConfirmSender writes to `*` with a deadline 60 s on', async () => {
    const store = await freshStore();
    const now = new Date(Date.now());
    await inboxConfirmSender(store, () => now)(LOC, confirm(['api']));
    const [item] = await store.readInbox(LOC);
    expect(item).toMatchObject({ to: ANY_INSTANCE, deadlineAt: iso(now.getTime() + 60_000) });
  });

  it('routeConfirms sends agent locations to the inbox, others to the other sender, or skips them', async () => {
    const seen: string[] = [];
    const inbox = async (l: string) => { seen.push(`inbox:${l}`); };
    const lambda = async (l: string) => { seen.push(`lambda:${l}`); };
    const agents = new Set(['factory']);

    await routeConfirms(agents, inbox, lambda)('factory', confirm(['x']));
    await routeConfirms(agents, inbox, lambda)('eu-west-1', confirm(['x']));
    const skipped = await routeConfirms(agents, inbox)('us-east-1', confirm(['x']));

    expect(seen).toEqual(['inbox:factory', 'lambda:eu-west-1']);
    expect(skipped).toBe(NOT_SENT);
  });

  it('a skipped location is not counted as a confirmation sent (the cycle line\'s confirmsSent)', async () => {
    const route = routeConfirms(new Set(['factory']), async () => {});
    const sent = await sendConfirmations(route, confirmRequests([{ id: 'api', locations: ['factory', 'us-east-1', 'eu-west-1'] } as Check], 'factory-peer', new Date()), () => {});
    // From a location outside the check's: one request per other location; only factory has a route.
    expect(sent).toBe(1);
  });
});

describe('stale and orphaned requests', () => {
  it('a request past its deadline is dropped, not run', async () => {
    // Prepare
    const store = await freshStore();
    const log: Served[] = [];
    const stale = await store.sendRequest(LOC, 'a-1', retest('api', 'b-2'), new Date(Date.now() - 1_000));
    const a = server(store, 'a-1', log);

    // Act
    await vi.waitFor(() => expect(a.outcomes).toHaveLength(1), WAIT);
    await a.stop();

    // Assess
    expect(a.outcomes).toEqual([[stale.id, 'stale']]);
    expect(log).toEqual([]);
    expect(await store.readInbox(LOC)).toEqual([]);
  });

  it('a request to another instance is left alone until 10 minutes old, then removed unrun', async () => {
    // Prepare: one written 11 minutes ago (its deadline still ahead) and one just now, both to a gone instance.
    const { tableName } = await db.newTable();
    const old = createAgentStore({ client: db.client, tableName, now: () => new Date(Date.now() - 11 * 60_000) });
    const store = createAgentStore({ client: db.client, tableName });
    const orphan = await old.sendRequest(LOC, 'gone', retest('api', 'b-2'), new Date(Date.now() + 60_000));
    const recent = await store.sendRequest(LOC, 'gone', retest('web', 'b-2'), new Date(Date.now() + 60_000));
    const log: Served[] = [];
    const a = server(store, 'a-1', log);

    // Act
    await vi.waitFor(() => expect(a.outcomes).toHaveLength(1), WAIT);
    await morePolls([a], 2);
    await a.stop();

    // Assess
    expect(a.outcomes).toEqual([[orphan.id, 'stale']]);
    expect(log).toEqual([]);
    expect(await store.readInbox(LOC)).toEqual([recent]);
  });
});

describe('the serving loop', () => {
  it('keeps polling while a request runs, and on stop waits for it and still answers it', async () => {
    // Prepare: the first retest blocks until released.
    const store = await freshStore();
    const log: Served[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const b = server(store, 'b-2', log, {
      handle: async (r) => {
        const id = (r as RetestRequest).checkId;
        if (id === 'slow') await gate;
        return probeResult(id);
      },
    });
    const send = inboxRetestSender({ store, location: LOC, self: 'a-1', livePeers: () => ['b-2'], pollMs: POLL_MS, timeoutOf: () => 60_000 });

    // Act
    const slow = send(retest('slow'));
    await vi.waitFor(() => expect(log).toHaveLength(1), WAIT);
    const fast = await send(retest('fast'));
    const stopped = b.stop();
    const early = await Promise.race([stopped.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('waiting'), 100))]);
    release();
    await stopped;

    // Assess
    expect(fast).toMatchObject({ checkId: 'fast', instance: 'b-2' });
    expect(early).toBe('waiting');
    expect(await slow).toMatchObject({ checkId: 'slow', instance: 'b-2' });
  });

  it('a handler that ignores its deadline signal is left behind at the deadline, so stopping never hangs on it', async () => {
    // Prepare: a handler that never settles, for a request due in 300 ms.
    const store = await freshStore();
    const log: Served[] = [];
    const signals: AbortSignal[] = [];
    const b = server(store, 'b-2', log, { handle: (_r, signal) => { signals.push(signal); return new Promise(() => {}); } });
    await store.sendRequest(LOC, 'b-2', retest('api'), new Date(Date.now() + 300));
    await vi.waitFor(() => expect(log).toHaveLength(1), WAIT);

    // Act
    await b.stop();

    // Assess
    expect(signals[0]?.aborted).toBe(true);
    expect(b.errors).toMatchObject([{ code: 'AGENT_REQUEST_TIMEOUT' }]);
    expect(b.outcomes).toEqual([]);
  });

  it('errors go to onError and the loop goes on; the signal stops it', async () => {
    // Prepare: a store whose first inbox read fails, and a handler that throws.
    const real = await freshStore();
    let reads = 0;
    const store: AgentStore = { ...real, readInbox: async (l) => { if (++reads === 1) throw new Error('injected'); return real.readInbox(l); } };
    const log: Served[] = [];
    const a = server(store, 'a-1', log, { handle: async () => { throw new Error('handler failed'); } });
    await real.sendRequest(LOC, ANY_INSTANCE, confirm(['api']), new Date(Date.now() + 60_000));

    // Act
    await vi.waitFor(() => expect(a.errors).toHaveLength(2), WAIT);
    await a.stop();

    // Assess
    expect(a.errors.map((e) => (e as Error).message)).toEqual(['injected', 'handler failed']);
    expect(log).toHaveLength(1);
    expect(reads).toBeGreaterThan(1);
  });

  it('a retest whose handler returns no probe result is reported, and no reply is written', async () => {
    const store = await freshStore();
    const log: Served[] = [];
    const b = server(store, 'b-2', log, { handle: async () => ({ nope: true }) });
    const item = await store.sendRequest(LOC, 'b-2', retest('api'), new Date(Date.now() + 60_000));

    await vi.waitFor(() => expect(b.errors).toHaveLength(1), WAIT);
    await b.stop();

    expect(b.errors[0]).toMatchObject({ code: 'RETEST_RESULT_INVALID' });
    expect(await store.takeReply(LOC, item.id)).toBeUndefined();
  });
});

/** Resolves once every server has read its inbox `n` more times. */
async function morePolls(servers: ReadonlyArray<{ reads: () => number }>, n: number): Promise<void> {
  const from = servers.map((x) => x.reads());
  await vi.waitFor(() => servers.forEach((x, i) => expect(x.reads()).toBeGreaterThanOrEqual(from[i]! + n)), WAIT);
}

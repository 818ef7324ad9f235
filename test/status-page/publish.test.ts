/**
 * The deployed status page's refresher, step by step on an injected clock: when it renders, when it
 * writes, and how a failure is tried again. Renders are the real renderer's (so "unchanged" is judged
 * on its real generated-at line); the put is an in-memory stand-in that can fail on demand, as the real
 * one does in its own test against a loopback S3 (test/aws/status-page-bucket.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../shared/logging/logger.ts';
import { StatusPagePutError } from '../../shared/aws/status-page-bucket.ts';
import { buildStatusModel } from '../../shared/usecases/status-page/model.ts';
import { createStatusPageRefresher, REPUBLISH_MS, STATUS_PAGE_MIN_INTERVAL_MS } from '../../shared/usecases/status-page/publish.ts';
import { renderStatusPage } from '../../shared/usecases/status-page/render.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 22, 0);

/** The real page (./render.ts) for no checks, titled with what the test sets: stamped with the render time. */
function page(body: string, now: number): string {
  return renderStatusPage(buildStatusModel({ now, title: body, checks: [], states: new Map(), hours: () => [], incidents: () => [] }));
}

function setup(opts: { minIntervalMs?: number } = {}) {
  const state = { body: 'all up', renders: [] as number[], puts: [] as string[], putFails: 0, renderFails: 0 };
  const logs: Array<{ level: string; message: string; errorCode?: string }> = [];
  const refresher = createStatusPageRefresher({
    render: async (now) => {
      state.renders.push(now);
      if (state.renderFails > 0) {
        state.renderFails--;
        throw new TypeError('rollups unreadable');
      }
      return page(state.body, now);
    },
    put: async (html) => {
      if (state.putFails > 0) {
        state.putFails--;
        throw new StatusPagePutError('writing the status page failed: InternalError (HTTP 500)');
      }
      state.puts.push(html);
    },
    logger: jsonLogger((line) => logs.push(JSON.parse(line) as (typeof logs)[number])),
    ...opts,
  });
  return { state, logs, refresher };
}

describe('createStatusPageRefresher', () => {
  it('renders and writes at the first refresh, then renders at most once per interval', async () => {
    const { state, refresher } = setup();

    await refresher.refresh(T0);
    expect(state.renders).toEqual([T0]);
    expect(state.puts).toHaveLength(1);

    for (let m = 1; m < 5; m++) await refresher.refresh(T0 + m * MIN);
    expect(state.renders).toEqual([T0]);

    await refresher.refresh(T0 + STATUS_PAGE_MIN_INTERVAL_MS);
    expect(state.renders).toEqual([T0, T0 + STATUS_PAGE_MIN_INTERVAL_MS]);
  });

  it('writes a render that differs only in its generated-at stamp not at all, and a changed one at once', async () => {
    const { state, refresher } = setup();
    await refresher.refresh(T0);

    await refresher.refresh(T0 + 5 * MIN);
    expect(state.renders).toHaveLength(2);
    expect(state.puts).toHaveLength(1);

    state.body = 'checkout DOWN';
    await refresher.refresh(T0 + 10 * MIN);
    expect(state.puts).toHaveLength(2);
    expect(state.puts[1]).toContain('checkout DOWN');
  });

  it('writes an unchanged page again once the last write is an hour old, so its stamp never lags more', async () => {
    const { state, refresher } = setup();
    await refresher.refresh(T0);
    for (let m = 5; m < 60; m += 5) await refresher.refresh(T0 + m * MIN);
    expect(state.renders).toHaveLength(12);
    expect(state.puts).toHaveLength(1);

    await refresher.refresh(T0 + REPUBLISH_MS);
    expect(state.puts).toHaveLength(2);
    expect(state.puts[1]).toContain(new Date(T0 + REPUBLISH_MS).toISOString());
  });

  it('logs a failed write and tries again at the very next refresh, without waiting out the interval', async () => {
    const { state, logs, refresher } = setup();
    state.putFails = 2;

    await expect(refresher.refresh(T0)).resolves.toBeUndefined();
    await refresher.refresh(T0 + MIN);
    expect(state.puts).toHaveLength(0);
    expect(logs.filter((l) => l.message === 'status page not published').map((l) => l.errorCode)).toEqual(['STATUS_PAGE_PUT_FAILED', 'STATUS_PAGE_PUT_FAILED']);

    await refresher.refresh(T0 + 2 * MIN);
    expect(state.puts).toHaveLength(1);
    expect(state.renders).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);

    // Written: the interval holds again.
    await refresher.refresh(T0 + 3 * MIN);
    expect(state.renders).toHaveLength(3);
  });

  it('retries a page whose write failed even when the next render is unchanged', async () => {
    const { state, refresher } = setup();
    await refresher.refresh(T0);
    state.body = 'checkout DOWN';
    state.putFails = 1;
    await refresher.refresh(T0 + 5 * MIN);
    expect(state.puts).toHaveLength(1);

    // Same content as the failed one: it was never written, so it is written now.
    await refresher.refresh(T0 + 6 * MIN);
    expect(state.puts).toHaveLength(2);
    expect(state.puts[1]).toContain('checkout DOWN');
  });

  it('never throws: a failed render is logged with its code and tried again at the next refresh', async () => {
    const { state, logs, refresher } = setup();
    state.renderFails = 1;

    await expect(refresher.refresh(T0)).resolves.toBeUndefined();
    expect(logs).toEqual([expect.objectContaining({ level: 'ERROR', message: 'status page not rendered', errorCode: 'UNEXPECTED' })]);
    expect(state.puts).toHaveLength(0);

    await refresher.refresh(T0 + MIN);
    expect(state.puts).toHaveLength(1);
    expect(logs.at(-1)).toMatchObject({ level: 'INFO', message: 'status page published' });
  });

  it('runs one refresh at a time: an overlapping call waits for the one in flight', async () => {
    const { state, refresher } = setup();

    await Promise.all([refresher.refresh(T0), refresher.refresh(T0 + 1)]);

    expect(state.renders).toEqual([T0]);
    expect(state.puts).toHaveLength(1);
  });

  it('takes its interval from the caller', async () => {
    const { state, refresher } = setup({ minIntervalMs: MIN });
    for (let m = 0; m < 3; m++) await refresher.refresh(T0 + m * MIN);
    expect(state.renders).toHaveLength(3);
  });
});

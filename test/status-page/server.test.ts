/** `vantage dev`'s status page server, on loopback, with a real HTTP client. */
import { afterEach, describe, expect, it } from 'vitest';
import { createStatusPageServer, type StatusPageServer } from '../../dev/status-page-server.ts';
import { STATUS_PAGE_CSP } from '../../shared/usecases/status-page/render.ts';
import { VantageError } from '../../shared/errors.ts';

let server: StatusPageServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createStatusPageServer', () => {
  it('answers GET / with the page rendered afresh for each request, uncached, under the deployed CSP', async () => {
    let n = 0;
    server = await createStatusPageServer(async () => `<!doctype html><p>render ${++n} é</p>`);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const first = await fetch(server.url);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('content-security-policy')).toBe(STATUS_PAGE_CSP);
    expect(await first.text()).toBe('<!doctype html><p>render 1 é</p>');
    expect(await (await fetch(`${server.url}?x=1`)).text()).toBe('<!doctype html><p>render 2 é</p>');
  });

  it('is 404 on other paths and 405 with Allow for other methods; HEAD has the headers and no body', async () => {
    server = await createStatusPageServer(async () => '<p>page</p>');
    const missing = await fetch(`${server.url}index.php`);
    expect(missing.status).toBe(404);
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('11');
    expect(await head.text()).toBe('');
  });

  it('answers a failed render with a short 500 and tells onError, then serves again', async () => {
    const errors: unknown[] = [];
    let fail = true;
    class RenderFailed extends VantageError {
      constructor() {
        super('STORE_UNAVAILABLE', 'the table is unreachable: secret detail');
      }
    }
    server = await createStatusPageServer(async () => {
      if (fail) throw new RenderFailed();
      return '<p>ok</p>';
    }, 0, { onError: (err) => errors.push(err) });
    const res = await fetch(server.url);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toContain('could not be rendered');
    expect(body).not.toContain('secret detail');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RenderFailed);
    fail = false;
    expect((await fetch(server.url)).status).toBe(200);
  });

  it('listens on loopback only, on the port asked for, and closes idempotently', async () => {
    const probe = await createStatusPageServer(async () => '');
    const port = Number(new URL(probe.url).port);
    await probe.close();
    server = await createStatusPageServer(async () => 'again', port);
    expect(server.url).toBe(`http://127.0.0.1:${port}/`);
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(server.url)).rejects.toThrow();
  });
});

/**
 * The control server over real HTTP on 127.0.0.1: POST stops and starts a location (JSON answers,
 * idempotent), anything else is refused with the right status, and a long body is cut off unread.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startControlServer, type ControlServer, type LocationState } from '../../dev/control-server.ts';

let server: ControlServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

function target(locations: string[]) {
  const states = new Map<string, LocationState>(locations.map((l) => [l, 'running']));
  const calls: string[] = [];
  const flip = (to: LocationState) => (l: string) => {
    calls.push(`${to} ${l}`);
    if (states.get(l) === to) return false;
    states.set(l, to);
    return true;
  };
  return { calls, states, target: { locations, stop: flip('stopped'), start: flip('running'), state: (l: string) => states.get(l)! } };
}

async function post(path: string, init: RequestInit = {}) {
  const res = await fetch(`${server!.url}${path}`, { method: 'POST', ...init });
  return { status: res.status, headers: res.headers, body: await res.json() as Record<string, unknown> };
}

describe('control server', () => {
  it('listens on loopback and stops and starts a location, saying whether anything changed', async () => {
    const t = target(['us-east-1', 'eu-west-1']);
    server = await startControlServer(t.target);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect(await post('/locations/eu-west-1/stop')).toMatchObject({ status: 200, body: { location: 'eu-west-1', state: 'stopped', changed: true } });
    expect(await post('/locations/eu-west-1/stop')).toMatchObject({ status: 200, body: { state: 'stopped', changed: false } });
    expect(t.states.get('us-east-1')).toBe('running');
    const started = await post('/locations/eu-west-1/start', { body: '{}' });
    expect(started).toMatchObject({ status: 200, body: { location: 'eu-west-1', state: 'running', changed: true } });
    expect(started.headers.get('content-type')).toBe('application/json');
  });

  it('answers 404 for an unknown location or path, naming the locations, and changes nothing', async () => {
    const t = target(['a']);
    server = await startControlServer(t.target);

    expect(await post('/locations/b/stop')).toMatchObject({ status: 404, body: { error: 'no location "b"', locations: ['a'] } });
    expect(await post('/locations/a/pause')).toMatchObject({ status: 404 });
    expect(await post('/')).toMatchObject({ status: 404 });
    expect(t.calls).toEqual([]);
  });

  it('answers 405 with Allow: POST for other methods, and changes nothing', async () => {
    const t = target(['a']);
    server = await startControlServer(t.target);

    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(`${server.url}/locations/a/stop`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      await res.arrayBuffer();
    }
    expect(t.calls).toEqual([]);
  });

  it('refuses a body over the bound with 413, announced or streamed, and changes nothing', async () => {
    const t = target(['a']);
    server = await startControlServer(t.target);

    expect(await post('/locations/a/stop', { body: 'x'.repeat(MAX_BODY_BYTES + 1) })).toMatchObject({ status: 413 });
    expect(await post('/locations/a/stop', { body: 'x'.repeat(MAX_BODY_BYTES) })).toMatchObject({ status: 200 });

    // Chunked, no Content-Length: the server must count, stop reading and answer without the rest.
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /locations/a/start HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
        const chunk = 'y'.repeat(MAX_BODY_BYTES + 10);
        socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      });
      let text = '';
      socket.on('data', (c: Buffer) => { text += c.toString(); if (text.includes('\r\n\r\n')) { socket.destroy(); resolve(text); } });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(t.calls).toEqual(['stopped a']);
  });
});

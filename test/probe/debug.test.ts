/**
 * The debug trace's two layers of redaction, each on its own: the prober scrubs what it logs
 * (so a trace is safe whoever formats it), and formatDebug scrubs again from the secrets it is given
 * and from credential header names (so a trace from anywhere is safe to print).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDebug } from '../../cli/debug-view.ts';
import { createDebugTrace } from '../../shared/probe/debug.ts';
import { checkSecrets } from '../../shared/probe/debug-secrets.ts';
import { runProbe } from '../../shared/probe/index.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { httpCheck, startHttp, type Running } from '../support/http-servers.ts';

const TOKEN = 'sEcr3t+/value"with=json&url';
const env = { TOKEN };

const spellings = (v: string) => [v, encodeURIComponent(v), Buffer.from(v).toString('base64'), JSON.stringify(v).slice(1, -1)];

describe('debug trace', () => {
  let echo: Running;
  beforeAll(async () => {
    echo = await startHttp((req, res) => {
      const auth = String(req.headers.authorization);
      res.writeHead(200, { 'x-echo': auth });
      res.end(`${auth}\n${encodeURIComponent(auth)}\n${Buffer.from(auth).toString('base64')}\n${JSON.stringify({ auth })}\n`);
    });
  });
  afterAll(() => echo.close());

  it('times its entries from its own start with the clock it is given', () => {
    let now = 1000;
    const trace = createDebugTrace(() => now);
    now = 1012.5;
    trace.add({ phase: 'note', message: 'x' });
    expect(trace.entries).toEqual([{ at: 12.5, phase: 'note', message: 'x' }]);
  });

  it('is scrubbed by the prober: no entry holds a secret, even before formatting', async () => {
    const check = httpCheck({ url: echo.url('/'), headers: { Authorization: 'Bearer ${env:TOKEN}' } });
    const trace = createDebugTrace();
    const result = await runProbe(check, { env, debug: trace });
    expect(result.ok).toBe(true);
    const raw = JSON.stringify(trace.entries);
    for (const s of spellings(TOKEN)) expect(raw).not.toContain(JSON.stringify(s).slice(1, -1));
    expect(raw).toContain('[redacted]');
    expect(trace.entries.map((e) => e.phase)).toEqual(['note', 'connect', 'request', 'response', 'body', 'assertion', 'note']);
    // Nothing of the trace reaches the result.
    expect(JSON.stringify(result)).not.toContain('[redacted]');
  });

  it('knows the secrets an HTTP check resolves: header references, the bearer token, URL userinfo', async () => {
    const check = httpCheck({ url: echo.url('/').replace('http://', 'http://user:p%40ss@'), headers: { 'X-Thing': '${env:TOKEN}' } });
    const secrets = await checkSecrets(check, { env });
    expect(secrets).toEqual(expect.arrayContaining([TOKEN, 'p@ss', 'user:p@ss']));
  });

  it('formatDebug redacts a raw trace from the secrets given and from credential header names', () => {
    const trace = createDebugTrace(() => 0);
    const cookie = 'session=abcdef123456';
    trace.add({ phase: 'request', message: 'GET / HTTP/1.1', fields: { 'x-plain': TOKEN, cookie } });
    trace.add({ phase: 'response', message: 'HTTP/1.1 200', fields: { 'set-cookie': [cookie] } });
    const body = [...spellings(TOKEN), cookie, `${'p'.repeat(20)}${TOKEN.slice(0, 8)}`].join('\n');
    trace.add({ phase: 'body', message: body, fields: { bytes: body.length + 100, shown: body.length, cut: true } });
    const result: ProbeResult = { kind: 'http', target: 'http://h/', startedAt: '', ok: true, status: 'up', phases: { total: 1 }, assertions: [] };
    const check = httpCheck({ url: 'http://h/' });
    const out = formatDebug(check, result, trace, { secrets: [TOKEN] });
    for (const s of [...spellings(TOKEN), cookie, 'abcdef123456', TOKEN.slice(0, 8)]) expect(out).not.toContain(s);
    expect(out).toContain('x-plain: [redacted]');
    expect(out).toContain('cookie: [redacted]');
    expect(out).toContain('set-cookie: [redacted]');
    expect(out).toContain(`| ${'p'.repeat(20)}[redacted]…`);
  });
});

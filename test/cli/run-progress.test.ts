/**
 * `vantage run` progress: on a terminal (an injected isTTY and width), each check's line as it
 * finishes under a progress line redrawn in place, every line cut to the width; piped or with
 * --json, plain output without a control code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { CLEAR_LINE, createProgress, finishedLine } from '../../cli/progress.ts';
import type { ProbeResult } from '../../shared/probe/types.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

const result = (checkId: string, status: ProbeResult['status'], total: number, extra: Partial<ProbeResult> = {}): ProbeResult => ({
  checkId, kind: 'http', target: 'http://127.0.0.1/', startedAt: '2026-12-01T20:00:00.000Z', ok: status !== 'down', status, phases: { total }, assertions: [], ...extra,
});

/** What a terminal would show: the text after the last erase of each line, line by line. */
function screen(written: string): string[] {
  return written.split('\n').map((line) => line.split(CLEAR_LINE).at(-1)!);
}

describe('createProgress', () => {
  it('prints each finished check above a progress line redrawn in place', () => {
    let clock = 1_000;
    let out = '';
    const p = createProgress({ total: 3, columns: 80, idWidth: 5, now: () => clock, write: (t) => { out += t; }, color: false });
    clock += 400;
    p.finished(result('api', 'up', 12.34));
    expect(out).toBe(`${CLEAR_LINE}UP        api    12.3 ms\n1/3 done, 0 failing, 0.4s`);
    clock += 3_700;
    p.tick();
    expect(out.endsWith(`${CLEAR_LINE}1/3 done, 0 failing, 4.1s`)).toBe(true);
    p.finished(result('db', 'down', 2_001, { failure: { reason: 'connect_refused', message: 'ECONNREFUSED' } }));
    p.end();
    expect(screen(out)).toEqual(['UP        api    12.3 ms', 'DOWN      db     2001 ms  connect_refused: ECONNREFUSED', '']);
    expect(out).toContain('2/3 done, 1 failing, 4.1s');
    // Nothing after end(): a result arriving late does not redraw a line that is gone.
    const before = out;
    p.tick();
    p.finished(result('late', 'up', 1));
    expect(out).toBe(before);
  });

  it('cuts every line to the width, so a redraw never meets a wrapped line', () => {
    let out = '';
    const p = createProgress({ total: 100, columns: 20, idWidth: 30, now: () => 0, write: (t) => { out += t; }, color: true });
    p.finished(result('a-check-with-a-long-name', 'down', 5, { failure: { reason: 'timeout', message: 'no answer within 5s' } }));
    const visible = screen(out).map((l) => l.replace(/\x1b\[\d+m/g, ''));
    expect(visible.every((l) => l.length <= 19)).toBe(true);
    expect(visible[0]).toMatch(/^DOWN {6}a-check-…$/);
    expect(visible[1]).toBe('1/100 done, 1 fail…');
  });

  it('colours only the status', () => {
    expect(finishedLine(result('api', 'degraded', 1), { columns: 80, idWidth: 3, color: true })).toBe('\x1b[33mDEGRADED\x1b[0m  api  1.0 ms');
  });
});

describe('vantage run with progress', () => {
  let target: Running;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    // The failing target echoes the request's credentials back, as a debugging proxy might.
    target = await startHttp((req, res) => { res.writeHead(req.url === '/down' ? 503 : 200).end(req.url === '/down' ? `maintenance\nyou sent ${req.headers.authorization}` : 'ok'); });
    dir = mkdtempSync(join(tmpdir(), 'vantage-progress-'));
    config = join(dir, 'checks.yaml');
    writeFileSync(config, [
      'defaults: { timeout: 2s, retries: 0 }',
      'checks:',
      `  - { id: home, http: { url: "${target.url('/')}" } }`,
      `  - { id: broken, http: { url: "${target.url('/down')}", headers: { authorization: "Bearer \${env:TOKEN}" } } }`,
      `  - { id: also-home, http: { url: "${target.url('/')}" } }`,
      '',
    ].join('\n'));
  });

  afterAll(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(argv: string[], tty: { isTTY: boolean; columns?: number }) {
    let stdout = '';
    let stderr = '';
    const io: CliIO = { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: { TOKEN: 's3cr3t-t0ken' }, signal: new AbortController().signal, cwd: dir, ...tty };
    const code = await main(['run', '--config', config, ...argv], io);
    return { code, stdout, stderr };
  }

  it('on a terminal: a line per check as it finishes and the progress line, then the table', async () => {
    const r = await run([], { isTTY: true, columns: 60 });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(CLEAR_LINE);
    expect(r.stdout).toContain('3/3 done, 1 failing, ');
    const shown = screen(r.stdout);
    const finished = shown.filter((l) => /^\x1b\[3\dm(UP|DOWN)/.test(l));
    expect(finished).toHaveLength(3);
    const table = shown.findIndex((l) => l.startsWith('CHECK'));
    expect(table).toBeGreaterThan(shown.indexOf(finished.at(-1)!));
    for (const l of shown.slice(0, table)) expect(l.replace(/\x1b\[\d+m/g, '').length).toBeLessThanOrEqual(59);
  });

  it('piped: the table alone, without a control code', async () => {
    const r = await run([], { isTTY: false });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout.split('\n')[0]).toMatch(/^CHECK/);
  });

  it('with --json on a terminal: JSON lines only', async () => {
    const r = await run(['--json'], { isTTY: true, columns: 60 });
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as ProbeResult).checkId)).toEqual(['home', 'broken', 'also-home']);
  });

  it('the table quotes a failure\'s first body line', async () => {
    const r = await run([], { isTTY: false });
    expect(r.stdout).toMatch(/broken .*body: "maintenance"/);
  });

  it('--debug: each check\'s log as it finishes, before the table, the secret redacted everywhere', async () => {
    const r = await run(['--debug'], { isTTY: false });
    const logs = [...r.stdout.matchAll(/^debug log of (\S+)/gm)].map((m) => m[1]);
    expect(logs.sort()).toEqual(['also-home', 'broken', 'home']);
    expect(r.stdout.indexOf('debug log of')).toBeLessThan(r.stdout.indexOf('CHECK'));
    expect(r.stdout).toContain('[redacted]');
    expect(r.stdout).not.toContain('s3cr3t-t0ken');
  });

  it('--debug on a terminal: each log under its check\'s line, above the progress line', async () => {
    const r = await run(['--debug'], { isTTY: true, columns: 60 });
    const shown = screen(r.stdout);
    const line = shown.findIndex((l) => /^\x1b\[31mDOWN/.test(l));
    expect(shown[line + 1]).toMatch(/^debug log of broken/);
    expect(r.stdout).not.toContain('s3cr3t-t0ken');
  });

  it('--debug --json: the logs to stderr, JSON alone on stdout', async () => {
    const r = await run(['--debug', '--json'], { isTTY: false });
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as ProbeResult).checkId)).toEqual(['home', 'broken', 'also-home']);
    expect(r.stderr).toContain('debug log of broken');
    expect(r.stderr + r.stdout).not.toContain('s3cr3t-t0ken');
  });
});

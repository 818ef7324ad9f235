/**
 * `vantage channels test NAME` in-process, as a user runs it (through main), against receivers on
 * 127.0.0.1: a Slack incoming webhook, the PagerDuty Events API and a signed webhook each get the
 * TEST and the command prints each one's status; a receiver answering 500 makes it exit 1 with the
 * status shown; and the mistakes it refuses (exit 2), with what to do instead.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../shared/alert/channels/signature.ts';
import { runCli } from '../support/cli.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamodb-local.ts';
import { startHttp, type Running } from '../support/http-servers.ts';

interface Hit { path: string; headers: http.IncomingHttpHeaders; body: string }

const PD_KEY = 'R0UTINGKEY0000000000000000000000';
const HOOK_SECRET = 'whsec-test-0123456789';
const ENV = { PD_KEY, HOOK_SECRET };

let receiver: Running;
const hits: Hit[] = [];
let dir: string;
let configPath: string;

beforeAll(async () => {
  receiver = await startHttp((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/broken') res.writeHead(500).end('upstream down');
      else if (req.url === '/pd') res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success","message":"Event processed"}');
      else res.writeHead(200).end('ok');
    });
  });
  dir = mkdtempSync(join(tmpdir(), 'vantage-channels-'));
  configPath = join(dir, 'checks.yaml');
  writeFileSync(configPath, [
    'checks:',
    '  - { id: api, http: { url: "http://127.0.0.1:1/health" } }',
    'channels:',
    '  chat:',
    '    email: [oncall@example.com]',
    `    slack: { url: "${receiver.url('/slack')}" }`,
    `    pagerduty: { routingKey: "\${env:PD_KEY}", url: "${receiver.url('/pd')}" }`,
    `    webhook: [{ url: "${receiver.url('/hook')}", secret: "\${env:HOOK_SECRET}" }]`,
    '  broken:',
    `    webhook: ["${receiver.url('/hook')}", "${receiver.url('/broken')}"]`,
    '  mail:',
    '    email: [team@example.com]',
    '',
  ].join('\n'));
});
afterAll(async () => {
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => { hits.length = 0; });

const channels = (...args: string[]) => runCli(['channels', ...args], { env: ENV });
const at = (path: string) => hits.filter((h) => h.path === path);

describe('vantage channels test, in-process', () => {
  it('delivers a TEST to Slack, PagerDuty and a signed webhook and prints each status', async () => {
    const run = await channels('test', 'chat', '--config', configPath);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^chat\/email: not sent/),
      expect.stringMatching(/^chat\/webhook\[0\] \(webhook\): delivered, HTTP 200 in \d+ ms$/),
      expect.stringMatching(/^chat\/slack: delivered, HTTP 200 in \d+ ms$/),
      expect.stringMatching(/^chat\/pagerduty: delivered, HTTP 202 in \d+ ms$/),
    ]);
    // No URL and no secret in what the command prints.
    expect(run.stdout).not.toContain('127.0.0.1');
    expect(run.stdout).not.toContain(PD_KEY);

    const [hook] = at('/hook');
    const payload = JSON.parse(hook!.body) as { event: string; channel: string; dedupeKey: string };
    expect(payload).toMatchObject({ event: 'TEST', channel: 'chat' });
    expect(verifySignature(String(hook!.headers['vantage-signature']), hook!.body, HOOK_SECRET, { nowSeconds: Math.floor(Date.now() / 1000) })).toBe(true);
    expect(verifySignature(String(hook!.headers['vantage-signature']), hook!.body.replace('TEST', 'DOWN'), HOOK_SECRET, { nowSeconds: Math.floor(Date.now() / 1000) })).toBe(false);

    const [slack] = at('/slack');
    const message = JSON.parse(slack!.body) as { text?: unknown };
    expect(typeof message.text).toBe('string');
    expect(String(message.text)).toMatch(/test/i);

    const pd = at('/pd').map((h) => JSON.parse(h.body) as { event_action: string; dedup_key: string; routing_key: string });
    expect(pd.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(pd[1]!.dedup_key).toBe(pd[0]!.dedup_key);
    expect(pd.every((e) => e.routing_key === PD_KEY)).toBe(true);
    // Each run has its own key, so neither SQS's dedup window nor the ledger takes a second test for a repeat.
    expect(payload.dedupeKey).toMatch(/^test:chat:[0-9a-f]{12}$/);
    expect(pd[0]!.dedup_key).toBe(payload.dedupeKey);
    hits.length = 0;
    await channels('test', 'chat', '--config', configPath);
    expect((JSON.parse(at('/hook')[0]!.body) as { dedupeKey: string }).dedupeKey).not.toBe(payload.dedupeKey);
  });

  it('exits 1 when a target answers 500, with the status on its line and the others still tried', async () => {
    const run = await channels('test', 'broken', '--config', configPath);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^broken\/webhook\[0\] \(webhook\): delivered, HTTP 200/m);
    expect(run.stdout).toMatch(/^broken\/webhook\[1\] \(webhook\): FAILED, HTTP 500 in \d+ ms \(the notifier would retry it\): upstream down$/m);
    expect(at('/broken')).toHaveLength(1);
  });

  it('names the channels when the one asked for does not exist', async () => {
    const run = await channels('test', 'nope', '--config', configPath);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`no channel "nope" in ${configPath}; its channels: chat, broken, mail`);
    expect(hits).toEqual([]);
  });

  it('refuses a channel with only email, saying why', async () => {
    const run = await channels('test', 'mail', '--config', configPath);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('channel "mail" has only email, which this command does not send');
  });

  it('needs a config, a channel name and the subcommand', async () => {
    const noConfig = await channels('test', 'chat');
    const noName = await channels('test', '--config', configPath);
    const noSub = await channels('--config', configPath);
    const badSub = await channels('send', 'chat', '--config', configPath);

    expect([noConfig.code, noName.code, noSub.code, badSub.code]).toEqual([2, 2, 2, 2]);
    expect(noConfig.stderr).toContain('no --config given and none found in');
    expect(noName.stderr).toContain('usage: vantage channels test NAME');
    expect(badSub.stderr).toContain('unknown subcommand "send"');
  });

  it('refuses queue-only flags without a connection, and a bad --timeout', async () => {
    const timeoutAlone = await channels('test', 'chat', '--config', configPath, '--timeout', '5s');
    const badTimeout = await channels('test', 'chat', '--config', configPath, '--endpoint', 'http://127.0.0.1:1', '--timeout', 'soon');

    expect(timeoutAlone.code).toBe(2);
    expect(timeoutAlone.stderr).toContain('need --endpoint or --region');
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toContain('--timeout soon: expected a duration');
  });

  it('refuses a config whose ${env:} secret is not set, naming the variable', async () => {
    const run = await runCli(['channels', 'test', 'chat', '--config', configPath], { env: { PD_KEY } });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('HOOK_SECRET');
    expect(hits).toEqual([]);
  });

  it('prints its help with --help, and is listed by vantage --help', async () => {
    const help = await channels('--help');
    const top = await runCli(['--help']);

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: vantage channels test NAME \[--config FILE\]/);
    expect(help.stdout).toContain('--endpoint URL');
    expect(top.stdout).toMatch(/^ {2}channels {2,}send a test notification/m);
  });
});

describe('vantage channels test --endpoint', () => {
  let db: TestDynamoDb;
  let table: string;
  beforeAll(async () => {
    db = await startTestDynamoDb();
    table = (await db.newTable('channels')).tableName;
  }, 60_000);
  afterAll(async () => { await db?.stop(); });

  it('says when the table has no running notifier recorded', async () => {
    const run = await channels('test', 'chat', '--config', configPath, '--endpoint', db.endpoint, '--table', table, '--timeout', '1s');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no notifier queue recorded');
    expect(run.stderr).toContain('is `vantage dev` running');
    expect(hits).toEqual([]);
  });

  it('says when nothing answers at the endpoint', async () => {
    const run = await channels('test', 'chat', '--config', configPath, '--endpoint', 'http://127.0.0.1:9', '--timeout', '1s');

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read http:\/\/127\.0\.0\.1:9/);
  });
});

/**
 * `vantage channels test NAME`: a clearly marked TEST notification to every webhook, Slack, Teams and
 * PagerDuty target of one channel, and each target's result. Three ways, one message:
 * - no connection flag: delivered from this process by the notifier's own attempt (deliverOnce), once
 *   per target, so a config can be checked before anything runs;
 * - `--endpoint` (a running `vantage dev`): enqueued into that pipeline's notifier queue, found through
 *   the item the pipeline writes into its table (dev/local-notifier.ts);
 * - `--region` (deployed): enqueued into `<prefix>-deliveries.fifo` (GetQueueUrl).
 * Through a queue, the notifier's ledger (in the table) is read back until each target is delivered
 * or dead-lettered, or the timeout passes: the test goes the way a real alert goes, retries included.
 */
import { hostname, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { deliveryQueueName, type DeliveryMessage } from '../../shared/alert/delivery.ts';
import { deliveryQueue } from '../../shared/alert/delivery-queue.ts';
import { testDeliveries } from '../../shared/alert/test-delivery.ts';
import { loadConfig, type LoadedConfig } from '../../shared/config/load.ts';
import { parseDuration } from '../../shared/config/duration.ts';
import type { ChannelConfig } from '../../shared/config/schema.ts';
import { VantageError } from '../../shared/errors.ts';
import { abortableSleep } from '../../shared/sleep.ts';
import { deliveryLedger, type DeliveryRecord } from '../../shared/store/deliveries.ts';
import { StoreError } from '../../shared/store/errors.ts';
import { deliverOnce, type AttemptOutcome } from '../../shared/usecases/notify/deliver.ts';
import { LOCAL_NOTIFIER_RETRY } from '../../shared/usecases/notify/notifier-handler.ts';
import { channelSecretResolver } from '../../shared/usecases/notify/secrets.ts';
import { localNotifierSqs, readLocalNotifier } from '../../dev/local-notifier.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { configPathFromArgs } from '../config-arg.ts';
import { EXIT, type CliIO } from '../io.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectTable, describeStoreError, type TableConnection } from '../table-connection.ts';

const DEFAULT_TIMEOUT_MS = 60_000;
/** How often the ledger is read while waiting: a delivery on loopback takes milliseconds. */
const POLL_MS = 250;

const HELP = `usage: vantage channels test NAME [--config FILE] [--endpoint URL | --region REGION [--table NAME] [--prefix P]] [--timeout 60s]

Sends a clearly marked TEST notification to every webhook, Slack, Teams and PagerDuty target of the
channel NAME and prints one line per target with its result. PagerDuty gets a trigger and a resolve of
one test dedup_key, so no incident stays open.
  no --endpoint/--region  delivered from this process, one attempt per target, with the notifier's
                   code; secrets: plain values and \${env:NAME} (a {secretsManager}/{ssm} reference is
                   not read here)
  --endpoint URL   through a running \`vantage dev\`: the DynamoDB endpoint it prints; the notifier
                   there delivers it, retries included
  --region REGION  through the deployed notifier (queue <prefix>-deliveries.fifo); its ledger is read
                   from --table
${CONNECTION_HELP.split('\n').filter((l) => !l.includes('--endpoint')).join('\n')}
  --prefix P       the deployment's name prefix (default vantage)
  --timeout D      how long to wait for the results through a queue (default 60s)
  --config FILE    the config naming the channel (default: vantage.config.ts or checks.yaml here)
Email addresses are not sent a test: email goes through the alert topic (SNS), not the notifier.
Exit codes: 0 every target delivered, 1 a target failed, was dead-lettered or gave no result in time,
2 usage or config error, or the pipeline cannot be reached.
`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  config: { type: 'string', short: 'c' },
  prefix: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** The chosen channel and its non-email targets; a UsageError says what is wrong. */
function pickChannel(config: LoadedConfig, name: string, source: string): ChannelConfig {
  const names = Object.keys(config.channels);
  const channel = Object.hasOwn(config.channels, name) ? config.channels[name] : undefined;
  if (!channel) {
    throw new UsageError(names.length === 0
      ? `${source} has no channels`
      : `no channel "${name}" in ${source}; its channels: ${names.join(', ')}`, { showHelp: false });
  }
  const targets = channel.webhook.length + (channel.slack ? 1 : 0) + (channel.teams ? 1 : 0) + (channel.pagerduty ? 1 : 0);
  if (targets === 0) {
    throw new UsageError(`channel "${name}" has only email, which this command does not send: email goes through the alert topic (SNS)`, { showHelp: false });
  }
  return channel;
}

function sender(env: CliIO['env']): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment may still say.
  }
  return `${user ?? env.USER ?? 'unknown'}@${hostname()}`;
}

const label = (m: Pick<DeliveryMessage, 'channel' | 'target' | 'kind'>) => `${m.channel}/${m.target}${m.target === m.kind ? '' : ` (${m.kind})`}`;

/** One in-process attempt as a line. Pure. */
export function attemptLine(m: DeliveryMessage, o: AttemptOutcome): string {
  if (o.result === 'delivered') return `${label(m)}: delivered, HTTP ${o.status} in ${o.ms} ms`;
  const what = o.result === 'retry' ? 'the notifier would retry it' : 'permanent: the notifier would dead-letter it';
  return `${label(m)}: FAILED, ${o.error} in ${o.ms} ms (${what})${o.detail ? `: ${o.detail}` : ''}`;
}

/** One target's ledger record (or none) after the wait, as a line. Pure. */
export function ledgerLine(m: DeliveryMessage, r: DeliveryRecord | undefined, waitedMs: number): string {
  const attempts = (n: number) => `${n} attempt${n === 1 ? '' : 's'}`;
  if (r?.status === 'delivered') return `${label(m)}: delivered, ${r.lastStatus !== undefined ? `HTTP ${r.lastStatus}` : 'ok'}${r.ms !== undefined ? ` in ${r.ms} ms` : ''} (${attempts(r.attempts)})`;
  if (r?.status === 'dead') return `${label(m)}: DEAD-LETTERED after ${attempts(r.attempts)}: ${r.lastError ?? 'error'}`;
  const waited = `${Math.round(waitedMs / 1000)}s`;
  if (r) return `${label(m)}: NOT DELIVERED within ${waited}: ${attempts(r.attempts)} failed, the last with ${r.lastError ?? 'an error'}; the notifier keeps retrying`;
  return `${label(m)}: NO RESULT within ${waited}: the notifier has not tried it (is it running?)`;
}

async function testInProcess(messages: DeliveryMessage[], config: LoadedConfig, io: CliIO): Promise<number> {
  const deps = { channels: config.channels, resolveSecret: channelSecretResolver({ env: io.env }), clock: Date.now, attemptTimeoutMs: LOCAL_NOTIFIER_RETRY.attemptTimeoutMs };
  let ok = true;
  // One after another, in the notifier's target order: a line per target as its answer comes.
  for (const m of messages) {
    const outcome = await deliverOnce(m, deps);
    ok &&= outcome.result === 'delivered';
    io.stdout(`${attemptLine(m, outcome)}\n`);
  }
  return ok ? EXIT.OK : EXIT.DOWN;
}

/** Where the queue is: the pipeline's item for a local table, GetQueueUrl for a deployed one. */
async function openQueue(conn: TableConnection, prefix: string): Promise<{ sqs: SQSClient; queueUrl: string }> {
  if (conn.endpoint !== undefined) {
    const local = await readLocalNotifier(conn.client, conn.tableName);
    if (!local) throw new UsageError(`no notifier queue recorded in ${conn.where}: is \`vantage dev\` running with this endpoint?`, { showHelp: false });
    return { sqs: localNotifierSqs(local), queueUrl: local.queueUrl };
  }
  const sqs = new SQSClient({ region: conn.region, maxAttempts: 2 });
  const name = deliveryQueueName(prefix);
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (QueueUrl) return { sqs, queueUrl: QueueUrl };
  } catch (err) {
    sqs.destroy();
    const code = String((err as { name?: unknown }).name ?? 'Error');
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html#API_GetQueueUrl_Errors
    const missing = code === 'QueueDoesNotExist' || code === 'AWS.SimpleQueueService.NonExistentQueue';
    throw new UsageError(missing
      ? `no queue ${name} in ${conn.region}: is Vantage deployed there with prefix ${prefix}? (--prefix)`
      : `cannot ask SQS in ${conn.region} for ${name} (${code}): are AWS credentials set up?`, { showHelp: false });
  }
  sqs.destroy();
  throw new UsageError(`SQS gave no URL for ${name} in ${conn.region}`, { showHelp: false });
}

/** Reads each target's ledger record until all are final or the time is up; a line per target as it settles. */
async function awaitLedger(messages: DeliveryMessage[], conn: TableConnection, timeoutMs: number, io: CliIO): Promise<boolean> {
  const ledger = deliveryLedger(conn.client, conn.tableName);
  const started = Date.now();
  const pending = new Map(messages.map((m) => [m, undefined as DeliveryRecord | undefined]));
  let ok = true;
  for (;;) {
    for (const m of [...pending.keys()]) {
      const r = await ledger.get(m.channel, m.target, m.dedupeKey);
      pending.set(m, r);
      if (r?.status !== 'delivered' && r?.status !== 'dead') continue;
      ok &&= r.status === 'delivered';
      io.stdout(`${ledgerLine(m, r, Date.now() - started)}\n`);
      pending.delete(m);
    }
    if (pending.size === 0) return ok;
    if (Date.now() - started >= timeoutMs || io.signal.aborted) break;
    await abortableSleep(POLL_MS, io.signal);
  }
  for (const [m, r] of pending) io.stdout(`${ledgerLine(m, r, Date.now() - started)}\n`);
  return false;
}

interface QueueRun {
  prefix: string;
  timeoutMs: number;
  /** Says what is not sent, once the queue is known to be there. */
  note: () => void;
}

async function testThroughQueue(messages: DeliveryMessage[], conn: TableConnection, run: QueueRun, io: CliIO): Promise<number> {
  const { timeoutMs } = run;
  const { sqs, queueUrl } = await openQueue(conn, run.prefix);
  run.note();
  try {
    try {
      // The queue only takes ready-made deliveries here: its channels are never read.
      await deliveryQueue(sqs, queueUrl, {}).send(messages);
    } catch (err) {
      if (!(err instanceof VantageError)) throw err;
      io.stderr(`vantage channels: cannot enqueue into ${queueUrl}: ${err.message}\n`);
      return EXIT.USAGE;
    }
    io.stdout(`queued ${messages.length} test deliver${messages.length === 1 ? 'y' : 'ies'} (${messages[0]!.dedupeKey}); waiting up to ${Math.round(timeoutMs / 1000)}s for the notifier\n`);
    return (await awaitLedger(messages, conn, timeoutMs, io)) ? EXIT.OK : EXIT.DOWN;
  } finally {
    sqs.destroy();
  }
}

function timeoutOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--timeout ${text}: expected a duration such as 30s or 2m`, { showHelp: false });
  return ms;
}

export const channels = defineCommand('channels', HELP, async (argv, io) => {
  const { values, positionals } = parse(argv, OPTIONS, true);
  const [sub, name, ...rest] = positionals;
  if (sub !== 'test') throw new UsageError(sub === undefined ? 'a subcommand is needed; the one there is: test' : `unknown subcommand "${sub}"; the one there is: test`);
  if (name === undefined) throw new UsageError('which channel? vantage channels test NAME --config FILE');
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const connected = values.endpoint !== undefined || values.region !== undefined;
  if (!connected && (values.table !== undefined || values.prefix !== undefined || values.timeout !== undefined)) {
    throw new UsageError('--table, --prefix and --timeout need --endpoint or --region (without them the test is delivered from this process)');
  }
  const timeoutMs = timeoutOf(values.timeout);
  const file = configPathFromArgs(values.config, io);
  // Deployed: judged as deployed. Locally: the local forms; this process reads ${env:} only in-process.
  const config = values.region !== undefined && values.endpoint === undefined
    ? await loadConfig(file)
    : await loadConfig(file, { local: connected ? {} : { env: io.env, warn: io.stderr } });
  const channel = pickChannel(config, name, file);
  const messages = testDeliveries(name, channel, { at: Date.now(), runId: randomBytes(6).toString('hex'), by: sender(io.env) });
  const note = () => { if (channel.email.length > 0) io.stdout(`${name}/email: not sent (email goes through the alert topic, not the notifier)\n`); };

  if (!connected) {
    note();
    return testInProcess(messages, config, io);
  }
  const conn = connectTable(values, io.env);
  try {
    return await testThroughQueue(messages, conn, { prefix: values.prefix ?? 'vantage', timeoutMs, note }, io);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    io.stderr(`vantage channels: ${describeStoreError(conn, err)}\n`);
    return EXIT.USAGE;
  } finally {
    conn.client.destroy();
  }
});

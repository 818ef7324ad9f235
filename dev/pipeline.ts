/**
 * The whole Vantage pipeline on one machine, for `vantage dev`: the production code with local
 * endpoints.
 *
 *   probe handler per location, once a minute (probe-ticker.ts; confirmations routed between them)
 *     ─► DynamoDB Local table (createTable, like CDK's)
 *     ─► its stream, read with the Streams API (stream-poller.ts, filtered to result inserts)
 *     ─► evaluator handler (functions/evaluator) ─► the delivery FIFO queue (fauxqs, in-process), one
 *        message per webhook/Slack/Teams/PagerDuty target ─► notifier-poller.ts ─► the notifier handler
 *        (functions/notifier's code, with the `vantage dev` retry numbers and a ledger in the table)
 *     ─► then the SNS topic (fauxqs) ─► SQS queue ─► deliverer.ts (email, to the console)
 *   the same evaluator handler with a scheduled event (the sweep: silence, reminders), see sweepEveryMs
 *   a loopback control server (control-server.ts) that stops and starts locations
 *   agent locations (deployment.agentLocations): not probed here; their DEFINITIONS items are written
 *     at start, `vantage agent` processes started from the printed command probe them, confirmations
 *     to them go to their inbox, and their results reach the view from the stream
 *
 * Everything the pipeline does is reported as a {@link PipelineEvent}; the CLI renders them. The
 * store is wrapped only to report what was written (results, states), never to change it.
 */
import { latencyOf } from '../shared/probe/latency.ts';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { fileURLToPath } from 'node:url';
import { alertPublisher } from '../shared/alert/alert-publisher.ts';
import { deliveryQueue, type DeliveryQueue } from '../shared/alert/delivery-queue.ts';
import { snsPublisher } from '../shared/alert/publish.ts';
import { toDefinitions } from '../shared/config/definitions.ts';
import { agentLocationNames } from '../shared/config/deployment.ts';
import type { LoadedConfig } from '../shared/config/load.ts';
import type { Check } from '../shared/config/schema.ts';
import { VantageError } from '../shared/errors.ts';
import type { CheckState, Overall } from '../shared/evaluate/index.ts';
import type { Logger, LogFields } from '../shared/logging/logger.ts';
import { inboxConfirmSender } from '../shared/usecases/agent/inbox.ts';
import { createEvaluatorHandler } from '../shared/usecases/evaluate-batch/evaluator-handler.ts';
import type { NotifyEvent } from '../shared/usecases/notify/events.ts';
import { createNotifierHandler, LOCAL_NOTIFIER_RETRY } from '../shared/usecases/notify/notifier-handler.ts';
import { channelSecretResolver } from '../shared/usecases/notify/secrets.ts';
import { deliveryLedger } from '../shared/store/deliveries.ts';
import { createAgentStore, type AgentStore } from '../shared/store/agents.ts';
import { createStore, type Store } from '../shared/store/dynamo.ts';
import { createRollupStore } from '../shared/store/rollups.ts';
import { loadStatusPageInputs } from '../shared/usecases/status-page/inputs.ts';
import { buildStatusModel } from '../shared/usecases/status-page/model.ts';
import { renderStatusPage } from '../shared/usecases/status-page/render.ts';
import { createStatusPageServer } from './status-page-server.ts';
import { resultFromStreamImage, type StoredResult } from '../shared/store/items.ts';
import { isResultInsert } from '../shared/store/keys.ts';
import { createTable } from '../shared/store/table.ts';
import { MINUTE_MS } from '../shared/schedule.ts';
import { abortableSleep } from '../shared/sleep.ts';
import { startDynamoDbLocal, type DynamoDbLocal, type DynamoDbLocalOptions } from '../shared/emulators/dynamodb-local.ts';
import { createDeliverer, type DeliveryEvent } from './deliverer.ts';
import { startControlServer, type ControlTarget } from './control-server.ts';
import { writeLocalNotifier } from './local-notifier.ts';
import { createNotifierPoller } from './notifier-poller.ts';
import { scheduledEvent, startProbeTicker } from './probe-ticker.ts';
import { createDeliveryQueues, startSnsEmulator, type SnsEmulator } from './sns-emulator.ts';
import { createStreamPoller } from './stream-poller.ts';
import { LOCAL_REGION, LOCAL_TABLE, LOCAL_TOPIC } from '../shared/local/names.ts';

// Re-exported: the tests and commands that start the pipeline name them from here.
export { LOCAL_REGION, LOCAL_TABLE, LOCAL_TOPIC };

export interface LocationView {
  failing: boolean;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  degraded: boolean;
  silent: boolean;
  reason?: string;
}

export type PipelineEvent =
  | { type: 'starting'; what: string }
  | {
      type: 'ready';
      dynamodb: string;
      sns: string;
      tableName: string;
      topicArn: string;
      region: string;
      checks: string[];
      locations: string[];
      /** Each location's handler is invoked every `everyMs` (a minute, as EventBridge does). */
      schedules: Array<{ location: string; everyMs: number; checks: number }>;
      /** How often the sweep runs. */
      sweepEveryMs: number;
      /** Locations served by `vantage agent` processes (deployment.agentLocations), not probed here. */
      agentLocations?: string[];
    }
  /** How to start an agent for an agent location against this pipeline (one event per location, after `ready`). */
  | { type: 'agent'; location: string; command: string }
  | { type: 'control'; url: string }
  /** The status page, rendered afresh from the table at every request (`vantage status --html` writes the same page). */
  | { type: 'status_page'; url: string }
  | { type: 'location_stopped'; location: string }
  | { type: 'location_started'; location: string }
  | { type: 'result'; checkId: string; location: string; ts: string; ok: boolean; status: string; latencyMs: number; reason?: string; message?: string; httpStatus?: number; retries: number; trigger?: 'recheck' | 'confirm'; instance?: string }
  | { type: 'state'; checkId: string; overall: Overall; version: number; incidentId?: string; locations: Record<string, LocationView>; mute?: CheckState['mute'] }
  | { type: 'log'; source: 'probe' | 'evaluator' | 'notifier'; level: string; message: string; fields?: Record<string, unknown> }
  | { type: 'stream_discard'; shardId: string; records: number; reason: string }
  | { type: 'error'; source: string; error: string }
  | DeliveryEvent
  | NotifyEvent;

export interface PipelineOptions {
  config: LoadedConfig;
  onEvent: (event: PipelineEvent) => void;
  /** `${env:NAME}` values for probes. @default process.env */
  env?: Record<string, string | undefined>;
  /** Aborting it during start stops what was started and rejects. */
  signal?: AbortSignal;
  /** @default LOCAL_TABLE */
  tableName?: string;
  /** @default LOCAL_REGION */
  region?: string;
  dynamoDb?: DynamoDbLocalOptions;
  /** @default startDynamoDbLocal */
  startDynamoDb?: (opts: DynamoDbLocalOptions) => Promise<DynamoDbLocal>;
  /** The command line that starts an agent for a location against this pipeline. @default {@link agentCommand} */
  agentCommand?: (location: string, endpoint: string, tableName: string) => string;
}

export interface Pipeline {
  dynamodbEndpoint: string;
  snsEndpoint: string;
  tableName: string;
  topicArn: string;
  region: string;
  /** Stops and starts locations; its HTTP face is at `control.url`. */
  control: ControlTarget & { url: string };
  /** Resolves with the error that broke the pipeline on its own (DynamoDB Local died); never rejects. */
  failed: Promise<Error>;
  /** Stops probing, then the stream poller and deliverer, then the emulators. Idempotent. */
  stop(): Promise<void>;
}

export class PipelineError extends VantageError {}

/** Start was cancelled (Ctrl-C while DynamoDB Local was starting). */
export class PipelineAbortedError extends PipelineError {
  constructor() {
    super('PIPELINE_ABORTED', 'stopped while starting');
  }
}


/** The bin a person runs as `vantage`, by absolute path: the agent command must work from any directory. */
const VANTAGE_BIN = fileURLToPath(new URL('../cli/vantage.mjs', import.meta.url));

/** A word as a POSIX shell reads it back unchanged: bare when it is safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `<node> <…/cli/vantage.mjs> agent --location NAME --endpoint URL --table T`: this Node (the pinned
 * one, not whatever `node` is on PATH) and this checkout, so it can be pasted into any terminal.
 */
export function agentCommand(location: string, endpoint: string, tableName: string): string {
  return [process.execPath, VANTAGE_BIN, 'agent', '--location', location, '--endpoint', endpoint, '--table', tableName].map(shellWord).join(' ');
}

/**
 * The checks each agent location runs, where its agents read them (the DEFINITIONS item), as the CDK
 * app writes them at deploy: an agent started against this pipeline runs this config.
 */
async function publishAgentDefinitions(agentStore: AgentStore, config: LoadedConfig, locations: readonly string[]): Promise<void> {
  for (const location of locations) await agentStore.putDefinitions(location, toDefinitions(config, location));
}

/** A result an agent wrote, as the view's event; agents write to the table directly, so it comes from the stream. */
function storedResultEvent(r: StoredResult): PipelineEvent {
  return {
    type: 'result', checkId: r.checkId, location: r.location, ts: r.ts, ok: r.ok, status: r.status,
    latencyMs: Math.round(latencyOf(r) * 100) / 100, retries: r.retries,
    ...(r.failure && { reason: r.failure.reason, message: r.failure.message }),
    ...(r.httpStatus !== undefined && { httpStatus: r.httpStatus }),
    ...(r.trigger && { trigger: r.trigger }),
    ...(r.instance !== undefined && { instance: r.instance }),
  };
}

/** Reports the agent locations' results in a batch; a record it cannot read is the evaluator's to judge. */
function emitAgentResults(event: DynamoDBStreamEvent, agentLocations: ReadonlySet<string>, emit: (e: PipelineEvent) => void): void {
  if (agentLocations.size === 0) return;
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (!image) continue;
    let result: StoredResult;
    try {
      result = resultFromStreamImage(image);
    } catch {
      continue;
    }
    if (agentLocations.has(result.location)) emit(storedResultEvent(result));
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

function locationView(state: CheckState, check: Check | undefined): Record<string, LocationView> {
  const names = check?.locations ?? Object.keys(state.locations);
  return Object.fromEntries(names.map((name) => {
    const loc = state.locations[name];
    return [name, {
      failing: loc?.failing ?? false,
      consecutiveFailures: loc?.consecutiveFailures ?? 0,
      consecutiveSuccesses: loc?.consecutiveSuccesses ?? 0,
      degraded: loc?.degraded ?? false,
      silent: loc?.silentAfter !== undefined,
      ...(loc?.lastFailure && { reason: loc.lastFailure.reason }),
    }];
  }));
}

function eventLogger(emit: (e: PipelineEvent) => void, source: 'evaluator' | 'notifier' = 'evaluator'): Logger {
  const log = (level: string) => (message: string, fields?: LogFields) => emit({ type: 'log', source, level, message, ...(fields && { fields }) });
  return { info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** The probe handler's own lines: EMF metrics are dropped (no CloudWatch here), warnings and errors kept. */
function probeLineWriter(emit: (e: PipelineEvent) => void) {
  return (line: string) => {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (doc.level !== 'WARN' && doc.level !== 'ERROR') return;
    const { level, message, ...fields } = doc;
    emit({ type: 'log', source: 'probe', level: String(level), message: String(message), fields });
  };
}

/** Waits for `work` unless `signal` fires first; then cleans up whatever `work` still produces. */
async function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, cleanup: (value: T) => Promise<void>): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    void work.then(cleanup, () => {});
    throw new PipelineAbortedError();
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([work, aborted]);
    if (first === 'aborted') {
      // Stop it as soon as it is up; DynamoDB Local also dies with this process if we exit first.
      void work.then(cleanup, () => {});
      throw new PipelineAbortedError();
    }
    return first;
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/**
 * How often the local sweep runs: every minute as deployed (EventBridge `rate(1 minute)`), or every
 * shortest interval when that is shorter, so a 5 s demo shows silence (3 intervals) within seconds.
 */
export function sweepEveryMs(checks: readonly Check[]): number {
  return Math.min(MINUTE_MS, ...checks.filter((c) => c.enabled).map((c) => c.interval));
}

/** Runs `sweep` every `everyMs` (the first one after `everyMs`) until the signal fires; never rejects. */
export async function runSweeps(everyMs: number, signal: AbortSignal, sweep: (at: number) => Promise<unknown>, onError: (err: unknown) => void): Promise<void> {
  for (;;) {
    await abortableSleep(everyMs, signal);
    if (signal.aborted) return;
    try {
      await sweep(Date.now());
    } catch (err) {
      if (!signal.aborted) onError(err);
    }
  }
}

interface NotifierParts {
  db: DynamoDbLocal;
  sns: SnsEmulator;
  tableName: string;
  region: string;
  config: LoadedConfig;
  env: Record<string, string | undefined>;
  emit: (e: PipelineEvent) => void;
  signal: AbortSignal;
}

/**
 * The notifier as AWS runs it: its FIFO queue and dead-letter queue, the same handler on them through
 * the local event source mapping, its ledger in the pipeline's table. Returns the queue the evaluator
 * enqueues into and the poller's run, which ends after `signal`.
 */
async function startNotifier(p: NotifierParts): Promise<{ queue: DeliveryQueue; running: Promise<void> }> {
  const { sqs } = p.sns;
  const queues = await createDeliveryQueues(sqs, { maxAttempts: LOCAL_NOTIFIER_RETRY.maxAttempts });
  const queue = deliveryQueue(sqs, queues.queueUrl, p.config.channels);
  const handler = createNotifierHandler({
    sqs,
    queueUrl: queues.queueUrl,
    deadLetterUrl: queues.deadLetterUrl,
    channels: p.config.channels,
    ledger: deliveryLedger(p.db.client, p.tableName),
    // The local forms only: plain values and ${env:NAME}; a {secretsManager}/{ssm} reference fails permanently.
    resolveSecret: channelSecretResolver({ env: p.env }),
    queue,
    // CHANNEL_FAILING by email goes the way every email goes: the topic, then deliverer.ts.
    alerts: snsPublisher(p.sns.sns, p.sns.topicArn),
    clock: Date.now,
    logger: eventLogger(p.emit, 'notifier'),
    onEvent: p.emit,
    retry: LOCAL_NOTIFIER_RETRY,
  });
  // So `vantage channels test --endpoint <this table's endpoint>` finds this queue.
  await writeLocalNotifier(p.db.client, p.tableName, { sqsEndpoint: p.sns.endpoint, queueUrl: queues.queueUrl, deadLetterUrl: queues.deadLetterUrl, region: p.region });
  const running = createNotifierPoller({
    sqs,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    region: p.region,
    handler,
    onError: (err) => p.emit({ type: 'error', source: 'notifier', error: messageOf(err) }),
  }).run(p.signal);
  return { queue, running };
}

export async function startPipeline(opts: PipelineOptions): Promise<Pipeline> {
  const emit = opts.onEvent;
  const tableName = opts.tableName ?? LOCAL_TABLE;
  const region = opts.region ?? LOCAL_REGION;
  const checks = opts.config.checks.filter((c) => c.enabled);
  const byId = new Map(opts.config.checks.map((c) => [c.id, c]));
  const cleanups: Array<() => Promise<void>> = [];
  const runCleanups = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  };

  let db: DynamoDbLocal;
  let sns: SnsEmulator;
  try {
    emit({ type: 'starting', what: 'DynamoDB Local and the SNS/SQS emulator' });
    const dbStarting = (opts.startDynamoDb ?? startDynamoDbLocal)({ region, ...opts.dynamoDb });
    const snsStarting = startSnsEmulator({ topicName: LOCAL_TOPIC, queueName: 'vantage-email-inbox', region });
    // Both settle before anything is decided, so a failure of one never leaves the other running.
    const [dbOutcome, snsOutcome] = await Promise.allSettled([
      unlessAborted(dbStarting, opts.signal, (d) => d.stop()),
      unlessAborted(snsStarting, opts.signal, (s) => s.stop()),
    ]);
    if (dbOutcome.status === 'fulfilled') cleanups.push(() => dbOutcome.value.stop());
    if (snsOutcome.status === 'fulfilled') cleanups.push(() => snsOutcome.value.stop());
    if (dbOutcome.status === 'rejected') throw dbOutcome.reason;
    if (snsOutcome.status === 'rejected') throw snsOutcome.reason;
    db = dbOutcome.value;
    sns = snsOutcome.value;

    emit({ type: 'starting', what: `table ${tableName} with its stream` });
    const table = await unlessAborted(createTable(db.client, tableName), opts.signal, async () => {});

    const agentLocations = new Set(agentLocationNames(opts.config.deployment));
    const agentStore = createAgentStore({ client: db.client, tableName });
    if (agentLocations.size > 0) {
      emit({ type: 'starting', what: `the agent locations' checks in the table (${[...agentLocations].join(', ')})` });
      await unlessAborted(publishAgentDefinitions(agentStore, opts.config, [...agentLocations]), opts.signal, async () => {});
    }

    const baseStore = createStore({ client: db.client, tableName });
    const stop = new AbortController();
    const store: Store = {
      ...baseStore,
      async putResults(results) {
        const out = await baseStore.putResults(results);
        for (const r of results) {
          emit({
            type: 'result', checkId: r.checkId ?? '?', location: r.location ?? '?', ts: r.startedAt, ok: r.ok, status: r.status,
            latencyMs: Math.round(latencyOf(r) * 100) / 100, retries: r.retries ?? 0,
            ...(r.failure && { reason: r.failure.reason, message: r.failure.message }),
            ...(r.http && { httpStatus: r.http.status }),
            ...(r.trigger && { trigger: r.trigger }),
          });
        }
        return out;
      },
      async putState(state, expectedVersion) {
        const version = await baseStore.putState(state, expectedVersion);
        const s = state as unknown as CheckState;
        emit({ type: 'state', checkId: s.checkId, overall: s.overall, version, ...(s.incident && { incidentId: s.incident.id }), ...(s.mute && { mute: s.mute }), locations: locationView(s, byId.get(s.checkId)) });
        return version;
      },
    };

    emit({ type: 'starting', what: 'the notifier and its delivery queues' });
    const notifier = await unlessAborted(
      startNotifier({ db, sns, tableName, region, config: opts.config, env: opts.env ?? process.env, emit, signal: stop.signal }),
      opts.signal,
      async () => { stop.abort(); },
    );
    cleanups.push(async () => {
      stop.abort();
      await notifier.running;
    });

    const streams = new DynamoDBStreamsClient(db.clientConfig);
    cleanups.push(async () => streams.destroy());
    // The sweep accounts every minute into the hour rollups, as deployed: SLOs, reports and the status page read them.
    const rollups = createRollupStore(db.client, tableName);
    const evaluator = createEvaluatorHandler({
      store,
      rollups,
      // Queue first, then the topic: see shared/alert/alert-publisher.ts.
      publisher: alertPublisher({ sns: snsPublisher(sns.sns, sns.topicArn), queue: notifier.queue }),
      checks: byId,
      channels: opts.config.channels,
      maintenance: opts.config.maintenance,
      clock: Date.now,
      logger: eventLogger(emit),
      // The sweep's EMF line is for CloudWatch; here stdout belongs to the view.
      writeMetric: () => {},
    });
    const poller = createStreamPoller({
      streams,
      streamArn: table.streamArn,
      awsRegion: region,
      handler: (event) => {
        emitAgentResults(event, agentLocations, emit);
        return evaluator(event, { awsRequestId: 'local' } as never);
      },
      filter: isResultInsert,
      onDiscard: (d) => emit({ type: 'stream_discard', shardId: d.shardId, records: d.records.length, reason: d.reason }),
    });

    /** The poller, restarted after a failed Streams call; its cursors survive, so nothing is re-read. */
    const polling = (async () => {
      while (!stop.signal.aborted) {
        try {
          await poller.run(stop.signal);
        } catch (err) {
          if (stop.signal.aborted) break;
          emit({ type: 'error', source: 'stream-poller', error: messageOf(err) });
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    })();

    const delivering = createDeliverer({ sqs: sns.sqs, queueUrl: sns.queueUrl, channels: opts.config.channels, onEvent: emit }).run(stop.signal);

    const ticker = startProbeTicker({
      checks,
      store,
      signal: stop.signal,
      agentLocations,
      agentInbox: inboxConfirmSender(agentStore),
      env: opts.env ?? process.env,
      write: probeLineWriter(emit),
      onError: (location, err) => emit({ type: 'error', source: `probe ${location}`, error: messageOf(err) }),
      onLocation: (location, state) => emit({ type: state === 'stopped' ? 'location_stopped' : 'location_started', location }),
    });
    const sweepMs = sweepEveryMs(checks);
    const sweeping = runSweeps(sweepMs, stop.signal, (at) => evaluator(scheduledEvent(at, 'vantage-sweep') as ScheduledEvent, { awsRequestId: 'local-sweep' } as Context), (err) => emit({ type: 'error', source: 'sweep', error: messageOf(err) }));

    // Probes first (nothing new is written), then the readers, then the emulators they read from.
    cleanups.push(async () => {
      stop.abort();
      await Promise.all([ticker.done, sweeping]);
      await Promise.all([polling, delivering]);
    });
    const control = await startControlServer(ticker);
    // Closed before the probes stop, so nothing can start a location while the pipeline stops.
    cleanups.push(() => control.close());
    const title = opts.config.deployment?.statusPage?.title;
    const statusPage = await createStatusPageServer(
      async () => renderStatusPage(buildStatusModel(await loadStatusPageInputs({ store, rollups }, { checks, now: Date.now(), ...(title !== undefined && { title }) }))),
      0,
      { onError: (err) => emit({ type: 'error', source: 'status page', error: messageOf(err) }) },
    );
    cleanups.push(() => statusPage.close());

    const locations = [...ticker.locations];
    emit({
      type: 'ready',
      dynamodb: db.endpoint,
      sns: sns.endpoint,
      tableName,
      topicArn: sns.topicArn,
      region,
      checks: checks.map((c) => c.id),
      locations,
      schedules: locations.map((location) => ({ location, everyMs: MINUTE_MS, checks: checks.filter((c) => c.locations.includes(location)).length })),
      sweepEveryMs: sweepMs,
      agentLocations: [...agentLocations],
    });
    emit({ type: 'control', url: control.url });
    emit({ type: 'status_page', url: statusPage.url });
    const command = opts.agentCommand ?? agentCommand;
    for (const location of agentLocations) emit({ type: 'agent', location, command: command(location, db.endpoint, tableName) });

    let stopped: Promise<void> | undefined;
    return {
      dynamodbEndpoint: db.endpoint,
      snsEndpoint: sns.endpoint,
      tableName,
      topicArn: sns.topicArn,
      region,
      control: { url: control.url, locations: ticker.locations, stop: ticker.stop, start: ticker.start, state: ticker.state },
      failed: db.died,
      stop: () => (stopped ??= runCleanups()),
    };
  } catch (err) {
    await runCleanups();
    throw err;
  }
}

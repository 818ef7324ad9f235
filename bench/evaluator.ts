/**
 * Measurement 4: the evaluator.
 *  - The pure policy (`evaluate` from shared/evaluate), in results per second, in this process.
 *  - The stream handler (`createEvaluatorHandler`, which functions/evaluator/handler.ts wires for Lambda) on DynamoDB
 *    Local, fed stream events shaped as Lambda delivers them (INSERT records with the result item as
 *    NewImage), in batches of 100 from 10 checks × 3 locations; results per second.
 *  - State writes per result, counted by a middleware on the handler's own DynamoDB client (PutItem,
 *    UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems), in steady state and during an outage.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { loadConfigObject } from '../shared/config/load.ts';
import type { Check } from '../shared/config/schema.ts';
import type { ProbeResult } from '../shared/probe/types.ts';

const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);
const LOCATIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
const CHECKS = 10;
const INTERVAL_MS = 60_000;
/** Simulated time starts two hours ago: heartbeats and results carry TTLs, which DynamoDB Local enforces. */
const T0 = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS - 2 * 3_600_000;

export interface EvaluatorResult {
  pure?: { results: number; resultsPerSec: number };
  handler?: {
    batchSize: number;
    batches: number;
    resultsPerSec: number;
    /** Median wall time of one batch of 100. */
    medianBatchMs: number;
    steady: { results: number; writes: number; writesPerResult: number };
    outage: { results: number; writes: number; writesPerResult: number; publishes: number; events: string[] };
  };
  notes: string[];
}

function benchChecks(): Check[] {
  return loadConfigObject({
    defaults: { interval: '1m', locations: LOCATIONS, retries: 0, alerting: { failureThreshold: 2, recoveryThreshold: 2 } },
    checks: Array.from({ length: CHECKS }, (_, i) => ({ id: `bench-${i}`, http: { url: `http://127.0.0.1:9/${i}` } })),
  }).checks;
}

function result(checkId: string, location: string, ts: number, ok: boolean): ProbeResult {
  return {
    checkId, location, kind: 'http', target: 'http://127.0.0.1:9/', startedAt: new Date(ts).toISOString(),
    ok, status: ok ? 'up' : 'down',
    phases: { dns: 0, connect: 0.4, ttfb: 1.2, transfer: 0.1, total: 2.1 },
    http: { status: ok ? 200 : 503, version: 'HTTP/1.1', redirects: 0, bodyBytes: 3 },
    assertions: [],
    ...(!ok && { failure: { reason: 'status_code' as const, message: 'status 503, expected one of 200' } }),
  };
}

/** Rounds of results: every check at every location once per interval; `failing(round, check)` picks the failures. */
function rounds(from: number, count: number, failing: (round: number, check: number) => boolean): ProbeResult[] {
  const out: ProbeResult[] = [];
  for (let r = from; r < from + count; r++) {
    for (let c = 0; c < CHECKS; c++) {
      for (const [l, loc] of LOCATIONS.entries()) out.push(result(`bench-${c}`, loc, T0 + r * INTERVAL_MS + l * 7, !failing(r, c)));
    }
  }
  return out;
}

export async function measurePureEvaluator(opts: { rounds: number }): Promise<EvaluatorResult['pure']> {
  const { evaluate, policyFor, toResultRecord } = await import('../shared/evaluate/index.ts');
  const checks = benchChecks();
  const policies = checks.map((c) => policyFor(c));
  const records = rounds(0, opts.rounds, () => false).map(toResultRecord);
  // Grouped per check and round, as the handler passes them: 3 results (one per location) a call.
  const groups: Array<{ check: number; results: typeof records }> = [];
  for (let i = 0; i < records.length; i += LOCATIONS.length) groups.push({ check: Math.floor(i / LOCATIONS.length) % CHECKS, results: records.slice(i, i + LOCATIONS.length) });
  const states = new Array<ReturnType<typeof evaluate>['state'] | undefined>(CHECKS);
  const run = (n: number) => {
    for (let g = 0; g < n; g++) {
      const { check, results } = groups[g % groups.length]!;
      states[check] = evaluate(states[check], results, policies[check]!, results[results.length - 1]!.ts + 1).state;
    }
  };
  run(Math.min(groups.length, 1000)); // warm-up
  states.fill(undefined);
  const t0 = performance.now();
  run(groups.length);
  const seconds = (performance.now() - t0) / 1000;
  return { results: records.length, resultsPerSec: records.length / seconds };
}

function streamEvent(results: ProbeResult[], seq: { n: number }, toItem: (r: ProbeResult) => object): DynamoDBStreamEvent {
  const Records: DynamoDBRecord[] = results.map((r) => {
    const item = toItem(r) as { pk: string; sk: string };
    seq.n++;
    return {
      eventID: String(seq.n),
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/bench/stream/2026-11-03T00:00:00.000',
      dynamodb: {
        Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
        NewImage: marshall(item, { removeUndefinedValues: true }) as never,
        SequenceNumber: String(seq.n).padStart(21, '0'),
        SizeBytes: 300,
        StreamViewType: 'NEW_IMAGE',
      },
    };
  });
  return { Records };
}

export async function measureStreamHandler(opts: { steadyBatches: number; log: (s: string) => void }): Promise<EvaluatorResult['handler'] | string> {
  // The stream handler the Lambda function wires (functions/evaluator/handler.ts), with this bench's deps.
  const handlerMod = await import('../shared/usecases/evaluate-batch/evaluator-handler.ts');
  const { startDynamoDbLocal } = await import('../shared/emulators/dynamodb-local.ts');
  const { createStore, createTable } = await import('../shared/store/dynamo.ts');
  const { toResultItem } = await import('../shared/store/items.ts');
  const ddb = await startDynamoDbLocal();
  try {
    const tableName = `bench-${Date.now()}`;
    await createTable(ddb.client, tableName);
    const checks = benchChecks();
    let writes = 0;
    const client = new DynamoDBClient(ddb.clientConfig);
    client.middlewareStack.add((next, context) => async (args) => {
      if (WRITE_COMMANDS.has(context.commandName ?? '')) writes++;
      return next(args);
    }, { step: 'initialize', name: 'benchCountWrites' });
    const store = createStore({ client, tableName });
    // Heartbeats through another client, so they are not counted as the evaluator's writes; dated at
    // the end of the simulated time so no location looks silent.
    const sideStore = createStore({ client: ddb.client, tableName });
    const published: string[] = [];
    let now = T0;
    const handler = handlerMod.createEvaluatorHandler({
      store,
      publisher: { publish: async (m) => { published.push(m.subject ?? ''); return `m-${published.length}`; } },
      checks: handlerMod.checksById(checks),
      channels: {},
      maintenance: [],
      clock: () => now,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
    const context = { getRemainingTimeInMillis: () => 900_000, functionName: 'bench', awsRequestId: 'bench' } as unknown as Context;
    const seq = { n: 0 };
    const toItem = (r: ProbeResult) => toResultItem(r);
    const BATCH = 100;

    async function feed(results: ProbeResult[], timings?: number[]): Promise<void> {
      for (let i = 0; i < results.length; i += BATCH) {
        const chunk = results.slice(i, i + BATCH);
        now = Date.parse(chunk[chunk.length - 1]!.startedAt) + 1_000;
        const event = streamEvent(chunk, seq, toItem);
        const t0 = performance.now();
        const res = await handler(event, context);
        timings?.push(performance.now() - t0);
        if (res.batchItemFailures.length) throw new Error(`the handler reported ${res.batchItemFailures.length} failed record(s)`);
      }
    }

    const totalRounds = 4 + Math.ceil((opts.steadyBatches * BATCH) / (CHECKS * LOCATIONS.length)) + 12;
    for (const loc of LOCATIONS) await sideStore.putHeartbeat(loc, { lastSeen: new Date(T0 + totalRounds * INTERVAL_MS).toISOString(), checksRun: CHECKS });

    // Warm-up: the first results create each check's state (one write each), then it comes to rest.
    await feed(rounds(0, 4, () => false));
    // Steady state: everything passing.
    const steadyRounds = Math.ceil((opts.steadyBatches * BATCH) / (CHECKS * LOCATIONS.length));
    const steady = rounds(4, steadyRounds, () => false);
    writes = 0;
    const timings: number[] = [];
    const t0 = performance.now();
    await feed(steady, timings);
    const seconds = (performance.now() - t0) / 1000;
    const steadyWrites = writes;
    // Outage: checks 0-4 fail at every location for 6 rounds, then pass for 6 (DOWN, then RESOLVED).
    const outageFrom = 4 + steadyRounds;
    const outage = rounds(outageFrom, 12, (r, c) => c < 5 && r < outageFrom + 6);
    writes = 0;
    published.length = 0;
    await feed(outage);
    const outageWrites = writes;
    timings.sort((a, b) => a - b);
    return {
      batchSize: BATCH,
      batches: timings.length,
      resultsPerSec: steady.length / seconds,
      medianBatchMs: timings[timings.length >> 1]!,
      steady: { results: steady.length, writes: steadyWrites, writesPerResult: steadyWrites / steady.length },
      outage: { results: outage.length, writes: outageWrites, writesPerResult: outageWrites / outage.length, publishes: published.length, events: [...published] },
    };
  } finally {
    await ddb.stop();
  }
}

export async function measureEvaluator(opts: { pureRounds: number; steadyBatches: number; log: (s: string) => void }): Promise<EvaluatorResult> {
  const notes: string[] = [];
  const out: EvaluatorResult = { notes };
  try {
    out.pure = await measurePureEvaluator({ rounds: opts.pureRounds });
  } catch (err) {
    notes.push(`pure policy not measured: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    const h = await measureStreamHandler(opts);
    if (typeof h === 'string') notes.push(`stream handler not measured: ${h}`);
    else out.handler = h;
  } catch (err) {
    notes.push(`stream handler not measured: ${(err as Error).message.split('\n')[0]}`);
  }
  return out;
}

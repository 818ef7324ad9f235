import { DemoPortBusyError, startDemoTargets, type DemoTargets } from '../../dev/demo-targets.ts';
import { JavaMissingError } from '../../shared/emulators/dynamodb-local.ts';
import { PipelineAbortedError, startPipeline, type Pipeline } from '../../dev/pipeline.ts';
import { LOCAL_NOTIFIER_RETRY } from '../../shared/usecases/notify/notifier-handler.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { configFromArgs } from '../config-arg.ts';
import { EXIT } from '../io.ts';
import { exitNoLaterThan, watchLifetime } from '../lifetime.ts';
import { jsonView, keyAction, plainView, ttyView, type View, type ViewEvent } from '../live-view.ts';

const HELP = `usage: vantage dev [--config FILE] [--demo] [--json]

Runs the whole pipeline on this machine: DynamoDB Local (needs Java 17+), an SNS/SQS emulator, each
location's probe handler on its schedule, the evaluator on the table's stream, and the notifier on its
FIFO delivery queue, which delivers to the channels' webhooks, Slack, Teams and PagerDuty with the
deployed code (retries from ${LOCAL_NOTIFIER_RETRY.baseDelayMs / 1000}s, doubling to ${LOCAL_NOTIFIER_RETRY.maxDelayMs / 1000}s, ${LOCAL_NOTIFIER_RETRY.maxAttempts} attempts, then the dead-letter queue). Email
channels are printed on this console. Channel secrets may be plain or \${env:NAME} here; a
{secretsManager}/{ssm} reference is not read locally. Nothing leaves this machine except the probes
and the deliveries to the URLs you configured. Intervals down to 1s are allowed here.
\`vantage channels test NAME --endpoint <the DynamoDB endpoint it prints>\` sends a test notification
through this pipeline's notifier.
Each location's handler is invoked once a minute, as EventBridge does in AWS; the sweep (silence,
reminders) runs every minute, or every shortest interval when that is shorter.
It prints \`control: <url>\` (loopback): \`curl -X POST <url>/locations/<name>/stop\` stops a location
(it then writes nothing at all, heartbeat included) and \`.../start\` starts it again. In the live
view, the keys 1-9 do the same for the locations in column order.
A location in deployment.agentLocations is served by agents: it is not probed here. Its checks are
written to the table at start, and it prints \`agent: <command>\` per agent location: run that command
(in as many terminals as you want instances; add \`--instance ID --heartbeat 1s\` to taste) to start
an agent against this pipeline, kill and restart it to see the others take over and the location go
silent and come back. Confirmations to it go to its inbox, which the agents poll.
  --demo    also start the demo targets that examples/demo.yaml monitors (127.0.0.1:47801, 47802, 47810)
  --json    one JSON event per line instead of the live view
Stop with Ctrl-C (or SIGTERM, SIGHUP); it also stops when the process that started it exits (npm
or npx under \`docker stop\`). Everything it started stops with it, DynamoDB Local even if this
process is killed with SIGKILL.
Exit codes: 0 stopped by you, 1 a part of the pipeline failed (e.g. DynamoDB Local crashed), 2 usage,
config or environment error (Java missing, a demo port in use).
`;

/**
 * Number keys toggle locations. Raw mode delivers Ctrl-C as a byte rather than a signal, so it is
 * turned back into SIGINT here and stops the pipeline as Ctrl-C does without the live view.
 * https://nodejs.org/api/tty.html#readstreamsetrawmodemode
 */
function readKeys(view: View, pipeline: Pipeline): () => void {
  const stdin = process.stdin;
  const onData = (chunk: Buffer) => {
    for (const key of chunk.toString('utf8')) {
      const action = keyAction(key, view.keyed?.() ?? []);
      if (action?.type === 'interrupt') process.kill(process.pid, 'SIGINT');
      else if (action?.type === 'toggle') {
        const { control } = pipeline;
        if (control.state(action.location) === 'stopped') control.start(action.location);
        else control.stop(action.location);
      }
    }
  };
  stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

/** Once stopping has begun, the longest this process may live on (a hung stop, a leaked handle). */
const STOP_DEADLINE_MS = 15_000;

export const dev = defineCommand('dev', HELP, async (argv, io) => {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    demo: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const { config } = await configFromArgs(values.config, io, { local: { env: io.env, warn: io.stderr } });
  if (!config.checks.some((c) => c.enabled)) throw new UsageError('the config has no enabled checks', { showHelp: false });

  const terminal = {
    write: io.stdout,
    columns: () => process.stdout.columns,
    rows: () => process.stdout.rows,
  };
  // Keys only where a person can press them: the live view, with stdin a terminal too.
  const keys = !values.json && io.isTTY && process.stdin.isTTY;
  const view: View = values.json
    ? jsonView({ checks: config.checks, terminal })
    : io.isTTY ? ttyView({ checks: config.checks, terminal, keys }) : plainView({ checks: config.checks, terminal });
  const emit = (e: ViewEvent) => view.event(e);

  const lifetime = watchLifetime();
  const signal = AbortSignal.any([io.signal, lifetime.signal]);
  let deadlineSet = false;
  const stopWithinDeadline = () => {
    if (deadlineSet) return;
    deadlineSet = true;
    exitNoLaterThan(STOP_DEADLINE_MS, () => {
      io.stderr(`vantage dev: still running ${STOP_DEADLINE_MS / 1000} s after stopping began; exiting now\n`);
    }, EXIT.DOWN);
  };
  signal.addEventListener('abort', stopWithinDeadline, { once: true });

  let demo: DemoTargets | undefined;
  let pipeline: Pipeline | undefined;
  try {
    if (values.demo) demo = await startDemoTargets({ onEvent: emit });
    pipeline = await startPipeline({ config, onEvent: emit, env: io.env, signal });
  } catch (err) {
    view.close();
    await demo?.stop();
    lifetime.release();
    if (err instanceof PipelineAbortedError) return EXIT.OK;
    if (err instanceof JavaMissingError || err instanceof DemoPortBusyError) {
      io.stderr(`vantage dev: ${err.message}\n`);
      return EXIT.USAGE;
    }
    io.stderr(`vantage dev: could not start: ${(err as Error).message}\n`);
    return EXIT.DOWN;
  }

  const releaseKeys = keys ? readKeys(view, pipeline) : () => {};
  const outcome = await new Promise<{ reason?: string; error?: Error }>((resolve) => {
    if (signal.aborted) return resolve({});
    signal.addEventListener('abort', () => resolve({}), { once: true });
    void pipeline.failed.then((error) => resolve({ reason: 'DynamoDB Local stopped unexpectedly', error }));
  });
  // Read after the await: every listener of the signal that woke us has run by now, ours included.
  outcome.reason ??= lifetime.signal.aborted ? String(lifetime.signal.reason) : 'signal';

  const t0 = performance.now();
  if (outcome.error) emit({ type: 'fatal', error: outcome.error.message });
  stopWithinDeadline();
  releaseKeys();
  emit({ type: 'stopping', reason: outcome.reason });
  await Promise.all([pipeline.stop(), demo?.stop()]);
  const code = outcome.error ? EXIT.DOWN : EXIT.OK;
  emit({ type: 'stopped', exitCode: code, ms: Math.round(performance.now() - t0) });
  view.close();
  lifetime.release();
  if (outcome.error) io.stderr(`vantage dev: ${outcome.error.message}\n`);
  return code;
});

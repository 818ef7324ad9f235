import { loadConfigFile } from '../../shared/config/load.ts';
import { DemoPortBusyError, startDemoTargets, type DemoTargets } from '../../shared/local/demo-targets.ts';
import { JavaMissingError } from '../../shared/local/dynamodb-local.ts';
import { PipelineAbortedError, startPipeline, type Pipeline } from '../../shared/local/pipeline.ts';
import { defineCommand, parse, required, UsageError } from '../args.ts';
import { EXIT } from '../io.ts';
import { jsonView, plainView, ttyView, type View, type ViewEvent } from '../live-view.ts';

const HELP = `usage: vantage dev --config FILE [--demo] [--json]

Runs the whole pipeline on this machine: DynamoDB Local (needs Java 17+), an SNS/SQS emulator, each
location's probe handler on its schedule, the evaluator on the table's stream, and delivery of alerts
to webhooks (HTTP POST) and to this console (email channels). Nothing leaves loopback except the
probes themselves. Intervals down to 1s are allowed here.
  --demo    also start the demo targets that examples/demo.yaml monitors (127.0.0.1:47801, 47802, 47810)
  --json    one JSON event per line instead of the live view
Stop with Ctrl-C (or SIGTERM); everything it started stops with it.
Exit codes: 0 stopped by you, 1 a part of the pipeline failed (e.g. DynamoDB Local crashed), 2 usage,
config or environment error (Java missing, a demo port in use).
`;

export const dev = defineCommand('dev', HELP, async (argv, io) => {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    demo: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const config = loadConfigFile(required(values.config, '--config'));
  if (!config.checks.some((c) => c.enabled)) throw new UsageError('the config has no enabled checks', { showHelp: false });

  const terminal = {
    write: io.stdout,
    columns: () => process.stdout.columns,
    rows: () => process.stdout.rows,
  };
  const view: View = values.json
    ? jsonView({ checks: config.checks, terminal })
    : io.isTTY ? ttyView({ checks: config.checks, terminal }) : plainView({ checks: config.checks, terminal });
  const emit = (e: ViewEvent) => view.event(e);

  // A second Ctrl-C while stopping would otherwise kill this process before DynamoDB Local (which
  // runs in its own process group, out of the terminal's reach) is stopped.
  const holdSignals = () => {};
  process.on('SIGINT', holdSignals);
  process.on('SIGTERM', holdSignals);

  let demo: DemoTargets | undefined;
  let pipeline: Pipeline | undefined;
  try {
    if (values.demo) demo = await startDemoTargets({ onEvent: emit });
    pipeline = await startPipeline({ config, onEvent: emit, env: io.env, signal: io.signal });
  } catch (err) {
    view.close();
    await demo?.stop();
    release();
    if (err instanceof PipelineAbortedError) return EXIT.OK;
    if (err instanceof JavaMissingError || err instanceof DemoPortBusyError) {
      io.stderr(`vantage dev: ${err.message}\n`);
      return EXIT.USAGE;
    }
    io.stderr(`vantage dev: could not start: ${(err as Error).message}\n`);
    return EXIT.DOWN;
  }

  const outcome = await new Promise<{ reason: string; error?: Error }>((resolve) => {
    if (io.signal.aborted) return resolve({ reason: 'signal' });
    io.signal.addEventListener('abort', () => resolve({ reason: 'signal' }), { once: true });
    void pipeline.failed.then((error) => resolve({ reason: 'DynamoDB Local stopped unexpectedly', error }));
  });

  const t0 = performance.now();
  if (outcome.error) emit({ type: 'fatal', error: outcome.error.message });
  emit({ type: 'stopping', reason: outcome.reason });
  await Promise.all([pipeline.stop(), demo?.stop()]);
  const code = outcome.error ? EXIT.DOWN : EXIT.OK;
  emit({ type: 'stopped', exitCode: code, ms: Math.round(performance.now() - t0) });
  view.close();
  release();
  if (outcome.error) io.stderr(`vantage dev: ${outcome.error.message}\n`);
  return code;

  function release() {
    process.removeListener('SIGINT', holdSignals);
    process.removeListener('SIGTERM', holdSignals);
  }
});

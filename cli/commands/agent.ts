/**
 * `vantage agent`: one instance of an agent location (shared/usecases/agent/agent.ts), as a
 * long-running process for a container or a systemd unit, and `vantage agent health`, the container's
 * HEALTHCHECK, which reads the file the agent rewrites after every beat it writes.
 *
 * This file only wires: flags and environment → the table connection, the stores and the secret
 * resolver → runAgent, and signals → a graceful leave (the first) or a stop at once (the second).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createSecretResolver, perRegion } from '../../shared/aws/secrets.ts';
import { formatDuration, parseDuration } from '../../shared/config/duration.ts';
import { NAME } from '../../shared/config/name.ts';
import { createAgentStore } from '../../shared/store/agents.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { StoreError } from '../../shared/store/errors.ts';
import { AgentError, defaultInstanceId, runAgent, type AgentOptions } from '../../shared/usecases/agent/agent.ts';
import { DEFAULT_BEAT_MS, LEAVE_BEATS, LIVE_BEATS, MIN_BEAT_MS } from '../../shared/usecases/agent/membership.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { EXIT, type CliIO } from '../io.ts';
import { exitNoLaterThan, watchLifetime } from '../lifetime.ts';
import { packageVersion } from '../version.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectTable, describeStoreError, type TableConnection } from '../table-connection.ts';

/** Where the agent writes its health file, and `vantage agent health` reads it, unless told otherwise. */
export const DEFAULT_HEALTH_FILE = '/tmp/vantage-agent/health.json';
/** The rule for location names, for instance ids too, so an instance id fits in any key and log field. */
const INSTANCE_ID = NAME;
/** Beats a health check may miss before the instance counts as unhealthy: as long as the others still count it live. */
const HEALTHY_BEATS = LIVE_BEATS;

const HELP = `usage: vantage agent --location NAME [--instance ID] [--endpoint URL | --region REGION] [--table NAME]
                     [--heartbeat 10s] [--health-file PATH]
       vantage agent health [--health-file PATH] [--max-age DURATION]

Runs one instance of an agent location (deployment.agentLocations): the checks whose locations include
NAME, on their schedules, from this host. Run two or more instances per location: they share the
checks (each check runs on one live instance per interval), a failure is retested at once on another
instance, and when one dies the others take over its checks within about 4 heartbeats.
What it needs: outbound HTTPS to the DynamoDB API of the home region (results, heartbeats, and
requests from other locations, polled once a second). Nothing listens; no inbound port.
The checks come from the table (the DEFINITIONS item that \`cdk deploy\` or \`vantage dev\` writes),
re-read every minute; a new version is logged and used from the next minute.
Credentials: the AWS SDK default chain. With IAM Roles Anywhere, a profile whose credential_process is
aws_signing_helper (certificate and key on this host); otherwise a profile with role_arn (the agent
role \`cdk deploy\` prints) and source credentials kept in the host's secret store. Secrets the checks
name are read from Secrets Manager/SSM; with --endpoint (a local pipeline) only \${env:NAME} values.
  --location NAME     the agent location (env VANTAGE_LOCATION)
  --instance ID       this instance's id, [a-z0-9][a-z0-9._-]* up to 64 (env VANTAGE_INSTANCE;
                      default <hostname>-<pid>, unique per process)
${CONNECTION_HELP}
                   (--endpoint may come from env VANTAGE_ENDPOINT)
  --heartbeat DUR     how often this instance beats and reads the others' beats; at least
                      ${formatDuration(MIN_BEAT_MS)}, the same on every instance of a location (default ${formatDuration(DEFAULT_BEAT_MS)})
  --health-file PATH  rewritten after every beat (env VANTAGE_HEALTH_FILE; default ${DEFAULT_HEALTH_FILE})
Logs: one JSON object per line on stdout.
Stop with SIGTERM or Ctrl-C: it announces that it leaves, keeps running its checks for ${LEAVE_BEATS} heartbeats
while the others take them over, then exits; a second signal stops it at once. It also stops when the
process that started it exits.
Exit codes: 0 stopped by a signal, 1 a fatal error, 2 usage error or no checks for the location.

vantage agent health: exit 0 when the health file's last beat is younger than --max-age (default
${HEALTHY_BEATS} heartbeats of the agent that wrote it), else 1 with the reason on one line.
`;

interface AgentFlags {
  location: string;
  instance: string;
  beatMs: number;
  healthFile: string;
  connection: { endpoint?: string | undefined; table?: string | undefined; region?: string | undefined };
}

/** Every flag problem at once, so one run names them all. */
function agentFlags(argv: string[], env: CliIO['env']): AgentFlags {
  const { values } = parse(argv, {
    ...CONNECTION_OPTIONS,
    location: { type: 'string' },
    instance: { type: 'string' },
    heartbeat: { type: 'string' },
    'health-file': { type: 'string' },
  });
  const problems: string[] = [];
  const location = values.location ?? env.VANTAGE_LOCATION;
  if (!location) problems.push('--location is required (or set VANTAGE_LOCATION)');
  else if (!INSTANCE_ID.test(location)) problems.push(`--location "${location}" is not a location name: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 (as in deployment.agentLocations)`);
  const instance = values.instance ?? env.VANTAGE_INSTANCE ?? defaultInstanceId(hostname(), process.pid);
  if (!INSTANCE_ID.test(instance)) problems.push(`--instance "${instance}" is not an instance id: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64`);
  let beatMs = DEFAULT_BEAT_MS;
  if (values.heartbeat !== undefined) {
    const ms = parseDuration(values.heartbeat);
    if (ms === undefined) problems.push(`--heartbeat "${values.heartbeat}" is not a duration (e.g. 10s)`);
    else if (ms < MIN_BEAT_MS) problems.push(`--heartbeat ${values.heartbeat} is below the minimum of ${formatDuration(MIN_BEAT_MS)}`);
    else beatMs = ms;
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n  '), { showHelp: !location });
  return {
    location: location!,
    instance,
    beatMs,
    healthFile: resolve(values['health-file'] ?? env.VANTAGE_HEALTH_FILE ?? DEFAULT_HEALTH_FILE),
    connection: { endpoint: values.endpoint ?? env.VANTAGE_ENDPOINT, table: values.table, region: values.region },
  };
}

/**
 * Bounded requests: the SDK waits forever by default, and a hung write must not hold a beat past the
 * point where the others count this instance gone (the probe function bounds its requests the same).
 */
const REQUEST_HANDLER = { connectionTimeout: 2_000, requestTimeout: 5_000 };

/** Secrets Manager and SSM against AWS; a local pipeline has neither, so only `${env:NAME}` values (as `vantage dev`). */
function runnerFor(conn: TableConnection, env: CliIO['env']): NonNullable<AgentOptions['runner']> {
  if (conn.endpoint !== undefined) return { env };
  const resolveSecret = createSecretResolver({
    secretsManager: perRegion((region) => new SecretsManagerClient({ region: region ?? conn.region, requestHandler: REQUEST_HANDLER })),
    ssm: perRegion((region) => new SSMClient({ region: region ?? conn.region, requestHandler: REQUEST_HANDLER })),
    defaultRegion: conn.region,
  });
  return { env, resolveSecret };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** After a stop at once, the longest a probe still running may hold the process. */
const KILL_DEADLINE_MS = 5_000;
/** After the leave window, the longest the last probes may take (a probe's timeout is at most a minute). */
const LEAVE_GRACE_MS = 70_000;

/** The first signal (or the parent exiting) leaves gracefully; a second stops at once. */
function stopSignals(io: CliIO, beatMs: number, onOverdue: () => void) {
  const lifetime = watchLifetime();
  const leave = AbortSignal.any([io.signal, lifetime.signal]);
  const kill = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals >= 2 && !kill.signal.aborted) kill.abort();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  leave.addEventListener('abort', () => exitNoLaterThan(LEAVE_BEATS * beatMs + LEAVE_GRACE_MS, onOverdue, EXIT.DOWN), { once: true });
  kill.signal.addEventListener('abort', () => exitNoLaterThan(KILL_DEADLINE_MS, onOverdue, EXIT.OK), { once: true });
  return {
    leave,
    kill: kill.signal,
    release() {
      for (const s of SIGNALS) process.removeListener(s, onSignal);
      lifetime.release();
    },
  };
}

async function runInstance(argv: string[], io: CliIO): Promise<number> {
  const flags = agentFlags(argv, io.env);
  const conn = connectTable(flags.connection, io.env, { requestHandler: REQUEST_HANDLER });
  try {
    mkdirSync(dirname(flags.healthFile), { recursive: true });
  } catch (err) {
    throw new UsageError(`cannot create the directory of the health file ${flags.healthFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (pass --health-file)`, { showHelp: false });
  }
  const stops = stopSignals(io, flags.beatMs, () => io.stderr(`vantage agent: still running after stopping began; exiting now\n`));
  try {
    const version = packageVersion();
    await runAgent({
      location: flags.location,
      instance: flags.instance,
      store: createStore({ client: conn.client, tableName: conn.tableName }),
      agentStore: createAgentStore({ client: conn.client, tableName: conn.tableName }),
      beatMs: flags.beatMs,
      runner: runnerFor(conn, io.env),
      write: (line) => io.stdout(`${line}\n`),
      signal: stops.leave,
      kill: stops.kill,
      healthFile: flags.healthFile,
      host: hostname(),
      ...(version !== undefined && { agentVersion: version }),
    });
    if (stops.leave.aborted) return EXIT.OK;
    io.stderr('vantage agent: stopped without being asked to\n');
    return EXIT.DOWN;
  } catch (err) {
    if (err instanceof AgentError) {
      // runAgent knows the location, not which table it was given: name both.
      io.stderr(`vantage agent: ${conn.where}: ${err.message}\n`);
      return err.code === 'AGENT_NO_DEFINITIONS' ? EXIT.USAGE : EXIT.DOWN;
    }
    if (err instanceof StoreError) {
      const noCredentials = (err.cause as { name?: unknown } | undefined)?.name === 'CredentialsProviderError';
      io.stderr(`vantage agent: ${describeStoreError(conn, err)}${noCredentials ? ' (no AWS credentials found: see "Credentials" in `vantage agent --help`)' : ''}\n`);
      return EXIT.DOWN;
    }
    throw err;
  } finally {
    stops.release();
    conn.client.destroy();
  }
}

/** What `vantage agent health` reads: the fields it needs of what runAgent writes. */
interface HealthDoc {
  lastBeat: string | number;
  beatMs?: number;
  location?: string;
  instance?: string;
  members?: string[];
}

/** Healthy or not, with the one line that says why. Pure apart from reading the file. */
export function judgeHealth(path: string, maxAgeMs: number | undefined, now: number): { healthy: boolean; line: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { healthy: false, line: code === 'ENOENT' ? `no health file at ${path}: the agent has not written a beat yet (or uses another --health-file)` : `cannot read ${path}: ${code ?? String(err)}` };
  }
  let doc: HealthDoc;
  try {
    doc = JSON.parse(text) as HealthDoc;
  } catch {
    return { healthy: false, line: `${path} is not JSON` };
  }
  const last = typeof doc.lastBeat === 'number' ? doc.lastBeat : Date.parse(String(doc.lastBeat));
  if (!Number.isFinite(last)) return { healthy: false, line: `${path} has no lastBeat` };
  const beatMs = typeof doc.beatMs === 'number' && doc.beatMs > 0 ? doc.beatMs : DEFAULT_BEAT_MS;
  const limit = maxAgeMs ?? HEALTHY_BEATS * beatMs;
  const age = now - last;
  const who = `${doc.instance ?? '?'} at ${doc.location ?? '?'}`;
  if (age > limit) return { healthy: false, line: `${who}: last beat ${(age / 1000).toFixed(1)}s ago, more than ${formatDuration(limit)}` };
  const members = Array.isArray(doc.members) ? `; members ${doc.members.join(', ') || '(none)'}` : '';
  return { healthy: true, line: `${who}: last beat ${(Math.max(0, age) / 1000).toFixed(1)}s ago${members}` };
}

function health(argv: string[], io: CliIO): number {
  const { values } = parse(argv, { 'health-file': { type: 'string' }, 'max-age': { type: 'string' } });
  let maxAgeMs: number | undefined;
  if (values['max-age'] !== undefined) {
    maxAgeMs = parseDuration(values['max-age']);
    if (maxAgeMs === undefined || maxAgeMs <= 0) throw new UsageError(`--max-age "${values['max-age']}" is not a duration (e.g. 30s)`);
  }
  const path = resolve(values['health-file'] ?? io.env.VANTAGE_HEALTH_FILE ?? DEFAULT_HEALTH_FILE);
  const verdict = judgeHealth(path, maxAgeMs, Date.now());
  (verdict.healthy ? io.stdout : io.stderr)(`${verdict.healthy ? 'healthy' : 'unhealthy'}: ${verdict.line}\n`);
  return verdict.healthy ? EXIT.OK : EXIT.DOWN;
}

export const agent = defineCommand('agent', HELP, async (argv, io) => {
  if (argv[0] === 'health') return health(argv.slice(1), io);
  return runInstance(argv, io);
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfigFile } from '../../shared/config/load.ts';
import type { CheckState } from '../../shared/evaluate/index.ts';
import { LOCAL_REGION, LOCAL_TABLE } from '../../dev/pipeline.ts';
import { createStore } from '../../shared/store/dynamo.ts';
import { StoreError } from '../../shared/store/errors.ts';
import type { Heartbeat } from '../../shared/store/items.ts';
import { defineCommand, parse, UsageError } from '../args.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage status [--config FILE] [--endpoint URL] [--table NAME] [--region REGION] [--json]

Prints each check's current state as the evaluator last wrote it, and when each location last ran.
  --config FILE    read the checks named in FILE (cheap: one BatchGetItem); without it, every state
                   in the table (a Scan, which reads the whole table)
  --endpoint URL   a DynamoDB endpoint, e.g. the one \`vantage dev\` prints (http://127.0.0.1:PORT)
  --table NAME     default $VANTAGE_TABLE, else ${LOCAL_TABLE} (what \`cdk deploy\` and \`vantage dev\` create)
  --region REGION  default $AWS_REGION, else $AWS_DEFAULT_REGION (${LOCAL_REGION} with --endpoint)
  --json           one JSON object per check
Against AWS, credentials come from the usual AWS SDK chain (environment, profile, SSO, role).
Exit codes: 0 nothing down, 1 a check is DOWN, 2 usage error or the table cannot be read.
`;

/** A check as status shows it. A check with no stored state has never left UP (or never run). */
export interface CheckStatus {
  checkId: string;
  overall: CheckState['overall'] | 'UP?';
  version: number;
  /** The open incident's start, ISO. */
  since?: string;
  incidentId?: string;
  locations: Array<{ location: string; state: 'up' | 'failing' | 'failing?' | 'slow' | 'silent'; reason?: string; consecutiveFailures: number }>;
  /** Decided, not yet confirmed as published. */
  outbox: number;
}

export function toCheckStatus(checkId: string, state: CheckState | undefined, locations: readonly string[]): CheckStatus {
  const names = [...new Set([...locations, ...Object.keys(state?.locations ?? {})])];
  return {
    checkId,
    overall: state?.overall ?? 'UP?',
    version: state?.version ?? 0,
    ...(state?.incident && { since: new Date(state.incident.startedAt).toISOString(), incidentId: state.incident.id }),
    locations: names.map((location) => {
      const loc = state?.locations[location];
      const stateOf = (): CheckStatus['locations'][number]['state'] => {
        if (!loc) return 'up';
        if (loc.silentAfter !== undefined) return 'silent';
        if (loc.failing) return 'failing';
        if (loc.consecutiveFailures > 0) return 'failing?';
        return loc.degraded ? 'slow' : 'up';
      };
      return { location, state: stateOf(), consecutiveFailures: loc?.consecutiveFailures ?? 0, ...(loc?.lastFailure && (loc.failing || loc.consecutiveFailures > 0) && { reason: loc.lastFailure.reason }) };
    }),
    outbox: state?.outbox.length ?? 0,
  };
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

/** The human table. Pure: the clock is passed in. */
export function formatStatus(checks: readonly CheckStatus[], heartbeats: readonly Heartbeat[], now: number): string {
  const rows = checks.map((c) => [
    c.checkId,
    c.overall,
    c.since ? `since ${c.since}` : '',
    c.locations.map((l) => `${l.location} ${l.state}${l.reason ? ` (${l.reason})` : ''}`).join(', '),
  ]);
  const header = ['CHECK', 'STATE', 'INCIDENT', 'LOCATIONS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  if (checks.some((c) => c.overall === 'UP?')) out.push('', 'UP? = no state stored: the evaluator writes only when something moves, so the check has been up (or has not run yet).');
  if (heartbeats.length > 0) {
    out.push('', 'LOCATION LAST RUN');
    for (const h of heartbeats) out.push(`${h.location.padEnd(16)} ${ago(now - Date.parse(h.lastSeen))} (${h.checksRun} check(s), ${h.failures ?? 0} failed)`);
  }
  return `${out.join('\n')}\n`;
}

const isLoopback = (url: string) => {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
};

export const status = defineCommand('status', HELP, async (argv, io) => {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    endpoint: { type: 'string' },
    table: { type: 'string' },
    region: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.endpoint !== undefined && !/^https?:\/\//.test(values.endpoint)) throw new UsageError('--endpoint must be an http:// or https:// URL', { showHelp: false });

  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? (values.endpoint ? LOCAL_REGION : undefined);
  if (!region) throw new UsageError('no region: pass --region or set AWS_REGION (or --endpoint for a local pipeline)', { showHelp: false });
  const tableName = values.table ?? io.env.VANTAGE_TABLE ?? LOCAL_TABLE;
  const config = values.config ? loadConfigFile(values.config) : undefined;

  const client = new DynamoDBClient({
    region,
    maxAttempts: 2,
    ...(values.endpoint && { endpoint: values.endpoint }),
    // DynamoDB Local accepts any credentials; a machine without AWS credentials must still reach it.
    ...(values.endpoint && isLoopback(values.endpoint) && { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  });
  const store = createStore({ client, tableName });
  const where = values.endpoint ? `${values.endpoint} (table ${tableName})` : `table ${tableName} in ${region}`;
  let checks: CheckStatus[];
  let heartbeats: Heartbeat[];
  try {
    if (config) {
      const states = new Map((await store.getStates<CheckState>(config.checks.map((c) => c.id))).map((s) => [s.checkId, s]));
      checks = config.checks.filter((c) => c.enabled).map((c) => toCheckStatus(c.id, states.get(c.id), c.locations));
      heartbeats = await store.getHeartbeats([...new Set(config.checks.flatMap((c) => c.locations))]);
    } else {
      const states = await store.listStates<CheckState>();
      checks = states.map((s) => toCheckStatus(s.checkId, s, []));
      heartbeats = await store.getHeartbeats([...new Set(states.flatMap((s) => Object.keys(s.locations)))]);
    }
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    const hint = err.code === 'STORE_TABLE_NOT_FOUND'
      ? ` (no table named ${tableName}: pass --table or set VANTAGE_TABLE)`
      : values.endpoint ? ' (is `vantage dev` still running? It prints its endpoint when ready)' : '';
    const code = (err.cause as { code?: unknown } | undefined)?.code;
    io.stderr(`vantage status: cannot read ${where}: ${err.message}${typeof code === 'string' ? ` (${code})` : ''}${hint}\n`);
    return EXIT.USAGE;
  } finally {
    client.destroy();
  }

  if (values.json) io.stdout(checks.map((c) => JSON.stringify(c)).join('\n') + (checks.length ? '\n' : ''));
  else if (checks.length === 0) io.stdout(`no check states in ${where} yet: the evaluator writes one when a check first fails, and \`--config\` lists every check.\n`);
  else io.stdout(formatStatus(checks, heartbeats, Date.now()));
  return checks.some((c) => c.overall === 'DOWN') ? EXIT.DOWN : EXIT.OK;
});

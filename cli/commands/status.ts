import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../shared/config/load.ts';
import type { CheckState, Mute } from '../../shared/evaluate/index.ts';
import { createAgentStore, type AgentStore } from '../../shared/store/agents.ts';
import { createStore, type Store } from '../../shared/store/dynamo.ts';
import { StoreError } from '../../shared/store/errors.ts';
import type { Heartbeat } from '../../shared/store/items.ts';
import { createRollupStore } from '../../shared/store/rollups.ts';
import { loadStatusPageInputs } from '../../shared/usecases/status-page/inputs.ts';
import { buildStatusModel, type StatusPageCheck } from '../../shared/usecases/status-page/model.ts';
import { renderStatusPage } from '../../shared/usecases/status-page/render.ts';
import { defineCommand, parse } from '../args.ts';
import { EXIT } from '../io.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectTable, describeStoreError } from '../table-connection.ts';
import { formatAgents, toAgentLocationStatus, type AgentLocationStatus } from './status-agents.ts';

const HELP = `usage: vantage status [--config FILE] [--endpoint URL] [--table NAME] [--region REGION] [--json] [--html DIR]

Prints each check's current state as the evaluator last wrote it, and when each location last ran.
A check inside a maintenance window or a silence shows MAINTENANCE, with its counted state next to it
(MAINTENANCE (DOWN)), which window or silence, and until when; nothing is sent for it meanwhile.
  --config FILE    read the checks named in FILE (cheap: one BatchGetItem); without it, every state
                   in the table (a Scan, which reads the whole table). With deployment.agentLocations,
                   also each agent location's instances: last beat, member now, leaving, and the
                   definitions version each runs, STALE when it is not the location's DEFINITIONS item
${CONNECTION_HELP}
  --json           one JSON object per check (with "mute": {kind, name, start, end} while muted), then
                   one per agent location ({"agentLocation", "expected", "members", "definitions", "instances"})
  --html DIR       also write the status page to DIR/index.html (DIR is created): each check's state,
                   90 daily uptime bars from the SLO rollups, recent incidents and latency, as one
                   self-contained HTML file (README "Status page"); the title is deployment.statusPage.title.
                   Costs per check one Query of its hour rollups (up to 2,160 small items) and one of
                   its 5 newest incidents
Against AWS, credentials come from the usual AWS SDK chain (environment, profile, SSO, role).
Exit codes: 0 nothing down, 1 a check is DOWN (in maintenance or not: it is down), 2 usage error,
the table cannot be read, or --html cannot write DIR.
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
  /**
   * Present iff a maintenance window or silence covers the check now: the state's mute, unless it has
   * ended since the evaluator last wrote (the sweep clears it within a minute). Times ISO.
   */
  mute?: { kind: Mute['kind']; name: string; start: string; end: string };
}

/** The stored mute, if it still holds at `now`. */
function currentMute(state: CheckState | undefined, now: number): CheckStatus['mute'] {
  const mute = state?.mute;
  if (!mute || mute.end <= now) return undefined;
  return { kind: mute.kind, name: mute.name, start: new Date(mute.start).toISOString(), end: new Date(mute.end).toISOString() };
}

/** Pure: `now` decides whether a stored mute still holds. */
export function toCheckStatus(checkId: string, state: CheckState | undefined, locations: readonly string[], now: number): CheckStatus {
  const names = [...new Set([...locations, ...Object.keys(state?.locations ?? {})])];
  const mute = currentMute(state, now);
  return {
    checkId,
    overall: state?.overall ?? 'UP?',
    version: state?.version ?? 0,
    ...(mute && { mute }),
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

/** `2026-12-06T02:30:00Z`: to the second, which is as fine as windows and silences are written. */
const isoSeconds = (iso: string) => iso.replace(/\.000Z$/, 'Z');

/** The STATE cell: the counted state, or MAINTENANCE with it, what mutes the check and until when. */
export function stateCell(c: CheckStatus): string {
  if (!c.mute) return c.overall;
  const what = c.mute.kind === 'maintenance' ? 'window' : 'silence';
  return `MAINTENANCE (${c.overall}) ${what} ${c.mute.name} until ${isoSeconds(c.mute.end)}`;
}

/** The human table. Pure: the clock is passed in. */
export function formatStatus(checks: readonly CheckStatus[], heartbeats: readonly Heartbeat[], now: number): string {
  const rows = checks.map((c) => [
    c.checkId,
    stateCell(c),
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

/** One Query of the beats and one GetItem of the DEFINITIONS item per agent location. */
async function agentStatuses(agents: AgentStore, config: LoadedConfig | undefined, now: number): Promise<AgentLocationStatus[]> {
  const locations = config?.deployment?.agentLocations ?? [];
  return Promise.all(locations.map(async (l) => {
    const [beats, stored] = await Promise.all([agents.listBeats(l.name), agents.getDefinitions(l.name)]);
    return toAgentLocationStatus(l, beats, stored, now);
  }));
}

/** The status page as `--html` writes it; the same model and renderer the deployed page uses. */
async function statusPage(store: Store, conn: ReturnType<typeof connectTable>, checks: readonly StatusPageCheck[], now: number, title: string | undefined): Promise<string> {
  const rollups = createRollupStore(conn.client, conn.tableName);
  const inputs = await loadStatusPageInputs({ store, rollups }, { checks, now, ...(title !== undefined && { title }) });
  return renderStatusPage(buildStatusModel(inputs));
}

export const status = defineCommand('status', HELP, async (argv, io) => {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    ...CONNECTION_OPTIONS,
    json: { type: 'boolean' },
    html: { type: 'string' },
  });
  const conn = connectTable(values, io.env);
  const { client, where } = conn;
  const store = createStore({ client, tableName: conn.tableName });
  let checks: CheckStatus[];
  let heartbeats: Heartbeat[];
  let agents: AgentLocationStatus[] = [];
  let html: string | undefined;
  const now = Date.now();
  try {
    const config = values.config ? await loadConfig(values.config) : undefined;
    let pageChecks: StatusPageCheck[];
    if (config) {
      pageChecks = config.checks;
      const states = new Map((await store.getStates<CheckState>(config.checks.map((c) => c.id))).map((s) => [s.checkId, s]));
      checks = config.checks.filter((c) => c.enabled).map((c) => toCheckStatus(c.id, states.get(c.id), c.locations, now));
      heartbeats = await store.getHeartbeats([...new Set(config.checks.flatMap((c) => c.locations))]);
      agents = await agentStatuses(createAgentStore({ client, tableName: conn.tableName }), config, now);
    } else {
      const states = await store.listStates<CheckState>();
      pageChecks = states.map((s) => ({ id: s.checkId }));
      checks = states.map((s) => toCheckStatus(s.checkId, s, [], now));
      heartbeats = await store.getHeartbeats([...new Set(states.flatMap((s) => Object.keys(s.locations)))]);
    }
    if (values.html !== undefined) html = await statusPage(store, conn, pageChecks, now, config?.deployment?.statusPage?.title);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    io.stderr(`vantage status: ${describeStoreError(conn, err)}\n`);
    return EXIT.USAGE;
  } finally {
    client.destroy();
  }

  const rows = [...checks, ...agents];
  if (values.json) io.stdout(rows.map((c) => JSON.stringify(c)).join('\n') + (rows.length ? '\n' : ''));
  else if (checks.length === 0) io.stdout(`no check states in ${where} yet: the evaluator writes one when a check first fails, and \`--config\` lists every check.\n${formatAgents(agents)}`);
  else io.stdout(formatStatus(checks, heartbeats, now) + formatAgents(agents));
  if (html !== undefined && values.html !== undefined) {
    const path = resolve(io.cwd ?? process.cwd(), values.html, 'index.html');
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, html);
    } catch (err) {
      io.stderr(`vantage status: cannot write ${path}: ${(err as Error).message}\n`);
      return EXIT.USAGE;
    }
    // stdout stays one JSON object per line under --json.
    (values.json ? io.stderr : io.stdout)(`wrote the status page to ${path}\n`);
  }

  return checks.some((c) => c.overall === 'DOWN') ? EXIT.DOWN : EXIT.OK;
});

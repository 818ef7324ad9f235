/**
 * `vantage status`'s agent section: per agent location (deployment.agentLocations), the instances its
 * beat items name, whether each is a member now, and which definitions each runs against the
 * location's DEFINITIONS item. Pure: beats, the stored definitions and the clock are passed in.
 *
 * Membership is judged by the agents' own rule (membersAt, shared/usecases/agent/membership.ts) at
 * the default beat: status cannot know an agent's `--heartbeat`, and with a longer beat an instance
 * may show as not a member here while its peers still count it.
 */
import type { AgentLocationConfig } from '../../shared/config/deployment.ts';
import type { AgentBeat, StoredDefinitions } from '../../shared/store/agents.ts';
import { DEFAULT_BEAT_MS, membersAt } from '../../shared/usecases/agent/membership.ts';

/** The part of a sha256 version shown: enough to tell versions apart by eye. */
export const shortVersion = (version: string) => version.slice(0, 8);

export interface AgentInstanceStatus {
  instance: string;
  /** The newest beat, ISO, and how long before `now` it was, ms. */
  lastSeen: string;
  lastBeatAgeMs: number;
  /** A member now by the membership rule at DEFAULT_BEAT_MS: it owns a share of the checks. */
  member: boolean;
  /** It announced it is leaving (SIGTERM): ISO `leavingAt`, and whether that has passed. */
  leavingAt?: string;
  left?: boolean;
  /** The DEFINITIONS version (sha256) it last read; absent before it read any. */
  definitions?: string;
  /** Its definitions are not the location's current DEFINITIONS item: it runs stale checks until its next minute's read. */
  stale: boolean;
  host?: string;
  agentVersion?: string;
}

export interface AgentLocationStatus {
  agentLocation: string;
  /** Instances the config expects (agentLocations[].instances). */
  expected: number;
  members: number;
  /** The DEFINITIONS item's version; absent when none is written (an agent then exits 2 at start). */
  definitions?: string;
  definitionsWrittenAt?: string;
  instances: AgentInstanceStatus[];
}

export function toAgentLocationStatus(location: AgentLocationConfig, beats: readonly AgentBeat[], stored: StoredDefinitions | undefined, now: number): AgentLocationStatus {
  const members = new Set(membersAt(beats, now, DEFAULT_BEAT_MS));
  const instances = [...beats].sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0)).map((b): AgentInstanceStatus => ({
    instance: b.instance,
    lastSeen: b.lastSeen,
    lastBeatAgeMs: Math.max(0, now - Date.parse(b.lastSeen)),
    member: members.has(b.instance),
    ...(b.leavingAt !== undefined && { leavingAt: b.leavingAt, left: Date.parse(b.leavingAt) <= now }),
    ...(b.definitions !== undefined && { definitions: b.definitions }),
    stale: stored !== undefined && b.definitions !== stored.version,
    ...(b.host !== undefined && { host: b.host }),
    ...(b.agentVersion !== undefined && { agentVersion: b.agentVersion }),
  }));
  return {
    agentLocation: location.name,
    expected: location.instances,
    members: members.size,
    ...(stored && { definitions: stored.version, ...(stored.writtenAt && { definitionsWrittenAt: stored.writtenAt }) }),
    instances,
  };
}

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

function memberCell(i: AgentInstanceStatus): string {
  if (i.left) return `no (left ${i.leavingAt})`;
  if (i.leavingAt !== undefined) return `${i.member ? 'yes' : 'no'} (leaving at ${i.leavingAt})`;
  return i.member ? 'yes' : 'no';
}

function definitionsCell(i: AgentInstanceStatus, current: string | undefined): string {
  const mine = i.definitions !== undefined ? shortVersion(i.definitions) : '-';
  if (!i.stale) return mine;
  return `${mine} STALE (current ${current !== undefined ? shortVersion(current) : '-'})`;
}

/** The human lines for one agent location. */
export function formatAgentLocation(s: AgentLocationStatus): string[] {
  const head = `AGENT LOCATION ${s.agentLocation}: ${s.members} of ${s.expected} expected instance(s) member(s), definitions ` +
    (s.definitions !== undefined ? `${shortVersion(s.definitions)}${s.definitionsWrittenAt ? ` (written ${s.definitionsWrittenAt})` : ''}` : 'none written (agents exit 2 until the CDK app or `vantage dev` writes them)');
  if (s.instances.length === 0) return [head, '  no instance has beaten yet'];
  const rows = s.instances.map((i) => [i.instance, age(i.lastBeatAgeMs), memberCell(i), definitionsCell(i, s.definitions)]);
  const header = ['INSTANCE', 'LAST BEAT', 'MEMBER', 'DEFINITIONS'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, n) => (n === cells.length - 1 ? c : c.padEnd(widths[n]!))).join('  ')}`.trimEnd();
  return [head, line(header), ...rows.map(line)];
}

/** The whole section, empty without agent locations. */
export function formatAgents(locations: readonly AgentLocationStatus[]): string {
  if (locations.length === 0) return '';
  const out = locations.flatMap((s) => ['', ...formatAgentLocation(s)]);
  out.push('', `MEMBER: by the agents' own rule at the default ${DEFAULT_BEAT_MS / 1000} s beat (registered 2 beats ago, a beat within 3, not leaving).`);
  return `${out.join('\n')}\n`;
}

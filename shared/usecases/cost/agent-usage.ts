/**
 * What an agent location's instances (`vantage agent`, deployment.agentLocations) cost in the home
 * table a month, besides the results they write like any location. Pure.
 *
 * An agent talks only to DynamoDB, so its cost is requests: every instance writes its beat and
 * Queries all the location's beats every beat (membership, ../agent/membership.ts), polls its inbox
 * with one Query a second (../agent/inbox.ts), and reads the location's DEFINITIONS item before
 * every minute. All of these reads are strongly consistent: one read unit per 4 KB, and a Query
 * reads its items as one (their sizes summed, then rounded up), at least one unit even when it finds
 * nothing. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 * The hosts the agents run on are the team's own and are not priced; there is no Lambda, no SQS and
 * no EventBridge rule per agent location.
 */
import { dynamoItemBytes, writeUnits } from './item-size.ts';
import { SECONDS_PER_MONTH } from './prices.ts';

/** A strongly consistent read unit covers 4 KB. */
const READ_UNIT_BYTES = 4096;

export interface AgentUsageOptions {
  /** Instances of the location (agentLocations[].instances). */
  readonly instances: number;
  /** Beat period: one beat write and one Query of all beats per instance. */
  readonly beatMs: number;
  /** Inbox poll period of one instance. */
  readonly inboxPollMs: number;
  /** How often an instance reads DEFINITIONS (before every minute). */
  readonly definitionsReadMs: number;
  /** Billed size of the location's DEFINITIONS item (its document, as stored). */
  readonly definitionsItemBytes: number;
}

export interface AgentUsage {
  instances: number;
  /** Billed size of one beat item, from a representative one. */
  beatItemBytes: number;
  definitionsItemBytes: number;
  /** A month, all instances together. */
  beatWru: number;
  beatReadRru: number;
  inboxPollRru: number;
  definitionsRru: number;
  /** What one sweep's Query of the location's beats reads (one a minute). */
  sweepQueryRru: number;
}

/** Read units of one strongly consistent read of `bytes` (a Query's items summed); never less than one. */
export const consistentReadUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));

/**
 * A beat item as shared/store/agents.ts writes it, with a typical host name as the id
 * (`<hostname>-<pid>`), the definitions version and the agent's version.
 */
export function representativeBeatBytes(location: string): number {
  const at = '2026-11-03T10:15:00.000Z';
  return dynamoItemBytes({
    pk: `LOCATION#${location}`, sk: 'HEARTBEAT#probe-host-01-12345', type: 'HEARTBEAT', schemaVersion: 1, location,
    instance: 'probe-host-01-12345', lastSeen: at, registeredAt: at, definitions: 'f'.repeat(64), host: 'probe-host-01', agentVersion: '0.1.0', ttl: 1_790_000_000,
  });
}

export function agentUsage(location: string, o: AgentUsageOptions): AgentUsage {
  const perMonth = (periodMs: number) => (SECONDS_PER_MONTH * 1000) / periodMs;
  const beatItemBytes = representativeBeatBytes(location);
  const beatsQueryRru = consistentReadUnits(o.instances * beatItemBytes);
  return {
    instances: o.instances,
    beatItemBytes,
    definitionsItemBytes: o.definitionsItemBytes,
    beatWru: o.instances * perMonth(o.beatMs) * writeUnits(beatItemBytes),
    beatReadRru: o.instances * perMonth(o.beatMs) * beatsQueryRru,
    // An empty inbox, as it is nearly always: the Query's minimum.
    inboxPollRru: o.instances * perMonth(o.inboxPollMs) * consistentReadUnits(0),
    definitionsRru: o.instances * perMonth(o.definitionsReadMs) * consistentReadUnits(o.definitionsItemBytes),
    sweepQueryRru: beatsQueryRru,
  };
}

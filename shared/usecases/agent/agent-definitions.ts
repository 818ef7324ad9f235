/**
 * An agent location's checks, from its DEFINITIONS item in the home table (written at deploy by the
 * CDK app, and by `vantage dev` at start). The document is the same DefinitionsDocument a Lambda probe
 * bundles, and goes through the same runtime check (../../config/definitions-file.ts `readDefinitions`:
 * schema version, content hash, shape), so an agent never runs a document the synth did not write.
 */
import type { Check } from '../../config/schema.ts';
import { DefinitionsError, readDefinitions } from '../../config/definitions-file.ts';
import type { AgentStore, StoredDefinitions } from '../../store/agents.ts';
import { AgentError } from './agent-error.ts';

export interface AgentChecks {
  /** The document's sha256: what the beat reports and `vantage status` compares. */
  version: string;
  /** ISO 8601: when `vantage dev` wrote it (the CDK app writes no time). */
  writtenAt?: string;
  checks: Check[];
  /** The deployment's agent locations: confirmations to them go to their inbox. */
  agentLocations: string[];
}

/** The stored document, checked; throws AgentError (DEFINITIONS_INVALID) naming every problem. */
export function parseAgentChecks(stored: StoredDefinitions, location: string): AgentChecks {
  const source = `the DEFINITIONS item of ${location}`;
  try {
    const defs = readDefinitions(stored.document, source);
    if (defs.location !== location) {
      throw new DefinitionsError([{ path: 'location', message: `is ${JSON.stringify(defs.location ?? null)}, not this agent's location "${location}"` }], source);
    }
    return { version: stored.version, ...(stored.writtenAt && { writtenAt: stored.writtenAt }), checks: defs.checks, agentLocations: defs.agentLocations ?? [] };
  } catch (err) {
    if (err instanceof DefinitionsError) throw new AgentError('DEFINITIONS_INVALID', err.message, { cause: err });
    throw err;
  }
}

/**
 * Reads and checks the location's checks. No item is AGENT_NO_DEFINITIONS, naming the location (and
 * the table, when given): the deployment has not written them, or the agent points at another table.
 * A failed read is the store's StoreError.
 */
export async function readAgentChecks(store: Pick<AgentStore, 'getDefinitions'>, location: string, table?: string): Promise<AgentChecks> {
  const stored = await store.getDefinitions(location);
  if (!stored) {
    const where = table ? `table ${table}` : 'the table';
    throw new AgentError('AGENT_NO_DEFINITIONS', `${where} has no checks for agent location "${location}" (no DEFINITIONS item in LOCATION#${location}): deploy with "${location}" in deployment.agentLocations, or start \`vantage dev\` with it, and check --table and --endpoint/--region`);
  }
  return parseAgentChecks(stored, location);
}

/** Why `vantage agent` cannot run or go on (AGENT_NO_DEFINITIONS, DEFINITIONS_INVALID), or a request it dropped when it stopped (AGENT_STOPPED). */
import { VantageError } from '../../errors.ts';

export class AgentError extends VantageError {}

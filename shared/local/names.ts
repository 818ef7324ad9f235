/**
 * The names the local pipeline (`vantage dev`) gives what it creates, and the defaults the commands
 * that reach a table (`--endpoint`) assume. Here rather than in dev/pipeline.ts so a command that only
 * reads or writes a table (`vantage agent`, `status`, `silence`) does not load the pipeline and its
 * emulators: the agent's container image then ships without them.
 */
export const LOCAL_TABLE = 'vantage-results';
export const LOCAL_TOPIC = 'vantage-alerts';
export const LOCAL_REGION = 'us-east-1';

/**
 * The rule for location names (and check ids, and agent instance ids), so a name is safe in stack
 * names, metric dimensions, log groups and table keys. Here, without zod, for the readers that only
 * need the rule (`vantage agent`'s flags).
 */
export const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

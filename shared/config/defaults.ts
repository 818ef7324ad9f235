/**
 * The config's defaults, defined once: the schema applies them, and the cross-reference rules (which
 * read the config as written, before the schema) assume them for what `defaults` leaves out.
 */
export const DEFAULT_INTERVAL_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_LOCATIONS: readonly string[] = ['local'];
export const DEFAULT_RETRIES = 1;
/** How soon a location probes a check again while its view of it is undecided (alerting.recheckInterval). */
export const DEFAULT_RECHECK_INTERVAL_MS = 10_000;
/**
 * The shortest recheckInterval: a recheck is a real run with its own retest, and at 5 s a location
 * already probes a failing check 12 times a minute.
 */
export const MIN_RECHECK_INTERVAL_MS = 5_000;

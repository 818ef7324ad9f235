/**
 * The config's defaults, defined once: the schema applies them, and the cross-reference rules (which
 * read the config as written, before the schema) assume them for what `defaults` leaves out.
 */
export const DEFAULT_INTERVAL_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_LOCATIONS: readonly string[] = ['local'];
export const DEFAULT_RETRIES = 1;

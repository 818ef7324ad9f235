/** The alert policy: see ./README.md for the semantics and ./types.ts for the contract. */
export * from './types.ts';
export { evaluate } from './evaluate.ts';
export { clearPublished } from './outbox.ts';
export { policyFor, toResultRecord, UnevaluableResultError } from './adapters.ts';
export { backtest, parseResultLines, type LineIssue, type ParsedResults } from './backtest.ts';
export { isAtRest } from './location.ts';
export { STALE_AFTER_INTERVALS, overallOf } from './tick.ts';

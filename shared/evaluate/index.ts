/**
 * The alert policy: see ./README.md for the semantics and ./types.ts for the contract.
 * Backtesting (./backtest.ts, used by `vantage replay`) is imported directly: it validates input with
 * zod, and the evaluator function must not load zod at init.
 */
export * from './types.ts';
export { evaluate } from './evaluate.ts';
export { clearPublished } from './outbox.ts';
export { policyFor, toResultRecord, UnevaluableResultError } from './adapters.ts';
export { isAtRest } from './location.ts';
export { STALE_AFTER_INTERVALS, overallOf } from './tick.ts';

export { accountSweep, ACCOUNT_CONCURRENCY, type AccountDeps, type AccountOutcome, type Evaluated } from './account.ts';
export { burnObservations, withMinute, type BurnDeps } from './burn.ts';

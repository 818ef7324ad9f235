/**
 * The SLO accounting, pure: classify and account a check's minutes, roll them into hours, sum a
 * range, and read the SLI, the error budget and latency percentiles from the sums. The rules are
 * README "SLOs and how Vantage accounts for them"; the shapes are ./types.ts.
 */
export * from './types.ts';
export { accountedMinute, classifyMinute, type MinuteVerdict } from './classify.ts';
export { bucketOf, noSamples, samplesOf, type MinuteSamples } from './samples.ts';
export { accountMinute } from './account.ts';
export { addMinute, emptyHour, hourOf, minuteCode, SloMinuteError } from './rollup.ts';
export { totalsOver } from './totals.ts';
export { errorRateOf, sliOf } from './sli.ts';
export { latencyQuantile } from './latency.ts';
export { RollupBook } from './book.ts';
export * from './burn.ts';

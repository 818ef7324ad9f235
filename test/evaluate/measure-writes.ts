/**
 * Prints what the late-results histories cost and how exact they come out, for this evaluator or
 * another copy of it (to compare before and after a change):
 *
 *   node test/evaluate/measure-writes.ts [path/to/shared/evaluate/index.ts] [histories]
 *
 * Per outage it counts the DOWNs of the lagged delivery (missed: none; double: more than one), and it
 * prints the state writes per result of the store that writes only when `changed`.
 */
import fc from 'fast-check';
import { pathToFileURL } from 'node:url';
import type { Evaluate } from '../../shared/evaluate/index.ts';
import { buildCycleHistory, cycleScenarioArb } from './cycle-histories.ts';
import { describeTally, emptyTally, lagged } from './late-harness.ts';

const [modulePath, runs = '10000'] = process.argv.slice(2);
const { evaluate } = (await import(modulePath ? pathToFileURL(modulePath).href : '../../shared/evaluate/index.ts')) as { evaluate: Evaluate };

const tally = emptyTally();
let outages = 0;
let missed = 0;
let doubled = 0;
let histories = 0;
for (const s of fc.sample(cycleScenarioArb, { numRuns: Number(runs), seed: 11_05 })) {
  const h = buildCycleHistory(s);
  let run;
  try {
    run = lagged(h, s.seed, tally, evaluate);
  } catch {
    continue; // a replay decided something a sweep would not: not what is measured here
  }
  histories += 1;
  for (const o of h.outages) {
    const downs = run.lazy.filter((n) => n.event === 'DOWN' && n.at >= o.start && n.at < o.until).length;
    outages += 1;
    if (downs === 0) missed += 1;
    if (downs > 1) doubled += 1;
  }
}
const pct = (n: number) => `${((100 * n) / Math.max(outages, 1)).toFixed(2)} %`;
console.log(`${histories} histories, ${outages} outages: missed ${missed} (${pct(missed)}), paged more than once ${doubled} (${pct(doubled)})`);
console.log(describeTally(tally));

// Writes the example data of the README's local session into examples/churn/ (deterministic).
// Regenerate: npx tsx scripts/examples.ts
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { customers, random, toCsv } from '../cli/demo/world.ts';

const folder = resolve(import.meta.dirname, '../examples/churn');
const next = random(2026);
writeFileSync(
  resolve(folder, 'train.csv'),
  toCsv(Array.from({ length: 3 }, () => customers(next, 500, false))),
);
writeFileSync(resolve(folder, 'holdout.csv'), toCsv([customers(next, 500, false)]));
// Campaign precision before the run's as-of (2026-11-21T00:00Z) and after it, when the first version serves.
const kpis = [
  {
    type: 'kpi',
    modelId: 'churn',
    metric: 'campaign_precision',
    value: 0.09,
    count: 400,
    timestamp: '2026-11-20T12:00:00Z',
  },
  {
    type: 'kpi',
    modelId: 'churn',
    metric: 'campaign_precision',
    value: 0.31,
    count: 400,
    timestamp: '2026-11-21T12:00:00Z',
  },
];
writeFileSync(resolve(folder, 'kpis.jsonl'), `${kpis.map((row) => JSON.stringify(row)).join('\n')}\n`);
console.log(`wrote ${folder}/{train.csv,holdout.csv,kpis.jsonl}`);

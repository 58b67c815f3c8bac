// KPI decisions on simulated fleets (issue 11): false retrains, detections and delays per kind for the one-line
// policy and the README's example, beside the old rules, a NannyML-style 3σ rule and a naive 90% rule; then
// post-deploy verification at the README's volumes. KAIZEN_BENCH_KPI_MODELS sizes the fleet (default 200 a kind).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parsePolicy } from '#domain/policy.ts';
import { formatSimulation, README_VOLUME, runSimulation } from '../cli/simulate/report.ts';

const SCAFFOLD = {
  training: { dataset: 'datasets/sim/train.csv', label: 'y', features: ['x'] },
  evaluation: { holdout: 'datasets/sim/holdout.csv' },
};

export async function runKpiBench(): Promise<void> {
  const models = Number(process.env.KAIZEN_BENCH_KPI_MODELS ?? 200);
  const seed = 11;
  const oneLine = parsePolicy({
    modelId: 'one-line',
    kpis: [{ metric: 'conversion_rate', maxRelativeDrop: 0.15 }],
    ...SCAFFOLD,
  });
  const example = JSON.parse(
    await readFile(resolve(import.meta.dirname, '../examples/churn-policy.json'), 'utf8'),
  ) as Record<string, unknown>;
  const readme = parsePolicy(example, 'examples/churn-policy.json');
  const verification = { models: 400, ...README_VOLUME };
  const started = performance.now();
  for (const [title, policy] of [
    ['one-line policy {"metric": "conversion_rate", "maxRelativeDrop": 0.15}', oneLine],
    ['README example (examples/churn-policy.json)', readme],
  ] as const) {
    const result = runSimulation(policy, { models, seed, anchors: true, verification });
    console.log(`\n${formatSimulation(result, title).join('\n')}`);
  }
  // At 400 samples a day a 10% drop takes days to see: the README example's hourly checks cannot.
  const daily = parsePolicy({
    ...example,
    rollout: { bakePeriod: 'P1D', maxChecks: 21, maxRelativeDrop: 0.1 },
  });
  const daysResult = runSimulation(daily, { models: 1, seed, anchors: false, kinds: [], verification });
  console.log(
    `\n${formatSimulation(daysResult, 'README example with daily checks for three weeks').join('\n')}`,
  );
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

// Fleet-scale bench: a sweep of 10,000 registered models with a week of daily KPIs each on the embedded
// stack, and the monthly AWS cost of checking 1,000 healthy models hourly, from counted work x public prices.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { STEPS } from '#contracts/steps.ts';
import { monthlyCost } from '#domain/cost.ts';
import type { Observation } from '#domain/observations.ts';
import { parsePolicy } from '#domain/policy.ts';
import { setBaseline } from '#stores/champion.ts';
import { putObservations } from '#stores/observations.ts';
import { putPolicy } from '#stores/policies.ts';
import { localBackend } from '../cli/backend.ts';
import { mapLimit } from '../functions/fleet/pool.ts';
import { countCapacity, countRequests } from './capacity.ts';
import { seedChampion } from './support.ts';

export { monthlyCost, PRICES } from '#domain/cost.ts';

const DAY = 86_400_000;

/** Goals of the fleet bench. */
export const FLEET_GOALS = { modelsPerSecond: 800, monthlyPer1000Hourly: 0.2 } as const;

/**
 * What the models monitor: KPIs only, or also a dataset per window that never arrives, kept in one folder per
 * date shared by every model (`datasets/traffic/{date}/<model>.csv`) or in one folder per model
 * (`datasets/<model>/traffic/{date}.csv`), both under `datasets/` where S3 announces arrivals; or in a shared
 * folder outside it (`traffic/{date}/<model>.csv`), which a sweep page LISTs.
 */
export type FleetVariant =
  | 'kpi'
  | 'datasets-shared-folder'
  | 'datasets-per-model-folder'
  | 'unannounced-shared-folder';

const WINDOW_TEMPLATES: Record<Exclude<FleetVariant, 'kpi'>, (modelId: string) => string> = {
  'datasets-shared-folder': (modelId) => `datasets/traffic/{date}/${modelId}.csv`,
  'datasets-per-model-folder': (modelId) => `datasets/${modelId}/traffic/{date}.csv`,
  'unannounced-shared-folder': (modelId) => `traffic/{date}/${modelId}.csv`,
};

export interface FleetBenchResult {
  variant: FleetVariant;
  models: number;
  seedSeconds: number;
  sweepSeconds: number;
  modelsPerSecond: number;
  /** Models per second of the process's CPU time (sweep and local services): steadier than wall time on a busy machine. */
  modelsPerCpuSecond: number;
  pages: number;
  rruPerCheck: number;
  wruPerCheck: number;
  calls: Record<string, number>;
  monthly: { checks: number; lines: [string, string, number][]; total: number };
}

export async function runFleetBench(
  models = Number(process.env.KAIZEN_BENCH_MODELS ?? 10_000),
  variant: FleetVariant = 'kpi',
): Promise<FleetBenchResult> {
  const home = await mkdtemp(join(tmpdir(), 'kaizen-fleet-bench-'));
  const backend = await localBackend(home);
  const { ctx } = backend;
  try {
    // A policy that computes drift from datasets also looks for the window's dataset at each check until it
    // arrives (then reads the reference and computes once per window): the dataset variants never upload it.
    const { monitoring, ...example } = JSON.parse(
      await readFile(resolve(import.meta.dirname, '../examples/churn-policy.json'), 'utf8'),
    );
    const policyOf = (modelId: string) =>
      variant === 'kpi'
        ? { ...example, modelId }
        : {
            ...example,
            modelId,
            monitoring: { ...monitoring, current: WINDOW_TEMPLATES[variant](modelId) },
          };
    const at = '2026-11-20T00:30:00.000Z';
    const weekStart = Date.parse('2026-11-13T00:00:00.000Z');
    const ids = Array.from({ length: models }, (_, i) => `model-${String(i).padStart(5, '0')}`);

    const seedStart = performance.now();
    await mapLimit(ids, 32, async (modelId) => {
      await putPolicy(ctx, parsePolicy(policyOf(modelId)));
      await seedChampion(ctx, modelId);
      await setBaseline(ctx, modelId, 1, { campaign_precision: 0.3 });
    });
    const observations: Observation[] = ids.flatMap((modelId, m) =>
      Array.from({ length: 7 }, (_, day) => ({
        type: 'kpi' as const,
        modelId,
        metric: 'campaign_precision',
        value: 0.3 + (((m * 7 + day) * 7919) % 21) * 0.001,
        count: 400,
        timestamp: new Date(weekStart + day * DAY + 12 * 3_600_000).toISOString(),
      })),
    );
    for (let offset = 0; offset < observations.length; offset += 2_500) {
      await mapLimit(
        Array.from({ length: 100 }, (_, i) =>
          observations.slice(offset + i * 25, offset + (i + 1) * 25),
        ).filter((b) => b.length),
        16,
        (batch) => putObservations(ctx, batch),
      );
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const pageSize = 100;
    const counting = countCapacity(ctx.ddb);
    const s3Requests = await countRequests(ctx.s3);
    const sweepStart = performance.now();
    const cpuStart = process.cpuUsage();
    const sweep = await backend.runSweep({ at, pageSize }, 'bench-sweep');
    const sweepSeconds = (performance.now() - sweepStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    counting.stop();
    s3Requests.stop();
    const s3Calls = Object.values(s3Requests.calls).reduce((sum, n) => sum + n, 0);
    const s3Puts = s3Requests.calls.PutObjectCommand ?? 0;
    const s3Lists = s3Requests.calls.ListObjectsV2Command ?? 0;
    if (sweep.status !== 'SUCCEEDED' || sweep.totals?.models !== models) {
      throw new Error(`sweep did not check every model: ${JSON.stringify(sweep.totals ?? sweep.error)}`);
    }
    if (sweep.totals.none !== models)
      throw new Error(`expected a healthy fleet, got ${JSON.stringify(sweep.totals)}`);
    const rruPerCheck = counting.capacity.rru / models;
    const wruPerCheck = counting.capacity.wru / models;
    const monthly = monthlyCost({
      models: 1000,
      perDay: 24,
      pageSize,
      rruPerCheck,
      wruPerCheck,
      s3GetsPerCheck: (s3Calls - s3Puts - s3Lists) / models,
      s3ListsPerCheck: s3Lists / models,
      s3PutsPerCheck: s3Puts / models,
      lambdaSecondsPerCheck: sweepSeconds / models,
      lambdaMemoryGb: STEPS.sweep.memoryMb / 1024,
    });
    return {
      variant,
      models,
      seedSeconds,
      sweepSeconds,
      modelsPerSecond: models / sweepSeconds,
      modelsPerCpuSecond: models / cpuSeconds,
      pages: sweep.pages ?? 0,
      rruPerCheck,
      wruPerCheck,
      calls: {
        ...counting.capacity.calls,
        ...Object.fromEntries(Object.entries(s3Requests.calls).map(([k, v]) => [`S3 ${k}`, v])),
      },
      monthly,
    };
  } finally {
    await backend.close();
    await rm(home, { recursive: true, force: true });
  }
}

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

export function printFleetBench(result: FleetBenchResult): void {
  console.log(
    `\nFleet sweep on the embedded stack (dynalite + in-process Step Functions): ${result.variant}`,
  );
  console.log(
    `  models ${result.models}, a week of daily KPIs each (seeded in ${result.seedSeconds.toFixed(1)} s)`,
  );
  const speed = `  sweep: ${result.sweepSeconds.toFixed(2)} s in ${result.pages} pages = ${result.modelsPerSecond.toFixed(0)} models/s (${result.modelsPerCpuSecond.toFixed(0)} per CPU-second)`;
  console.log(
    result.variant === 'kpi'
      ? `${speed}   goal >= ${FLEET_GOALS.modelsPerSecond}: ${met(result.modelsPerSecond >= FLEET_GOALS.modelsPerSecond)}`
      : speed,
  );
  console.log(
    `  per model check: ${result.rruPerCheck.toFixed(3)} RRU, ${result.wruPerCheck.toFixed(3)} WRU`,
  );
  console.log(`  AWS calls: ${JSON.stringify(result.calls)}`);
  console.log(
    `\nMonthly cost of checking 1,000 healthy models hourly (${result.monthly.checks} checks, us-east-1):`,
  );
  for (const [item, amount, cost] of result.monthly.lines) {
    console.log(`  ${item.padEnd(34)} ${amount.padEnd(40)} $${cost.toFixed(4)}`);
  }
  console.log(
    `  ${'total'.padEnd(75)} $${result.monthly.total.toFixed(4)}  (goal <= $${FLEET_GOALS.monthlyPer1000Hourly.toFixed(2)}: ${met(result.monthly.total <= FLEET_GOALS.monthlyPer1000Hourly)})`,
  );
}

/** The fleet bench's three variants; the dataset ones on `datasetModels` models (their cost is per check). */
export async function runFleetBenches(
  datasetModels = Number(process.env.KAIZEN_BENCH_DATASET_MODELS ?? 1000),
) {
  const results = [await runFleetBench()];
  for (const variant of [
    'datasets-shared-folder',
    'datasets-per-model-folder',
    'unannounced-shared-folder',
  ] as const)
    results.push(await runFleetBench(datasetModels, variant));
  for (const result of results) printFleetBench(result);
  console.log('\nFleet goals, side by side:');
  for (const result of results) {
    const s3 = Object.entries(result.calls)
      .filter(([call]) => call.startsWith('S3 '))
      .reduce((sum, [, n]) => sum + n, 0);
    console.log(
      `  ${result.variant.padEnd(26)} ${result.modelsPerSecond.toFixed(0).padStart(5)} models/s (${result.modelsPerCpuSecond.toFixed(0)}/CPU-s)  ` +
        `${result.rruPerCheck.toFixed(2)} RRU/check  ${(s3 / result.models).toFixed(2)} S3 requests/check  ` +
        `$${result.monthly.total.toFixed(3)}/month per 1,000 hourly models ` +
        `(goal <= $${FLEET_GOALS.monthlyPer1000Hourly.toFixed(2)}: ${met(result.monthly.total <= FLEET_GOALS.monthlyPer1000Hourly)})`,
    );
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFleetBenches();
}

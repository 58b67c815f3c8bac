import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Observation } from '#domain/observations.ts';
import { builtinTraining, type ModelPolicy, type ModelPolicyInput, parsePolicy } from '#domain/policy.ts';
import type { RunInput } from '#domain/run.ts';
import type { HandlerWrapper } from '#local/engine.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { putText } from '#stores/artifacts.ts';
import { putObservations } from '#stores/observations.ts';
import { putPolicy } from '#stores/policies.ts';
import { type Backend, localBackend } from '../../cli/backend.ts';
import { customers, random, toCsv } from '../../cli/demo/world.ts';
import { executionName } from '../../cli/names.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

/** A fresh local stack in a temp folder with the example churn policy registered. */
export async function freshStack(
  overrides: Partial<ModelPolicyInput> = {},
  options: { register?: boolean; wrapHandler?: HandlerWrapper } = {},
) {
  const home = await mkdtemp(join(tmpdir(), 'kaizen-test-'));
  const backend = await localBackend(home, 'SILENT', { wrapHandler: options.wrapHandler });
  const example = JSON.parse(await readFile(join(ROOT, 'examples/churn-policy.json'), 'utf8'));
  const policy = parsePolicy({ ...withSingleWindowKpis(example), ...overrides });
  const { ctx } = backend;
  if (options.register ?? true) await putPolicy(ctx, policy);
  const run = (input: Partial<RunInput> & { asOf: string }) =>
    backend.runLoop(
      { modelId: policy.modelId, force: false, dryRun: false, ...input },
      executionName('test', policy.modelId),
    );
  return {
    home,
    backend,
    /** The stores' context on this stack. */
    ctx,
    policy,
    run,
    /**
     * First run as of `asOf`: no champion, so the loop trains v1 on pre-change data and verifies it on good
     * post-deploy KPIs (campaign precision 0.3 six hours later).
     */
    async bootstrap(asOf: string) {
      await writeDatasets(ctx, policy, { seed: 1, shifted: false });
      await observe(ctx, precision(new Date(Date.parse(asOf) + 6 * 3_600_000).toISOString(), 0.3));
      const result = await run({ asOf });
      if (result.record?.outcome !== 'promoted') {
        throw new Error(`bootstrap ended ${result.record?.outcome ?? result.status}, not promoted`);
      }
      return result;
    },
    async close() {
      await backend.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a week of training data and a holdout day from the demo world (`shifted`: after the market change):
 * to the built-in trainer's dataset, or `trainingKey` for the other backends.
 */
export async function writeDatasets(
  ctx: KaizenContext,
  policy: ModelPolicy,
  options: { seed: number; shifted: boolean; trainingKey?: string },
) {
  const next = random(options.seed);
  const train = Array.from({ length: 7 }, () => customers(next, 1000, options.shifted));
  await putText(ctx, options.trainingKey ?? builtinTraining(policy).dataset, toCsv(train));
  await putText(ctx, policy.evaluation.holdout, toCsv([customers(next, 1000, options.shifted)]));
}

/**
 * The loop's tests judge one window against a one-window baseline (the bootstrap's post-deploy KPIs), as the
 * rules did before reference baselines: each KPI rule of `policy` gets a one-window baseline, no second window
 * to confirm a breach, and 75% confidence, so a single window at 0.22 against 0.3 (n=400 each) breaches the 15%
 * limit. The statistics themselves are tested in test/functions/domain and simulated in `npm run bench -- kpi`.
 */
export function withSingleWindowKpis<T extends { kpis?: unknown[] }>(policy: T): T {
  if (!Array.isArray(policy.kpis)) return policy;
  return {
    ...policy,
    kpis: policy.kpis.map((rule) => ({
      confidence: 0.75,
      consecutive: 1,
      baseline: { windows: 1, minWindows: 1 },
      ...(rule as object),
    })),
  };
}

/** One KPI observation of the example policy's campaign precision. */
export function precision(timestamp: string, value: number, count = 400): Observation {
  return { type: 'kpi', modelId: 'churn', metric: 'campaign_precision', value, count, timestamp };
}

export async function observe(ctx: KaizenContext, ...observations: Observation[]) {
  await putObservations(ctx, observations);
}

export type TestStack = Awaited<ReturnType<typeof freshStack>>;
export type { Backend };

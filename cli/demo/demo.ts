import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalHomeError } from '#contracts/errors.ts';
import { parseNumericTable } from '#datasets/index.ts';
import { currentDatasetKey } from '#domain/monitoring.ts';
import type { Observation } from '#domain/observations.ts';
import { builtinTraining, type ModelPolicy, parsePolicy } from '#domain/policy.ts';
import type { RunRecord } from '#domain/record.ts';
import { type LogisticModel, parseModel, predictTable } from '#domain/trainer.ts';
import { PROJECT_ROOT } from '#local/root.ts';
import { attachLocalStack } from '#local/stack.ts';
import { getText, putText } from '#stores/artifacts.ts';
import { getChampion } from '#stores/champion.ts';
import { putObservations } from '#stores/observations.ts';
import { putPolicy } from '#stores/policies.ts';
import { automatedExecutionName } from '#stores/starts.ts';
import { localBackend } from '../backend.ts';
import type { Io } from '../io.ts';
import { guarded } from '../options.ts';
import { type Customers, campaign, customers, FEATURES, LABEL, random, toCsv } from './world.ts';

const DAY_MS = 86_400_000;
const KPI = 'campaign_precision';
const HISTORY_DAYS = 7;

export interface DemoOptions {
  home: string;
  days: number;
  shiftDay: number;
  seed: number;
  customersPerDay: number;
  /** Share of customers who get a retention offer each day. */
  targetShare: number;
  start: string;
}

export const DEMO_DEFAULTS: Omit<DemoOptions, 'home'> = {
  days: 30,
  shiftDay: 12,
  seed: 7,
  customersPerDay: 2000,
  targetShare: 0.2,
  start: '2026-10-01T00:00:00.000Z',
};

/** One simulated day as the demo prints it. */
export interface DemoDay {
  day: number;
  date: string;
  shifted: boolean;
  servedBy: number | null;
  precision: number;
  targeted: number;
  drift: Record<string, number>;
  run?: Pick<RunRecord, 'outcome' | 'summary' | 'championBefore' | 'championAfter' | 'executionName'> & {
    candidate?: { version: number; score: number; championScore: number | null };
    /** The policy rules that called for retraining. */
    triggers: string[];
  };
}

export interface DemoResult {
  days: DemoDay[];
  /** Mean campaign precision before the shift, in the days after it before recovery, and over the last 5 days. */
  phases: { beforeShift: number; degraded: number; recovered: number };
  promotions: number;
  rejections: number;
  rollbacks: number;
  recovered: boolean;
  /** The HTML report the demo wrote at its end (`kaizen report --model churn`). */
  report: string;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(values.length, 1);

/**
 * The closed-loop demo: a churn model serves a retention campaign on the embedded local stack; the world
 * changes on `shiftDay`; each simulated day the KPI and drift scores are written to DynamoDB and the
 * improvement loop runs as the daily schedule would. Returns the timeline.
 */
export async function runDemo(
  options: DemoOptions,
  io: Io,
  onDay?: (day: DemoDay) => void,
): Promise<DemoResult> {
  // A demo already running on this home must not have its state deleted under it.
  const running = await attachLocalStack(options.home).catch(() => undefined);
  if (running) {
    throw new LocalHomeError(
      `another kaizen command is using ${options.home}; wait for it or set KAIZEN_HOME to another folder`,
      true,
    );
  }
  await rm(options.home, { recursive: true, force: true });
  const backend = await localBackend(options.home);
  const { ctx } = backend;
  return guarded(backend, async () => {
    const policyPath = join(PROJECT_ROOT, 'examples/churn-policy.json');
    const policy: ModelPolicy = parsePolicy(JSON.parse(await readFile(policyPath, 'utf8')), policyPath);
    await putPolicy(ctx, policy);
    const modelId = policy.modelId;
    const next = random(options.seed);
    const start = Date.parse(options.start);
    const dateOf = (day: number) => new Date(start + (day - 1) * DAY_MS).toISOString();

    // Labelled customers per simulated day; days before 1 are history served without a model.
    const world = new Map<number, Customers>();
    for (let day = 1 - HISTORY_DAYS; day <= 0; day += 1)
      world.set(day, customers(next, options.customersPerDay, false));
    const models = new Map<number, LogisticModel>();
    const timeline = new Map<number, DemoDay>();

    const daysBetween = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => world.get(from + i)).filter((d): d is Customers => !!d);

    const simulate = async (day: number): Promise<void> => {
      if (timeline.has(day)) return;
      const shifted = day >= options.shiftDay;
      const traffic = customers(next, options.customersPerDay, shifted);
      world.set(day, traffic);
      const champion = await getChampion(ctx, modelId);
      let scores: Float64Array | undefined;
      if (champion) {
        let model = models.get(champion.version);
        if (!model) {
          model = parseModel(JSON.parse(await getText(ctx, champion.artifactKey)));
          models.set(champion.version, model);
        }
        scores = predictTable(model, await parseNumericTable(toCsv([traffic]), [...FEATURES, LABEL]));
      }
      const result = campaign(traffic, scores, options.targetShare, next);
      const timestamp = new Date(Date.parse(dateOf(day)) + 12 * 3_600_000).toISOString();
      const observation: Observation = {
        type: 'kpi',
        modelId,
        metric: KPI,
        value: result.precision,
        count: result.targeted,
        timestamp,
      };
      await putObservations(ctx, [observation]);
      // The day's traffic lands in the bucket; the loop's Monitor step computes its drift against the champion's training data.
      if (policy.monitoring)
        await putText(ctx, currentDatasetKey(policy.monitoring.current, dateOf(day)), toCsv([traffic]));
      timeline.set(day, {
        day,
        date: dateOf(day).slice(0, 10),
        shifted,
        servedBy: champion?.version ?? null,
        precision: result.precision,
        targeted: result.targeted,
        drift: {},
      });
    };

    /** Training data: the week before `day`; holdout: `day` itself, which the candidate never saw. */
    const writeDatasets = async (day: number) => {
      await putText(
        ctx,
        builtinTraining(policy).dataset,
        toCsv(daysBetween(day - HISTORY_DAYS, day - 1)),
        'text/csv',
      );
      await putText(ctx, policy.evaluation.holdout, toCsv(daysBetween(day, day)), 'text/csv');
    };

    for (let day = 1; day <= options.days; day += 1) {
      await simulate(day);
      await writeDatasets(day);
      const result = await backend.runLoop(
        { modelId, force: false, dryRun: false, asOf: dateOf(day + 1) },
        // The name a scheduled sweep would give this model's run for this window.
        automatedExecutionName(modelId, dateOf(day + 1)),
        {
          // While the loop waits out the bake period, the business keeps running on the new champion.
          beforeTask: async ({ step }) => {
            if (step === 'verify') await simulate(day + 1);
          },
        },
      );
      const entry = timeline.get(day) as DemoDay;
      for (const drift of result.record?.observed?.drift ?? []) entry.drift[drift.feature] = drift.score;
      if (result.record) {
        const {
          outcome,
          summary,
          championBefore,
          championAfter,
          executionName: name,
          candidate,
          evaluation,
        } = result.record;
        const triggers = (result.record.decision?.reasons ?? [])
          .filter((r) => r.breached)
          .map((r) => r.message);
        entry.run = { outcome, summary, championBefore, championAfter, executionName: name, triggers };
        if (candidate && evaluation) {
          entry.run.candidate = {
            version: candidate.version,
            score: evaluation.candidateScore,
            championScore: evaluation.championScore,
          };
        }
      } else {
        io.err(`day ${day}: loop failed: ${result.error?.name}: ${result.error?.cause}`);
      }
      onDay?.(entry);
    }

    const days = [...timeline.values()].filter((d) => d.day <= options.days).sort((a, b) => a.day - b.day);
    const firstFix = days.find((d) => d.shifted && d.run?.outcome === 'promoted');
    const beforeShift = mean(days.filter((d) => !d.shifted && d.servedBy !== null).map((d) => d.precision));
    const degraded = mean(
      days.filter((d) => d.shifted && (!firstFix || d.day <= firstFix.day)).map((d) => d.precision),
    );
    const recovered = mean(days.slice(-5).map((d) => d.precision));
    const count = (outcome: string) => days.filter((d) => d.run?.outcome === outcome).length;
    // The story as a picture: the report of the simulated days, drawn from what the loop stored.
    const report = join(options.home, 'report.html');
    const [{ gatherModelReport }, { modelReportHtml }] = await Promise.all([
      import('../report/gather.ts'),
      import('../report/build.ts'),
    ]);
    const until = dateOf(options.days + 1);
    await writeFile(report, modelReportHtml(await gatherModelReport(ctx, modelId, options.days, { until })));
    return {
      report,
      days,
      phases: { beforeShift, degraded, recovered },
      promotions: count('promoted'),
      rejections: count('rejected'),
      rollbacks: count('rolled-back'),
      recovered: firstFix !== undefined && recovered > degraded,
    };
  });
}

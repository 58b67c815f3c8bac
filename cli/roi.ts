import { type CountedWork, type ModelCost, modelMonthlyCost } from '#domain/cost.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { RunRecord } from '#domain/record.ts';
import { type DeployRoi, deployPeriods, deployRois, type KpiRow } from '#domain/roi.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { listChecks } from '#stores/checks.ts';
import { queryObservations } from '#stores/observations.ts';
import { recentDays } from './options.ts';

/** Days of recorded checks counted for the cost (scaled to a month): a week of partitions bounds the read. */
export const COST_CHECK_DAYS = 7;
/** Days of runs counted for the cost. */
export const COST_RUN_DAYS = 30;

/** What `kaizen roi --json` prints and the report's ROI section shows (one shape; NaN figures become null). */
export interface RoiReport {
  modelId: string;
  /** The longest serving period measured after each deploy, in days. */
  days: number;
  deploys: DeployRoi[];
  cost: ModelCost & {
    basis: string;
    counted: { checks: number; checkDays: number; runs: number; runDays: number };
  };
}

/**
 * Reads what the ROI needs (the model's runs, its KPI rows over the deploys' periods, its recorded checks)
 * and computes it. `now` is the later of the wall clock and the newest run's logical time (a replay of past
 * or simulated days measures up to its last window).
 */
export async function gatherRoi(
  ctx: KaizenContext,
  policy: ModelPolicy,
  runs: readonly RunRecord[],
  days: number,
  wallClock = new Date(),
): Promise<RoiReport> {
  // ISO timestamps sort as text.
  const newest = [wallClock.toISOString(), ...runs.map((run) => run.asOf)].sort().at(-1) as string;
  const periods = deployPeriods(runs, newest, days);
  let rows: KpiRow[] = [];
  if (periods.length > 0) {
    const start = periods.map((p) => p.before.start).sort()[0] as string;
    const end = periods
      .map((p) => p.after.end)
      .sort()
      .at(-1) as string;
    const observations = await queryObservations(ctx, policy.modelId, { start, end });
    rows = observations.flatMap((row) => (row.type === 'kpi' ? [row] : []));
  }
  const checks = await listChecks(ctx, policy.modelId, recentDays(COST_CHECK_DAYS));
  const since = new Date(wallClock.getTime() - COST_RUN_DAYS * 86_400_000).toISOString();
  const counted = runs.filter((run) => run.startedAt >= since && run.outcome !== 'unlocked');
  // Checks and runs are counted over different spans; price each over its own and add the monthly figures.
  const checkWork: CountedWork = { days: COST_CHECK_DAYS, checks: checks.length, runs: [] };
  const runWork: CountedWork = {
    days: COST_RUN_DAYS,
    checks: 0,
    runs: counted.map((run) => ({ outcome: run.outcome, checks: run.verification?.checks ?? 0 })),
  };
  const fromChecks = modelMonthlyCost(checkWork);
  const fromRuns = modelMonthlyCost(runWork);
  return {
    modelId: policy.modelId,
    days,
    deploys: deployRois(policy.kpis, periods, rows),
    cost: {
      checksPerMonth: fromChecks.checksPerMonth,
      runsPerMonth: fromRuns.runsPerMonth,
      checks: fromChecks.checks,
      runs: fromRuns.runs,
      total: fromChecks.checks + fromRuns.runs,
      byOutcome: fromRuns.byOutcome,
      basis:
        'us-east-1 on-demand prices, no free tier: checks at the fleet bench measurement, runs by the path they took (SageMaker jobs not included)',
      counted: {
        checks: checks.length,
        checkDays: COST_CHECK_DAYS,
        runs: counted.length,
        runDays: COST_RUN_DAYS,
      },
    },
  };
}

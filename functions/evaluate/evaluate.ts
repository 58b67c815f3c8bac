import { gate } from '#domain/gate.ts';
import { scoreAll } from '#domain/metrics.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, Evaluation, RunContext } from '#domain/run.ts';
import { column } from '#domain/table.ts';
import { parseModel, predictTable } from '#domain/trainer.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getText } from '#stores/artifacts.ts';
import { readRunDataset } from '../train/data.ts';

export interface EvaluateEvent {
  run: RunContext;
  policy: ModelPolicy;
  champion: Champion | null;
  candidate: Candidate;
}

/**
 * Scores candidate and champion on the same holdout (with `{date}`, the daily objects of the evaluation
 * window before the run's time) and applies the promotion gate.
 */
export async function evaluate(ctx: KaizenContext, event: EvaluateEvent): Promise<Evaluation> {
  const { run, policy, champion, candidate } = event;
  const { label } = policy.training;
  const { holdout, metric } = policy.evaluation;
  const { keys, sha256, table } = await readRunDataset(
    ctx,
    holdout,
    run.asOf,
    policy.evaluation.window,
    policy,
  );
  const labels = column(table, label);
  const scoreOf = async (artifactKey: string) => {
    const model = parseModel(JSON.parse(await getText(ctx, artifactKey)));
    return scoreAll(labels, predictTable(model, table))[metric];
  };
  const candidateScore = await scoreOf(candidate.artifactKey);
  const championScore = champion ? await scoreOf(champion.artifactKey) : null;
  const { promote, reasons } = gate(policy.evaluation, candidateScore, championScore);
  if (candidate.dataset.sameAsChampion) {
    reasons.push(
      `the candidate was trained on exactly the champion's data (sha256 ${candidate.dataset.sha256.slice(0, 12)}): ` +
        'new training data is what a retrain needs',
    );
  }
  return {
    promote,
    metric,
    candidateScore,
    championScore,
    holdout: { key: holdout, sha256, rows: table.rows, ...(keys.length > 1 ? { keys } : {}) },
    reasons,
  };
}

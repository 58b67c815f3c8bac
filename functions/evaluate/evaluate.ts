import { DataError } from '#contracts/errors.ts';
import { parseNumericTable } from '#datasets/index.ts';
import { approvalRequest } from '#domain/approval.ts';
import { gate } from '#domain/gate.ts';
import { metricValue } from '#domain/metrics.ts';
import { approvalNotification } from '#domain/notifications.ts';
import { evaluationLabel, type ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, Evaluation, RunContext, ScoreSource } from '#domain/run.ts';
import { column, type NumericTable } from '#domain/table.ts';
import { type LogisticModel, parseModel, predictTable } from '#domain/trainer.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getText, sha256 } from '#stores/artifacts.ts';
import { s3Uri } from '#stores/objects.ts';
import { isBuiltinArtifact, readHoldout, type ScoredRole, scoringKeys } from '../prepare/scoring.ts';

export interface EvaluateEvent {
  run: RunContext;
  policy: ModelPolicy;
  champion: Champion | null;
  candidate: Candidate;
}

/** How one model is scored on the holdout. */
type Scorer =
  | { source: 'kaizen'; model: LogisticModel }
  | { source: Exclude<ScoreSource, 'kaizen'>; key: string };

/**
 * Which scores each model gets: Kaizen runs built-in models itself; other models are scored by their scoring
 * job (the policy has `evaluation.entryPoint`) or by the external trainer's answer.
 */
async function scorerOf(
  ctx: KaizenContext,
  event: EvaluateEvent,
  role: ScoredRole,
  artifactKey: string,
): Promise<Scorer> {
  if (isBuiltinArtifact(artifactKey)) {
    return { source: 'kaizen', model: parseModel(JSON.parse(await getText(ctx, artifactKey)), artifactKey) };
  }
  if (event.policy.evaluation.entryPoint !== undefined) {
    return { source: 'scoring-job', key: scoringKeys(event.run).scores(role) };
  }
  const supplied = event.candidate.suppliedScores?.[role];
  if (supplied) return { source: 'trainer', key: supplied };
  const problem =
    `no holdout scores for the ${role} (${artifactKey}): Kaizen cannot run it; set evaluation.entryPoint, ` +
    `or have the trainer answer with scores.${role}`;
  throw new DataError(problem, [problem]);
}

/** A model's scores, one per holdout row, checked against the holdout's row count. */
async function scoresOf(ctx: KaizenContext, scorer: Scorer, table: NumericTable): Promise<ArrayLike<number>> {
  if (scorer.source === 'kaizen') return predictTable(scorer.model, table);
  const source = s3Uri(ctx, scorer.key);
  const scores = await parseNumericTable(await getText(ctx, scorer.key), ['score'], { source });
  if (scores.rows !== table.rows) {
    const problem = `${source} has ${scores.rows} scores for the ${table.rows} holdout rows (one score per row, in order)`;
    throw new DataError(problem, [problem]);
  }
  return column(scores, 'score');
}

/**
 * Scores candidate and champion on the same holdout (with `{date}`, the daily objects of the evaluation
 * window before the run's time; with scoring jobs, the snapshot they scored) and applies the promotion gate.
 * Kaizen computes the metric itself from the scores and the holdout's labels, whoever produced the scores.
 */
export async function evaluate(ctx: KaizenContext, event: EvaluateEvent): Promise<Evaluation> {
  const { run, policy, champion, candidate } = event;
  const { metric } = policy.evaluation;
  const label = evaluationLabel(policy);
  // The scoring jobs scored the snapshot PrepareScoring wrote: the gate reads that very file.
  const fromSnapshot = policy.evaluation.entryPoint !== undefined;
  const { keys, text: holdoutText, source } = await readHoldout(ctx, policy, run, { fromSnapshot });
  const scorers: [ScoredRole, Scorer][] = [
    ['candidate', await scorerOf(ctx, event, 'candidate', candidate.artifactKey)],
  ];
  if (champion) scorers.push(['champion', await scorerOf(ctx, event, 'champion', champion.artifactKey)]);
  const features = scorers.flatMap(([, scorer]) => (scorer.source === 'kaizen' ? scorer.model.features : []));
  const table = await parseNumericTable(holdoutText, [...new Set([label, ...features])], { source });
  const labels = column(table, label);
  const scoreWith = async (scorer: Scorer) => {
    const scores = await scoresOf(ctx, scorer, table);
    try {
      return metricValue(metric, labels, scores);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const problem = `${source}: cannot compute ${metric} on label "${label}": ${error.message}`;
      throw new DataError(problem, [problem]);
    }
  };
  const [, candidateScorer] = scorers[0] as [ScoredRole, Scorer];
  const candidateScore = await scoreWith(candidateScorer);
  const championScorer = scorers[1]?.[1];
  const championScore = championScorer ? await scoreWith(championScorer) : null;
  const { promote, reasons } = gate(policy.evaluation, candidateScore, championScore);
  const approval = promote
    ? approvalRequest(policy.approval, metric, candidateScore, championScore)
    : undefined;
  if (approval) reasons.push(`waits for approval: ${approval.reason}`);
  if (candidate.dataset.sameAsChampion) {
    reasons.push(
      `the candidate was trained on exactly the champion's data (sha256 ${candidate.dataset.sha256.slice(0, 12)}): ` +
        'new training data is what a retrain needs',
    );
  }
  // The owners hear of it before the run waits (the approval Task publishes it), unless the policy says not to.
  const notification = approval
    ? approvalNotification(
        {
          modelId: run.modelId,
          executionName: run.executionName,
          candidateVersion: candidate.version,
          championVersion: champion?.version ?? null,
          reason: approval.reason,
          metric,
          candidateScore,
          championScore,
          reasons,
          deadline: new Date(Date.now() + approval.timeoutSeconds * 1000).toISOString(),
        },
        policy.notifications?.on,
      )
    : undefined;
  return {
    promote,
    metric,
    candidateScore,
    championScore,
    holdout: {
      key: policy.evaluation.holdout,
      sha256: sha256(holdoutText),
      rows: table.rows,
      ...(keys.length > 1 ? { keys } : {}),
      ...(fromSnapshot ? { snapshotKey: scoringKeys(run).holdout } : {}),
    },
    ...(approval ? { approval: notification ? { ...approval, notification } : approval } : {}),
    scoredBy: {
      candidate: candidateScorer.source,
      ...(championScorer ? { champion: championScorer.source } : {}),
    },
    reasons,
  };
}
